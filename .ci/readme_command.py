"""Print a command of README.md exactly as written: the N-th ```bash block under a heading.

Usage: python3 .ci/readme_command.py "Quick start" 1
"""

import re
import sys
from pathlib import Path

heading, number = sys.argv[1], int(sys.argv[2])
readme = Path(__file__).resolve().parents[1] / "README.md"
section = re.split(r"^## ", readme.read_text(), flags=re.M)
body = next(part for part in section if part.startswith(heading + "\n"))
blocks = re.findall(r"```bash\n(.*?)```", body, flags=re.S)
print(blocks[number - 1].strip())

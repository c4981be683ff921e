"""Default parameters on healthy data train silently: no warning of any kind.

The README's "Use" snippet and a grid search over the defaults are run with
every warning turned into an error (the examples are checked the same way in
test_examples.py). A warning there would teach users to ignore warnings.
"""

import re
import warnings
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import GridSearchCV

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor

README = Path(__file__).parents[1] / "README.md"


def _use_snippets():
    text = README.read_text(encoding="utf-8")
    use = text.split("## Use", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", use, flags=re.DOTALL)


def test_readme_use_snippets_are_silent(capsys):
    snippets = _use_snippets()
    assert snippets, "no python snippet in the README's Use section"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        namespace = {}  # later snippets build on the imports of earlier ones
        for snippet in snippets:
            exec(compile(snippet, str(README), "exec"), namespace)
    capsys.readouterr()


@pytest.mark.parametrize(
    "Estimator, load",
    [(StabilizedMLPClassifier, load_breast_cancer), (StabilizedMLPRegressor, load_diabetes)],
    ids=["classifier-breast_cancer", "regressor-diabetes"],
)
def test_grid_search_over_defaults_is_silent(Estimator, load):
    X, y = load(return_X_y=True)
    search = GridSearchCV(Estimator(random_state=0), {"learning_rate_init": [1e-3, 1e-2]}, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        search.fit(X, y)
    assert search.best_score_ > 0.3

"""Sphinx configuration of skstab's documentation site.

Build (from the repository root)::

    python3 -m venv .venv && .venv/bin/pip install -q -e ".[docs]"
    .venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html

The build works offline: intersphinx is used only for the projects whose
inventory is reachable (a local ``docs/_inventories/<name>.inv`` file, or the
network), and references to scikit-learn's glossary and user guide in the
docstrings skstab inherits from scikit-learn fall back to plain links.
"""

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from docutils import nodes

from skstab import __version__

project = "skstab"
author = "skstab developers"
copyright = "skstab developers"
release = version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "_inventories", "auto_examples/*.ipynb", "auto_examples/*.py", "**/*.zip"]

# -- API pages -------------------------------------------------------------------

autosummary_generate = True
autodoc_member_order = "groupwise"
# The class template lists the methods itself; numpydoc's own table would repeat them.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Hyperlink ``array-like``, ``ndarray`` and the like in parameter types when intersphinx can resolve them.
numpydoc_xref_param_type = False

# -- Cross-references to other projects ----------------------------------------------

_HERE = Path(__file__).parent
_PROJECTS = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "sklearn": "https://scikit-learn.org/stable",
    "pandas": "https://pandas.pydata.org/docs",
    "matplotlib": "https://matplotlib.org/stable",
}


def _reachable(url, timeout=2.0):
    """Whether a TCP connection to the url's host opens; never raises."""
    if os.environ.get("SKSTAB_DOCS_OFFLINE"):
        return False
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def _intersphinx_mapping():
    """One entry per project with a local inventory (docs/_inventories/<name>.inv) or a reachable site."""
    mapping = {}
    for name, url in _PROJECTS.items():
        local = _HERE / "_inventories" / f"{name}.inv"
        if local.exists():
            mapping[name] = (url, str(local))
        elif _reachable(url):
            mapping[name] = (url, None)
    return mapping


intersphinx_mapping = _intersphinx_mapping()
intersphinx_timeout = 5

# Labels of scikit-learn's user guide that docstrings inherited from scikit-learn
# refer to, for builds without scikit-learn's inventory.
_SKLEARN_LABELS = {
    "accuracy_score": "modules/model_evaluation.html#accuracy-score",
    "r2_score": "modules/model_evaluation.html#r2-score",
    "metadata_routing": "metadata_routing.html",
    "df_output_transform": "developers/develop.html#developer-api-for-set-output",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": "auto_examples/miscellaneous/plot_set_output.html",
}


def _sklearn_fallback(app, env, node, contnode):
    """Resolve scikit-learn glossary terms and user-guide labels to plain links when offline.

    skstab's estimators inherit methods such as ``score``, ``set_output`` and
    ``set_fit_request`` from scikit-learn, whose docstrings use ``:term:`` and
    ``:ref:`` roles that only scikit-learn's inventory resolves. skstab's own
    documentation has no glossary, so every unresolved term is scikit-learn's;
    an unresolved label is linked only when it is one of the known ones above,
    so a broken label in skstab's own pages still fails the build.
    """
    if "sklearn" in app.config.intersphinx_mapping or node.get("refdomain") != "std":
        return None
    target = node.get("reftarget", "")
    if node.get("reftype") == "term":
        uri = f"{_PROJECTS['sklearn']}/glossary.html#term-{nodes.make_id(target)}"
    elif node.get("reftype") == "ref" and target in _SKLEARN_LABELS:
        uri = f"{_PROJECTS['sklearn']}/{_SKLEARN_LABELS[target]}"
    else:
        return None
    reference = nodes.reference("", "", internal=False, refuri=uri, reftitle=f"scikit-learn: {target}")
    reference += contnode
    return reference


def setup(app):
    app.connect("missing-reference", _sklearn_fallback)


# -- Gallery ---------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # The README's demo is a script to run, not a gallery page.
    "ignore_pattern": r"demo\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    # Each example links to the API pages of the skstab names it uses, and each
    # API page lists the examples that use it (the class template's minigallery).
    "doc_module": ("skstab",),
    "reference_url": {"skstab": None},
    "backreferences_dir": "generated/backreferences",
    "matplotlib_animations": False,
}

# -- HTML ------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skstab {version}"
html_static_path = []
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {page: [] for page in ("index", "quick_start", "user_guide", "performance", "changelog")}
html_show_sourcelink = False

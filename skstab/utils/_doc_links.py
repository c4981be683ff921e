"""Links from the estimators' HTML representation to their pages in skstab's API reference.

scikit-learn's HTML diagram of an estimator (its ``_repr_html_`` in Jupyter)
shows a "?" link to the class's documentation, built by
:class:`sklearn.utils._repr_html.base._HTMLDocumentationLinkMixin` from two
class attributes. scikit-learn's defaults point at scikit-learn.org and give
no link for a class outside scikit-learn; :class:`DocLinkMixin` points them
at skstab's API pages, ``generated/<module>.<Class>.html`` as
``docs/api.rst`` builds them.
"""

#: Root of the published documentation site.
DOCS_URL = "https://skstab.readthedocs.io/en/stable"

#: Filled in by scikit-learn: ``estimator_module`` is the public module
#: (``skstab`` for ``skstab.neural_network._classifier``), ``estimator_name`` the class name.
DOC_LINK_TEMPLATE = DOCS_URL + "/generated/{estimator_module}.{estimator_name}.html"


class DocLinkMixin:
    """Point an estimator's HTML-repr documentation link at skstab's API reference.

    Put it before :class:`~sklearn.base.BaseEstimator` among the bases.

    Examples
    --------
    >>> from skstab import FeatureAligner
    >>> FeatureAligner()._get_doc_link()
    'https://skstab.readthedocs.io/en/stable/generated/skstab.FeatureAligner.html'
    """

    _doc_link_module = "skstab"
    _doc_link_template = DOC_LINK_TEMPLATE

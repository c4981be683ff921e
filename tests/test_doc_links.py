"""The estimators' HTML representation links to their pages in skstab's API reference."""

import pytest

from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.utils._doc_links import DOCS_URL


def test_feature_aligner_links_to_its_api_page():
    assert FeatureAligner()._get_doc_link() == f"{DOCS_URL}/generated/skstab.FeatureAligner.html"
    assert f'href="{DOCS_URL}/generated/skstab.FeatureAligner.html"' in FeatureAligner()._repr_html_()


@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_estimators_link_to_their_api_pages(Estimator):
    assert Estimator()._get_doc_link() == f"{DOCS_URL}/generated/skstab.{Estimator.__name__}.html"

"""scikit-learn API conformance for every public skstab estimator.

``parametrize_with_checks`` runs the checks any third-party estimator gets.
The explicit tests below add the ones scikit-learn runs only on its own
estimators (set_output, feature names, parameter validation, ...).
"""

import pytest
from sklearn.utils.estimator_checks import (
    check_all_zero_sample_weights_error,
    check_dataframe_column_names_consistency,
    check_get_feature_names_out_error,
    check_global_output_transform_pandas,
    check_global_set_output_transform_polars,
    check_inplace_ensure_writeable,
    check_n_features_in_after_fitting,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_set_output_transform_polars,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)
from sklearn.utils.validation import has_fit_parameter

from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor

ESTIMATORS = [FeatureAligner(), StabilizedMLPClassifier(), StabilizedMLPRegressor()]

TRANSFORMERS = [est for est in ESTIMATORS if hasattr(est, "transform")]
WITH_FEATURE_NAMES_OUT = [est for est in ESTIMATORS if hasattr(est, "get_feature_names_out")]
WITH_COPY = [est for est in ESTIMATORS if "copy" in est.get_params()]
WITH_SAMPLE_WEIGHT = [est for est in ESTIMATORS if has_fit_parameter(est, "sample_weight")]


def _name(estimator):
    return type(estimator).__name__


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_param_validation,
        check_n_features_in_after_fitting,
        check_dataframe_column_names_consistency,
    ],
)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_name)
def test_sklearn_only_checks(estimator, check):
    check(_name(estimator), estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_global_output_transform_pandas,
        check_set_output_transform_polars,
        check_global_set_output_transform_polars,
    ],
)
@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_name)
# These checks fit on a DataFrame and transform an array (and the reverse) on
# purpose, so the feature-name mismatch warnings are expected.
@pytest.mark.filterwarnings("ignore:X (does not have valid|has) feature names:UserWarning")
def test_set_output_checks(estimator, check):
    check(_name(estimator), estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_transformer_get_feature_names_out,
        check_transformer_get_feature_names_out_pandas,
        check_get_feature_names_out_error,
    ],
)
@pytest.mark.parametrize("estimator", WITH_FEATURE_NAMES_OUT, ids=_name)
def test_get_feature_names_out_checks(estimator, check):
    check(_name(estimator), estimator)


@pytest.mark.parametrize("estimator", WITH_COPY, ids=_name)
def test_inplace_ensure_writeable(estimator):
    check_inplace_ensure_writeable(_name(estimator), estimator.set_params(copy=False))


@pytest.mark.parametrize("estimator", WITH_SAMPLE_WEIGHT, ids=_name)
def test_all_zero_sample_weights_error(estimator):
    check_all_zero_sample_weights_error(_name(estimator), estimator)

"""Cheap calls (issue 23): what partial_fit and predict keep between calls still answers as a fresh call would."""

from skstab import StabilizedMLPClassifier

from ._mlp_helpers import ESTIMATORS


class _WithExtraParameter(StabilizedMLPClassifier):
    def __init__(self, hidden_layer_sizes=(100,), extra=1):
        super().__init__(hidden_layer_sizes)
        self.extra = extra


def test_parameter_names_are_each_class_own():
    # The names are read once per class: a subclass's signature is its own, not its parent's.
    assert "extra" in _WithExtraParameter().get_params()
    assert set(_WithExtraParameter().get_params()) == {"hidden_layer_sizes", "extra"}
    for Estimator in ESTIMATORS:
        names = Estimator().get_params()
        assert "extra" not in names and "input_scaling" in names

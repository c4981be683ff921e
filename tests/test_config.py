"""TrainingConfig, PRESETS, and the estimators' from_preset / from_config / get_config."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skstab import PRESETS, FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor, TrainingConfig
from skstab.neural_network._config import TEMPLATE_KEYS

# Short runs rarely converge; the warning is expected and not under test here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


Classifier, Regressor = StabilizedMLPClassifier, StabilizedMLPRegressor


#: The training-configuration template's ``defaultConfig``, written out as JSON text.
GUIDE_DEFAULT_JSON = """
{
  "batchSize": 32,
  "epochs": 50,
  "warmupSteps": 500,
  "optimizer": {
    "type": "adamw",
    "lr": 0.001,
    "beta1": 0.9,
    "beta2": 0.999,
    "epsilon": 1e-8,
    "weightDecay": 0.01,
    "clipNorm": 1.0
  },
  "scheduler": {
    "type": "cosine",
    "minLR": 1e-5,
    "decayStartEpoch": 0
  },
  "normalization": {
    "type": "batch",
    "momentum": 0.9,
    "epsilon": 1e-5
  }
}
"""

#: The estimator parameters of GUIDE_DEFAULT_JSON.
GUIDE_DEFAULT_PARAMS = {
    "batch_size": 32,
    "max_iter": 50,
    "warmup": 500,
    "optimizer": "adamw",
    "learning_rate_init": 1e-3,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "epsilon": 1e-8,
    "weight_decay": 0.01,
    "clip_norm": 1.0,
    "lr_schedule": "cosine",
    "min_learning_rate": 1e-5,
    "decay_start_epoch": 0,
    "normalization": "batch",
    "norm_momentum": 0.9,
    "norm_epsilon": 1e-5,
}


@pytest.fixture(scope="module")
def iris_split():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


# -- the template -------------------------------------------------------------------------


def test_guide_default_config_loads_with_camel_case_keys():
    config = TrainingConfig.from_json(GUIDE_DEFAULT_JSON)
    assert config == TrainingConfig(**GUIDE_DEFAULT_PARAMS)
    params = config.to_params()
    assert params == GUIDE_DEFAULT_PARAMS
    assert isinstance(params["warmup"], int)  # steps, not a fraction


def test_camel_case_output_is_the_guide_template():
    config = TrainingConfig.from_json(GUIDE_DEFAULT_JSON)
    template = json.loads(GUIDE_DEFAULT_JSON)
    assert config.to_dict(camel_case=True) == template
    # Written back identically: same keys, same order, same values.
    assert config.to_json(camel_case=True) == json.dumps(template, indent=2)
    assert TrainingConfig.from_json(config.to_json(camel_case=True)) == config
    assert TrainingConfig.from_params(GUIDE_DEFAULT_PARAMS).to_dict(camel_case=True) == template


def test_snake_case_output_of_the_guide_template():
    data = TrainingConfig.from_json(GUIDE_DEFAULT_JSON).to_dict()
    assert list(data) == ["batch_size", "epochs", "warmup", "optimizer", "scheduler", "normalization"]
    assert data["optimizer"] == {
        "type": "adamw",
        "lr": 1e-3,
        "beta1": 0.9,
        "beta2": 0.999,
        "epsilon": 1e-8,
        "weight_decay": 0.01,
        "clip_norm": 1.0,
    }
    assert data["scheduler"] == {"type": "cosine", "min_lr": 1e-5, "decay_start_epoch": 0}
    assert TrainingConfig.from_dict(data) == TrainingConfig.from_json(GUIDE_DEFAULT_JSON)


def test_guide_config_builds_an_estimator():
    est = Classifier.from_config(TrainingConfig.from_json(GUIDE_DEFAULT_JSON))
    params = est.get_params()
    assert {key: params[key] for key in GUIDE_DEFAULT_PARAMS} == GUIDE_DEFAULT_PARAMS
    # Parameters the template does not mention keep the estimator's defaults.
    assert params["hidden_layer_sizes"] == Classifier().hidden_layer_sizes


def test_sgd_momentum_is_read_as_sgd_and_written_back_in_camel_case():
    config = TrainingConfig.from_dict({"optimizer": {"type": "sgd_momentum"}})
    assert config.to_params() == {"optimizer": "sgd"}
    assert config.to_dict() == {"optimizer": {"type": "sgd"}}
    assert config.to_dict(camel_case=True) == {"optimizer": {"type": "sgd_momentum"}}
    assert Classifier.from_config(config).optimizer == "sgd"


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"warmupSteps": 200}, 200),
        ({"warmup_steps": 200.0}, 200),  # a whole number written as a float is still steps
        ({"warmupFraction": 0.1}, 0.1),
        ({"warmup_fraction": 0}, 0.0),
        ({"warmup": 0.2}, 0.2),
        ({"warmup": 7}, 7),
    ],
)
def test_warmup_spellings(data, expected):
    config = TrainingConfig.from_dict(data)
    warmup = config.to_params()["warmup"]
    assert warmup == expected
    assert type(warmup) is type(expected)
    assert TrainingConfig.from_json(config.to_json(camel_case=True)) == config
    assert TrainingConfig.from_json(config.to_json()) == config
    assert Regressor.from_config(config).warmup == expected


def test_camel_case_warmup_key_says_steps_or_fraction():
    assert TrainingConfig(warmup=500).to_dict(camel_case=True) == {"warmupSteps": 500}
    assert TrainingConfig(warmup=np.int64(5)).to_dict(camel_case=True) == {"warmupSteps": 5}
    assert TrainingConfig(warmup=0.05).to_dict(camel_case=True) == {"warmupFraction": 0.05}
    assert TrainingConfig(warmup=0.05).to_dict() == {"warmup": 0.05}


def test_sections_accept_either_spelling():
    config = TrainingConfig.from_dict(
        {"optimizer": {"type": "adam", "weightDecay": 0.0}, "scheduler": {"min_lr": 0.0, "decayStartEpoch": 2}}
    )
    assert config.to_params() == {
        "optimizer": "adam",
        "weight_decay": 0.0,
        "min_learning_rate": 0.0,
        "decay_start_epoch": 2,
    }


def test_config_holds_only_the_parameters_given():
    assert TrainingConfig().to_params() == {}
    assert TrainingConfig().to_dict(camel_case=True) == {}
    config = TrainingConfig.from_dict({"optimizer": {"lr": 0.01}})
    assert config.to_dict() == {"optimizer": {"lr": 0.01}}
    assert config.to_params() == {"learning_rate_init": 0.01}
    # The defaults are the estimator's, and only the estimator's.
    for Est in (Classifier, Regressor):
        assert Est.from_config(TrainingConfig()).get_params() == Est().get_params()
        assert Est.from_config(config).get_params() == Est(learning_rate_init=0.01).get_params()


def test_to_params_is_a_copy():
    config = TrainingConfig(max_iter=5)
    config.to_params()["max_iter"] = 6
    assert config.to_params() == {"max_iter": 5}


def test_equality_and_repr():
    assert TrainingConfig(max_iter=5, batch_size=8) == TrainingConfig.from_params({"batch_size": 8, "max_iter": 5})
    assert TrainingConfig(max_iter=5) != TrainingConfig(max_iter=6)
    assert TrainingConfig(max_iter=5) != {"max_iter": 5}
    assert repr(TrainingConfig(max_iter=5, optimizer="adam")) == "TrainingConfig(max_iter=5, optimizer='adam')"


def test_template_keys_are_parameters_of_both_estimators():
    """The one mapping table must not drift from the estimators' parameters."""
    for Est in (Classifier, Regressor):
        assert set(TEMPLATE_KEYS) <= set(Est().get_params())


def test_model_section_may_hold_a_template_parameter_once():
    config = TrainingConfig.from_dict({"model": {"learning_rate_init": 0.1, "activation": "tanh"}})
    assert config.to_params() == {"learning_rate_init": 0.1, "activation": "tanh"}
    assert config.to_dict() == {"optimizer": {"lr": 0.1}, "model": {"activation": "tanh"}}


# -- estimator <-> config round trips -----------------------------------------------------

ROUND_TRIP_PARAMS = [
    {},
    {"hidden_layer_sizes": (64, 32), "activation": "tanh", "random_state": 7},
    {"optimizer": "sgd", "momentum": 0.5, "nesterovs_momentum": False, "learning_rate_init": 0.1},
    {"warmup": 100, "lr_schedule": "step", "decay_start_epoch": 2.5, "min_learning_rate": 0.0},
    {"normalization": None, "clip_norm": None, "weight_decay": 0.0},
    {"normalization": "group", "n_groups": 2, "hidden_layer_sizes": (8,)},
    {"early_stopping": True, "validation_fraction": 0.2, "n_iter_no_change": np.inf},
    {"learning_rate_init": np.float64(0.02), "batch_size": np.int64(16), "max_iter": np.int32(7)},
]


@pytest.mark.parametrize("Est", [Classifier, Regressor], ids=["classifier", "regressor"])
@pytest.mark.parametrize("params", ROUND_TRIP_PARAMS)
def test_estimator_config_estimator_is_lossless(Est, params):
    est = Est(**params)
    config = est.get_config()
    assert isinstance(config, TrainingConfig)
    assert config.to_params() == est.get_params()
    assert Est.from_config(config).get_params() == est.get_params()
    through_json = TrainingConfig.from_json(config.to_json())
    assert through_json == config
    assert Est.from_config(through_json).get_params() == est.get_params()
    camel = TrainingConfig.from_json(config.to_json(camel_case=True))
    assert camel == config
    assert Est.from_config(camel).get_params() == est.get_params()


def test_infinity_is_written_as_json_infinity():
    text = TrainingConfig(n_iter_no_change=np.inf).to_json(indent=None)
    assert text == '{"model": {"n_iter_no_change": Infinity}}'
    assert TrainingConfig.from_json(text).to_params()["n_iter_no_change"] == np.inf


@pytest.mark.parametrize(
    "class_weight",
    [
        "balanced",
        {0: 1.0, 1: 2.5, 2: 1.0},
        {"setosa": 2.0, "versicolor": 1.0},
        {True: 3.0, False: 1.0},
    ],
)
def test_class_weight_survives_config_and_json(class_weight):
    est = Classifier(class_weight=class_weight)
    config = est.get_config()
    assert config.to_dict()["model"]["class_weight"] == class_weight
    restored = Classifier.from_config(TrainingConfig.from_json(config.to_json()))
    assert restored.class_weight == class_weight
    if isinstance(class_weight, dict):
        # Keys keep their type through JSON, whose object keys can only be strings.
        assert [type(k) for k in restored.class_weight] == [type(k) for k in class_weight]


def test_non_string_keys_are_written_as_items():
    data = json.loads(TrainingConfig(class_weight={0: 1.0, 1: 5.0}).to_json())
    assert data == {"model": {"class_weight": {"__items__": [[0, 1.0], [1, 5.0]]}}}


def test_list_parameters_come_back_from_json_as_tuples():
    est = Classifier(hidden_layer_sizes=[16, 8])
    config = est.get_config()
    # In memory nothing changes ...
    assert Classifier.from_config(config).hidden_layer_sizes == [16, 8]
    # ... and JSON, which has no tuples, gives the estimators' tuple convention back.
    assert TrainingConfig.from_json(config.to_json()).to_params()["hidden_layer_sizes"] == (16, 8)


def test_model_section_holds_every_other_parameter():
    est = Classifier()
    data = est.get_config().to_dict()
    assert set(data["model"]) == set(est.get_params()) - set(TEMPLATE_KEYS)
    expected = {"hidden_layer_sizes", "activation", "random_state", "early_stopping", "class_weight", "momentum"}
    assert expected <= set(data["model"])
    assert set(data) == {"batch_size", "epochs", "warmup", "optimizer", "scheduler", "normalization", "model"}


def test_overrides_replace_config_values():
    config = TrainingConfig(max_iter=5, random_state=1)
    est = Classifier.from_config(config, max_iter=9, random_state=2)
    assert (est.max_iter, est.random_state) == (9, 2)
    from_dict = Classifier.from_config(config.to_dict(camel_case=True))
    assert from_dict.get_params() == Classifier.from_config(config).get_params()
    assert (from_dict.max_iter, from_dict.random_state) == (5, 1)


@given(
    batch_size=st.integers(1, 512),
    max_iter=st.integers(1, 1000),
    warmup=st.one_of(st.integers(0, 10_000), st.floats(0, 1, exclude_max=True)),
    lr=st.floats(1e-6, 10),
    clip_norm=st.one_of(st.none(), st.floats(1e-3, 100)),
    optimizer=st.sampled_from(["adamw", "adam", "sgd", "rmsprop"]),
    schedule=st.sampled_from(["cosine", "step", "linear", "constant"]),
    normalization=st.sampled_from(["batch", "layer", "group", "auto", None]),
    sizes=st.lists(st.integers(1, 256), min_size=1, max_size=4).map(tuple),
    random_state=st.one_of(st.none(), st.integers(0, 2**31 - 1)),
    camel_case=st.booleans(),
)
@settings(max_examples=100, deadline=None)
def test_json_round_trip_property(
    batch_size,
    max_iter,
    warmup,
    lr,
    clip_norm,
    optimizer,
    schedule,
    normalization,
    sizes,
    random_state,
    camel_case,
):
    params = {
        "batch_size": batch_size,
        "max_iter": max_iter,
        "warmup": warmup,
        "learning_rate_init": lr,
        "clip_norm": clip_norm,
        "optimizer": optimizer,
        "lr_schedule": schedule,
        "normalization": normalization,
        "hidden_layer_sizes": sizes,
        "random_state": random_state,
    }
    config = TrainingConfig.from_params(params)
    restored = TrainingConfig.from_json(config.to_json(camel_case=camel_case))
    assert restored == config
    assert restored.to_params() == params
    assert Regressor.from_config(restored).get_params() == Regressor(**params).get_params()


@pytest.mark.parametrize(
    "section, name, values",
    [
        ("optimizer", "optimizer", ["adamw", "adam", "sgd", "rmsprop", "sgd_momentum"]),
        ("scheduler", "lr_schedule", ["cosine", "step", "linear", "constant"]),
        ("normalization", "normalization", ["batch", "layer", "group", "auto", None]),
    ],
)
def test_every_template_type_is_accepted_by_the_estimator(section, name, values, iris_split):
    """The template's vocabulary must not drift from the estimators'."""
    X_train, _, y_train, _ = iris_split
    for value in values:
        config = TrainingConfig.from_dict({section: {"type": value}})
        est = Classifier.from_config(config, hidden_layer_sizes=(8,), max_iter=1, random_state=0)
        est.fit(X_train, y_train)
        assert getattr(est, name) == ("sgd" if value == "sgd_momentum" else value)


# -- presets ------------------------------------------------------------------------------

#: Every training-recipe parameter of each preset, as it was before the presets became differences from the defaults.
PRESET_RECIPES = {
    "limited-memory": {
        "optimizer": "sgd",
        "learning_rate_init": 0.1,
        "momentum": 0.9,
        "nesterovs_momentum": True,
        "weight_decay": 5e-4,
        "clip_norm": 1.0,
        "lr_schedule": "cosine",
        "warmup": 0.05,
        "normalization": "auto",
        "batch_size": 32,
    },
    "rapid-prototyping": {
        "optimizer": "adam",
        "learning_rate_init": 1e-3,
        "weight_decay": 0.0,
        "clip_norm": 1.0,
        "lr_schedule": "constant",
        "warmup": 0.05,
        "normalization": "auto",
        "batch_size": 32,
    },
    "fine-tuning": {
        "optimizer": "adamw",
        "learning_rate_init": 1e-3,
        "weight_decay": 0.01,
        "clip_norm": 1.0,
        "lr_schedule": "cosine",
        "warmup": 0.05,
        "normalization": "auto",
        "batch_size": 32,
    },
    "small-batch": {
        "optimizer": "rmsprop",
        "learning_rate_init": 3e-4,
        "weight_decay": 0.0,
        "clip_norm": 1.0,
        "lr_schedule": "cosine",
        "warmup": 0.05,
        "normalization": "layer",
        "batch_size": 4,
    },
    "distributed": {
        "optimizer": "adam",
        "learning_rate_init": 3e-3,
        "weight_decay": 0.0,
        "clip_norm": 1.0,
        "lr_schedule": "step",
        "warmup": 0.05,
        "normalization": "batch",
        "batch_size": 128,
    },
}


def test_presets_are_the_decision_matrix_rows():
    assert list(PRESETS) == list(PRESET_RECIPES)


@pytest.mark.parametrize("Est", [Classifier, Regressor], ids=["classifier", "regressor"])
@pytest.mark.parametrize("name", list(PRESET_RECIPES))
def test_preset_recipes_are_unchanged(Est, name):
    params = Est.from_preset(name).get_params()
    assert {key: params[key] for key in PRESET_RECIPES[name]} == PRESET_RECIPES[name]
    # Everything else is the estimator's default.
    assert params == {**Est().get_params(), **PRESET_RECIPES[name]}


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_hold_only_differences_from_the_defaults(name):
    defaults = Classifier().get_params()
    assert PRESETS[name]
    for key, value in PRESETS[name].items():
        assert key in defaults
        assert defaults[key] != value, f"{name} repeats the default {key}={value!r}"


def test_preset_recipes_match_their_scenarios():
    params = {name: Classifier.from_preset(name).get_params() for name in PRESETS}
    assert params["limited-memory"]["optimizer"] == "sgd" and params["limited-memory"]["momentum"] > 0
    assert params["rapid-prototyping"]["lr_schedule"] == "constant" and params["rapid-prototyping"]["warmup"] > 0
    assert params["fine-tuning"]["optimizer"] == "adamw" and params["fine-tuning"]["clip_norm"] is not None
    assert params["small-batch"]["normalization"] == "layer" and params["small-batch"]["batch_size"] < 8
    assert params["distributed"]["normalization"] == "batch" and params["distributed"]["lr_schedule"] == "step"
    # SGD needs a larger learning rate than the adaptive optimizers.
    adaptive = [p["learning_rate_init"] for p in params.values() if p["optimizer"] != "sgd"]
    assert params["limited-memory"]["learning_rate_init"] > max(adaptive)


def test_presets_are_read_only():
    with pytest.raises(TypeError):
        PRESETS["mine"] = {}
    with pytest.raises(TypeError):
        PRESETS["fine-tuning"]["learning_rate_init"] = 1.0
    with pytest.raises(TypeError):
        PRESETS["fine-tuning"]["optimizer"] = "adam"


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_trains_iris(name, iris_split):
    X_train, X_test, y_train, y_test = iris_split
    # 300 epochs: "distributed" takes batches of 128, one update per epoch on these 112 rows.
    est = Classifier.from_preset(name, hidden_layer_sizes=(32,), max_iter=300, random_state=0)
    params = est.get_params()
    assert {key: params[key] for key in PRESETS[name]} == dict(PRESETS[name])
    model = Pipeline([("align", FeatureAligner()), ("mlp", est)]).fit(X_train, y_train)
    assert model.score(X_test, y_test) > 0.8


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_estimator_is_ordinary(name):
    est = Regressor.from_preset(name, random_state=3)
    assert type(est) is Regressor
    expected = {**Regressor().get_params(), **PRESETS[name], "random_state": 3}
    assert est.get_params() == expected
    assert clone(est).get_params() == est.get_params()
    # A preset is just a configuration.
    assert est.get_config() == TrainingConfig.from_params(expected)
    assert Regressor(**PRESETS[name], random_state=3).get_params() == expected


def test_grid_search_over_a_preset_estimator(iris_split):
    X_train, _, y_train, _ = iris_split
    est = Classifier.from_preset("limited-memory", hidden_layer_sizes=(16,), max_iter=10, random_state=0)
    pipe = Pipeline([("align", FeatureAligner()), ("mlp", est)])
    grid = {"mlp__learning_rate_init": [0.03, 0.1]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X_train, y_train)
    best = search.best_estimator_.named_steps["mlp"]
    assert best.optimizer == "sgd" and best.lr_schedule == "cosine"
    assert best.learning_rate_init in (0.03, 0.1)
    assert search.best_score_ > 0.8


def test_overrides_win_over_the_preset():
    est = Classifier.from_preset("small-batch", batch_size=8, class_weight="balanced")
    assert (est.batch_size, est.optimizer, est.class_weight) == (8, "rmsprop", "balanced")


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fast", "Fine-Tuning", None, 3])
def test_unknown_preset_lists_the_valid_ones(name):
    with pytest.raises(ValueError, match="valid presets are.*limited-memory.*distributed"):
        Classifier.from_preset(name)


def test_unknown_override_is_named():
    with pytest.raises(TypeError, match=r"\['not_a_param'\]"):
        Classifier.from_preset("fine-tuning", not_a_param=1)
    with pytest.raises(TypeError, match="lr -> learning_rate_init"):
        Classifier.from_preset("fine-tuning", lr=0.1)
    with pytest.raises(TypeError, match="scheduler -> lr_schedule"):
        Classifier.from_preset("fine-tuning", scheduler="step")
    with pytest.raises(TypeError, match="warmup_steps -> warmup"):
        Classifier.from_config(TrainingConfig(), warmup_steps=10)
    with pytest.raises(TypeError, match="class_weight"):
        Regressor.from_preset("fine-tuning", class_weight="balanced")


def test_template_keys_in_model_get_a_hint():
    with pytest.raises(TypeError, match="epochs -> max_iter"):
        Classifier.from_config({"model": {"epochs": 3}})
    with pytest.raises(TypeError, match="weightDecay -> weight_decay"):
        Classifier.from_config({"model": {"weightDecay": 0.1}})


def test_classifier_config_needs_its_parameters_in_a_regressor():
    config = Classifier(class_weight="balanced").get_config()
    with pytest.raises(TypeError, match="class_weight"):
        Regressor.from_config(config)


@pytest.mark.parametrize("config", ["{}", "fine-tuning", 3, None, [("batch_size", 3)]])
def test_from_config_rejects_other_types(config):
    with pytest.raises(TypeError, match="TrainingConfig or a dict"):
        Classifier.from_config(config)


@pytest.mark.parametrize(
    "data, error, match",
    [
        ({"batchsize": 32}, ValueError, r"\['batchsize'\] in TrainingConfig; valid keys are .*'batchSize'"),
        ({"optimizer": {"learning_rate": 0.1}}, ValueError, r"\['learning_rate'\] in optimizer; valid keys are .*'lr'"),
        ({"scheduler": {"minLr": 0.1}}, ValueError, r"\['minLr'\] in scheduler; valid keys are .*'minLR'"),
        ({"normalization": {"kind": "layer"}}, ValueError, r"\['kind'\] in normalization"),
        ({"warmupSteps": 0.5}, TypeError, "warmupSteps must be a whole number"),
        ({"warmup_steps": "5"}, TypeError, "warmup_steps must be a whole number"),
        ({"warmupSteps": np.inf}, TypeError, "warmupSteps must be a whole number"),
        ({"optimizer": [1]}, TypeError, "optimizer must be a mapping"),
        ({"scheduler": "cosine"}, TypeError, "scheduler must be a mapping"),
        ({"model": [("random_state", 0)]}, TypeError, "model must be a mapping"),
        ({"batchSize": 32, "batch_size": 32}, ValueError, "batch_size is given twice"),
        ({"warmupSteps": 5, "warmupFraction": 0.1}, ValueError, "warmup is given twice"),
        ({"optimizer": {"clipNorm": 1.0, "clip_norm": 1.0}}, ValueError, "clip_norm is given twice"),
        ({"epochs": 5, "model": {"max_iter": 3}}, ValueError, "max_iter is given twice"),
        ({"optimizer": {"lr": 0.1}, "model": {"learning_rate_init": 0.1}}, ValueError, "learning_rate_init is given"),
    ],
)
def test_invalid_config_is_named(data, error, match):
    with pytest.raises(error, match=match):
        TrainingConfig.from_dict(data)
    with pytest.raises(error, match=match):
        Classifier.from_config(data)


def test_config_structure_errors():
    with pytest.raises(TypeError, match="TrainingConfig must be a mapping"):
        TrainingConfig.from_dict([("batch_size", 3)])
    with pytest.raises(TypeError):
        TrainingConfig.from_dict({"model": {1: 2}})


def test_the_adapter_does_not_check_values():
    config = TrainingConfig.from_dict({"optimizer": {"type": "adagrad", "lr": "fast"}})
    assert config.to_params() == {"optimizer": "adagrad", "learning_rate_init": "fast"}


@pytest.mark.parametrize(
    "data, parameter",
    [
        ({"optimizer": {"type": "adagrad"}}, "optimizer"),
        ({"optimizer": {"type": 1}}, "optimizer"),
        ({"scheduler": {"type": "exponential"}}, "lr_schedule"),
        ({"normalization": {"type": "instance"}}, "normalization"),
        ({"optimizer": {"lr": "0.1"}}, "learning_rate_init"),
        ({"optimizer": {"lr": -1.0}}, "learning_rate_init"),
        ({"optimizer": {"clipNorm": "1"}}, "clip_norm"),
        ({"normalization": {"momentum": 1.5}}, "norm_momentum"),
        ({"batchSize": 32.5}, "batch_size"),
        ({"epochs": None}, "max_iter"),
        ({"warmup": "5%"}, "warmup"),
        ({"warmupFraction": 1.5}, "warmup"),
        ({"model": {"activation": "swish"}}, "activation"),
    ],
)
def test_bad_values_fail_in_from_config_naming_the_parameter(data, parameter):
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter of StabilizedMLPClassifier") as info:
        Classifier.from_config(data)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter"):
        Classifier.from_config(TrainingConfig.from_dict(data))


def test_bad_values_fail_in_from_preset_and_overrides():
    with pytest.raises(InvalidParameterError, match="'learning_rate_init' parameter"):
        Classifier.from_preset("fine-tuning", learning_rate_init=0)
    with pytest.raises(InvalidParameterError, match="'max_iter' parameter"):
        Regressor.from_config(TrainingConfig(max_iter=5), max_iter=0)
    # A configuration built in code is checked when it is used.
    with pytest.raises(InvalidParameterError, match="'learning_rate_init' parameter"):
        Classifier.from_config(TrainingConfig(learning_rate_init="fast"))


def test_json_errors():
    with pytest.raises(TypeError, match="must be a mapping"):
        TrainingConfig.from_json("[1, 2]")
    est = Classifier(random_state=np.random.RandomState(0))
    config = est.get_config()  # fine in memory
    assert Classifier.from_config(config).random_state is est.random_state
    with pytest.raises(TypeError, match="random_state"):
        config.to_json()

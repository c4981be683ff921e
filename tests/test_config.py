"""TrainingConfig, PRESETS, and the estimators' from_preset / from_config / get_config."""

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from skstab import (
    PRESETS,
    FeatureAligner,
    NormalizationConfig,
    OptimizerConfig,
    SchedulerConfig,
    StabilizedMLPClassifier,
    StabilizedMLPRegressor,
    TrainingConfig,
)

# Short runs rarely converge; the warning is expected and not under test here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


Classifier, Regressor = StabilizedMLPClassifier, StabilizedMLPRegressor


#: The guide's ``defaultConfig``, written out as JSON text.
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


@pytest.fixture(scope="module")
def iris_split():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


# -- the guide's template -----------------------------------------------------------------


def test_guide_default_config_loads_with_camel_case_keys():
    config = TrainingConfig.from_json(GUIDE_DEFAULT_JSON)
    assert config == TrainingConfig(
        batch_size=32,
        epochs=50,
        warmup=500,
        optimizer=OptimizerConfig(type="adamw", lr=1e-3, weight_decay=0.01, clip_norm=1.0),
        scheduler=SchedulerConfig(type="cosine", min_lr=1e-5, decay_start_epoch=0),
        normalization=NormalizationConfig(type="batch", momentum=0.9, epsilon=1e-5),
    )
    params = config.to_params()
    assert params == {
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
        "batch_size": 32,
        "max_iter": 50,
        "warmup": 500,
    }
    assert isinstance(params["warmup"], int)  # steps, not a fraction


def test_camel_case_output_is_the_guide_template():
    config = TrainingConfig.from_json(GUIDE_DEFAULT_JSON)
    assert config.to_dict(camel_case=True) == {**json.loads(GUIDE_DEFAULT_JSON), "model": {}}
    assert TrainingConfig.from_json(config.to_json(camel_case=True)) == config


def test_guide_config_builds_an_estimator():
    est = Classifier.from_config(TrainingConfig.from_json(GUIDE_DEFAULT_JSON))
    params = est.get_params()
    assert params["learning_rate_init"] == 1e-3
    assert params["warmup"] == 500
    assert params["normalization"] == "batch"
    # Parameters the template does not mention keep the estimator's defaults.
    assert params["hidden_layer_sizes"] == StabilizedMLPClassifier().hidden_layer_sizes


def test_sgd_momentum_is_read_as_sgd_and_written_back_in_camel_case():
    config = TrainingConfig.from_dict({"optimizer": {"type": "sgd_momentum"}})
    assert config.optimizer.type == "sgd"
    assert config.to_params()["optimizer"] == "sgd"
    assert config.to_dict()["optimizer"]["type"] == "sgd"
    assert config.to_dict(camel_case=True)["optimizer"]["type"] == "sgd_momentum"
    assert OptimizerConfig(type="sgd_momentum").type == "sgd"


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
    assert config.warmup == expected
    assert type(config.warmup) is type(expected)
    assert TrainingConfig.from_json(config.to_json(camel_case=True)) == config
    assert TrainingConfig.from_json(config.to_json()) == config


def test_camel_case_warmup_key_says_steps_or_fraction():
    assert "warmupSteps" in TrainingConfig(warmup=500).to_dict(camel_case=True)
    assert "warmupFraction" in TrainingConfig(warmup=0.05).to_dict(camel_case=True)


def test_sections_accept_dicts_in_either_spelling():
    config = TrainingConfig(optimizer={"type": "adam", "weightDecay": 0.0}, scheduler={"min_lr": 0.0})
    assert config.optimizer == OptimizerConfig(type="adam", weight_decay=0.0)
    assert config.scheduler == SchedulerConfig(min_lr=0.0)


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
    assert Est.from_config(config).get_params() == est.get_params()
    through_json = TrainingConfig.from_json(config.to_json())
    assert through_json == config
    assert Est.from_config(through_json).get_params() == est.get_params()
    camel = TrainingConfig.from_json(config.to_json(camel_case=True))
    assert Est.from_config(camel).get_params() == est.get_params()


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
    assert config.model["class_weight"] == class_weight
    restored = Classifier.from_config(TrainingConfig.from_json(config.to_json()))
    assert restored.class_weight == class_weight
    if isinstance(class_weight, dict):
        # Keys keep their type through JSON, whose object keys can only be strings.
        assert [type(k) for k in restored.class_weight] == [type(k) for k in class_weight]


def test_list_parameters_come_back_from_json_as_tuples():
    est = Classifier(hidden_layer_sizes=[16, 8])
    config = est.get_config()
    # In memory nothing changes ...
    assert Classifier.from_config(config).hidden_layer_sizes == [16, 8]
    # ... and JSON, which has no tuples, gives the estimators' tuple convention back.
    assert TrainingConfig.from_json(config.to_json()).model["hidden_layer_sizes"] == (16, 8)


def test_default_config_is_the_estimators_defaults():
    for Est in (Classifier, Regressor):
        assert replace(Est().get_config(), model={}) == TrainingConfig()


def test_model_section_holds_every_other_parameter():
    est = Classifier()
    config = est.get_config()
    mapped = set(config.to_params()) - set(config.model)
    assert set(config.model) | mapped == set(est.get_params())
    expected = {
        "hidden_layer_sizes",
        "activation",
        "random_state",
        "early_stopping",
        "class_weight",
    }
    assert expected <= set(config.model)


def test_overrides_replace_config_values():
    config = TrainingConfig(epochs=5, model={"random_state": 1})
    est = Classifier.from_config(config, max_iter=9, random_state=2)
    assert (est.max_iter, est.random_state) == (9, 2)
    from_dict = Classifier.from_config(config.to_dict(camel_case=True))
    assert from_dict.get_params() == Classifier.from_config(config).get_params()


@given(
    batch_size=st.integers(1, 512),
    epochs=st.integers(1, 1000),
    warmup=st.one_of(st.integers(0, 10_000), st.floats(0, 1, exclude_max=True)),
    lr=st.floats(1e-6, 10),
    clip_norm=st.one_of(st.none(), st.floats(1e-3, 100)),
    optimizer=st.sampled_from(["adamw", "adam", "sgd", "rmsprop", "sgd_momentum"]),
    schedule=st.sampled_from(["cosine", "step", "linear", "constant"]),
    normalization=st.sampled_from(["batch", "layer", "group", "auto", None]),
    sizes=st.lists(st.integers(1, 256), min_size=1, max_size=4).map(tuple),
    random_state=st.one_of(st.none(), st.integers(0, 2**31 - 1)),
    camel_case=st.booleans(),
)
@settings(max_examples=100, deadline=None)
def test_json_round_trip_property(
    batch_size,
    epochs,
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
    config = TrainingConfig(
        batch_size=batch_size,
        epochs=epochs,
        warmup=warmup,
        optimizer=OptimizerConfig(type=optimizer, lr=lr, clip_norm=clip_norm),
        scheduler=SchedulerConfig(type=schedule),
        normalization=NormalizationConfig(type=normalization),
        model={"hidden_layer_sizes": sizes, "random_state": random_state},
    )
    assert TrainingConfig.from_json(config.to_json(camel_case=camel_case)) == config


@pytest.mark.parametrize(
    "name, values",
    [
        ("optimizer", ["adamw", "adam", "sgd", "rmsprop"]),
        ("lr_schedule", ["cosine", "step", "linear", "constant"]),
        ("normalization", ["batch", "layer", "group", "auto", None]),
    ],
)
def test_every_config_type_is_accepted_by_the_estimator(name, values, iris_split):
    """The config's vocabulary must not drift from the estimators'."""
    X_train, _, y_train, _ = iris_split
    for value in values:
        config = TrainingConfig.from_params({name: value})
        est = Classifier.from_config(config, hidden_layer_sizes=(8,), max_iter=1, random_state=0)
        est.fit(X_train, y_train)
        assert getattr(est, name) == value


# -- presets ------------------------------------------------------------------------------


def test_presets_are_the_decision_matrix_rows():
    assert list(PRESETS) == [
        "limited-memory",
        "rapid-prototyping",
        "fine-tuning",
        "small-batch",
        "distributed",
    ]
    assert PRESETS["limited-memory"]["optimizer"] == "sgd"
    assert PRESETS["limited-memory"]["momentum"] > 0
    assert PRESETS["limited-memory"]["lr_schedule"] == "cosine"
    assert PRESETS["rapid-prototyping"]["optimizer"] == "adam"
    assert PRESETS["rapid-prototyping"]["lr_schedule"] == "constant"
    assert PRESETS["rapid-prototyping"]["warmup"] > 0
    assert PRESETS["rapid-prototyping"]["weight_decay"] == 0
    assert PRESETS["fine-tuning"]["optimizer"] == "adamw"
    assert PRESETS["fine-tuning"]["clip_norm"] is not None
    assert PRESETS["fine-tuning"]["lr_schedule"] == "cosine"
    assert PRESETS["small-batch"]["normalization"] == "layer"
    assert PRESETS["small-batch"]["optimizer"] == "rmsprop"
    assert PRESETS["small-batch"]["batch_size"] == 4
    assert PRESETS["distributed"]["normalization"] == "batch"
    assert PRESETS["distributed"]["optimizer"] == "adam"
    assert PRESETS["distributed"]["lr_schedule"] == "step"
    # SGD needs a larger learning rate than the adaptive optimizers.
    adaptive = [p["learning_rate_init"] for p in PRESETS.values() if p["optimizer"] != "sgd"]
    assert PRESETS["limited-memory"]["learning_rate_init"] > max(adaptive)


def test_presets_are_read_only():
    with pytest.raises(TypeError):
        PRESETS["mine"] = {}
    with pytest.raises(TypeError):
        PRESETS["fine-tuning"]["learning_rate_init"] = 1.0


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_trains_iris(name, iris_split):
    X_train, X_test, y_train, y_test = iris_split
    est = Classifier.from_preset(name, hidden_layer_sizes=(32,), max_iter=30, random_state=0)
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
    with pytest.raises(TypeError, match="class_weight"):
        Regressor.from_preset("fine-tuning", class_weight="balanced")


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
        ({"batchsize": 32}, ValueError, r"\['batchsize'\] in TrainingConfig"),
        ({"optimizer": {"learning_rate": 0.1}}, ValueError, r"\['learning_rate'\] in optimizer"),
        ({"scheduler": {"minLr": 0.1}}, ValueError, r"\['minLr'\] in scheduler"),
        ({"normalization": {"kind": "layer"}}, ValueError, r"\['kind'\] in normalization"),
        ({"optimizer": {"type": "adagrad"}}, ValueError, "optimizer.type: 'adagrad'"),
        ({"scheduler": {"type": "exponential"}}, ValueError, "scheduler.type: 'exponential'"),
        ({"normalization": {"type": "instance"}}, ValueError, "normalization.type: 'instance'"),
        ({"optimizer": {"type": 1}}, TypeError, "optimizer.type"),
        ({"optimizer": {"lr": "0.1"}}, TypeError, "optimizer.lr"),
        ({"optimizer": {"clipNorm": True}}, TypeError, "optimizer.clip_norm"),
        ({"batchSize": 32.5}, TypeError, "batch_size"),
        ({"epochs": None}, TypeError, "epochs"),
        ({"warmupSteps": 0.5}, TypeError, "warmupSteps"),
        ({"warmup": "5%"}, TypeError, "warmup"),
        ({"optimizer": [1]}, TypeError, "optimizer"),
        ({"model": [("random_state", 0)]}, TypeError, "model"),
        ({"model": {"learning_rate_init": 0.1}}, ValueError, "learning_rate_init -> optimizer.lr"),
        ({"model": {"max_iter": 3}}, ValueError, "max_iter -> epochs"),
        ({"batchSize": 32, "batch_size": 32}, ValueError, "batch_size is given twice"),
        ({"warmupSteps": 5, "warmupFraction": 0.1}, ValueError, "warmup is given twice"),
        (
            {"optimizer": {"clipNorm": 1.0, "clip_norm": 1.0}},
            ValueError,
            "clip_norm is given twice",
        ),
    ],
)
def test_invalid_config_is_named(data, error, match):
    with pytest.raises(error, match=match):
        TrainingConfig.from_dict(data)


def test_invalid_config_through_constructors():
    with pytest.raises(TypeError, match="optimizer"):
        TrainingConfig(optimizer="adam")
    with pytest.raises(TypeError, match="model keys"):
        TrainingConfig(model={1: 2})
    with pytest.raises(ValueError, match="optimizer.type"):
        OptimizerConfig(type="lion")
    # Fields edited after construction are checked when the config is used.
    config = TrainingConfig()
    config.optimizer.lr = "fast"
    with pytest.raises(TypeError, match="optimizer.lr"):
        config.to_params()
    with pytest.raises(TypeError, match="optimizer.lr"):
        Classifier.from_config(config)


def test_json_errors():
    with pytest.raises(TypeError, match="JSON object"):
        TrainingConfig.from_json("[1, 2]")
    est = Classifier(random_state=np.random.RandomState(0))
    config = est.get_config()  # fine in memory
    assert Classifier.from_config(config).random_state is est.random_state
    with pytest.raises(TypeError, match="random_state"):
        config.to_json()

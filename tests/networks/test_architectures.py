"""Conformance of every registered architecture (the checks of :mod:`sasnets.testing`), and
the built-in recipes."""
import pytest

from sasnets.errors import UsageError
from sasnets.networks.base import Architecture, Recipe, get_architecture, make_optimizer
from sasnets.plugins import get_registry
from sasnets.testing import parametrize_with_checks

SHAPE = (48, 3)
N_CLASSES = 4
#: small hyper-parameters so conformance runs fast; unknown architectures use their defaults
SMALL = {"resnet1d": {"widths": [8, 8, 16, 16]}, "resnet1d_large": {"widths": [8, 8, 16, 16]}, "mlp": {"units": [32]},
         "transformer": {"dim": 16, "depth": 1}}


#: the residual networks take 10-15 s to compile and train a step: the full suite checks them
SLOW = {"resnet1d": [pytest.mark.slow], "resnet1d_large": [pytest.mark.slow]}


@parametrize_with_checks("architectures", get_registry("architectures").names(), marks=SLOW)
def test_architecture_conformance(name, check):
    """Builds, outputs logits, trains a step, survives save/load, runs in (or is declined by)
    the numpy runtime: every registered architecture, plugins' too."""
    check(name, SMALL.get(name))


@pytest.mark.parametrize("name", ["resnet1d", "sasnet2017", "mlp"])
def test_builtin_networks_output_logits(name):
    net = get_architecture(name).build(SHAPE, N_CLASSES, **SMALL.get(name, {}))
    last = net.layers[-1]
    assert last.name == "logits"
    assert last.get_config()["activation"] == "linear"


def test_sasnet2017_is_the_published_network():
    net = get_architecture("sasnet2017").build((128, 1), 71)
    kinds = [type(layer).__name__ for layer in net.layers[1:]]
    assert kinds == ["Conv1D", "MaxPooling1D", "Dropout", "Conv1D", "MaxPooling1D", "Dropout", "Flatten",
                     "Dense", "Dropout", "Dense"]
    conv1, conv2 = net.get_layer("conv1"), net.get_layer("conv2")
    assert (conv1.filters, conv1.kernel_size, conv1.activation.__name__) == (128, (6,), "relu")
    assert (conv2.filters, conv2.kernel_size) == (64, (6,))
    assert net.get_layer("pool1").pool_size == (4,)
    assert [net.get_layer(n).rate for n in ("drop1", "drop2", "drop3")] == [0.17676, 0.20782, 0.20582]
    dense = net.get_layer("dense")
    assert dense.units == 32 and dense.activation.__name__ == "tanh"
    recipe = get_architecture("sasnet2017").recipe
    assert recipe.optimizer == "adadelta" and recipe.label_smoothing == 0


def test_default_architecture_is_resnet1d():
    assert get_architecture(None).name == "resnet1d"


def test_resnet1d_large_is_the_default_network_wider_and_deeper():
    default, large = get_architecture("resnet1d"), get_architecture("resnet1d_large")
    assert large.recipe == default.recipe and large.builder is default.builder
    assert {k: v for k, v in large.defaults.items() if k not in ("widths", "blocks")} == \
        {k: v for k, v in default.defaults.items() if k not in ("widths", "blocks")}
    assert [w * 3 // 2 for w in default.defaults["widths"]] == list(large.defaults["widths"])
    assert [2 * b for b in default.defaults["blocks"]] == list(large.defaults["blocks"])
    convs = lambda net: sum(type(layer).__name__ == "Conv1D" for layer in net.layers)  # noqa: E731
    assert convs(large.build((128, 3), 10)) > convs(default.build((128, 3), 10))


def test_unknown_architecture_suggests_a_close_name():
    with pytest.raises(UsageError, match="resnet1d"):
        get_architecture("resnet")


def test_unknown_hyper_parameter_is_a_usage_error():
    with pytest.raises(UsageError, match="no hyper-parameter"):
        get_architecture("mlp").hyper(depthh=3)


def test_recipe_validation_and_overrides():
    r = Recipe().replace(epochs=3)
    assert r.epochs == 3 and r.learning_rate == Recipe().learning_rate
    assert Recipe.from_dict(r.to_dict()) == r
    for bad in ({"optimizer": "lion"}, {"schedule": "step"}, {"learning_rate": 0}, {"label_smoothing": 1.0}):
        with pytest.raises(UsageError):
            Recipe(**bad)


def test_a_bare_builder_function_gets_the_default_recipe(monkeypatch):
    import sasnets.plugins as plugins

    def tiny(input_shape, n_classes):
        """A one-layer test network."""
        import keras

        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Dense(n_classes)(keras.layers.Flatten()(inputs)))

    registry = plugins.get_registry("architectures")
    monkeypatch.setitem(registry._entries, "tiny-test", plugins.Entry("tiny-test", tiny, "tests"))
    arch = get_architecture("tiny-test")
    assert isinstance(arch, Architecture) and arch.recipe == Recipe()
    assert arch.description == "A one-layer test network."
    assert arch.build(SHAPE, 3).output_shape == (None, 3)


def test_cosine_schedule_warms_up_then_decays():
    opt = make_optimizer(Recipe(learning_rate=1e-2, epochs=10, warmup_epochs=1), steps_per_epoch=10)
    schedule = opt._learning_rate
    values = [float(schedule(s)) for s in (0, 10, 50, 100)]
    assert values[0] < values[1] and values[1] == pytest.approx(1e-2) and values[1] > values[2] > values[3]


def test_sasnet2017_refuses_a_too_short_grid():
    with pytest.raises(UsageError, match="at least 41 points"):
        get_architecture("sasnet2017").build((40, 3), 4)

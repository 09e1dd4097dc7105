"""The numpy runtime reproduces Keras outputs for every supported layer and built-in architecture."""
import os

import numpy as np
import pytest

from sasnets.networks.numpy_runtime import NumpyNetwork, UnsupportedNetwork

keras = pytest.importorskip("keras")
layers = keras.layers

pytestmark = pytest.mark.xdist_group("keras")


def randomise(network, seed=0):
    """Random weights everywhere (BatchNorm variances positive) so parity is not trivially zero."""
    rng = np.random.default_rng(seed)
    for layer in network.layers:
        new = []
        for var in layer.weights:
            shape = tuple(var.shape)
            name = var.path.rsplit("/", 1)[-1]
            value = rng.normal(0, 0.3, shape)
            if "variance" in name:
                value = np.abs(value) + 0.5
            elif "gamma" in name:
                value = 1 + value
            new.append(value.astype("float32"))
        if new:
            layer.set_weights(new)
    return network


def assert_parity(network, x, tmp_path, name="n.keras", layer=None):
    path = os.path.join(tmp_path, name)
    network.save(path)
    expected = network.predict(x, verbose=0, batch_size=256)
    net = NumpyNetwork.from_keras_file(path)
    got = net.predict(x, batch_size=7)  # odd batch size: chunking must not matter
    # float32 rounding scales with the largest logits (random weights in a deep network
    # reach 1e11), so a logit that nearly cancels is compared on that scale
    atol = 1e-5 * max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=atol)
    # chunks spread over threads (single-threaded BLAS each) give what one thread gives, up to summation order
    np.testing.assert_allclose(net.predict(x, batch_size=7, workers=3), net.predict(x, batch_size=7, workers=1),
                               rtol=1e-4, atol=atol)
    return net


def assert_embedding(network, net, x, atol=1e-5):
    """``net.embed`` is what Keras gives as the input of the last layer (``Classifier.embed``'s Keras path)."""
    expected = keras.Model(network.inputs, network.layers[-1].input).predict(x, verbose=0)
    atol = atol * max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(net.embed(x, batch_size=7), expected, rtol=1e-4, atol=atol)


def x_of(shape, n=23, seed=1):
    return np.random.default_rng(seed).normal(0, 1, (n,) + shape).astype("float32")


def test_functional_convolutions_residual_and_pooling(tmp_path):
    inp = keras.Input((64, 1))
    x = layers.Conv1D(8, 5, padding="same", activation="relu")(inp)
    x = layers.BatchNormalization()(x)
    y = layers.Conv1D(8, 3, padding="causal", dilation_rate=2)(x)
    x = layers.Add()([x, y])
    x = layers.MaxPooling1D(2)(x)
    x = layers.Conv1D(6, 4, strides=2, padding="same", activation="elu")(x)
    x = layers.AveragePooling1D(3, strides=2, padding="same")(x)
    x = layers.Conv1D(6, 3, padding="valid", use_bias=False)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(5, activation="softmax")(x)
    network = randomise(keras.Model(inp, out))
    net = assert_parity(network, x_of((64, 1)), tmp_path)
    assert net.last_layer_input == net.layer_names[-2]  # the Dropout after Dense(16)
    assert_embedding(network, net, x_of((64, 1)))


def test_sequential_with_reshape_and_flatten(tmp_path):
    network = keras.Sequential([
        keras.Input((32,)), layers.Reshape((32, 1)), layers.Conv1D(4, 3), layers.MaxPooling1D(2, padding="same"),
        layers.Flatten(), layers.Dense(10, activation="tanh"), layers.Dense(3, activation="softmax"),
    ])
    net = assert_parity(randomise(network), x_of((32,)), tmp_path)
    assert net.last_layer_input == net.layer_names[-2]  # the Dense(10)
    assert_embedding(network, net, x_of((32,)))


def test_more_layer_kinds(tmp_path):
    inp = keras.Input((40, 2))
    a = layers.SeparableConv1D(6, 3, padding="same", depth_multiplier=2, activation="gelu")(inp)
    b = layers.DepthwiseConv1D(5, padding="same", depth_multiplier=3)(inp)
    b = layers.LeakyReLU(negative_slope=0.1)(b)
    c = layers.Conv1D(4, 3, padding="same", groups=2)(inp)
    c = layers.PReLU()(c)
    x = layers.Concatenate()([a, b, c])
    x = layers.LayerNormalization()(x)
    x = layers.ZeroPadding1D((1, 2))(x)
    x = layers.Cropping1D((2, 1))(x)
    x = layers.UpSampling1D(2)(x)
    x = layers.Activation("swish")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(7)(x)
    x = layers.ReLU(max_value=3.0)(x)
    out = layers.Softmax()(layers.Dense(4)(x))
    assert_parity(randomise(keras.Model(inp, out)), x_of((40, 2)), tmp_path)


def test_nested_sequential_inside_functional_and_embedding_output(tmp_path):
    block = keras.Sequential([keras.Input((16, 3)), layers.Conv1D(5, 3, padding="same", activation="relu"),
                              layers.GlobalAveragePooling1D()])
    inp = keras.Input((16, 3))
    emb = layers.Dense(8, activation="relu", name="embedding")(block(inp))
    out = layers.Dense(3, activation="softmax")(emb)
    network = randomise(keras.Model(inp, out))
    x = x_of((16, 3))
    net = assert_parity(network, x, tmp_path)
    expected = keras.Model(inp, emb).predict(x, verbose=0)
    np.testing.assert_allclose(net.predict(x, layer="embedding"), expected, rtol=1e-4, atol=1e-5)
    assert net.last_layer_input == "embedding"
    assert_embedding(network, net, x)


def test_custom_layer_is_reported_unsupported(tmp_path):
    @keras.saving.register_keras_serializable(package="sasnets_test")
    class Double(layers.Layer):
        def call(self, x):
            return 2 * x

    inp = keras.Input((8,))
    network = keras.Model(inp, layers.Dense(2)(Double()(inp)))
    path = tmp_path / "custom.keras"
    network.save(path)
    with pytest.raises(UnsupportedNetwork, match="Double"):
        NumpyNetwork.from_keras_file(path)


def test_not_a_keras_file(tmp_path):
    path = tmp_path / "bad.keras"
    path.write_text("nope")
    with pytest.raises(UnsupportedNetwork):
        NumpyNetwork.from_keras_file(path)


def _architectures():
    from sasnets.plugins import get_registry

    # built-ins must be supported; third-party architectures may use custom layers (Keras fallback)
    return [e.name for e in get_registry("architectures") if e.origin == "sasnets (built-in)"]


@pytest.mark.parametrize("architecture", _architectures())
def test_every_registered_architecture_matches_keras(architecture, tmp_path):
    from sasnets.networks.base import get_architecture

    network = randomise(get_architecture(architecture).build((128, 3), 6), seed=3)
    x = x_of((128, 3), n=40)
    try:
        net = assert_parity(network, x, tmp_path, name=f"{architecture}.keras")
    except UnsupportedNetwork as exc:
        pytest.fail(f"built-in architecture {architecture!r} is not supported by the numpy runtime: {exc}")
    # Classifier.embed runs on numpy too; with these random weights sasnet2017's tanh embedding comes from
    # pre-activations up to ~260, whose float32 rounding (~1e-4) a tanh near zero passes on unshrunk
    assert_embedding(network, net, x, atol=2e-4)


def test_custom_layers_fall_back_to_keras(tmp_path):
    from sasnets.networks.numpy_runtime import runtime_for

    @keras.saving.register_keras_serializable(package="sasnets_test")
    class Halve(layers.Layer):
        def call(self, x):
            return x / 2

    inp = keras.Input((8,))
    path = tmp_path / "custom.keras"
    keras.Model(inp, layers.Dense(2)(Halve()(inp))).save(path)
    assert runtime_for(path) is None  # the classifier then runs the network with Keras
    plain = tmp_path / "plain.keras"
    keras.Model(inp, layers.Dense(2)(inp)).save(plain)
    assert isinstance(runtime_for(plain), NumpyNetwork)
    with pytest.raises(UnsupportedNetwork, match="no layer before"):  # its last layer reads the input itself
        runtime_for(plain).embed(np.zeros((1, 8), "float32"))

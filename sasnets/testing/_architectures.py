"""Architecture checks: every check builds the network for :data:`INPUT_SHAPE` and :data:`N_CLASSES`."""
from __future__ import annotations

import contextlib
import os
import tempfile

import numpy as np

from ._core import expect, run_all, run_check

__all__ = ["check_architecture", "ARCHITECTURE_CHECKS", "INPUT_SHAPE", "N_CLASSES", "check_architecture_builds",
           "check_architecture_trains_a_step", "check_architecture_save_and_load", "check_architecture_numpy_runtime"]

#: the small input the checks build for: 48 q points, 3 channels (sasnet2017 needs at least 41 points)
INPUT_SHAPE = (48, 3)
#: the number of scattering models the checks classify into
N_CLASSES = 4


def _subject(name: str) -> str:
    from ..plugins import get_registry

    try:
        origin = get_registry("architectures").entry(name).origin
    except Exception:
        return f"architecture {name!r}"
    return f"architecture {name!r} from {origin}"


def _build(name, hyper):
    import keras

    from ..networks.base import get_architecture

    arch = get_architecture(name)
    keras.utils.set_random_seed(0)
    return arch, arch.build(INPUT_SHAPE, N_CLASSES, **dict(hyper or {}))


def _inputs(n=16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, *INPUT_SHAPE)).astype(np.float32)
    y = np.eye(N_CLASSES, dtype=np.float32)[rng.integers(0, N_CLASSES, n)]
    return x, y


def _run(fn, name, hyper, body):
    run_check(_subject(name), fn, lambda: body(name, hyper))


def _builds(name, hyper):
    _, net = _build(name, hyper)
    shape_in = tuple(net.input_shape[1:])
    expect(shape_in == INPUT_SHAPE, f"built for input_shape={INPUT_SHAPE} it takes inputs shaped {shape_in}")
    shape_out = tuple(net.output_shape[1:])
    expect(shape_out == (N_CLASSES,),
           f"built for n_classes={N_CLASSES} it outputs shape {shape_out}, expected ({N_CLASSES},): one logit per "
           "scattering model")
    activation = net.layers[-1].get_config().get("activation")
    expect(activation in (None, "linear"),
           f"its last layer {net.layers[-1].name!r} has activation {activation!r}; it must output logits "
           "(linear): the classifier applies the softmax and its temperature")
    x, _ = _inputs()
    out = np.asarray(net.predict_on_batch(x))
    expect(out.shape == (len(x), N_CLASSES), f"predicting 16 inputs gave shape {out.shape}")
    expect(np.all(np.isfinite(out)), "it outputs non-finite values for normal-distributed inputs")
    expect(not (np.all(out >= 0) and np.allclose(out.sum(axis=1), 1, atol=1e-4)),
           "its outputs are probabilities (non-negative, rows sum to 1); it must output logits: "
           "the classifier applies the softmax")


def check_architecture_builds(name: str, hyper=None) -> None:
    """Guarantees that ``build(INPUT_SHAPE, N_CLASSES, **hyper)`` returns a Keras network taking
    ``(nq, channels)`` inputs and returning one finite logit per scattering model (shape
    ``(n, N_CLASSES)``, a linear last layer, not softmax probabilities)."""
    _run(check_architecture_builds, name, hyper, _builds)


def _trains_a_step(name, hyper):
    from ..networks.base import make_loss, make_optimizer

    arch, net = _build(name, hyper)
    x, y = _inputs()
    net.compile(optimizer=make_optimizer(arch.recipe, 1), loss=make_loss(arch.recipe))
    before = [np.array(w, copy=True) for w in net.get_weights()]
    expect(before, "the network has no weights to train")
    loss = net.train_on_batch(x, y)
    loss = float(np.ravel(loss)[0])
    expect(np.isfinite(loss), f"one training step with its recipe ({arch.recipe.optimizer}) gave the loss {loss}")
    expect(any(not np.array_equal(a, b) for a, b in zip(before, net.get_weights())),
           f"one training step with its recipe ({arch.recipe.optimizer}) changed no weight")


def check_architecture_trains_a_step(name: str, hyper=None) -> None:
    """Guarantees that the network compiles with the architecture's own recipe (optimizer, loss
    on logits) and one ``train_on_batch`` step gives a finite loss and changes its weights."""
    _run(check_architecture_trains_a_step, name, hyper, _trains_a_step)


@contextlib.contextmanager
def _saved(net):
    """The path of ``net`` saved as a classifier saves it (``network.keras``), in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="sasnets-check-") as tmp:
        path = os.path.join(tmp, "network.keras")
        net.save(path)
        yield path


def _save_and_load(name, hyper):
    import keras

    _, net = _build(name, hyper)
    x, _ = _inputs()
    with _saved(net) as path:
        loaded = keras.saving.load_model(path, compile=False)
        a, b = np.asarray(net.predict_on_batch(x)), np.asarray(loaded.predict_on_batch(x))
    expect(a.shape == b.shape and np.allclose(a, b, atol=1e-5),
           f"after save and keras.saving.load_model its outputs differ by up to {np.max(np.abs(a - b)):.3g} "
           "(custom layers must be registered Keras serialisables with complete get_config)")


def check_architecture_save_and_load(name: str, hyper=None) -> None:
    """Guarantees that a classifier's ``network.keras`` loads again: ``net.save`` then
    ``keras.saving.load_model`` (in the same process) gives a network with the same outputs
    (to 1e-5)."""
    _run(check_architecture_save_and_load, name, hyper, _save_and_load)


def _numpy_runtime(name, hyper):
    from ..networks.numpy_runtime import NumpyNetwork, UnsupportedNetwork

    _, net = _build(name, hyper)
    x, _ = _inputs()
    with _saved(net) as path:
        try:
            runtime = NumpyNetwork.from_keras_file(path)
        except UnsupportedNetwork:
            return  # declined cleanly: classifiers with this network predict through Keras
        except Exception as exc:
            raise AssertionError(f"the numpy runtime crashed reading its saved network ({type(exc).__name__}: "
                                 f"{exc}) instead of running it or declining with UnsupportedNetwork") from exc
        try:
            got = runtime.predict(x)
        except UnsupportedNetwork:
            return
    want = np.asarray(net.predict_on_batch(x))
    expect(got.shape == want.shape, f"the numpy runtime outputs shape {got.shape}, Keras {want.shape}")
    scale = max(float(np.max(np.abs(want))), 1.0)
    err = float(np.max(np.abs(got - want)))
    expect(err <= 1e-4 * scale, f"the numpy runtime's outputs differ from Keras by up to {err:.3g}")


def check_architecture_numpy_runtime(name: str, hyper=None) -> None:
    """Guarantees that sasnets' numpy runtime (fast inference without TensorFlow) either runs the
    saved network with Keras's outputs (to 1e-4 relative) or declines it with
    :class:`~sasnets.networks.numpy_runtime.UnsupportedNetwork`, so that
    :func:`~sasnets.networks.numpy_runtime.runtime_for` falls back to Keras; crashing or giving
    other numbers fails."""
    _run(check_architecture_numpy_runtime, name, hyper, _numpy_runtime)


#: every architecture check, in the order :func:`check_architecture` runs them
ARCHITECTURE_CHECKS = [check_architecture_builds, check_architecture_trains_a_step, check_architecture_save_and_load,
                       check_architecture_numpy_runtime]


def check_architecture(name: str, hyper=None) -> None:
    """Run every architecture check on the registered architecture ``name``.

    ``hyper`` (a dict) overrides its default hyper-parameters, to keep the
    network small.  Raises AssertionError listing each failing check with the
    architecture's name, the check and what was wrong.
    """
    run_all("architecture", ARCHITECTURE_CHECKS, name, hyper)

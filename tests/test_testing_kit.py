"""The conformance kit (:mod:`sasnets.testing`) accepts a correct plugin and catches broken ones:
every check can fail, and says which plugin, which check and what was wrong."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sasnets import plugins, testing
from sasnets.data.curves import CurveBatch
from sasnets.errors import StoreError
from sasnets.hookspecs import hookimpl
from sasnets.stores.base import Store, check_tag


@pytest.fixture
def register(monkeypatch):
    """``register(kind, name, target, **meta)``: add one store/architecture/analyzer from the
    plugin ``kit-test``; the plugin manager is fresh before and after the test."""
    for env in (plugins.DISABLE_ENV, plugins.ONLY_ENV):
        monkeypatch.delenv(env, raising=False)
    plugins.reset()
    counter = iter(range(1000))

    def add(kind, name, target, **meta):
        class Plugin:
            pass

        def hook(self, register):
            register(name, target, **meta)

        setattr(Plugin, f"sasnets_register_{kind}", hookimpl(hook))
        plugins.register_plugin(Plugin(), f"kit-test-{next(counter)}" if kind != "stores" else "kit-test")

    yield add
    plugins.reset()


def failure(check, *args):
    """The message of the AssertionError ``check(*args)`` raises (the test fails if it passes)."""
    with pytest.raises(AssertionError) as info:
        check(*args)
    return str(info.value)


# -- a minimal store built on the Store base class, and broken variants ------------------------

_MEMORY = {}


class MemoryStore(Store):
    """Curves kept in this process: the smallest correct store (write, tags, counts, read_slice,
    provenance); the base class derives read, iter_batches, size and existing_indices."""

    def __init__(self, location, mode="r"):
        super().__init__(location, mode)
        if mode == "r" and location not in _MEMORY:
            raise StoreError(f"Memory store {location!r} does not exist.")
        self.data = _MEMORY.setdefault(location, {"batches": {}, "provenance": {}})

    def write(self, tag, batch):
        if self.mode != "a":
            raise StoreError(f"Memory store {self.location!r} is open read-only.")
        check_tag(tag)
        batch = batch.take(np.arange(len(batch)))
        batch.params = [json.loads(json.dumps(p)) for p in batch.params]
        self.data["batches"].setdefault(tag, []).append(batch)

    def tags(self):
        return sorted(self.data["batches"])

    def counts(self):
        out = {}
        for tag, batches in self.data["batches"].items():
            models = CurveBatch.concat(batches).models.astype(str)
            out[tag] = {str(m): int(n) for m, n in zip(*np.unique(models, return_counts=True))}
        return out

    def read_slice(self, tag, start, stop, with_params=True):
        batch = CurveBatch.concat(self.data["batches"][tag]).take(np.arange(start, min(stop, self.size(tag))))
        if not with_params:
            batch.params = None
        return batch

    def add_provenance(self, tag, record):
        self.data["provenance"].setdefault(tag, []).append(json.loads(json.dumps(record)))

    def provenance(self, tag):
        return list(self.data["provenance"].get(tag, []))


class DropsAParameter(MemoryStore):
    def write(self, tag, batch):
        batch = batch.take(np.arange(len(batch)))
        batch.params = [{k: v for k, v in p.items() if k != "radius_pd_type"} for p in batch.params]
        super().write(tag, batch)


class TurnsFloatsIntoInts(MemoryStore):
    def write(self, tag, batch):
        batch = batch.take(np.arange(len(batch)))
        batch.params = [{k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in p.items()}
                        for p in batch.params]
        super().write(tag, batch)


class RoundsIntensities(MemoryStore):
    def write(self, tag, batch):
        batch = batch.take(np.arange(len(batch)))
        batch.iq = np.round(batch.iq, 2)
        super().write(tag, batch)


class LosesACurve(MemoryStore):
    def write(self, tag, batch):
        super().write(tag, batch.take(np.arange(len(batch) - 1)) if len(batch) > 2 else batch)


class MiscountsIndices(MemoryStore):
    def existing_indices(self, tag, model):
        return np.arange(self.size(tag))  # ignores the model


class IgnoresTheSeed(MemoryStore):
    def iter_batches(self, tag, batch_size, shuffle=True, seed=None, **kw):
        return super().iter_batches(tag, batch_size, shuffle=shuffle, seed=0, **kw)


class ForgetsProvenance(MemoryStore):
    def add_provenance(self, tag, record):
        pass


class WritesWhenReadOnly(MemoryStore):
    def __init__(self, location, mode="r"):
        super().__init__(location, mode)
        self.mode = "a"


class SilentAboutMissingTags(MemoryStore):
    def _require_tag(self, tag):
        pass

    def read_slice(self, tag, start, stop, with_params=True):
        if tag not in self.tags():
            return CurveBatch.empty()
        return super().read_slice(tag, start, stop, with_params)


def test_a_correct_minimal_store_passes_every_check(register):
    register("stores", "memory", MemoryStore)
    testing.check_store(testing.store_factory("memory"))


def test_a_factory_may_take_no_directory(register, tmp_path):
    register("stores", "memory", MemoryStore)
    made = iter(range(100))
    testing.check_store(lambda: f"memory:{tmp_path}/{next(made)}")


@pytest.mark.parametrize("store_class, check, says", [
    (DropsAParameter, testing.check_store_round_trip, "radius_pd_type"),
    (TurnsFloatsIntoInts, testing.check_store_round_trip, "floats stay floats"),
    (RoundsIntensities, testing.check_store_round_trip, "iq of the"),
    (LosesACurve, testing.check_store_round_trip, "missing: the lamellar curve with index 3 and seed 1011"),
    (MiscountsIndices, testing.check_store_queries, "existing_indices('train', 'sphere')"),
    (IgnoresTheSeed, testing.check_store_streaming, "ignores the seed"),
    (ForgetsProvenance, testing.check_store_provenance, "provenance('train') is []"),
    (WritesWhenReadOnly, testing.check_store_read_only, "did not raise StoreError"),
    (SilentAboutMissingTags, testing.check_store_missing_tag, "did not raise StoreError"),
], ids=lambda v: getattr(v, "__name__", None))
def test_each_store_check_catches_a_broken_store(register, store_class, check, says):
    register("stores", "broken", store_class)
    message = failure(check, testing.store_factory("broken"))
    name = testing.check_name(check)
    assert message.startswith("store 'broken' from kit-test (at 'broken:"), message
    assert f"fails the {name!r} check" in message and says in message, message


def test_check_store_lists_every_failing_check(register):
    register("stores", "broken", ForgetsProvenance)
    message = failure(testing.check_store, testing.store_factory("broken"))
    assert message.startswith("1 of 6 store checks failed") and "'provenance' check" in message


def test_a_factory_giving_an_unknown_url_is_reported(register):
    message = failure(testing.check_store_round_trip, lambda tmp: f"nosuchstore:{tmp}")
    assert "no registered store opens" in message and "nosuchstore" in message


# -- architectures ---------------------------------------------------------------------------------

def dense_builder(units_extra=0, activation=None, trainable=True, scale=1.0):
    def build(input_shape, n_classes):
        import keras

        inputs = keras.Input(input_shape)
        x = keras.layers.Rescaling(scale)(keras.layers.Flatten()(inputs))
        dense = keras.layers.Dense(n_classes + units_extra, activation=activation, name="logits")
        dense.trainable = trainable
        return keras.Model(inputs, dense(x))

    return build


def unserialisable_builder(input_shape, n_classes):
    import keras

    class Doubling(keras.layers.Layer):  # not a registered Keras serialisable: load_model cannot find it
        def call(self, x):
            return 2 * x

    inputs = keras.Input(input_shape)
    return keras.Model(inputs, keras.layers.Dense(n_classes)(Doubling()(keras.layers.Flatten()(inputs))))


def test_a_correct_tiny_architecture_passes_every_check(register):
    register("architectures", "tiny", dense_builder())
    testing.check_architecture("tiny")


@pytest.mark.parametrize("builder, check, says", [
    (dense_builder(units_extra=1), testing.check_architecture_builds, "outputs shape (5,), expected (4,)"),
    (dense_builder(activation="softmax"), testing.check_architecture_builds, "must output logits"),
    (dense_builder(trainable=False), testing.check_architecture_trains_a_step, "changed no weight"),
    (dense_builder(scale=float("nan")), testing.check_architecture_trains_a_step, "gave the loss nan"),
    (unserialisable_builder, testing.check_architecture_save_and_load, "it raised"),
], ids=["wrong-output-shape", "softmax", "untrainable", "nan-loss", "unserialisable"])
@pytest.mark.filterwarnings("ignore:The model does not have any trainable weights")
def test_each_architecture_check_catches_a_broken_architecture(register, builder, check, says):
    register("architectures", "broken", builder)
    message = failure(check, "broken")
    assert message.startswith("architecture 'broken' from kit-test-0 fails the "
                              f"{testing.check_name(check)!r} check"), message
    assert says in message, message


def test_the_numpy_runtime_check_fails_on_other_numbers_or_a_crash(register, monkeypatch):
    from sasnets.networks import numpy_runtime

    register("architectures", "tiny", dense_builder())
    testing.check_architecture_numpy_runtime("tiny")  # runs in numpy with Keras's numbers
    real = numpy_runtime.NumpyNetwork.predict
    monkeypatch.setattr(numpy_runtime.NumpyNetwork, "predict", lambda self, x, **kw: real(self, x, **kw) + 0.1)
    assert "differ from Keras" in failure(testing.check_architecture_numpy_runtime, "tiny")

    def crash(path):
        raise KeyError("layers")

    monkeypatch.setattr(numpy_runtime.NumpyNetwork, "from_keras_file", staticmethod(crash))
    assert "crashed reading its saved network" in failure(testing.check_architecture_numpy_runtime, "tiny")

    def decline(path):
        raise numpy_runtime.UnsupportedNetwork("no such layer here")

    monkeypatch.setattr(numpy_runtime.NumpyNetwork, "from_keras_file", staticmethod(decline))
    testing.check_architecture_numpy_runtime("tiny")  # declining cleanly is allowed


# -- analyzers -------------------------------------------------------------------------------------

def text_analyzer(results, outdir):
    path = os.path.join(outdir, "top1.txt")
    with open(path, "w") as fh:
        fh.write(f"{results.metrics['top1']}\n")
    return [path]


def embedding_analyzer(results, outdir):
    if results.embeddings is None:
        return []
    path = os.path.join(outdir, "norms.txt")
    np.savetxt(path, np.linalg.norm(results.embeddings, axis=1))
    return [path]


def test_a_correct_analyzer_passes_every_check(register):
    register("analyzers", "top1", text_analyzer)
    register("analyzers", "norms", embedding_analyzer, needs_embeddings=True)
    testing.check_analyzer("top1")
    testing.check_analyzer("norms")


def writes_nothing(results, outdir):
    return []


def writes_an_empty_file(results, outdir):
    open(os.path.join(outdir, "empty.txt"), "w").close()
    return [os.path.join(outdir, "empty.txt")]


def writes_outside(results, outdir):
    path = os.path.join(os.path.dirname(outdir), "elsewhere.txt")
    with open(path, "w") as fh:
        fh.write("x")
    return [path]


def returns_a_missing_file(results, outdir):
    return [os.path.join(outdir, "never-written.png")]


def returns_one_path_not_a_list(results, outdir):
    return text_analyzer(results, outdir)[0]


def needs_embeddings_silently(results, outdir):
    np.savetxt(os.path.join(outdir, "e.txt"), results.embeddings[:, 0])
    return [os.path.join(outdir, "e.txt")]


@pytest.mark.parametrize("analyzer, check, says", [
    (writes_nothing, testing.check_analyzer_writes_files, "returned no files"),
    (writes_an_empty_file, testing.check_analyzer_writes_files, "the empty file"),
    (writes_outside, testing.check_analyzer_writes_files, "outside outdir"),
    (returns_a_missing_file, testing.check_analyzer_writes_files, "not a file it wrote"),
    (returns_one_path_not_a_list, testing.check_analyzer_writes_files, "returns the list of paths"),
    (needs_embeddings_silently, testing.check_analyzer_without_embeddings, "it raised TypeError"),
], ids=lambda v: getattr(v, "__name__", None))
def test_each_analyzer_check_catches_a_broken_analyzer(register, analyzer, check, says):
    register("analyzers", "broken", analyzer)
    message = failure(check, "broken")
    assert message.startswith(f"analyzer 'broken' from kit-test-0 fails the {testing.check_name(check)!r} check")
    assert says in message, message


def test_check_analyzer_names_the_analyzer_and_each_failing_check(register):
    register("analyzers", "nothing", writes_nothing)
    message = failure(testing.check_analyzer, "nothing")
    assert message.startswith("2 of 2 analyzer checks failed")
    assert "'writes_files' check" in message and "'without_embeddings' check" in message


# -- the kit itself --------------------------------------------------------------------------------

def test_checks_lists_the_individual_checks_and_parametrize_gives_one_param_each():
    assert testing.checks("stores")[0] is testing.check_store_round_trip
    assert len(testing.checks("architectures")) == 4 and len(testing.checks("analyzers")) == 2
    with pytest.raises(ValueError, match="unknown kind"):
        testing.checks("store")
    mark = testing.parametrize_with_checks("stores", ["a", "b"], marks={"b": [pytest.mark.postgres]})
    argnames, params = mark.args
    assert argnames == ("name", "check") and len(params) == 12
    assert params[0].id == "a-round_trip" and params[-1].id == "b-missing_tag"
    assert params[0].marks == () and params[-1].marks[0].name == "postgres"


def test_the_fixture_dataset_is_deterministic_and_has_string_and_float_parameters():
    a, b = testing.fixture_batch(), testing.fixture_batch()
    assert a.equals(b) and a.params == b.params and a.params is not b.params
    assert len(a) == 12 and sorted(set(a.lengths.tolist())) == [20, 25, 30]
    kinds = {type(v) for p in a.params for v in p.values()}
    assert kinds == {float, str}


def test_importing_the_kit_imports_neither_tensorflow_nor_pytest():
    code = ("import sys, sasnets.testing as t; "
            "bad = [m for m in ('tensorflow', 'keras', 'pytest', 'matplotlib') if m in sys.modules]; "
            "assert not bad, bad; assert all(hasattr(t, n) for n in t.__all__)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

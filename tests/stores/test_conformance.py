"""Every registered store honours the store contract on the same data.

Parametrised over ``get_registry("stores")``, so stores added by plugins are
checked too.  A store needing a server gets its URL from a fixture (see
``URLS``); any other store is opened at ``<name>:<tmpdir>/store``.
"""
import numpy as np
import pytest

from sasnets.data import CurveBatch
from sasnets.errors import StoreError
from sasnets.plugins import get_registry
from sasnets.stores import open_store

from .conftest import canonical

#: store name -> function(tmp_path, request) giving a URL for a new, empty store
URLS = {
    "hdf5": lambda tmp, req: str(tmp / "data.h5"),
    "sqlite": lambda tmp, req: f"sqlite:///{tmp}/data.db",
    "postgresql": lambda tmp, req: req.getfixturevalue("pg_url"),
    "json": lambda tmp, req: f"json:{tmp}/jsonstore",
    "aggr": lambda tmp, req: f"aggr:{tmp}/aggrstore",
}
SERVER_STORES = {"postgresql"}


def _params():
    out = []
    for entry in get_registry("stores"):
        marks = [pytest.mark.postgres, pytest.mark.xdist_group("postgres")] if entry.name in SERVER_STORES else []
        out.append(pytest.param(entry.name, marks=marks, id=entry.name))
    return out


@pytest.fixture(params=_params())
def store_url(request, tmp_path):
    make = URLS.get(request.param, lambda tmp, req: f"{request.param}:{tmp}/store")
    return request.param, make(tmp_path, request)


def test_round_trip_is_exact(store_url, small_batch):
    name, url = store_url
    with open_store(url, "a") as s:
        assert s.name == name
        s.write("train", small_batch)
        s.write("eval", small_batch.take([0, 4]))
    with open_store(url) as s:
        back = s.read("train")
        assert canonical(back).equals(canonical(small_batch))
        assert canonical(back).params == canonical(small_batch).params
        assert s.tags() == ["eval", "train"]
        assert s.counts() == {"train": {"sphere": 4, "cylinder": 4, "lamellar": 4},
                              "eval": {"sphere": 1, "cylinder": 1}}
        assert s.size("train") == 12
        assert sorted(s.existing_indices("train", "sphere").tolist()) == [0, 1, 2, 3]
        assert s.existing_indices("train", "nope").size == 0
        assert set(s.read("train", models=["lamellar"]).models) == {"lamellar"}
        assert s.read_slice("train", 3, 8).equals(back.take(range(3, 8)))


def test_streaming_visits_every_curve_once_seeded(store_url, small_batch):
    _, url = store_url
    with open_store(url, "a") as s:
        s.write("train", small_batch)
    with open_store(url) as s:
        def run(seed):
            return list(s.iter_batches("train", 5, shuffle=True, seed=seed, block_size=2, buffer_blocks=2))

        first, again, other = run(7), run(7), run(8)
        assert [len(b) for b in first] == [5, 5, 2]
        streamed = CurveBatch.concat(first)
        assert canonical(streamed).equals(canonical(small_batch))
        assert all(a.equals(b) for a, b in zip(first, again))
        assert not np.array_equal(streamed.seeds, CurveBatch.concat(other).seeds)
        ordered = CurveBatch.concat(list(s.iter_batches("train", 4, shuffle=False)))
        assert ordered.equals(s.read("train", with_params=False))
        only = CurveBatch.concat(list(s.iter_batches("train", 3, seed=1, models=["sphere"])))
        assert sorted(only.seeds.tolist()) == [1000, 1003, 1006, 1009]


def test_provenance_and_read_only(store_url, small_batch):
    _, url = store_url
    with open_store(url, "a") as s:
        s.write("train", small_batch.take([0, 1]))
        s.add_provenance("train", {"run": "test", "n": 2})
    with open_store(url) as s:
        assert s.provenance("train") == [{"run": "test", "n": 2}]
        with pytest.raises(StoreError):
            s.write("train", small_batch)
        with pytest.raises(StoreError, match="no tag"):
            s.read("nope")

"""Fixtures for training tests: tiny analytic stores and fast options."""
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: a small network and grid so a training epoch takes well under a second
FAST = dict(arch="resnet1d", hyper={"widths": [8, 8, 16, 16]}, qgrid={"qmin": 1e-3, "qmax": 0.5, "nq": 48},
            batch_size=32, threads=2, tensorboard=False)


@pytest.fixture(scope="session")
def toy_store(tmp_path_factory):
    """An HDF5 store with tags ``train`` (4 toy models x 40 ragged curves) and ``eval``."""
    from sasnets.data.toy import toy_curves
    from sasnets.stores.base import open_store

    path = str(tmp_path_factory.mktemp("toy") / "toy.h5")
    with open_store(path, "a") as store:
        store.write("train", toy_curves(40, seed=0, nq=(60, 140)))
        store.write("eval", toy_curves(10, seed=1, nq=100))
        store.write("one", toy_curves(10, seed=2, models=("sphere",)))
    return path


@pytest.fixture(scope="session")
def fast():
    """Training options for tiny, quick runs (copy before changing)."""
    return dict(FAST)

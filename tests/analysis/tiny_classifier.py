"""Build a small trained classifier for evaluation, prediction and analysis tests.

Three sasmodels scattering models with analytic forms (sphere, guinier,
power_law) are sampled with random sizes/slopes and 2 % noise on random
q-ranges, written to an HDF5 store with ``train``/``eval``/``test`` tags, and a
tiny ``resnet1d`` is trained on them for a few epochs.  It learns these easily
(the shapes differ a lot), so tests can check that predictions are right.
"""
import os

import numpy as np

MODELS = ("sphere", "guinier", "power_law")


def intensity(model, q, rng):
    """``(I(q), parameters)`` of one random curve of ``model``."""
    if model == "sphere":
        r = rng.uniform(20, 120)
        qr = q * r
        return 1e3 * (3 * (np.sin(qr) - qr * np.cos(qr)) / qr**3) ** 2 + 1e-3, {"radius": r}
    if model == "guinier":
        rg = rng.uniform(15, 150)
        return 100 * np.exp(-(q * rg) ** 2 / 3) + 1e-3, {"rg": rg}
    if model == "power_law":
        power = rng.uniform(1.5, 4.0)
        return 1e-3 * q ** -power * 1e-2 + 1e-3, {"power": power}
    raise ValueError(model)


def make_curves(n_per_model, seed):
    """A CurveBatch of ``n_per_model`` noisy curves of each model."""
    from sasnets.data import Curve, CurveBatch

    rng = np.random.default_rng(seed)
    curves = []
    for model in MODELS:
        for i in range(n_per_model):
            lo = rng.uniform(-3.0, -2.3)
            hi = rng.uniform(-0.9, -0.3)
            q = np.logspace(lo, hi, int(rng.integers(60, 120)))
            iq, params = intensity(model, q, rng)
            iq *= 1 + 0.02 * rng.normal(size=q.size)
            curves.append(Curve(q=q, iq=np.abs(iq), diq=0.02 * np.abs(iq), dq=0.05 * q, model=model,
                                params=params, seed=seed * 100000 + i, index=i))
    return CurveBatch.from_curves(curves)


def make_store(path, seed=0):
    """An HDF5 store with tags train (50/model), eval and test (20/model each)."""
    from sasnets.stores import open_store

    with open_store(path, "a") as store:
        store.write("train", make_curves(50, seed))
        store.write("eval", make_curves(20, seed + 1))
        store.write("test", make_curves(20, seed + 2))
    return path


def build(root):
    """Store and classifier under ``root`` (built once; reused when present)."""
    root = os.fspath(root)
    store = os.path.join(root, "tiny.h5")
    outdir = os.path.join(root, "classifier")
    if os.path.exists(os.path.join(outdir, "classifier.json")):
        return store, outdir
    os.makedirs(root, exist_ok=True)
    if not os.path.exists(store):
        make_store(store)
    from sasnets.training.train import train

    train(store, outdir, arch="resnet1d", tag="train", val_tag="eval", epochs=10, batch_size=32,
          hyper={"widths": (8, 8, 12, 16), "kernel_size": 3, "stem_kernel": 5, "stem_stride": 2},
          qgrid={"qmin": 1e-3, "qmax": 0.5, "nq": 48}, seed=1, tensorboard=False, threads=1, augment=False,
          overwrite=True)
    return store, outdir

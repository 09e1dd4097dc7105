"""Size estimates: the sizes of each candidate scattering model, read off the classifier's features.

For every label the classifier knows, a ridge regression from the network's
penultimate features (:meth:`Classifier.embed`) to that model's size
parameters (radius, length, thickness, … as log values, the way SASformer
regresses its models' parameters), the volume fraction of a product's
structure factor (log), and the relative dispersity width of its first size
parameter.  It is fitted after training (:func:`fit_size_estimator`, CLI
``sasnets sizes``) on simulated curves of each label, augmented as in training
so the q windows, smearing and noise vary, and its uncertainty is the RMS
error on held-out curves (the ``check`` tag).  An estimate is a starting point
for a fit (``sasnets fit`` starts from it), not a fit: a size beyond what the
q window resolves is a guess.

Saved next to the network as ``sizes.npz`` (one coefficient matrix per
label), described in ``classifier.json`` under ``sizes``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..errors import DataError, StoreError
from ..progress import notifier
from .factors import split_label

__all__ = ["SizeEstimator", "fit_size_estimator", "size_parameters", "SIZES_FILE"]

SIZES_FILE = "sizes.npz"
#: ridge penalties tried (on standardised features); the one with the least cross-validated error is kept
RIDGES = (0.1, 1.0, 10.0, 100.0, 1000.0)
#: a label needs this many curves to get an estimator
MIN_CURVES = 20


def size_parameters(label: str) -> list[tuple[str, str, str]]:
    """``[(parameter, transform, units)]`` estimated for ``label``: the form factor's scalar
    size parameters in Å (log), a product's ``volfraction`` (log), and the relative width
    ``<first size>_pd`` (linear)."""
    from ..simulate.catalog import load_model_info

    form, structure = split_label(label)
    try:
        info = load_model_info(form)
    except Exception:
        return []
    sizes = [p for p in info.parameters.kernel_parameters
             if p.type == "volume" and p.length == 1 and p.units == "Ang"]
    out = [(p.name, "log", "Å") for p in sizes]
    if structure != "none":
        out.append(("volfraction", "log", ""))
    if sizes and getattr(sizes[0], "polydisperse", False):
        out.append((sizes[0].name + "_pd", "linear", ""))
    return out


def _targets(params_list, spec) -> np.ndarray:
    """``(n, P)`` regression targets of curves' parameter dicts (NaN where one is missing or not positive)."""
    out = np.full((len(params_list), len(spec)), np.nan)
    for i, params in enumerate(params_list):
        for k, (name, transform, _) in enumerate(spec):
            value = params.get(name, 0.0 if name.endswith("_pd") else None)
            if value is None:
                continue
            value = float(value)
            if transform == "log":
                out[i, k] = np.log(value) if value > 0 else np.nan
            else:
                out[i, k] = value
    return out


@dataclass
class SizeEstimator:
    """Per label: feature mean and scale, coefficients ``(d + 1, P)``, RMS error ``(P,)`` and its parameters."""

    spec: dict        # label -> [(parameter, transform, units)]
    mean: dict        # label -> (d,)
    scale: dict       # label -> (d,)
    coef: dict        # label -> (d + 1, P)
    error: dict       # label -> (P,) RMS error of the transformed value on held-out curves

    def estimate(self, label: str, features: np.ndarray) -> list[dict]:
        """One dict per feature row: ``{parameter: {"value", "low", "high", "units"}}`` (a 1-sigma
        interval, in the parameter's units), empty when ``label`` has no estimator."""
        features = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if label not in self.coef:
            return [{} for _ in features]
        z = (features - self.mean[label]) / self.scale[label]
        y = np.hstack([z, np.ones((len(z), 1))]) @ self.coef[label]
        out = []
        for row in y:
            one = {}
            for (name, transform, units), value, sigma in zip(self.spec[label], row, self.error[label]):
                if transform == "log":
                    one[name] = {"value": float(np.exp(value)), "low": float(np.exp(value - sigma)),
                                 "high": float(np.exp(value + sigma)), "units": units}
                else:
                    v = float(np.clip(value, 0.0, 0.99))
                    one[name] = {"value": v, "low": float(max(0.0, value - sigma)),
                                 "high": float(min(0.99, value + sigma)), "units": units}
            out.append(one)
        return out

    def save(self, path: str) -> dict:
        """Write ``sizes.npz`` into the classifier directory ``path``; returns the ``classifier.json`` entry."""
        arrays = {}
        for i, label in enumerate(sorted(self.coef)):
            for key in ("mean", "scale", "coef", "error"):
                arrays[f"{i}.{key}"] = getattr(self, key)[label]
        tmp = os.path.join(path, SIZES_FILE + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, os.path.join(path, SIZES_FILE))
        return {"file": SIZES_FILE, "labels": {label: [list(s) for s in self.spec[label]] for label in sorted(self.coef)},
                "error": {label: {s[0]: round(float(e), 4) for s, e in zip(self.spec[label], self.error[label])}
                          for label in sorted(self.coef)}}

    @classmethod
    def load(cls, path: str, entry: dict) -> "SizeEstimator":
        file = os.path.join(path, entry.get("file", SIZES_FILE))
        try:
            z = np.load(file)
        except OSError as exc:
            raise DataError(f"Cannot read the size estimates {file!r} ({exc}); refit them with sasnets sizes.") from None
        labels = sorted(entry["labels"])
        parts = {key: {label: z[f"{i}.{key}"] for i, label in enumerate(labels)}
                 for key in ("mean", "scale", "coef", "error")}
        spec = {label: [tuple(s) for s in entry["labels"][label]] for label in labels}
        return cls(spec=spec, **parts)


def _ridge(z: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    """Coefficients ``(d + 1, P)`` of a ridge regression with an unpenalised intercept."""
    d = z.shape[1]
    a = np.hstack([z, np.ones((len(z), 1))])
    eye = penalty * np.eye(d + 1)
    eye[-1, -1] = 0.0
    return np.linalg.solve(a.T @ a + eye, a.T @ y)


def _predict(z: np.ndarray, coef: np.ndarray) -> np.ndarray:
    return np.hstack([z, np.ones((len(z), 1))]) @ coef


def _best_ridge(z: np.ndarray, y: np.ndarray, rng: np.random.Generator, check=None, folds: int = 5) -> np.ndarray:
    """The ridge fit of all curves with the penalty of least squared error on the held-out
    ``check`` pair ``(z, y)``, else of least ``folds``-fold cross-validated error."""
    fold = rng.permutation(len(z)) % folds
    errors = []
    for penalty in RIDGES:
        if check is not None:
            errors.append(float(np.sum((_predict(check[0], _ridge(z, y, penalty)) - check[1]) ** 2)))
            continue
        errors.append(sum(float(np.sum((_predict(z[fold == k], _ridge(z[fold != k], y[fold != k], penalty))
                                        - y[fold == k]) ** 2)) for k in range(folds)))
    return _ridge(z, y, RIDGES[int(np.argmin(errors))])


def fit_size_estimator(clf, store, tag: str = "train", check_tag: str | None = None, per_label: int = 400,
                       seed: int = 0, check_store=None, progress=None) -> SizeEstimator:
    """Fit the size estimates of every label of ``clf`` on curves of ``tag`` of ``store`` (an
    open store), at most ``per_label`` each, augmented with the classifier's own training
    augmentation; the ridge penalty is chosen, and the error measured, on ``check_tag`` of
    ``check_store`` (default ``store``; without a check tag, by cross-validation on the curves fitted).
    Saves them into the classifier (``sizes.npz`` and ``classifier.json``) when it has a path."""
    from ..data.augment import AugmentSpec, augment

    notify = notifier(progress)
    spec_augment = AugmentSpec.from_dict(clf.meta.training.get("augment", {})) if clf.meta.training.get("augment") \
        else AugmentSpec()
    rng = np.random.default_rng(seed)
    have = store.counts()
    check_store = store if check_store is None else check_store
    check_have = have if check_store is store else check_store.counts()
    for name, option, where, present in ((tag, "--tag", store, have), (check_tag, "--check-tag", check_store, check_have)):
        if name is not None and name not in present:
            raise StoreError(f"Store {where.url!r} has no tag {name!r} ({option}); tags present: "
                             f"{', '.join(sorted(present)) or 'none'}.")
    check_counts = check_have.get(check_tag, {}) if check_tag else {}
    result = SizeEstimator({}, {}, {}, {}, {})
    for n, label in enumerate(clf.labels, 1):
        spec = size_parameters(label)
        count = have.get(tag, {}).get(label, 0)
        notify("sizes", n - 1, len(clf.labels), f"size estimates of {label}")
        if not spec or count < MIN_CURVES:
            continue
        batch = store.read(tag, models=[label], with_params=True)
        if len(batch) > per_label:
            batch = batch.take(np.sort(rng.choice(len(batch), per_label, replace=False)))
        if spec_augment.enabled:
            batch = augment(batch, rng, spec_augment)
        y = _targets(batch.params, spec)
        features = clf.embed(batch).astype(np.float64)
        keep = np.all(np.isfinite(y), axis=1)
        if keep.sum() < MIN_CURVES:
            continue
        mean = features[keep].mean(axis=0)
        spread = features[keep].std(axis=0)
        scale = np.where(spread > 1e-6, spread, 1.0)  # a feature constant here stays as it is
        z = (features[keep] - mean) / scale
        check = None
        if check_counts.get(label, 0) >= 5:
            held = check_store.read(check_tag, models=[label], with_params=True)
            cy = _targets(held.params, spec)
            ok = np.all(np.isfinite(cy), axis=1)
            if ok.sum() >= 5:
                check = ((clf.embed(held).astype(np.float64)[ok] - mean) / scale, cy[ok])
        coef = _best_ridge(z, y[keep], rng, check)
        error_z, error_y = check if check is not None else (z, y[keep])
        residual = _predict(error_z, coef) - error_y
        result.spec[label], result.mean[label], result.scale[label] = spec, mean, scale
        result.coef[label], result.error[label] = coef, np.sqrt(np.mean(residual ** 2, axis=0))
    notify("sizes", len(clf.labels), len(clf.labels), "size estimates fitted")
    if clf.path:
        entry = result.save(clf.path)
        entry.update(tag=tag, check_tag=check_tag, per_label=int(per_label))
        clf.meta.sizes = entry
        clf.save(clf.path)
        clf._sizes = result
    return result

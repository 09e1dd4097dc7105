"""Evaluate a classifier on a tagged dataset, and calibrate its temperature.

:func:`evaluate` streams a tag of any store through a classifier and returns
an :class:`EvaluationResult`: the probabilities, true labels, optionally the
penultimate-layer embeddings, and the metrics of
:func:`sasnets.analysis.metrics.evaluate_probabilities`.  Analyzers
(``sasnets analyze``) turn one result into plots and reports.

:func:`calibrate` fits the classifier's softmax temperature on a held-out tag
(temperature scaling) and stores it in ``classifier.json``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError, UsageError
from ..progress import ProgressCallback, notifier
from .conditions import accuracy_by_conditions, curve_conditions
from .families import families_of
from .metrics import apply_temperature, evaluate_probabilities, expected_calibration_error, fit_temperature, \
    negative_log_likelihood

__all__ = ["EvaluationResult", "evaluate", "calibrate", "predictions_on_tag"]


@dataclass
class EvaluationResult:
    """What one evaluation produced; the input of every analyzer.

    ``proba[i, j]`` is the probability of scattering model ``labels[j]`` for
    curve ``i`` whose true model is ``labels[y[i]]``; ``embeddings`` (or
    ``None``) are the network's penultimate features of the same curves;
    ``families[j]`` is the family of ``labels[j]``; ``metrics`` the metrics
    dict; ``info`` where it came from (classifier, store, tag, curves skipped).
    """

    labels: list
    y: np.ndarray
    proba: np.ndarray
    metrics: dict
    families: list = field(default_factory=list)
    embeddings: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.families:
            self.families = families_of(self.labels)

    def save(self, path: str) -> str:
        """Write the result to ``path`` (``.npz`` arrays + JSON metadata) for later analysis."""
        meta = json.dumps({"labels": list(self.labels), "families": list(self.families),
                           "metrics": self.metrics, "info": self.info})
        arrays = {"y": self.y, "proba": self.proba, "meta": np.array(meta)}
        if self.embeddings is not None:
            arrays["embeddings"] = self.embeddings
        np.savez_compressed(path, **arrays)
        return path if path.endswith(".npz") else path + ".npz"

    @classmethod
    def load(cls, path: str) -> "EvaluationResult":
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return cls(labels=meta["labels"], families=meta["families"], y=data["y"], proba=data["proba"],
                       metrics=meta["metrics"], info=meta["info"],
                       embeddings=data["embeddings"] if "embeddings" in data else None)


def _open(store):
    from ..stores import open_store

    if isinstance(store, (str, os.PathLike)):
        return open_store(os.fspath(store), "r"), True
    return store, False


def predictions_on_tag(classifier, store, tag: str, *, batch_size: int = 4096, max_curves: int | None = None,
                       seed: int = 0, embed: bool = False, conditions: bool = False,
                       progress: ProgressCallback | None = None, stage: str = "evaluate"):
    """Run ``classifier`` over tag ``tag`` of ``store``.

    Returns ``(proba, y, embeddings or None, skipped, conditions or None)``
    where ``skipped`` maps scattering models the classifier does not know to
    their curve counts and, with ``conditions``, each curve's background-to-peak
    ratio, q-window width and intensity range
    (:func:`sasnets.analysis.conditions.curve_conditions`; reads the curves'
    parameters for it).
    ``max_curves`` evaluates a random subset (drawn with ``seed``).
    ``progress`` gets :class:`~sasnets.progress.Progress` events of ``stage``:
    curves classified of the curves to classify.
    """
    if batch_size < 1:
        raise UsageError(f"The batch size must be at least 1 (--batch-size), got {batch_size}.")
    index = {label: i for i, label in enumerate(classifier.labels)}
    store, owned = _open(store)
    try:
        counts = store.counts()
        if tag not in counts:
            have = ", ".join(sorted(counts)) or "none"
            raise DataError(f"Store {store.url!r} has no tag {tag!r} (tags present: {have}); pass --tag with one of them.")
        known = [m for m in counts[tag] if m in index]
        skipped = {m: int(n) for m, n in counts[tag].items() if m not in index}
        if not known:
            raise DataError(
                f"None of the scattering models in tag {tag!r} of {store.url!r} is one the classifier knows "
                f"({', '.join(sorted(counts[tag])[:5])}…); evaluate on data generated for its models."
            )
        total = sum(counts[tag][m] for m in known)
        target = total if max_curves is None else min(int(max_curves), total)
        probas, ys, embs, conds = [], [], [], []
        done = 0
        notify = notifier(progress)
        notify(stage, 0, target, f"{stage} {tag}")
        batches = store.iter_batches(tag, batch_size, shuffle=max_curves is not None, seed=seed,
                                     models=known if skipped else None, with_params=conditions)
        for batch in batches:
            if done + len(batch) > target:
                batch = batch.take(np.arange(target - done))
            probas.append(classifier.predict_proba(batch))
            ys.append(np.array([index[str(m)] for m in batch.models], dtype=np.int64))
            if conditions:
                conds.append(curve_conditions(batch))
            if embed:
                embs.append(classifier.embed(batch))
            done += len(batch)
            notify(stage, done, target, f"{stage} {tag}")
            if done >= target:
                break
    finally:
        if owned:
            store.close()
    proba = np.concatenate(probas) if probas else np.zeros((0, len(classifier.labels)), np.float32)
    y = np.concatenate(ys) if ys else np.zeros(0, np.int64)
    embeddings = np.concatenate(embs) if embed and embs else None
    per_curve = {key: np.concatenate([c[key] for c in conds]) if conds else np.zeros(0)
                 for key in ("background_to_peak", "q_decades", "intensity_decades")} if conditions else None
    return proba, y, embeddings, skipped, per_curve


def evaluate(classifier, store, tag: str = "test", *, batch_size: int = 4096, max_curves: int | None = None,
             seed: int = 0, embed: bool = False, progress: ProgressCallback | None = None) -> EvaluationResult:
    """Metrics of ``classifier`` (a :class:`~sasnets.classifier.Classifier` or its path) on ``tag``;
    ``progress`` gets :class:`~sasnets.progress.Progress` events of stage ``"evaluate"`` (curves)."""
    if isinstance(classifier, (str, os.PathLike)):
        from ..classifier import load_classifier

        classifier = load_classifier(os.fspath(classifier))
    proba, y, embeddings, skipped, conditions = predictions_on_tag(
        classifier, store, tag, batch_size=batch_size, max_curves=max_curves, seed=seed, embed=embed,
        conditions=True, progress=progress)
    labels = list(classifier.labels)
    metrics = evaluate_probabilities(proba, y, labels, temperature=classifier.temperature)
    metrics.update(accuracy_by_conditions(proba.argmax(axis=1) == y, conditions))
    store_url = store if isinstance(store, str) else getattr(store, "url", str(store))
    info = {
        "classifier": getattr(classifier, "path", None),
        "architecture": getattr(classifier, "architecture", None),
        "store": _strip_password(os.fspath(store_url)),
        "tag": tag,
        "curves": int(len(y)),
        "skipped_models": skipped,
        "max_curves": max_curves,
        "seed": seed,
    }
    return EvaluationResult(labels=labels, y=y, proba=proba, metrics=metrics, embeddings=embeddings, info=info)


def calibrate(classifier, store, tag: str = "eval", *, batch_size: int = 4096, max_curves: int | None = None,
              seed: int = 0, save: bool = True, progress: ProgressCallback | None = None) -> dict:
    """Fit the softmax temperature on ``tag`` and (with ``save``) store it in ``classifier.json``.
    ``progress`` gets :class:`~sasnets.progress.Progress` events of stage ``"calibrate"`` (curves).

    Returns ``{"temperature", "previous", "nll_before", "nll_after",
    "ece_before", "ece_after", "tag", "curves"}``.  Temperatures compose: the
    new one is the old one times the factor fitted on the current
    probabilities, so calibrating twice is harmless.
    """
    proba, y, _, _, _ = predictions_on_tag(classifier, store, tag, batch_size=batch_size, max_curves=max_curves,
                                        seed=seed, progress=progress, stage="calibrate")
    if len(y) < 2:
        raise DataError(f"Tag {tag!r} has too few curves of the classifier's models to fit a temperature (--calibrate-on).")
    previous = float(classifier.temperature)
    weight, factor, after = _prior_correction(proba, y, _log_training_prior(classifier))
    report = {
        "temperature": previous * factor, "previous": previous, "tag": tag, "curves": int(len(y)),
        "nll_before": negative_log_likelihood(proba, y), "nll_after": negative_log_likelihood(after, y),
        "ece_before": expected_calibration_error(proba, y), "ece_after": expected_calibration_error(after, y),
        "prior_weight": weight,
    }
    if weight:  # in logits: softmax((z + offset) / T) with offset = -weight * T_before * log prior
        prior = _log_training_prior(classifier)
        offset = np.asarray(classifier.meta.logit_offset or np.zeros(len(prior)), float) - weight * previous * prior
        classifier.meta.logit_offset = [float(v) for v in offset]
    classifier.temperature = report["temperature"]
    if save:
        if not getattr(classifier, "path", None):
            raise UsageError("This classifier has no directory to store its temperature in; save it first.")
        classifier.meta.calibration = {k: v for k, v in report.items() if k != "previous"}
        classifier.save(classifier.path, overwrite=True)
    return report


#: how much of the training set's label prior a calibration may divide out (0: none, 1: all)
PRIOR_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _log_training_prior(classifier) -> np.ndarray | None:
    """log of each label's share of the training curves (centred), or ``None`` when the
    classifier does not record its counts or they are all equal."""
    counts = (classifier.meta.data or {}).get("counts") or {}
    values = np.array([float(counts.get(label, 0)) for label in classifier.labels])
    if not len(values) or np.any(values <= 0) or np.allclose(values, values[0]):
        return None
    log_prior = np.log(values / values.sum())
    return log_prior - log_prior.mean()


def _prior_correction(proba: np.ndarray, y: np.ndarray, log_prior) -> tuple[float, float, np.ndarray]:
    """``(weight, temperature factor, corrected probabilities)``: labels simulated more often
    than others are favoured by a network trained on them; dividing out ``weight`` of that
    prior (one of :data:`PRIOR_WEIGHTS`), then fitting the temperature, the pair with the
    least negative log-likelihood on the held-out curves wins (0 when nothing is recorded)."""
    best = None
    log_p = np.log(np.clip(np.asarray(proba, np.float64), 1e-30, None))
    for weight in PRIOR_WEIGHTS if log_prior is not None else (0.0,):
        z = log_p - weight * (log_prior if log_prior is not None else 0.0)
        z -= z.max(axis=1, keepdims=True)
        shifted = np.exp(z)
        shifted /= shifted.sum(axis=1, keepdims=True)
        factor = fit_temperature(shifted, y)
        after = apply_temperature(shifted, factor)
        nll = negative_log_likelihood(after, y)
        if best is None or nll < best[0] - 1e-9:
            best = (nll, weight, factor, after)
    return best[1], best[2], best[3]


def _strip_password(url: str) -> str:
    import re

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)

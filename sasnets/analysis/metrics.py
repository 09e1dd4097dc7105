"""Classification metrics on predicted probabilities.

Every function takes ``proba`` (``(n, k)`` probabilities, rows summing to 1)
and ``y`` (``(n,)`` indices of the true scattering model in the label list)
and returns plain numbers or arrays; :func:`evaluate_probabilities` gathers
them into the dict that ``sasnets evaluate --json`` prints.

Credible sets follow the 2017 SASNets analysis: for each curve, the smallest
set of scattering models whose probabilities add up to at least the level
(68 %, 95 %).  Its *coverage* is the fraction of curves whose true model is in
the set (a calibrated classifier covers about the level), its *size* says how
much a scientist still has to fit.  Models outside the 95 % set are the ones
"rejected at the 5 % level".

Calibration: expected calibration error (ECE) over 15 equal-width confidence
bins, and temperature scaling — one scalar ``T`` dividing the logits, fitted
by minimising the negative log-likelihood on held-out curves — which leaves
the ranking (and so the accuracy) unchanged.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .families import families_of, family_sort_key

__all__ = [
    "top_k_accuracy", "true_ranks", "credible_sets", "credible_set_stats", "expected_calibration_error",
    "reliability_bins", "negative_log_likelihood", "fit_temperature", "apply_temperature",
    "confusion_matrix", "per_model_metrics", "per_family_metrics", "evaluate_probabilities",
    "ECE_BINS", "CREDIBLE_LEVELS",
]

ECE_BINS = 15
CREDIBLE_LEVELS = (0.68, 0.95)
_EPS = 1e-12


def _check(proba, y):
    proba = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if proba.ndim != 2 or y.shape != (proba.shape[0],):
        raise ValueError(f"need proba (n, k) and y (n,); got {proba.shape} and {y.shape}")
    if len(y) and (y.min() < 0 or y.max() >= proba.shape[1]):
        raise ValueError("true label index out of range")
    return proba, y


def true_ranks(proba, y) -> np.ndarray:
    """1-based rank of the true model among the predictions of each curve (ties count against)."""
    proba, y = _check(proba, y)
    p_true = proba[np.arange(len(y)), y]
    return 1 + (proba > p_true[:, None]).sum(axis=1)


def top_k_accuracy(proba, y, k: int) -> float:
    """Fraction of curves whose true model is among the ``k`` most probable."""
    proba, y = _check(proba, y)
    if not len(y):
        return float("nan")
    return float(np.mean(true_ranks(proba, y) <= k))


def credible_sets(proba, level: float) -> np.ndarray:
    """Boolean ``(n, k)`` mask of each curve's smallest credible set at ``level``.

    Models are added in decreasing probability until their sum reaches
    ``level``; the model that crosses it is included.
    """
    proba = np.asarray(proba, dtype=np.float64)
    order = np.argsort(-proba, axis=1, kind="stable")
    ranked = np.take_along_axis(proba, order, axis=1)
    before = np.cumsum(ranked, axis=1) - ranked
    inside_ranked = before < level - 1e-9
    mask = np.zeros_like(inside_ranked)
    np.put_along_axis(mask, order, inside_ranked, axis=1)
    return mask


def credible_set_stats(proba, y, level: float) -> dict:
    """Coverage and mean size of the ``level`` credible sets."""
    proba, y = _check(proba, y)
    mask = credible_sets(proba, level)
    sizes = mask.sum(axis=1)
    covered = mask[np.arange(len(y)), y]
    return {
        "level": level,
        "coverage": float(covered.mean()) if len(y) else float("nan"),
        "mean_size": float(sizes.mean()) if len(y) else float("nan"),
        "median_size": float(np.median(sizes)) if len(y) else float("nan"),
    }


def reliability_bins(proba, y, bins: int = ECE_BINS) -> dict:
    """Per confidence bin: edges, curve count, mean confidence and accuracy of the top prediction."""
    proba, y = _check(proba, y)
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, confidence, minlength=bins) / counts
        accuracy = np.bincount(which, correct, minlength=bins) / counts
    return {"edges": edges, "count": counts, "confidence": mean_conf, "accuracy": accuracy}


def expected_calibration_error(proba, y, bins: int = ECE_BINS) -> float:
    """ECE: bin-count-weighted mean |accuracy − confidence| of the top prediction."""
    proba, y = _check(proba, y)
    if not len(y):
        return float("nan")
    b = reliability_bins(proba, y, bins)
    used = b["count"] > 0
    gap = np.abs(b["accuracy"][used] - b["confidence"][used])
    return float(np.sum(gap * b["count"][used]) / len(y))


def negative_log_likelihood(proba, y) -> float:
    """Mean −log p(true model)."""
    proba, y = _check(proba, y)
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], _EPS, None))))


def apply_temperature(proba, temperature: float) -> np.ndarray:
    """Rescale probabilities as if the logits had been divided by ``temperature``.

    ``softmax(log p / T)`` equals ``softmax(z / (T0 T))`` for ``p = softmax(z / T0)``,
    so temperatures compose by multiplication.
    """
    logp = np.log(np.clip(np.asarray(proba, dtype=np.float64), _EPS, None)) / float(temperature)
    logp -= logp.max(axis=1, keepdims=True)
    out = np.exp(logp)
    return out / out.sum(axis=1, keepdims=True)


def fit_temperature(proba, y, bounds=(0.05, 20.0)) -> float:
    """The temperature minimising the NLL of ``proba`` (relative to how they were made)."""
    from scipy.optimize import minimize_scalar

    proba, y = _check(proba, y)
    if not len(y):
        raise ValueError("cannot fit a temperature on zero curves")
    logp = np.log(np.clip(proba, _EPS, None))
    rows = np.arange(len(y))

    def nll(log_t):
        z = logp / np.exp(log_t)
        z -= z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[rows, y]))

    res = minimize_scalar(nll, bounds=np.log(bounds), method="bounded", options={"xatol": 1e-5})
    return float(np.exp(res.x))


def confusion_matrix(proba, y, n_labels: int | None = None) -> np.ndarray:
    """Counts: ``C[i, j]`` curves of true model ``i`` predicted (top-1) as ``j``."""
    proba, y = _check(proba, y)
    k = n_labels or proba.shape[1]
    pred = proba.argmax(axis=1)
    return np.bincount(y * k + pred, minlength=k * k).reshape(k, k)


def per_model_metrics(proba, y, labels: Sequence[str]) -> dict:
    """``{model: {n, top1, top3, mean_rank, mean_probability}}`` for models with curves."""
    proba, y = _check(proba, y)
    ranks = true_ranks(proba, y)
    p_true = proba[np.arange(len(y)), y]
    out = {}
    for i, label in enumerate(labels):
        sel = y == i
        n = int(sel.sum())
        if not n:
            continue
        out[str(label)] = {
            "n": n,
            "top1": float(np.mean(ranks[sel] == 1)),
            "top3": float(np.mean(ranks[sel] <= 3)),
            "mean_rank": float(np.mean(ranks[sel])),
            "mean_probability": float(np.mean(p_true[sel])),
        }
    return out


def per_family_metrics(proba, y, labels: Sequence[str], families: Sequence[str] | None = None) -> dict:
    """``{family: {n, models, top1, family_accuracy}}``.

    ``top1`` is the exact-model accuracy over the family's curves;
    ``family_accuracy`` counts a prediction right when the predicted model is
    in the true model's family.
    """
    proba, y = _check(proba, y)
    families = np.asarray(list(families) if families is not None else families_of(labels), dtype=object)
    pred = proba.argmax(axis=1)
    true_family = families[y]
    pred_family = families[pred]
    out = {}
    for family in sorted(set(families.tolist()), key=family_sort_key):
        sel = true_family == family
        n = int(sel.sum())
        if not n:
            continue
        out[family] = {
            "n": n,
            "models": int(np.sum(families == family)),
            "top1": float(np.mean(pred[sel] == y[sel])),
            "family_accuracy": float(np.mean(pred_family[sel] == family)),
        }
    return out


def factor_metrics(proba, y, labels: Sequence[str], families: Sequence[str] | None = None) -> dict:
    """How well the form factor and the structure factor are named, each on its own, from
    the pair probabilities of a classifier whose labels include products ``F@S``
    (:func:`sasnets.classifier.factors.factor_probabilities`).

    Keys: ``form_factor`` {top1, top3, top5} (the true form factor among the most probable
    form factors, whatever the structure factor); ``structure_factor`` {accuracy}, the most
    probable structure factor (``none`` included) is the true one; ``per_structure_factor``
    {S: {n, structure_factor_accuracy, form_factor_top1}} by the true structure factor;
    ``per_family`` {family: {n, form_factor_top1, structure_factor_accuracy}} by the true
    form factor's family.
    """
    from ..classifier.factors import factor_probabilities, split_label

    proba, y = _check(proba, y)
    forms, p_form, structures, p_structure = factor_probabilities(proba, labels)
    pairs = [split_label(label) for label in labels]
    true_form = np.array([forms.index(pairs[j][0]) for j in y], dtype=np.int64)
    true_structure = np.array([structures.index(pairs[j][1]) for j in y], dtype=np.int64)
    form_ranks = true_ranks(p_form, true_form)
    structure_right = p_structure.argmax(axis=1) == true_structure if len(y) else np.zeros(0, bool)
    form_right = form_ranks <= 1
    out = {"form_factor": {f"top{k}": float(np.mean(form_ranks <= k)) if len(y) else float("nan") for k in (1, 3, 5)},
           "structure_factor": {"accuracy": float(np.mean(structure_right)) if len(y) else float("nan")},
           "structure_factors": structures, "per_structure_factor": {}, "per_family": {}}
    for s, name in enumerate(structures):
        sel = true_structure == s
        if sel.any():
            out["per_structure_factor"][name] = {"n": int(sel.sum()),
                                                 "structure_factor_accuracy": float(np.mean(structure_right[sel])),
                                                 "form_factor_top1": float(np.mean(form_right[sel]))}
    families = np.asarray(list(families) if families is not None else families_of(labels), dtype=object)
    true_family = families[y]
    for family in sorted(set(true_family.tolist()), key=family_sort_key):
        sel = true_family == family
        out["per_family"][family] = {"n": int(sel.sum()), "form_factor_top1": float(np.mean(form_right[sel])),
                                     "structure_factor_accuracy": float(np.mean(structure_right[sel]))}
    return out


def evaluate_probabilities(proba, y, labels: Sequence[str], families: Sequence[str] | None = None,
                           temperature: float | None = None) -> dict:
    """All metrics ``sasnets evaluate`` reports, as one JSON-ready dict.

    Keys: ``n``, ``n_models``, ``top1``, ``top3``, ``top5`` (fractions),
    ``mean_rank``, ``nll``, ``credible68``/``credible95`` (coverage, mean and
    median set size), ``rejected95`` (mean number of models outside the 95 %
    set), ``ece``, ``per_model``, ``per_family`` and, when given,
    ``temperature``; for labels that include products ``F@S``, ``factors``
    (:func:`factor_metrics`).
    """
    proba, y = _check(proba, y)
    labels = [str(label) for label in labels]
    if proba.shape[1] != len(labels):
        raise ValueError(f"{proba.shape[1]} probability columns for {len(labels)} labels")
    families = list(families) if families is not None else families_of(labels)
    ranks = true_ranks(proba, y)
    c68 = credible_set_stats(proba, y, 0.68)
    c95 = credible_set_stats(proba, y, 0.95)
    metrics = {
        "n": int(len(y)),
        "n_models": len(labels),
        "top1": float(np.mean(ranks <= 1)) if len(y) else float("nan"),
        "top3": float(np.mean(ranks <= 3)) if len(y) else float("nan"),
        "top5": float(np.mean(ranks <= 5)) if len(y) else float("nan"),
        "mean_rank": float(np.mean(ranks)) if len(y) else float("nan"),
        "nll": negative_log_likelihood(proba, y) if len(y) else float("nan"),
        "credible68": c68,
        "credible95": c95,
        "rejected95": float(len(labels) - c95["mean_size"]),
        "ece": expected_calibration_error(proba, y),
        "per_model": per_model_metrics(proba, y, labels),
        "per_family": per_family_metrics(proba, y, labels, families),
    }
    if any("@" in label for label in labels):
        metrics["factors"] = factor_metrics(proba, y, labels, families)
    if temperature is not None:
        metrics["temperature"] = float(temperature)
    return metrics

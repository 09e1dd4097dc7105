"""The fixture data the checks run on: a small dataset and a synthetic evaluation."""
from __future__ import annotations

import numpy as np

#: the scattering models of :func:`fixture_batch`, in curve order (repeated four times)
FIXTURE_MODELS = ("sphere", "cylinder", "lamellar")


def fixture_batch():
    """A deterministic ragged :class:`~sasnets.data.CurveBatch` of 12 curves.

    Curve ``i`` (``i = 0..11``) is a ``FIXTURE_MODELS[i % 3]`` curve of
    ``20 + 5 * (i % 3)`` points (three lengths, so stores must keep ragged
    curves apart) on ``q = logspace(-3, -0.5)``, with ``dq = 0.05 q``, random
    ``iq`` in ``[0.1, 1.1)`` and ``diq = 0.02 iq``; its seed is ``1000 + i`` and
    its generation index ``i // 3`` (so each model has indices 0..3).  Its
    parameters mix float values (``scale``, ``radius = 10 + i``, ``sld``,
    a value without a short decimal form) and a string (``radius_pd_type``), as
    sasmodels parameters do.  Every call returns an equal, independent batch.
    """
    from ..data.curves import Curve, CurveBatch

    rng = np.random.default_rng(0)
    curves = []
    for i in range(12):
        model = FIXTURE_MODELS[i % 3]
        n = 20 + 5 * (i % 3)
        q = np.logspace(-3, -0.5, n)
        iq = rng.random(n) + 0.1
        params = {"scale": 1.0, "radius": float(10 + i), "sld": 1.0 / 3.0 + i,
                  "radius_pd_type": ("gaussian", "schulz", "lognormal")[i % 3]}
        curves.append(Curve(q=q, iq=iq, diq=iq * 0.02, dq=q * 0.05, model=model, params=params,
                            seed=1000 + i, index=i // 3))
    return CurveBatch.from_curves(curves)


def synthetic_result(k: int = 12, per: int = 15, seed: int = 0, embeddings: bool = True):
    """A deterministic :class:`~sasnets.analysis.evaluate.EvaluationResult` for analyzers.

    ``per`` curves of each of the first ``k`` sasmodels models (``k = 83``
    gives every model), with probabilities that favour the true model and
    confuse each model with the next one, the metrics sasnets computes from
    them, model families, and (``embeddings=True``) 8-dimensional embeddings
    clustered by model.  Needs sasmodels, no classifier and no TensorFlow.
    """
    from sasmodels.core import list_models

    from ..analysis.evaluate import EvaluationResult
    from ..analysis.families import families_of
    from ..analysis.metrics import evaluate_probabilities

    labels = list_models()[:k]
    fam = families_of(labels)
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), per)
    logits = rng.normal(0, 1, (len(y), k))
    logits[np.arange(len(y)), y] += 2.5
    logits[np.arange(len(y)), (y + 1) % k] += 1.5  # each model confused with the next one
    p = np.exp(logits)
    p /= p.sum(1, keepdims=True)
    emb = rng.normal(0, 1, (len(y), 8)) + 3 * rng.normal(0, 1, (k, 8))[y] if embeddings else None
    return EvaluationResult(labels=labels, y=y, proba=p, metrics=evaluate_probabilities(p, y, labels, fam, 1.0),
                            families=fam, embeddings=emb, info={"architecture": "synthetic", "tag": "test", "seed": 1})

"""Warm start: a new training run that begins from a trained classifier's weights.

Training a classifier for more (or other) scattering models need not start
from random weights: every layer of the source network is copied into the new
one, and the output layer's row of each new label starts from the source's
row for the same label, or for its form factor when the label is a product
``F@S`` the source did not have (so ``sphere@hayter_msa`` starts as
``sphere``, and training teaches the network what S(q) changes).  Labels with
neither start as the architecture initialises them.  The run then trains as
any other (its own schedule, augmentation and seed); ``--resume`` continues
it from its own checkpoints, not from the source.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..errors import UsageError

__all__ = ["source_label_rows", "copy_weights", "warm_start_defaults"]


def source_label_rows(labels: Sequence[str], source_labels: Sequence[str]) -> list:
    """For each new label, the index of the source label its output row starts from (or ``None``)."""
    index = {name: i for i, name in enumerate(source_labels)}
    return [index.get(name, index.get(name.split("@")[0])) for name in labels]


def warm_start_defaults(source, *, arch, hyper, qgrid, preprocess) -> tuple:
    """``(arch, hyper, qgrid, preprocess)`` of a run warm-started from ``source``:
    those not given are the source's; given ones must agree with it, since the
    weights are copied layer by layer."""
    arch = arch or source.architecture
    if arch != source.architecture:
        raise UsageError(f"--init-from: the classifier {source.path!r} is a {source.architecture} network; "
                         f"a warm start needs the same architecture (drop --arch {arch}).")
    merged = {**source.meta.hyper, **(hyper or {})}
    if merged != source.meta.hyper:
        raise UsageError(f"--init-from: the classifier {source.path!r} was built with hyper-parameters "
                         f"{source.meta.hyper}; a warm start copies its layers, so drop --hyper.")
    qgrid = source.qgrid_spec if qgrid is None else qgrid
    preprocess = source.preprocess_spec if preprocess is None else preprocess
    if getattr(qgrid, "nq", None) != source.qgrid_spec.nq or \
            tuple(preprocess.channels) != tuple(source.preprocess_spec.channels):
        raise UsageError(f"--init-from: the network of {source.path!r} reads {source.qgrid_spec.nq} q points with "
                         f"channels {','.join(source.preprocess_spec.channels)}; give the same --nq and --channels "
                         "(or leave them out).")
    return arch, merged, qgrid, preprocess


def copy_weights(network, source, labels: Sequence[str]) -> dict:
    """Copy ``source``'s network (a :class:`~sasnets.classifier.Classifier`) into
    ``network`` (built for ``labels``); returns what was copied, for the run's record."""
    src_layers = [layer for layer in source.network.layers if layer.weights]
    dst_layers = [layer for layer in network.layers if layer.weights]
    if len(src_layers) != len(dst_layers):
        raise UsageError(f"--init-from: the network of {source.path!r} has {len(src_layers)} layers with weights, "
                         f"the new one {len(dst_layers)}; they are not the same architecture.")
    rows = source_label_rows(labels, source.labels)
    shared = _sharing(rows)
    for k, (src, dst) in enumerate(zip(src_layers, dst_layers)):
        values = src.get_weights()
        if k == len(dst_layers) - 1:  # the output layer: one row per label
            dst.set_weights([_map_rows(v, c, rows, shared, len(source.labels)) for v, c in zip(values, dst.get_weights())])
        elif [v.shape for v in values] == [tuple(w.shape) for w in dst.weights]:
            dst.set_weights(values)
        else:
            raise UsageError(f"--init-from: layer {dst.name!r} of the new network does not match "
                             f"{src.name!r} of {source.path!r}; they are not the same architecture.")
    return {"source": source.path, "labels_from_source": sum(r is not None for r in rows),
            "labels_new": sum(r is None for r in rows), "most_sharing_one_row": max(shared.values(), default=0)}


def _sharing(rows: list) -> dict:
    """source row -> how many new labels start from it."""
    out: dict = {}
    for r in rows:
        if r is not None:
            out[r] = out.get(r, 0) + 1
    return out


def _map_rows(source_value: np.ndarray, current: np.ndarray, rows: list, shared: dict, n_src: int) -> np.ndarray:
    """The new output layer's ``current`` weight with, along its label axis,
    each label's source row; a bias is lowered by log(labels sharing the row),
    so the labels that start from one source label share its probability."""
    if source_value.shape[-1] != n_src or source_value.shape[:-1] != current.shape[:-1]:
        return current
    out = np.array(current, copy=True)
    for j, r in enumerate(rows):
        if r is None:
            continue
        out[..., j] = source_value[..., r]
        if out.ndim == 1:
            out[j] -= math.log(shared[r])
    return out

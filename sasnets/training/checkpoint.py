"""Checkpoints that let ``sasnets train --resume`` continue exactly.

After every epoch the run directory's ``checkpoint/`` receives a new folder
``epoch-NNNN/`` with

* ``variables.npz`` - every variable of the network (weights, batch-norm
  statistics, dropout random-generator states) and of the optimizer
  (iteration count, moments), in their creation order;
* ``best.npz`` - the network variables of the best epoch so far;
* ``state.json`` - epochs done, history, best epoch, early-stopping counter.

The folder is written under a temporary name and renamed, then
``checkpoint/latest`` (a one-line file naming it) is replaced atomically, and
only then are older folders removed: a run killed at any moment leaves a
complete checkpoint to resume from.  The run's plan (architecture, options,
labels, q-grid) is ``checkpoint/plan.json``, written once at the start.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from .._jsonio import write_json_atomic

__all__ = ["RunState", "save_checkpoint", "load_checkpoint", "latest_checkpoint", "network_variables",
           "optimizer_variables", "assign_variables", "PLAN_FILE"]

PLAN_FILE = "plan.json"


def network_variables(model) -> list:
    """Every variable of ``model``: weights, statistics and random-generator states."""
    return list(model.variables)


def optimizer_variables(model) -> list:
    return list(model.optimizer.variables) if getattr(model, "optimizer", None) is not None else []


def _values(variables) -> list:
    return [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in variables]


def assign_variables(variables, values, what: str, where: str) -> None:
    """Assign saved ``values`` to ``variables`` in order, checking shapes."""
    if len(variables) != len(values):
        raise DataError(f"The checkpoint in {where!r} holds {len(values)} {what} variables but the network has "
                        f"{len(variables)}; it was written by a different architecture or sasnets version.")
    for var, value in zip(variables, values):
        if tuple(var.shape) != tuple(value.shape):
            raise DataError(f"The checkpoint in {where!r} does not match the network ({what} variable {var.path}: "
                            f"{tuple(value.shape)} vs {tuple(var.shape)}).")
        var.assign(value)


def _save_npz(path: str, arrays: dict) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


@dataclass
class RunState:
    """How far a run has got; a checkpoint's ``state.json`` holds it (the
    field names are that file's keys, so checkpoints of earlier runs resume)."""

    epoch: int = 0
    history: list = field(default_factory=list)
    best_epoch: int = 0
    best_val_accuracy: float = -1.0
    #: epochs since the best one (early stopping counts them)
    wait: int = 0
    stopped_early: bool = False
    #: training seconds of every epoch so far
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RunState":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def save_checkpoint(directory: str, model, best_values: list | None, state: RunState) -> str:
    """Write the checkpoint of the epoch in ``state.epoch``; returns its folder."""
    os.makedirs(directory, exist_ok=True)
    name = f"epoch-{int(state.epoch):04d}"
    final = os.path.join(directory, name)
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    net = _values(network_variables(model))
    opt = _values(optimizer_variables(model))
    _save_npz(os.path.join(tmp, "variables.npz"),
              {**{f"net_{i:05d}": v for i, v in enumerate(net)}, **{f"opt_{i:05d}": v for i, v in enumerate(opt)}})
    if best_values is not None:
        _save_npz(os.path.join(tmp, "best.npz"), {f"net_{i:05d}": v for i, v in enumerate(best_values)})
    write_json_atomic(os.path.join(tmp, "state.json"), state.to_dict())
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    latest = os.path.join(directory, "latest")
    with open(latest + ".tmp", "w") as fh:
        fh.write(name + "\n")
    os.replace(latest + ".tmp", latest)
    for entry in os.listdir(directory):
        if entry.startswith("epoch-") and entry != name:
            shutil.rmtree(os.path.join(directory, entry), ignore_errors=True)
    return final


def latest_checkpoint(directory: str) -> str | None:
    """The folder of the newest complete checkpoint in ``directory``, or ``None``."""
    try:
        with open(os.path.join(directory, "latest")) as fh:
            name = fh.read().strip()
    except OSError:
        return None
    folder = os.path.join(directory, name)
    return folder if os.path.exists(os.path.join(folder, "state.json")) else None


def load_checkpoint(folder: str):
    """``(network values, optimizer values, best values or None, state)`` from a checkpoint folder."""
    try:
        with np.load(os.path.join(folder, "variables.npz")) as z:
            net = [z[k] for k in sorted(k for k in z.files if k.startswith("net_"))]
            opt = [z[k] for k in sorted(k for k in z.files if k.startswith("opt_"))]
        best = None
        if os.path.exists(os.path.join(folder, "best.npz")):
            with np.load(os.path.join(folder, "best.npz")) as z:
                best = [z[k] for k in sorted(z.files)]
        with open(os.path.join(folder, "state.json")) as fh:
            state = RunState.from_dict(json.load(fh))
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"The checkpoint in {folder!r} cannot be read ({exc}); train again with --overwrite.") from None
    return net, opt, best, state

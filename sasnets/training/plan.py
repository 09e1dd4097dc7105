"""The plan of a training run: its settings, fixed before any data is read, and saved for resume.

A new run resolves its settings (:class:`RunPlan`) from the options given,
the architecture's recipe and the library defaults, and saves them with what
the data fixed (labels, q-grid, mode) as the checkpoint's ``plan.json``
(:func:`write_plan`); ``--resume`` reads them back (:func:`plan_run`), refusing
options that differ, so a resumed run continues with exactly the settings it
started with.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Sequence

from .._jsonio import write_json_atomic
from ..data.augment import AugmentSpec
from ..data.preprocess import PreprocessSpec
from ..data.qgrid import QGrid
from ..errors import UsageError
from ..networks.base import Architecture, Recipe, get_architecture
from .checkpoint import PLAN_FILE
from .data import TrainingData, strip_password

__all__ = ["RunPlan", "plan_run", "write_plan"]


@dataclass(frozen=True)
class RunPlan:
    """The settings of one training run, fixed before any data is read.

    A new run resolves them from the options given, the architecture's
    recipe and the library defaults; a resumed run reads them from the
    checkpoint's ``plan.json``, so that it continues with exactly the
    settings it started with.
    """

    architecture: Architecture
    recipe: Recipe
    #: the keyword arguments of ``architecture.build``
    hyper: dict
    tag: str
    val_tag: str | None
    val_fraction: float
    #: the scattering models asked for (a new run; ``None`` on resume, where ``labels`` fix them)
    models: Sequence[str] | None
    seed: int
    #: ``None``: :func:`~sasnets.training.data.prepare_data` chooses a grid for the data
    qgrid: QGrid | None
    preprocess: PreprocessSpec
    augment: AugmentSpec
    #: the label order of a resumed run; ``None`` for a new run
    labels: list | None
    #: ``None``: stream when the data would not fit in memory
    stream: bool | None
    resumed: bool
    #: a resumed run given more epochs than it was planned with (``--resume --epochs N``)
    extended: bool = False
    #: the classifier a new run started from (``--init-from``; :mod:`sasnets.training.warm_start`)
    init_from: str | None = None

    @property
    def hyper_json(self) -> dict:
        """``hyper`` as JSON holds it (lists, not tuples), as saved in the plan and the classifier."""
        return json.loads(json.dumps(self.hyper, default=list))


def plan_run(ckpt_dir: str, resume: bool, *, arch, tag, val_tag, val_fraction, models, hyper, seed, stream,
              qgrid, preprocess, augment, recipe_options: dict, init_from: str | None = None) -> RunPlan:
    """The :class:`RunPlan` of a new run, or of the run saved in ``ckpt_dir``
    when resuming (checking that the options given, those not ``None``,
    agree with it).  ``recipe_options`` are the :class:`Recipe` fields given."""
    qgrid, preprocess, augment = _coerce_specs(qgrid, preprocess, augment)
    if resume:
        given = {"architecture": arch, "tag": tag if tag != "train" else None, "val_tag": val_tag,
                 "val_fraction": val_fraction, "models": sorted(models) if models else None, "hyper": hyper,
                 "seed": seed}
        return _resumed_plan(ckpt_dir, given, recipe_options,
                             {"qgrid": qgrid, "preprocess": preprocess, "augment": augment})
    architecture = get_architecture(arch)
    recipe = architecture.recipe.replace(**{k: v for k, v in recipe_options.items() if v is not None})
    hyper_used = architecture.hyper(**(hyper or {}))
    seed = 0 if seed is None else int(seed)
    val_fraction = 0.1 if val_fraction is None else float(val_fraction)
    if preprocess is None:
        preprocess = PreprocessSpec(channels=recipe.channels) if recipe.channels else PreprocessSpec()
    if augment is None:
        augment = AugmentSpec() if recipe.augment else AugmentSpec.off()
    return RunPlan(architecture=architecture, recipe=recipe, hyper=hyper_used, tag=tag, val_tag=val_tag,
                   val_fraction=val_fraction, models=models, seed=seed, qgrid=qgrid, preprocess=preprocess,
                   augment=augment, labels=None, stream=stream, resumed=False, init_from=init_from)


def _coerce_specs(qgrid, preprocess, augment) -> tuple:
    """``(qgrid, preprocess, augment)`` as spec objects, from the objects,
    dicts or (``augment``) booleans :func:`train` accepts; ``None`` stays
    ``None``, meaning "from the recipe, or the saved run"."""
    if isinstance(qgrid, dict):
        qgrid = QGrid.from_dict(qgrid)
    if isinstance(preprocess, dict):
        preprocess = PreprocessSpec.from_dict(preprocess)
    if isinstance(augment, dict):
        augment = AugmentSpec.from_dict(augment)
    elif augment is True:
        augment = AugmentSpec()
    elif augment is False:
        augment = AugmentSpec.off()
    return qgrid, preprocess, augment


def _resumed_plan(ckpt_dir: str, given: dict, recipe_given: dict, specs: dict) -> RunPlan:
    """The :class:`RunPlan` saved in ``ckpt_dir``'s ``plan.json``, after
    checking that the options ``given``, the recipe fields ``recipe_given``
    and the spec objects ``specs`` agree with it (``None`` agrees with all).
    More epochs than the saved run's extend it (``plan.extended``); fewer
    are refused like any other difference."""
    with open(os.path.join(ckpt_dir, PLAN_FILE)) as fh:
        saved = json.load(fh)
    _check_same(saved, given)
    epochs = recipe_given.get("epochs")
    extended = epochs is not None and int(epochs) > int(saved["recipe"]["epochs"])
    _check_same(saved["recipe"], {**recipe_given, "epochs": None} if extended else recipe_given)
    for key, value in specs.items():
        if value is not None and value.to_dict() != saved[key]:
            raise UsageError(f"--resume continues the saved run; its {key} differs from the one given. "
                             "Drop that option or start a new run with --overwrite.")
    recipe = Recipe.from_dict(saved["recipe"])
    return RunPlan(architecture=get_architecture(saved["architecture"]),
                   recipe=recipe.replace(epochs=int(epochs)) if extended else recipe,
                   qgrid=QGrid.from_dict(saved["qgrid"]), preprocess=PreprocessSpec.from_dict(saved["preprocess"]),
                   augment=AugmentSpec.from_dict(saved["augment"]), hyper=saved["hyper"], seed=saved["seed"],
                   labels=saved["labels"], stream=saved["streaming"], tag=saved["tag"], val_tag=saved["val_tag"],
                   val_fraction=saved["val_fraction"], models=None, resumed=True, extended=extended,
                   init_from=saved.get("init_from"))


def _check_same(plan: dict, given: dict) -> None:
    """Refuse a resume whose given option (one not ``None``) differs from the saved ``plan``'s."""
    for key, value in given.items():
        if value is None:
            continue
        saved = plan.get(key)
        if json.loads(json.dumps(value, default=list)) != saved:
            raise UsageError(f"--resume continues the saved run, whose {key} is {saved!r}, not {value!r}; "
                             "drop that option or start a new run with --overwrite.")


def write_plan(ckpt_dir: str, plan: RunPlan, data: TrainingData, store_url: str) -> None:
    """Save a new run's plan as ``plan.json`` in ``ckpt_dir``, with what the
    data fixed (labels, q-grid, mode), so :func:`_resumed_plan` can continue
    it.  The keys are the file format: runs saved earlier must stay resumable."""
    saved = {
        "architecture": plan.architecture.name, "hyper": plan.hyper_json,
        "recipe": plan.recipe.to_dict(), "tag": plan.tag, "val_tag": plan.val_tag, "val_fraction": plan.val_fraction,
        "models": sorted(plan.models) if plan.models else None, "seed": plan.seed, "labels": data.labels,
        "qgrid": data.qgrid.to_dict(), "preprocess": plan.preprocess.to_dict(), "augment": plan.augment.to_dict(),
        "streaming": data.streaming, "store": strip_password(store_url), "init_from": plan.init_from,
    }
    os.makedirs(ckpt_dir, exist_ok=True)
    write_json_atomic(os.path.join(ckpt_dir, PLAN_FILE), saved)

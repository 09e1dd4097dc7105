"""Hyper-parameter search with optuna: :func:`tune`.

The study lives in ``OUTDIR/study.db`` (SQLite), so an interrupted search
resumes where it stopped when called again: finished and pruned trials are
kept and only the missing ones run.  Each trial trains a classifier briefly
(``trial_epochs``) into ``OUTDIR/trials/NNNN/`` with hyper-parameters drawn
from the architecture's ``search_space`` (plus the learning rate and label
smoothing when the architecture does not define one), reports validation
accuracy after every epoch so that optuna's median pruner can stop hopeless
trials, and the best trial's classifier is copied to ``OUTDIR/best/``.
The sampler is seeded (TPE with ``seed``): the same seed proposes the same
trials.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil

from ..errors import UsageError
from ..networks.base import get_architecture
from .._jsonio import write_json_atomic
from ..progress import ProgressCallback, notifier
from ..classifier import Classifier, load_classifier

__all__ = ["tune", "STUDY_NAME"]

STUDY_NAME = "sasnets-tune"


def _default_space(trial) -> dict:
    return {"hyper": {},
            "recipe": {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True),
                       "label_smoothing": trial.suggest_float("label_smoothing", 0.0, 0.2)}}


class _Pruned(Exception):
    pass


def tune(store, outdir: str, *, arch: str | None = None, trials: int = 20, trial_epochs: int = 5,
         seed: int = 0, progress: ProgressCallback | None = None, timeout: float | None = None,
         **train_options) -> Classifier:
    """Search hyper-parameters of ``arch`` on ``store``; returns the best classifier.

    ``train_options`` go to every trial's :func:`sasnets.training.train.train`
    (tag, val_tag, val_fraction, models, qgrid, preprocess, augment, threads,
    stream, ...).  Calling again with the same ``outdir`` resumes the study;
    raising ``trials`` runs more.
    """
    import optuna

    from .train import train

    notify = notifier(progress)
    if trials < 1:
        raise UsageError(f"Run at least one trial (--trials), got {trials}.")
    if trial_epochs < 1:
        raise UsageError(f"Each trial needs at least one epoch (--trial-epochs), got {trial_epochs}.")
    outdir = os.fspath(outdir)
    if os.path.isfile(outdir):
        raise UsageError(f"Output path {outdir!r} is a file; give a directory for the search (-o).")
    os.makedirs(outdir, exist_ok=True)
    architecture = get_architecture(arch)
    settings_file = os.path.join(outdir, "tune.json")
    settings = {"architecture": architecture.name, "trial_epochs": int(trial_epochs), "seed": int(seed),
                "store": os.fspath(store) if isinstance(store, (str, os.PathLike)) else getattr(store, "url", "?")}
    if os.path.exists(settings_file):
        with open(settings_file) as fh:
            saved = json.load(fh)
        for key in ("architecture", "trial_epochs", "seed"):
            if saved.get(key) != settings[key]:
                raise UsageError(f"{outdir!r} holds a search with {key} {saved.get(key)!r}, not {settings[key]!r}; "
                                 "use the same options to resume it or another output directory.")
    write_json_atomic(settings_file, settings)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{os.path.abspath(os.path.join(outdir, 'study.db'))}"
    study = optuna.create_study(study_name=STUDY_NAME, storage=storage, direction="maximize", load_if_exists=True,
                                sampler=optuna.samplers.TPESampler(seed=int(seed)),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1))
    # trials left RUNNING by an interrupted search will never report: mark them failed
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        try:
            study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
        except Exception:  # a storage without this method: the stale trial just stays RUNNING
            pass
    space = architecture.search_space or _default_space
    counted = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)

    def objective(trial):
        drawn = space(trial)
        trial_dir = os.path.join(outdir, "trials", f"{trial.number:04d}")

        def report(event):
            if progress is not None:
                progress(dataclasses.replace(event, info={**event.info, "trial": trial.number}))
            if event.stage == "epoch_end":
                record = event.info["record"]
                trial.report(record["val_accuracy"], record["epoch"] - 1)
                if trial.should_prune():
                    raise _Pruned()

        recipe = drawn.get("recipe", {})
        try:
            clf = train(store, trial_dir, arch=architecture.name, hyper=drawn.get("hyper") or None,
                        epochs=int(trial_epochs), patience=int(trial_epochs), seed=int(seed) + trial.number,
                        overwrite=os.path.exists(trial_dir), learning_rate=recipe.get("learning_rate"),
                        label_smoothing=recipe.get("label_smoothing"), batch_size=recipe.get("batch_size"),
                        tensorboard=False, progress=report, **train_options)
        except _Pruned:
            raise optuna.TrialPruned() from None
        trial.set_user_attr("classifier", trial_dir)
        trial.set_user_attr("drawn", json.loads(json.dumps(drawn, default=list)))
        return clf.metrics["val_accuracy"]

    done = len(study.get_trials(deepcopy=False, states=counted))
    remaining = max(int(trials) - done, 0)
    notify("tune_start", done, int(trials), remaining=remaining)
    if remaining:
        study.optimize(objective, n_trials=remaining, timeout=timeout, catch=(),
                       callbacks=[lambda s, t: notify("trial_end", len(s.get_trials(deepcopy=False, states=counted)),
                                                      int(trials), trial=t.number, state=t.state.name, value=t.value,
                                                      params=t.params)])
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise UsageError(f"No trial of the search in {outdir!r} finished; run more trials (--trials).")
    best = max(complete, key=lambda t: t.value)
    best_dir = os.path.join(outdir, "best")
    source = best.user_attrs["classifier"]
    tmp = best_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp, ignore=shutil.ignore_patterns("checkpoint", "logs"))
    meta_file = os.path.join(tmp, "classifier.json")
    with open(meta_file) as fh:
        meta = json.load(fh)
    meta.setdefault("training", {})["tune"] = {"trial": best.number, "value": best.value, "params": best.params,
                                                "trials": len(study.trials), "study": storage}
    write_json_atomic(meta_file, meta)
    shutil.rmtree(best_dir, ignore_errors=True)
    os.replace(tmp, best_dir)
    notify("tune_done", int(trials), int(trials), best_trial=best.number, value=best.value, params=best.params)
    return load_classifier(best_dir)


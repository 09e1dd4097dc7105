"""Train a classifier from a store: :func:`train`.

One call reads the training tag (in memory or streamed), builds the chosen
architecture, trains it epoch by epoch with fresh augmentation, checkpoints
after every epoch, stops early when validation accuracy stops improving,
calibrates a softmax temperature on the validation curves and writes the
classifier directory (:mod:`sasnets.classifier`).  ``resume=True``
continues an interrupted run from its last checkpoint exactly: the network,
optimizer and random-generator states are restored and each epoch's data
depends only on ``(seed, epoch)``.

The function reports progress through an optional ``progress`` callable
(:class:`~sasnets.progress.Progress` events; stages ``data``, ``start``,
``epoch_begin``, ``batch`` (steps of the epoch), ``epoch_end`` (epochs of the
run; ``info["record"]`` is the epoch's history record), ``done``) and never
prints.

:func:`train` is a sequence of steps, in this order: plan the run
(:func:`~sasnets.training.plan.plan_run`: the options resolved into a :class:`RunPlan`, read from
the checkpoint's ``plan.json`` on resume), read the data, save the plan,
build the network (:func:`_build_network`), restore the checkpoint, run the
epochs (:func:`_run_epochs`) and write the classifier
(:func:`sasnets.training._artifacts.write_classifier`).
"""
from __future__ import annotations

import os
import shutil
import time
from typing import Sequence

import numpy as np

from ..data.augment import AugmentSpec
from ..data.preprocess import PreprocessSpec
from ..data.qgrid import QGrid
from ..errors import DataError, UsageError
from ..classifier import ARTIFACTS, Classifier, resolve_classifier
from ..networks.base import make_loss, make_optimizer
from ._artifacts import fit_temperature, versions, write_classifier, write_history
from .checkpoint import (RunState, assign_variables, latest_checkpoint, load_checkpoint, network_variables,
                         optimizer_variables, save_checkpoint)
from .data import TrainingData, prepare_data
from ..progress import ProgressCallback, notifier
from .plan import RunPlan, plan_run, write_plan
from .warm_start import copy_weights, warm_start_defaults

__all__ = ["train", "configure_backend", "fit_temperature", "versions"]

CHECKPOINT_DIR = "checkpoint"


def configure_backend(seed: int, threads: int | None = None, deterministic: bool = True) -> None:
    """Seed every random generator Keras uses and, on TensorFlow, set the CPU
    thread count and deterministic kernels (must run before TensorFlow starts
    working for the thread count to take effect)."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if threads:
            try:
                tf.config.threading.set_intra_op_parallelism_threads(int(threads))
                tf.config.threading.set_inter_op_parallelism_threads(min(int(threads), 2))
            except RuntimeError:  # TensorFlow already initialised in this process
                pass
        if deterministic:
            tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(int(seed) & 0x7FFFFFFF)


def train(store, outdir: str, *, arch: str | None = None, tag: str = "train", val_tag: str | None = None,
          val_fraction: float | None = None, models: Sequence[str] | None = None,
          epochs: int | None = None, batch_size: int | None = None, learning_rate: float | None = None,
          label_smoothing: float | None = None, marginal_weight: float | None = None, patience: int | None = None,
          hyper: dict | None = None, qgrid: QGrid | dict | None = None, preprocess: PreprocessSpec | dict | None = None,
          augment: bool | AugmentSpec | dict | None = None, seed: int | None = None,
          resume: bool = False, overwrite: bool = False, distribute: bool = False,
          stream: bool | None = None, memory_limit: int | None = None, tensorboard: bool = True,
          threads: int | None = None, deterministic: bool = True, calibrate: bool = True, jit_compile: bool = False,
          max_epochs_this_call: int | None = None, init_from=None,
          progress: ProgressCallback | None = None) -> Classifier:
    """Train a classifier on tag ``tag`` of ``store`` and save it to ``outdir``.

    ``store`` is a store URL (``data.h5``, ``postgresql://…``) or an open
    store.  Options left ``None`` take the architecture's recipe
    (:class:`sasnets.networks.Recipe`) or the library defaults; with
    ``resume=True`` they are read from the interrupted run, and giving a
    different value is an error.  ``max_epochs_this_call`` stops after that
    many epochs in this call (the run stays resumable), which tests and
    time-boxed jobs use.  ``init_from`` (a classifier or its path) starts a
    new run from that classifier's weights (:mod:`sasnets.training.warm_start`;
    architecture, hyper-parameters, q-grid and channels default to its own).
    Returns the trained :class:`Classifier`.
    """
    notify = notifier(progress)
    outdir = os.fspath(outdir)
    store_url = _store_url(store)
    _prepare_outdir(outdir, resume, overwrite)
    ckpt_dir = os.path.join(outdir, CHECKPOINT_DIR)
    source = None
    if init_from is not None:
        if resume:
            raise UsageError("--init-from starts a new run from a classifier; a resumed run continues from its own "
                             "checkpoint, so drop --init-from.")
        source = resolve_classifier(init_from)
        arch, hyper, qgrid, preprocess = warm_start_defaults(source, arch=arch, hyper=hyper, qgrid=qgrid,
                                                             preprocess=preprocess)
    plan = plan_run(ckpt_dir, resume, arch=arch, tag=tag, val_tag=val_tag, val_fraction=val_fraction, models=models,
                     hyper=hyper, seed=seed, stream=stream, qgrid=qgrid, preprocess=preprocess, augment=augment,
                     recipe_options={"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
                                     "label_smoothing": label_smoothing, "marginal_weight": marginal_weight,
                                     "patience": patience},
                    init_from=os.path.abspath(source.path) if source is not None and source.path else None)
    configure_backend(plan.seed, threads, deterministic)
    data = _read_data(plan, store_url, memory_limit, progress)
    if not plan.resumed:
        write_plan(ckpt_dir, plan, data, store_url)
    strategy = _strategy(distribute)
    model = _build_network(plan, data, strategy, jit_compile)
    state, best_values = _restore_checkpoint(model, ckpt_dir) if plan.resumed else (RunState(), None)
    if source is not None:
        warm = copy_weights(model, source, data.labels)
        notify("warm_start", 0, None, f"starting from {source.path}: {warm['labels_from_source']} of "
               f"{len(data.labels)} labels from its rows", **warm)
    if plan.extended:
        if state.stopped_early:
            raise UsageError(f"The run in {outdir!r} stopped early at epoch {state.epoch} (validation accuracy "
                             f"stopped improving after epoch {state.best_epoch}); more epochs would not train it "
                             "further. Start a new run (--overwrite) to train longer.")
        write_plan(ckpt_dir, plan, data, store_url)  # a later --resume continues the longer run
    best_values = _run_epochs(model, data, plan, state, best_values, outdir=outdir, ckpt_dir=ckpt_dir,
                              tensorboard=tensorboard, max_epochs_this_call=max_epochs_this_call, notify=notify)
    clf = write_classifier(outdir, model, best_values, state, plan, data, ckpt_dir=ckpt_dir, distribute=distribute,
                           replicas=int(strategy.num_replicas_in_sync) if strategy is not None else 1,
                           deterministic=deterministic, calibrate=calibrate)
    notify("done", state.epoch, int(plan.recipe.epochs), finished=clf.meta.training["finished"],
           metrics=clf.meta.metrics, epochs_run=state.epoch)
    return clf


# -- the output directory -------------------------------------------------------

def _store_url(store) -> str:
    """The URL of ``store`` (a URL or path, or an open store), which the run
    reopens as it needs (streamed epochs reopen it every epoch)."""
    store_url = getattr(store, "url", None) if not isinstance(store, (str, os.PathLike)) else os.fspath(store)
    if not store_url:
        raise UsageError("Give the training data as a store URL or an open store.")
    return store_url


def _prepare_outdir(outdir: str, resume: bool, overwrite: bool) -> None:
    """Check that ``outdir`` may receive this run (a resume needs a
    checkpoint; an existing run is replaced only with ``overwrite``, which
    removes just the classifier's own files) and create it."""
    if resume and overwrite:
        raise UsageError("Pass either --resume or --overwrite, not both.")
    if os.path.isfile(outdir):
        raise UsageError(f"Output path {outdir!r} is a file; give a directory for the classifier (-o).")
    if resume:
        if latest_checkpoint(os.path.join(outdir, CHECKPOINT_DIR)) is None:
            raise UsageError(f"{outdir!r} has no training checkpoint to resume; run without --resume to start training.")
        return
    if os.path.isdir(outdir) and os.listdir(outdir):
        if not overwrite:
            raise UsageError(f"Output directory {outdir!r} already exists; pass --resume to continue its training "
                             "or --overwrite to replace it.")
        for name in ARTIFACTS:
            target = os.path.join(outdir, name)
            if os.path.isdir(target):
                shutil.rmtree(target)
            elif os.path.exists(target):
                os.remove(target)
    os.makedirs(outdir, exist_ok=True)


def _read_data(plan: RunPlan, store_url: str, memory_limit: int | None, progress) -> TrainingData:
    """The run's curves as :func:`~sasnets.training.data.prepare_data` gets
    them ready: labels, split, q-grid and the in-memory or streaming mode."""
    return prepare_data(
        store_url, tag=plan.tag, val_tag=plan.val_tag, val_fraction=plan.val_fraction, models=plan.models,
        qgrid=plan.qgrid, preprocess_spec=plan.preprocess, augment_spec=plan.augment,
        batch_size=int(plan.recipe.batch_size), seed=plan.seed, stream=plan.stream, memory_limit=memory_limit,
        labels=plan.labels, progress=progress)


# -- the network ------------------------------------------------------------------

def _strategy(distribute: bool):
    """The ``tf.distribute`` strategy of a ``distribute`` run (every GPU, else
    every CPU device), or ``None``."""
    if not distribute:
        return None
    import keras

    if keras.backend.backend() != "tensorflow":
        raise UsageError("--distribute needs the TensorFlow backend (KERAS_BACKEND=tensorflow).")
    import tensorflow as tf

    devices = [d.name for d in tf.config.list_logical_devices("GPU")] or \
              [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices=devices)


def _build_network(plan: RunPlan, data: TrainingData, strategy, jit_compile: bool):
    """The network to train, compiled with the recipe's optimizer and loss,
    under ``strategy`` when there is one.

    The optimizer is built here, so that its variables exist before a
    checkpoint is restored into them.
    """
    import keras

    def build_and_compile():
        model = plan.architecture.build(data.input_shape, len(data.labels), **plan.hyper)
        k = min(5, len(data.labels))
        model.compile(optimizer=make_optimizer(plan.recipe, data.steps_per_epoch),
                      loss=make_loss(plan.recipe, data.labels), jit_compile=jit_compile,
                      metrics=["accuracy", keras.metrics.TopKCategoricalAccuracy(k=k, name="top5")])
        model.optimizer.build(model.trainable_variables)
        return model

    if strategy is not None:
        with strategy.scope():
            return build_and_compile()
    return build_and_compile()


# -- the epochs -------------------------------------------------------------------

def _restore_checkpoint(model, ckpt_dir: str) -> tuple[RunState, list | None]:
    """``(state, best values)`` of the latest checkpoint in ``ckpt_dir``,
    whose network and optimizer variables are assigned to ``model``."""
    net_vals, opt_vals, best_values, state = load_checkpoint(latest_checkpoint(ckpt_dir))
    assign_variables(network_variables(model), net_vals, "network", ckpt_dir)
    assign_variables(optimizer_variables(model), opt_vals, "optimizer", ckpt_dir)
    return state, best_values


def _run_epochs(model, data: TrainingData, plan: RunPlan, state: RunState, best_values: list | None, *, outdir: str,
                ckpt_dir: str, tensorboard: bool, max_epochs_this_call: int | None, notify) -> list | None:
    """Train ``model`` from the epoch after ``state.epoch`` until the
    recipe's epochs are done, early stopping, or ``max_epochs_this_call``;
    returns the best epoch's network variables (``best_values`` if no epoch
    beat them).

    ``state`` advances in place.  After every epoch the checkpoint, the
    history and its plot are written, so a run stopped at any point resumes
    from its last epoch.  Emits the ``start``, ``epoch_begin``, ``batch`` and
    ``epoch_end`` progress events.
    """
    import keras

    total_epochs = int(plan.recipe.epochs)
    steps = data.steps_per_epoch
    callbacks = _callbacks(outdir, tensorboard, notify, steps)
    notify("start", state.epoch, total_epochs, architecture=plan.architecture.name, labels=len(data.labels),
           train=data.n_train, val=int(len(data.y_val)), epochs=total_epochs, steps=steps,
           first_epoch=state.epoch + 1, mode="streaming" if data.streaming else "in-memory",
           params=int(model.count_params()), resumed=plan.resumed)
    tf_pipelines = _use_tf_pipelines(keras)
    validation, validation_kw = _validation_input(data, tf_pipelines)
    end = total_epochs if max_epochs_this_call is None else min(total_epochs, state.epoch + max_epochs_this_call)
    with data.prefetching() as epochs:  # in-memory epochs are built one ahead
        while state.epoch < end and not state.stopped_early:
            epoch = state.epoch
            notify("epoch_begin", epoch, total_epochs, f"epoch {epoch + 1}/{total_epochs}", epoch=epoch + 1, steps=steps)
            t0 = time.perf_counter()
            args, extra = _epoch_input(data, epochs, epoch, epoch + 1 if epoch + 1 < end else None, tf_pipelines)
            hist = model.fit(*args, **extra, epochs=epoch + 1, initial_epoch=epoch, verbose=0, callbacks=callbacks,
                             shuffle=False, validation_data=validation, steps_per_epoch=steps, **validation_kw)
            del args
            record = _epoch_record(epoch, hist, model, time.perf_counter() - t0, state.seconds)
            best_values = _advance_state(state, record, model, best_values, int(plan.recipe.patience))
            save_checkpoint(ckpt_dir, model, best_values, state)
            write_history(outdir, state.history)
            notify("epoch_end", epoch + 1, total_epochs, record=record, best_epoch=state.best_epoch,
                   stopped_early=state.stopped_early)
    return best_values


def _callbacks(outdir: str, tensorboard: bool, notify, steps: int) -> list:
    """The Keras callbacks of every epoch's ``fit``: batch progress events,
    and TensorBoard logs in ``outdir/logs`` when asked for and available."""
    import keras

    callbacks = [_BatchProgress(notify, steps)]
    if tensorboard and keras.backend.backend() == "tensorflow" and _has_tensorboard():
        callbacks.append(keras.callbacks.TensorBoard(log_dir=os.path.join(outdir, "logs"), write_graph=False))
    return callbacks


def _has_tensorboard() -> bool:
    """Whether TensorBoard is installed (its callback needs it)."""
    from importlib.util import find_spec

    return find_spec("tensorboard") is not None


class _BatchProgress:
    """Forwards Keras batch ends to the ``progress`` callable."""

    def __new__(cls, notify, steps):
        import keras

        class Callback(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                notify("batch", batch + 1, steps)

        return Callback()


def _epoch_record(epoch: int, hist, model, seconds: float, elapsed_before: float) -> dict:
    """The history record of 0-based ``epoch`` from its ``fit`` result
    ``hist``: losses and accuracies, learning rate after the epoch, and its
    time (``elapsed`` counts the run's earlier epochs too)."""
    logs = {k: float(v[-1]) for k, v in hist.history.items()}
    return {"epoch": epoch + 1, "loss": logs.get("loss"), "accuracy": logs.get("accuracy"),
            "top5": logs.get("top5"), "val_loss": logs.get("val_loss"),
            "val_accuracy": logs.get("val_accuracy"), "val_top5": logs.get("val_top5"),
            "learning_rate": float(np.asarray(model.optimizer.learning_rate)),
            "seconds": seconds, "elapsed": elapsed_before + seconds}


def _advance_state(state: RunState, record: dict, model, best_values: list | None, patience: int) -> list | None:
    """Account for the epoch of ``record`` in ``state`` (history, epochs done,
    time, best epoch, early stopping after ``patience`` epochs without a
    better validation accuracy); returns the best network variables, which
    are ``model``'s now if this epoch is the best.  A diverged loss is a
    :class:`DataError`."""
    if not np.isfinite(record["loss"] or np.nan):
        raise DataError(f"Training diverged at epoch {record['epoch']} (loss is {record['loss']}); "
                        "lower the learning rate (--lr) or check the data for bad curves.")
    state.history.append(record)
    state.epoch = record["epoch"]
    state.seconds = record["elapsed"]
    if record["val_accuracy"] > state.best_val_accuracy:
        state.best_val_accuracy, state.best_epoch, state.wait = record["val_accuracy"], record["epoch"], 0
        return [np.asarray(v.numpy()) for v in network_variables(model)]
    state.wait += 1
    if state.wait >= patience:
        state.stopped_early = True
    return best_values


# -- feeding fit ------------------------------------------------------------------

def _use_tf_pipelines(keras) -> bool:
    """Whether ``fit`` reads :func:`_untuned_pipeline` (TensorFlow backend) rather than arrays."""
    return keras.backend.backend() == "tensorflow"


def _untuned_pipeline(*, arrays=None, batches=None, batch_size: int, shapes=None):
    """A tf.data pipeline over ``arrays`` (batched here) or a generator of
    ``batches`` (each ``batch_size`` curves, of per-curve ``shapes``), without
    tf.data's autotuning.

    Keras feeds numpy arrays and generators through a pipeline that autotunes
    its prefetching, and destroying that pipeline's iterator at the end of a
    ``fit`` call (here one per epoch) waits out the autotuner's sleep, which
    doubles up to a minute: epochs stalled until the next of 10, 20, 41 or 82
    seconds, about half of each epoch.  The batches are the same either way.
    """
    import tensorflow as tf

    if arrays is not None:
        dataset = tf.data.Dataset.from_tensor_slices(arrays).batch(int(batch_size))
    else:
        signature = tuple(tf.TensorSpec((int(batch_size), *shape), tf.float32) for shape in shapes)
        dataset = tf.data.Dataset.from_generator(lambda: batches, output_signature=signature)
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options).prefetch(1)


def _validation_input(data: TrainingData, tf_pipelines: bool) -> tuple:
    """``(validation_data, extra fit kwargs)`` for the validation curves,
    which every epoch evaluates in batches of one shape (one trace)."""
    val_batch = len(data.y_val) if len(data.y_val) <= 4096 else 1024
    if tf_pipelines:
        return _untuned_pipeline(arrays=(data.x_val, data.y_val), batch_size=val_batch), {}
    return (data.x_val, data.y_val), {"validation_batch_size": val_batch}


def _epoch_input(data: TrainingData, epochs, epoch: int, then: int | None, tf_pipelines: bool):
    """``(args, kwargs)`` of ``fit`` for the training curves of ``epoch``; an
    in-memory run starts building epoch ``then`` meanwhile."""
    if data.streaming:
        source = data.epoch_batches(epoch)
        if tf_pipelines:
            source = _untuned_pipeline(batches=source, batch_size=data.batch_size,
                                       shapes=(data.input_shape, (len(data.labels),)))
        return (source,), {}
    x, y = epochs.epoch_arrays(epoch, then=then)
    if tf_pipelines:
        return (_untuned_pipeline(arrays=(x, y), batch_size=data.batch_size),), {}
    return (x, y), {"batch_size": data.batch_size}

"""Train a classifier from a store: :func:`train`.

One call reads the training tag (in memory or streamed), builds the chosen
architecture, trains it epoch by epoch with fresh augmentation, checkpoints
after every epoch, stops early when validation accuracy stops improving,
calibrates a softmax temperature on the validation curves and writes the
classifier directory (:mod:`sasnets.classifier`).  ``resume=True``
continues an interrupted run from its last checkpoint exactly: the network,
optimizer and random-generator states are restored and each epoch's data
depends only on ``(seed, epoch)``.

The function reports progress through an optional ``progress(event)``
callable (dicts with an ``"event"`` key: ``data``, ``start``,
``epoch_begin``, ``batch``, ``epoch_end``, ``done``) and never prints.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import time
from typing import Callable, Sequence

import numpy as np

from ..data.augment import AugmentSpec
from ..data.preprocess import PreprocessSpec
from ..data.qgrid import QGrid
from ..errors import DataError, UsageError
from ..networks.base import get_architecture, make_loss, make_optimizer
from .checkpoint import (PLAN_FILE, assign_variables, latest_checkpoint, load_checkpoint, network_variables,
                         optimizer_variables, save_checkpoint)
from .._jsonio import write_json_atomic
from ..classifier import ARTIFACTS, FORMAT, META_FILE, NETWORK_FILE, VERSION, Classifier, softmax
from .data import TrainingData, prepare_data, strip_password

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


def versions() -> dict:
    """Versions recorded in every classifier."""
    from .. import __version__

    out = {"sasnets": __version__, "python": platform.python_version(), "numpy": np.__version__}
    for name in ("keras", "tensorflow", "sasmodels"):
        try:
            from importlib.metadata import version

            out[name] = version(name if name != "tensorflow" else _tf_distribution())
        except Exception:
            out[name] = None
    try:
        import keras

        out["keras_backend"] = keras.backend.backend()
    except Exception:
        pass
    return out


def _tf_distribution() -> str:
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        try:
            version(dist)
            return dist
        except PackageNotFoundError:
            continue
    return "tensorflow"


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The softmax temperature minimising the negative log-likelihood of ``labels``."""
    from scipy.optimize import minimize_scalar

    logits = np.asarray(logits, np.float64)
    labels = np.asarray(labels, np.int64)
    if len(labels) < 2:
        return 1.0

    def nll(log_t):
        p = softmax(logits, np.exp(log_t)).astype(np.float64)
        return -np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, None)))

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded", options={"xatol": 1e-3})
    return float(np.exp(res.x)) if res.success else 1.0


def _strategy(distribute: bool):
    if not distribute:
        return None
    import keras

    if keras.backend.backend() != "tensorflow":
        raise UsageError("--distribute needs the TensorFlow backend (KERAS_BACKEND=tensorflow).")
    import tensorflow as tf

    devices = [d.name for d in tf.config.list_logical_devices("GPU")] or \
              [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices=devices)


def _has_tensorboard() -> bool:
    from importlib.util import find_spec

    return find_spec("tensorboard") is not None


def _prepare_outdir(outdir: str, resume: bool, overwrite: bool) -> None:
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


def _check_same(plan: dict, given: dict) -> None:
    for key, value in given.items():
        if value is None:
            continue
        saved = plan.get(key)
        if json.loads(json.dumps(value, default=list)) != saved:
            raise UsageError(f"--resume continues the saved run, whose {key} is {saved!r}, not {value!r}; "
                             "drop that option or start a new run with --overwrite.")


def _history_plot(history: list, path: str) -> None:
    """Loss and accuracy per epoch, training and validation, as a PNG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key, label in (("loss", "train"), ("val_loss", "validation")):
        ax1.plot(epochs, [h.get(key) for h in history], marker=".", label=label)
    for key, label in (("accuracy", "train top-1"), ("val_accuracy", "validation top-1"), ("val_top5", "validation top-5")):
        ax2.plot(epochs, [h.get(key) for h in history], marker=".", label=label)
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("loss")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.set_ylim(0, 1)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)


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


class _BatchProgress:
    """Forwards Keras batch ends to the ``progress`` callable."""

    def __new__(cls, notify):
        import keras

        class Callback(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                notify({"event": "batch", "step": batch + 1})

        return Callback()


def train(store, outdir: str, *, arch: str | None = None, tag: str = "train", val_tag: str | None = None,
          val_fraction: float | None = None, models: Sequence[str] | None = None,
          epochs: int | None = None, batch_size: int | None = None, learning_rate: float | None = None,
          label_smoothing: float | None = None, patience: int | None = None, hyper: dict | None = None,
          qgrid: QGrid | dict | None = None, preprocess: PreprocessSpec | dict | None = None,
          augment: bool | AugmentSpec | dict | None = None, seed: int | None = None,
          resume: bool = False, overwrite: bool = False, distribute: bool = False,
          stream: bool | None = None, memory_limit: int | None = None, tensorboard: bool = True,
          threads: int | None = None, deterministic: bool = True, calibrate: bool = True, jit_compile: bool = False,
          max_epochs_this_call: int | None = None,
          progress: Callable[[dict], None] | None = None) -> Classifier:
    """Train a classifier on tag ``tag`` of ``store`` and save it to ``outdir``.

    ``store`` is a store URL (``data.h5``, ``postgresql://…``) or an open
    store.  Options left ``None`` take the architecture's recipe
    (:class:`sasnets.networks.Recipe`) or the library defaults; with
    ``resume=True`` they are read from the interrupted run, and giving a
    different value is an error.  ``max_epochs_this_call`` stops after that
    many epochs in this call (the run stays resumable), which tests and
    time-boxed jobs use.  Returns the trained :class:`Classifier`.
    """
    notify = progress or (lambda event: None)
    outdir = os.fspath(outdir)
    store_url = getattr(store, "url", None) if not isinstance(store, (str, os.PathLike)) else os.fspath(store)
    if not store_url:
        raise UsageError("Give the training data as a store URL or an open store.")
    _prepare_outdir(outdir, resume, overwrite)
    ckpt_dir = os.path.join(outdir, CHECKPOINT_DIR)

    given = {
        "architecture": arch, "tag": tag if not resume or tag != "train" else None, "val_tag": val_tag,
        "val_fraction": val_fraction, "models": sorted(models) if models else None, "hyper": hyper,
        "seed": seed,
    }
    recipe_given = {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
                    "label_smoothing": label_smoothing, "patience": patience}
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

    if resume:
        with open(os.path.join(ckpt_dir, PLAN_FILE)) as fh:
            plan = json.load(fh)
        _check_same(plan, given)
        _check_same(plan["recipe"], recipe_given)
        for key, value in (("qgrid", qgrid), ("preprocess", preprocess), ("augment", augment)):
            if value is not None and value.to_dict() != plan[key]:
                raise UsageError(f"--resume continues the saved run; its {key} differs from the one given. "
                                 "Drop that option or start a new run with --overwrite.")
        architecture = get_architecture(plan["architecture"])
        from ..networks.base import Recipe

        recipe = Recipe.from_dict(plan["recipe"])
        qgrid = QGrid.from_dict(plan["qgrid"])
        preprocess = PreprocessSpec.from_dict(plan["preprocess"])
        augment = AugmentSpec.from_dict(plan["augment"])
        hyper_used = plan["hyper"]
        seed = plan["seed"]
        labels = plan["labels"]
        stream = plan["streaming"]
        tag, val_tag, val_fraction = plan["tag"], plan["val_tag"], plan["val_fraction"]
    else:
        architecture = get_architecture(arch)
        recipe = architecture.recipe.with_options(**recipe_given)
        hyper_used = architecture.hyper(**(hyper or {}))
        seed = 0 if seed is None else int(seed)
        val_fraction = 0.1 if val_fraction is None else float(val_fraction)
        if preprocess is None:
            preprocess = PreprocessSpec(channels=recipe.channels) if recipe.channels else PreprocessSpec()
        if augment is None:
            augment = AugmentSpec() if recipe.augment else AugmentSpec.off()
        labels = None
        plan = None

    configure_backend(seed, threads, deterministic)
    import keras

    data: TrainingData = prepare_data(
        store_url, tag=tag, val_tag=val_tag, val_fraction=val_fraction, models=models if not resume else None,
        qgrid=qgrid, preprocess_spec=preprocess, augment_spec=augment, batch_size=int(recipe.batch_size),
        seed=seed, stream=stream, memory_limit=memory_limit, labels=labels, progress=notify)
    if plan is None:
        plan = {
            "architecture": architecture.name, "hyper": json.loads(json.dumps(hyper_used, default=list)),
            "recipe": recipe.to_dict(), "tag": tag, "val_tag": val_tag, "val_fraction": val_fraction,
            "models": sorted(models) if models else None, "seed": seed, "labels": data.labels,
            "qgrid": data.qgrid.to_dict(), "preprocess": preprocess.to_dict(), "augment": augment.to_dict(),
            "streaming": data.streaming, "store": strip_password(store_url),
        }
        os.makedirs(ckpt_dir, exist_ok=True)
        write_json_atomic(os.path.join(ckpt_dir, PLAN_FILE), plan)

    strategy = _strategy(distribute)
    steps = data.steps_per_epoch

    def build_and_compile():
        model = architecture.build(data.input_shape, len(data.labels), **hyper_used)
        k = min(5, len(data.labels))
        model.compile(optimizer=make_optimizer(recipe, steps), loss=make_loss(recipe), jit_compile=jit_compile,
                      metrics=["accuracy", keras.metrics.TopKCategoricalAccuracy(k=k, name="top5")])
        model.optimizer.build(model.trainable_variables)
        return model

    if strategy is not None:
        with strategy.scope():
            model = build_and_compile()
    else:
        model = build_and_compile()

    state = {"epoch": 0, "history": [], "best_epoch": 0, "best_val_accuracy": -1.0, "wait": 0,
             "stopped_early": False, "seconds": 0.0}
    best_values = None
    if resume:
        net_vals, opt_vals, best_values, state = load_checkpoint(latest_checkpoint(ckpt_dir))
        assign_variables(network_variables(model), net_vals, "network", ckpt_dir)
        assign_variables(optimizer_variables(model), opt_vals, "optimizer", ckpt_dir)

    callbacks = [_BatchProgress(notify)]
    if tensorboard and keras.backend.backend() == "tensorflow" and _has_tensorboard():
        callbacks.append(keras.callbacks.TensorBoard(log_dir=os.path.join(outdir, "logs"), write_graph=False))

    total_epochs = int(recipe.epochs)
    notify({"event": "start", "architecture": architecture.name, "labels": len(data.labels),
            "train": data.n_train, "val": int(len(data.y_val)), "epochs": total_epochs, "steps": steps,
            "first_epoch": state["epoch"] + 1, "mode": "streaming" if data.streaming else "in-memory",
            "params": int(model.count_params()), "resumed": bool(resume)})
    val_batch = len(data.y_val) if len(data.y_val) <= 4096 else 1024  # one batch shape: one trace
    tf_pipelines = _use_tf_pipelines(keras)
    validation = (_untuned_pipeline(arrays=(data.x_val, data.y_val), batch_size=val_batch) if tf_pipelines
                  else (data.x_val, data.y_val))
    with data.prefetching() as epochs:  # in-memory epochs are built one ahead
        done_this_call = 0
        while state["epoch"] < total_epochs and not state["stopped_early"]:
            if max_epochs_this_call is not None and done_this_call >= max_epochs_this_call:
                break
            epoch = state["epoch"]
            notify({"event": "epoch_begin", "epoch": epoch + 1, "epochs": total_epochs, "steps": steps})
            t0 = time.perf_counter()
            fit_kw = dict(epochs=epoch + 1, initial_epoch=epoch, verbose=0, callbacks=callbacks, shuffle=False,
                          validation_data=validation, steps_per_epoch=steps)
            if not tf_pipelines:
                fit_kw["validation_batch_size"] = val_batch
            last = epoch + 1 >= total_epochs or (max_epochs_this_call is not None
                                                  and done_this_call + 1 >= max_epochs_this_call)
            args, extra = _epoch_input(data, epochs, epoch, None if last else epoch + 1, tf_pipelines)
            hist = model.fit(*args, **extra, **fit_kw)
            del args
            seconds = time.perf_counter() - t0
            logs = {k: float(v[-1]) for k, v in hist.history.items()}
            record = {"epoch": epoch + 1, "loss": logs.get("loss"), "accuracy": logs.get("accuracy"),
                      "top5": logs.get("top5"), "val_loss": logs.get("val_loss"),
                      "val_accuracy": logs.get("val_accuracy"), "val_top5": logs.get("val_top5"),
                      "learning_rate": float(np.asarray(model.optimizer.learning_rate)),
                      "seconds": seconds, "elapsed": state["seconds"] + seconds}
            if not np.isfinite(record["loss"] or np.nan):
                raise DataError(f"Training diverged at epoch {epoch + 1} (loss is {record['loss']}); "
                                "lower the learning rate (--lr) or check the data for bad curves.")
            state["history"].append(record)
            state["epoch"] = epoch + 1
            state["seconds"] = record["elapsed"]
            if record["val_accuracy"] > state["best_val_accuracy"]:
                state.update(best_val_accuracy=record["val_accuracy"], best_epoch=epoch + 1, wait=0)
                best_values = [np.asarray(v.numpy()) for v in network_variables(model)]
            else:
                state["wait"] += 1
                if state["wait"] >= int(recipe.patience):
                    state["stopped_early"] = True
            save_checkpoint(ckpt_dir, model, best_values, state)
            write_json_atomic(os.path.join(outdir, "history.json"), state["history"])
            _history_plot(state["history"], os.path.join(outdir, "training.png"))
            done_this_call += 1
            notify({"event": "epoch_end", "record": record, "best_epoch": state["best_epoch"],
                    "stopped_early": state["stopped_early"]})

    finished = state["epoch"] >= total_epochs or state["stopped_early"]
    if best_values is not None:
        assign_variables(network_variables(model), best_values, "network", ckpt_dir)
    # the saved network is a fresh, uncompiled copy: no optimizer state, no distribution strategy
    network = architecture.build(data.input_shape, len(data.labels), **hyper_used)
    network.set_weights([np.asarray(v) for v in model.get_weights()])
    logits = np.concatenate([np.asarray(network.predict_on_batch(data.x_val[i:i + 4096]))
                             for i in range(0, len(data.x_val), 4096)])
    y_val = data.y_val.argmax(axis=1)
    temperature = fit_temperature(logits, y_val) if calibrate else 1.0
    probs = softmax(logits, temperature)
    k = min(5, len(data.labels))
    topk = np.argsort(-probs, axis=1)[:, :k]
    metrics = {
        "val_accuracy": float(np.mean(topk[:, 0] == y_val)),
        "val_top5": float(np.mean(np.any(topk == y_val[:, None], axis=1))),
        "val_nll": float(-np.mean(np.log(np.clip(probs[np.arange(len(y_val)), y_val], 1e-12, None)))),
        "val_curves": int(len(y_val)),
        "best_epoch": int(state["best_epoch"]),
    }
    meta = {
        "format": FORMAT, "version": VERSION, "labels": list(data.labels), "qgrid": data.qgrid.to_dict(),
        "preprocess": preprocess.to_dict(), "architecture": architecture.name,
        "hyper": plan["hyper"], "network_output": "logits",
        "training": {"recipe": recipe.to_dict(), "augment": augment.to_dict(), "seed": seed,
                     "epochs_run": state["epoch"], "best_epoch": state["best_epoch"],
                     "stopped_early": state["stopped_early"], "finished": finished,
                     "seconds": round(state["seconds"], 3), "steps_per_epoch": steps,
                     "distribute": bool(distribute),
                     "replicas": int(strategy.num_replicas_in_sync) if strategy is not None else 1,
                     "deterministic": bool(deterministic), "weights": "best validation accuracy"},
        "data": data.describe(), "metrics": metrics, "temperature": temperature, "versions": versions(),
    }
    tmp = os.path.join(outdir, NETWORK_FILE + ".tmp.keras")
    network.save(tmp)
    os.replace(tmp, os.path.join(outdir, NETWORK_FILE))
    write_json_atomic(os.path.join(outdir, META_FILE), meta)
    notify({"event": "done", "finished": finished, "metrics": metrics, "epochs_run": state["epoch"]})
    return Classifier(meta, path=outdir, network=network)


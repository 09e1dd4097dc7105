"""What a training run leaves in its classifier directory, besides the checkpoint.

:func:`write_history` rewrites ``history.json`` and ``training.png`` after
every epoch, so an interrupted run still shows how far it got;
:func:`write_classifier` writes ``network.keras`` (the best epoch's weights
in a fresh, uncompiled network) and ``classifier.json`` (the metadata of
:mod:`sasnets.classifier`, with the softmax temperature fitted here on the
validation curves) once training stops.  :func:`sasnets.training.train.train`
calls both; they only write what it hands them.
"""
from __future__ import annotations

import os
import platform

import numpy as np

from .._jsonio import write_json_atomic
from ..classifier import FORMAT, META_FILE, NETWORK_FILE, VERSION, Classifier, softmax
from .checkpoint import RunState, assign_variables, network_variables
from .data import TrainingData
from .plan import RunPlan


__all__ = ["fit_temperature", "versions", "write_history", "write_classifier"]

HISTORY_FILE = "history.json"
PLOT_FILE = "training.png"


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
    """The installed distribution that provides TensorFlow (its CPU-only and
    nightly builds have their own names), for :func:`versions`."""
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


def write_history(outdir: str, history: list) -> None:
    """Rewrite ``history.json`` and its plot ``training.png`` from the epoch
    records so far; called after every epoch, so the files always show the
    last completed one."""
    write_json_atomic(os.path.join(outdir, HISTORY_FILE), history)
    _history_plot(history, os.path.join(outdir, PLOT_FILE))


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


def write_classifier(outdir: str, model, best_values: list | None, state: RunState, plan: RunPlan,
                     data: TrainingData, *, ckpt_dir: str, distribute: bool, replicas: int, deterministic: bool,
                     calibrate: bool) -> Classifier:
    """Write ``network.keras`` and ``classifier.json`` for the run that
    trained ``model`` and return the :class:`Classifier`.

    ``best_values`` (the best epoch's network variables, if any) are put back
    into ``model`` first; ``state`` is the run's progress as its checkpoint
    saves it.  The temperature is fitted on the validation curves unless
    ``calibrate`` is false.  Called also after a partial run
    (``max_epochs_this_call``), whose classifier says ``finished: false``.
    """
    network = _final_network(model, best_values, plan, data, ckpt_dir)
    temperature, metrics = _validation_metrics(network, data, calibrate, state.best_epoch)
    meta = _classifier_meta(plan, data, state, metrics, temperature, distribute=distribute, replicas=replicas,
                            deterministic=deterministic)
    tmp = os.path.join(outdir, NETWORK_FILE + ".tmp.keras")
    network.save(tmp)
    os.replace(tmp, os.path.join(outdir, NETWORK_FILE))
    write_json_atomic(os.path.join(outdir, META_FILE), meta)
    return Classifier(meta, path=outdir, network=network)


def _final_network(model, best_values: list | None, plan: RunPlan, data: TrainingData, ckpt_dir: str):
    """A fresh, uncompiled copy of ``model`` holding the best epoch's weights.

    The saved network carries no optimizer state and no distribution
    strategy, so it loads anywhere for inference.  ``model`` itself is left
    holding the best weights too.
    """
    if best_values is not None:
        assign_variables(network_variables(model), best_values, "network", ckpt_dir)
    network = plan.architecture.build(data.input_shape, len(data.labels), **plan.hyper)
    network.set_weights([np.asarray(v) for v in model.get_weights()])
    return network


def _validation_metrics(network, data: TrainingData, calibrate: bool, best_epoch: int) -> tuple[float, dict]:
    """``(temperature, metrics)`` of ``network`` on the validation curves.

    The temperature is fitted to the validation logits (1.0 without
    ``calibrate``) and the metrics (top-1, top-5, negative log-likelihood)
    are those of the calibrated probabilities, as inference will see them.
    """
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
        "best_epoch": int(best_epoch),
    }
    return temperature, metrics


def _classifier_meta(plan: RunPlan, data: TrainingData, state: RunState, metrics: dict, temperature: float, *,
                     distribute: bool, replicas: int, deterministic: bool) -> dict:
    """The content of ``classifier.json`` (keys as :mod:`sasnets.classifier`
    reads them): what the network reads and how it was trained."""
    finished = state.epoch >= int(plan.recipe.epochs) or state.stopped_early
    return {
        "format": FORMAT, "version": VERSION, "labels": list(data.labels), "qgrid": data.qgrid.to_dict(),
        "preprocess": plan.preprocess.to_dict(), "architecture": plan.architecture.name,
        "hyper": plan.hyper_json, "network_output": "logits",
        "training": {"recipe": plan.recipe.to_dict(), "augment": plan.augment.to_dict(), "seed": plan.seed,
                     "epochs_run": state.epoch, "best_epoch": state.best_epoch,
                     "stopped_early": state.stopped_early, "finished": finished,
                     "seconds": round(state.seconds, 3), "steps_per_epoch": data.steps_per_epoch,
                     "distribute": bool(distribute), "replicas": int(replicas),
                     "deterministic": bool(deterministic), "weights": "best validation accuracy",
                     "init_from": plan.init_from},
        "data": data.describe(), "metrics": metrics, "temperature": temperature, "versions": versions(),
    }

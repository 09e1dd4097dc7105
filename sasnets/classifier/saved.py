"""The classifier: a trained network plus everything needed to use it.

A classifier is a directory (format ``sasnets-classifier``, version 1)::

    classifier.json   labels (scattering model names in output order), q-grid,
                      preprocessing spec, architecture and hyper-parameters,
                      training options, data provenance, metrics, temperature,
                      versions of sasnets/keras/tensorflow/sasmodels
    network.keras     the trained network; its weights are those of the epoch
                      with the best validation accuracy (not the last epoch);
                      the last layer outputs logits
    history.json      one record per epoch (loss, accuracy, top-5, learning rate, seconds)
    training.png      training curves
    logs/             TensorBoard logs
    checkpoint/       resume state (``sasnets train --resume``)

:func:`load_classifier` reads ``classifier.json`` only; the network is loaded
(and Keras imported) on the first prediction, so listing or inspecting
classifiers stays fast.  Every forward pass goes through
:meth:`Classifier._forward`, the one place an alternative inference runtime
plugs in.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import numpy as np

from ..data.curves import Curve
from ..data.preprocess import CurvesLike, PreprocessSpec, iter_chunks, preprocess
from ..data.qgrid import QGrid
from .._jsonio import write_json_atomic
from ..errors import DataError, UsageError
from .meta import FORMAT, VERSION, ClassifierMeta

__all__ = ["Classifier", "load_classifier", "FORMAT", "VERSION", "softmax"]

META_FILE = "classifier.json"
NETWORK_FILE = "network.keras"
#: files and folders that belong to a classifier directory
ARTIFACTS = (META_FILE, NETWORK_FILE, "history.json", "training.png", "sizes.npz", "logs", "checkpoint")


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature`` (float64 for stability, float32 out)."""
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    z -= z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z.astype(np.float32)


class Classifier:
    """A trained classifier; see the module docstring for the saved format.

    Build one with :func:`load_classifier` (or :func:`sasnets.train`).
    ``meta`` is the content of ``classifier.json`` (a :class:`ClassifierMeta`,
    or the dict read from the file); ``network`` an optional Keras network
    already in memory.
    """

    def __init__(self, meta: ClassifierMeta | dict, path: str | None = None, network=None):
        self.meta = meta if isinstance(meta, ClassifierMeta) else ClassifierMeta.from_dict(meta, path)
        self.path = path
        self._network = network
        self._embedder = None
        self._sizes = None

    @property
    def labels(self) -> list:
        """Scattering model names in the network's output order."""
        return self.meta.labels

    @property
    def classes_(self) -> np.ndarray:
        """The labels as an array (scikit-learn's name)."""
        return np.asarray(self.meta.labels, dtype=object)

    @property
    def qgrid_spec(self) -> QGrid:
        return self.meta.qgrid

    @property
    def preprocess_spec(self) -> PreprocessSpec:
        return self.meta.preprocess

    @property
    def architecture(self) -> str:
        return self.meta.architecture

    @property
    def temperature(self) -> float:
        """Softmax temperature (set by :func:`sasnets.calibrate`)."""
        return self.meta.temperature

    @temperature.setter
    def temperature(self, value: float) -> None:
        self.meta.temperature = float(value)

    # -- description ---------------------------------------------------------
    @property
    def qgrid(self) -> np.ndarray:
        """The q values (1/Å) the network reads."""
        return self.qgrid_spec.points

    @property
    def input_shape(self) -> tuple:
        return (self.qgrid_spec.nq, len(self.preprocess_spec.channels))

    @property
    def metrics(self) -> dict:
        return dict(self.meta.metrics)

    def __repr__(self):
        where = f" at {self.path!r}" if self.path else ""
        return f"<Classifier {self.architecture} over {len(self.labels)} scattering models{where}>"

    # -- preprocessing -------------------------------------------------------
    def preprocess(self, curves: CurvesLike) -> np.ndarray:
        """Network input ``(n, nq, channels)`` for any curves (same code as training)."""
        return preprocess(curves, self.qgrid_spec, self.preprocess_spec)

    # -- the network -----------------------------------------------------------
    @property
    def network(self):
        """The Keras network (loaded on first use)."""
        if self._network is None:
            if not self.path:
                raise DataError("This classifier has no network file to load; save it first.")
            file = os.path.join(self.path, NETWORK_FILE)
            if not os.path.exists(file):
                raise DataError(f"Classifier {self.path!r} has no {NETWORK_FILE}; it was not finished (resume training).")
            import keras

            self._import_architecture()
            try:
                self._network = keras.saving.load_model(file, compile=False)
            except Exception as exc:  # a damaged or foreign file
                raise DataError(f"Cannot load {file!r} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}).") from None
        return self._network

    def _import_architecture(self) -> None:
        """Import the plugin that registered this classifier's architecture, so
        that custom Keras layers it defines are known before loading."""
        from ..networks.base import get_architecture
        from ..errors import UsageError

        try:
            get_architecture(self.architecture)
        except UsageError:  # not installed here: plain Keras layers still load
            pass

    def _numpy_runtime(self):
        """The saved network run with numpy when every layer is supported (else ``None``: Keras)."""
        if self._network is not None or not self.path:
            return None
        from ..networks.numpy_runtime import runtime_for

        return runtime_for(os.path.join(self.path, NETWORK_FILE))

    def _forward(self, x: np.ndarray) -> np.ndarray:
        """Logits ``(n, n_labels)`` for preprocessed input ``x``: the one forward pass."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3 or x.shape[1:] != self.input_shape:
            raise DataError(f"Network input must have shape (n, {self.input_shape[0]}, {self.input_shape[1]}), got {x.shape}.")
        fast = self._numpy_runtime()  # numpy runtime: no TensorFlow import (sasnets.networks.numpy_runtime)
        if fast is not None:
            out = fast.predict(x, batch_size=2048) if len(x) else np.zeros((0, len(self.labels)), np.float32)
        else:
            net = self.network
            out = np.concatenate([np.asarray(net.predict_on_batch(x[s])) for s in iter_chunks(len(x), 2048)]) \
                if len(x) else np.zeros((0, len(self.labels)), np.float32)
        if self.meta.network_output == "probabilities":
            out = np.log(np.clip(out, 1e-30, None))
        if self.meta.logit_offset is not None:
            out = out + np.asarray(self.meta.logit_offset, dtype=np.float32)
        return out.astype(np.float32)

    def logits(self, curves: CurvesLike) -> np.ndarray:
        """Raw network outputs ``(n, n_labels)`` (before temperature and softmax)."""
        return self._forward(self.preprocess(curves))

    # -- predictions (scikit-learn's conventions: batches in, classes_ out) ---------
    def predict_proba(self, curves: CurvesLike) -> np.ndarray:
        """Probabilities ``(n, n_labels)`` of every scattering model (columns in
        :attr:`classes_` order) for each curve of ``curves`` (a batch, a list of
        curves or one :class:`~sasnets.data.Curve`)."""
        return softmax(self.logits(curves), self.temperature)

    def predict(self, curves: CurvesLike) -> np.ndarray:
        """The most probable scattering model of each curve (an array of labels)."""
        return self.classes_[np.argmax(self.predict_proba(curves), axis=1)] if len(self.labels) else np.array([])

    def predict_proba_curve(self, q, iq, diq=None, dq=None) -> np.ndarray:
        """Probabilities ``(n_labels,)`` for one curve measured at any q points
        (1/Å), given as arrays; a curve the q-grid cannot read is a
        :class:`~sasnets.errors.DataError` that says why."""
        q = np.asarray(q, dtype=np.float64).ravel()
        iq = np.asarray(iq, dtype=np.float64).ravel()
        if q.shape != iq.shape:
            raise DataError(f"q and I(q) must have the same length, got {q.size} and {iq.size}.")
        if not np.any((q > 0) & (iq > 0) & np.isfinite(q) & np.isfinite(iq)):
            raise DataError("The curve has no point with positive, finite q and I(q); nothing to classify.")
        curve = Curve(q=q, iq=iq, diq=None if diq is None else np.asarray(diq).ravel(),
                      dq=None if dq is None else np.asarray(dq).ravel())
        x = self.preprocess([curve])
        if "mask" in self.preprocess_spec.channels:
            valid = int(x[0, :, self.preprocess_spec.channels.index("mask")].sum())
            if valid < 2:
                good = q[(q > 0) & np.isfinite(q)]
                raise DataError(f"The curve's q range {good.min():.3g}..{good.max():.3g} 1/Å covers {valid} point(s) of the "
                                f"classifier's q-grid ({self.qgrid_spec.qmin:.3g}..{self.qgrid_spec.qmax:.3g} 1/Å); "
                                "nothing to classify (check the q units: sasnets uses 1/Å).")
        return softmax(self._forward(x), self.temperature)[0]

    def top_k(self, curves: CurvesLike, k: int = 3) -> list:
        """The ``k`` most probable scattering models of each curve: a list of
        ``[(model, probability), ...]`` per curve."""
        p = self.predict_proba(curves)
        order = np.argsort(-p, axis=1, kind="stable")[:, :k]
        return [[(self.labels[j], float(p[i, j])) for j in row] for i, row in enumerate(order)]

    def embed(self, curves: CurvesLike) -> np.ndarray:
        """Penultimate-layer features ``(n, d)`` (the input of the last layer), e.g. for t-SNE maps."""
        x = self.preprocess(curves)
        fast = self._numpy_runtime()
        if fast is not None and fast.last_layer_input is not None:
            return fast.embed(x, batch_size=2048) if len(x) else np.zeros((0, 0), np.float32)
        if self._embedder is None:
            import keras

            net = self.network
            self._embedder = keras.Model(net.inputs, net.layers[-1].input)
        if not len(x):
            return np.zeros((0, int(self._embedder.outputs[0].shape[-1])), np.float32)
        return np.concatenate([np.asarray(self._embedder.predict_on_batch(x[s])) for s in iter_chunks(len(x), 2048)]).astype(np.float32)

    # -- size estimates ------------------------------------------------------------
    @property
    def has_sizes(self) -> bool:
        """Whether size estimates were fitted (``sasnets sizes``)."""
        return self.meta.sizes is not None

    def estimate_sizes(self, curves: CurvesLike, labels) -> list:
        """For each curve, ``{label: {parameter: {"value", "low", "high", "units"}}}`` for the
        ``labels`` asked for that curve (a list of label lists, or one list for all curves);
        empty dicts when no size estimates were fitted (:mod:`sasnets.classifier.sizes`)."""
        if not self.has_sizes:
            return [{} for _ in range(len(curves) if not isinstance(curves, Curve) else 1)]
        if self._sizes is None:
            from .sizes import SizeEstimator

            self._sizes = SizeEstimator.load(self.path, self.meta.sizes)
        features = self.embed(curves)
        if labels and isinstance(labels[0], str):
            labels = [labels] * len(features)
        return [{label: self._sizes.estimate(label, row[None])[0] for label in wanted}
                for row, wanted in zip(features, labels)]

    # -- saving --------------------------------------------------------------------
    def save(self, path: str, overwrite: bool = False) -> str:
        """Write the classifier to directory ``path`` (or a ``.zip`` archive); returns the path."""
        path = os.fspath(path)
        if path.endswith(".zip"):
            with tempfile.TemporaryDirectory() as tmp:
                inner = os.path.join(tmp, "classifier")
                self.save(inner)
                if os.path.exists(path) and not overwrite:
                    raise UsageError(f"{path!r} exists; pass overwrite=True (--overwrite) to replace it.")
                shutil.make_archive(path[:-4], "zip", inner)
            return path
        if os.path.exists(os.path.join(path, META_FILE)) and not overwrite and \
                os.path.abspath(path) != os.path.abspath(self.path or ""):
            raise UsageError(f"{path!r} already holds a classifier; pass overwrite=True (--overwrite) to replace it.")
        os.makedirs(path, exist_ok=True)
        same = self.path and os.path.abspath(path) == os.path.abspath(self.path)
        if self._network is not None:
            tmp = os.path.join(path, NETWORK_FILE + ".tmp.keras")
            self._network.save(tmp)
            os.replace(tmp, os.path.join(path, NETWORK_FILE))
        elif self.path and not same:
            shutil.copy2(os.path.join(self.path, NETWORK_FILE), os.path.join(path, NETWORK_FILE))
        if self.path and not same:
            for name in ("history.json", "training.png", "sizes.npz"):
                src = os.path.join(self.path, name)
                if os.path.exists(src):
                    shutil.copy2(src, os.path.join(path, name))
        write_json_atomic(os.path.join(path, META_FILE), self.meta.to_dict())
        self.path = path
        return path


_EXTRACTED: dict[str, str] = {}


def load_classifier(path) -> Classifier:
    """The classifier saved at ``path``: a directory, its ``classifier.json``, or a ``.zip`` archive.

    Only reads the saved format; :func:`sasnets.classifier.resolve_classifier`
    also accepts ``None`` (the default classifier) or a loaded classifier.
    """
    path = os.fspath(path)
    if os.path.isfile(path) and path.endswith(".zip"):
        key = os.path.abspath(path)
        if key not in _EXTRACTED:
            target = tempfile.mkdtemp(prefix="sasnets-classifier-")
            try:
                shutil.unpack_archive(path, target, "zip")
            except (shutil.ReadError, OSError) as exc:
                raise DataError(f"Cannot unpack classifier archive {path!r} ({exc}).") from None
            _EXTRACTED[key] = target
        path = _EXTRACTED[key]
    if os.path.basename(path) == META_FILE:
        path = os.path.dirname(path) or "."
    meta_file = os.path.join(path, META_FILE)
    if not os.path.isdir(path):
        raise DataError(f"Classifier {path!r} does not exist; train one with: sasnets train DATA -o {path}.")
    if not os.path.exists(meta_file):
        raise DataError(f"{path!r} has no {META_FILE}; it is not a classifier (or its training has not finished; use --resume).")
    try:
        with open(meta_file) as fh:
            meta = json.load(fh)
    except (OSError, ValueError) as exc:
        raise DataError(f"Cannot read {meta_file!r} ({exc}).") from None
    return Classifier(meta, path=path)


"""Run a saved Keras network with numpy alone, for fast cold-start inference.

Importing TensorFlow takes several seconds, longer than classifying a file
should; and for the small 1D networks sasnets trains, a batched float32
forward pass in numpy (BLAS matrix products, im2col for convolutions) is as
fast as Keras ``predict``.  Training stays on Keras; this package only reads
what Keras wrote.

:meth:`NumpyNetwork.from_keras_file` rebuilds the network in a ``.keras``
file without importing Keras or TensorFlow, and raises
:class:`UnsupportedNetwork` when a layer or option is not implemented here,
so callers fall back to Keras::

    try:
        net = NumpyNetwork.from_keras_file("classifier/network.keras")
    except UnsupportedNetwork:
        net = None          # use keras.saving.load_model instead

:func:`runtime_for` does that (``None`` for Keras) and caches the result.

Supported: Sequential and Functional graphs (also nested) of InputLayer,
Dense, Conv1D (valid/same/causal padding, strides, dilation, groups),
SeparableConv1D, DepthwiseConv1D, Max/AveragePooling1D,
GlobalMax/GlobalAveragePooling1D, Flatten, Reshape, Permute, ZeroPadding1D,
Cropping1D, UpSampling1D, BatchNormalization, LayerNormalization,
Activation/ReLU/LeakyReLU/ELU/PReLU/Softmax, Add/Subtract/Multiply/Average/
Maximum/Minimum/Concatenate, Rescaling, Identity, and the inference-time
identities (Dropout and friends, GaussianNoise, ActivityRegularization).
The parity tests compare every built-in architecture with Keras to 1e-5.

The parts, one concept each: ``_loading`` reads the ``.keras`` file (config
and weight layout), ``_graph`` walks the layer graph, ``_layers`` and
``_conv`` are the numpy kernels of each supported layer, ``_activations``
the activation functions; this module is the batched, threaded runtime
callers use.
"""
from __future__ import annotations

import os

import numpy as np

from ..._system import usable_cores
from ._errors import UnsupportedNetwork
from ._graph import Graph
from ._loading import input_shape as _input_shape
from ._loading import load_network_parts

__all__ = ["NumpyNetwork", "UnsupportedNetwork", "load_network_parts", "runtime_for", "RUNTIME_ENV"]

#: environment switch: ``keras`` forces the Keras runtime, ``numpy`` (default) uses this one when it can
RUNTIME_ENV = "SASNETS_RUNTIME"

_F32 = np.float32


class NumpyNetwork:
    """A saved Keras network evaluated with numpy (float32, batched).

    ``net(x)`` or :meth:`predict` returns the network's output for ``x``
    (``(n, …)`` as the Keras input); ``predict(x, layer=name)`` returns the
    output of one layer instead, and :meth:`embed` the input of the last
    layer (embeddings).
    """

    def __init__(self, graph: Graph, input_shape: tuple | None, source: str = ""):
        self._graph = graph
        self.input_shape = input_shape
        self.source = source

    @classmethod
    def from_keras_file(cls, path) -> "NumpyNetwork":
        """Rebuild the network in ``path`` (a ``.keras`` zip) without Keras.

        Raises :class:`UnsupportedNetwork` naming the first unsupported piece.
        """
        path = os.fspath(path)
        config, weights = load_network_parts(path)
        try:
            graph = Graph(config, weights, "layers")
        except UnsupportedNetwork:
            raise
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise UnsupportedNetwork(f"unexpected saved layout ({type(exc).__name__}: {exc})") from None
        finally:
            weights.close()
        return cls(graph, _input_shape(config), path)

    @property
    def layer_names(self) -> list[str]:
        return self._graph.layer_names()

    @property
    def last_layer_input(self) -> str | None:
        """Name of the layer whose output feeds the network's last layer (``Classifier.embed``)."""
        return self._graph.last_layer_input()

    def embed(self, x, batch_size: int = 256) -> np.ndarray:
        """The input of the last layer for ``x`` (as ``keras.Model(net.inputs, net.layers[-1].input)``)."""
        layer = self.last_layer_input
        if layer is None or self._graph.kinds.get(layer) == "InputLayer":
            raise UnsupportedNetwork("the network has no layer before its last one")
        return self.predict(x, batch_size=batch_size, layer=layer)

    def __call__(self, x):
        return self.predict(x)

    def predict(self, x, batch_size: int = 256, layer: str | None = None, workers: int | None = None) -> np.ndarray:
        """Forward pass over ``x`` in chunks of ``batch_size`` (float32 in, float32 out).

        Small chunks keep each layer's activations in the CPU cache.  With
        several cores (``workers``, default: the cores this process may use)
        the chunks run on one thread per core, each with single-threaded
        BLAS: numpy releases the GIL in matrix products and element-wise
        operations, so the work between the products runs in parallel too,
        which one multi-threaded BLAS call per layer does not give.
        """
        x = np.asarray(x, dtype=_F32)
        if self.input_shape is not None and x.ndim == len(self.input_shape):
            raise ValueError(f"predict expects a batch of inputs shaped {self.input_shape}: add a leading axis")
        if layer is not None and layer not in self._graph.ops:
            raise KeyError(f"no layer named {layer!r}; layers: {', '.join(self.layer_names)}")
        if layer is not None and layer in self._graph.folded:
            raise KeyError(f"layer {layer!r} was merged with the BatchNormalization after it; ask for that layer")
        chunks = [x[start:start + batch_size] for start in range(0, len(x), max(int(batch_size), 1))]
        if not chunks:
            return np.zeros((0,), _F32)

        def run(chunk):
            with np.errstate(over="ignore", under="ignore"):  # errstate is per thread
                return np.asarray(self._graph.run(chunk, want=layer), dtype=_F32)

        workers = min(workers or usable_cores(), len(chunks))
        if workers <= 1:
            outs = [run(c) for c in chunks]
        else:
            from concurrent.futures import ThreadPoolExecutor

            from threadpoolctl import threadpool_limits

            with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
                outs = list(pool.map(run, chunks))
        return np.concatenate(outs, axis=0)


_CACHE: dict = {}


def runtime_for(network_file) -> "NumpyNetwork | None":
    """The numpy runtime for ``network_file``, or ``None`` when Keras must run it.

    ``None`` when ``SASNETS_RUNTIME=keras`` is set, when the file does not
    exist, or when the network uses something unsupported here.  Results are
    cached per file (path and modification time).
    """
    if os.environ.get(RUNTIME_ENV, "numpy").strip().lower() == "keras":
        return None
    path = os.fspath(network_file)
    try:
        key = (os.path.abspath(path), os.path.getmtime(path))
    except OSError:
        return None
    if key not in _CACHE:
        try:
            _CACHE[key] = NumpyNetwork.from_keras_file(path)
        except UnsupportedNetwork:
            _CACHE[key] = None
    return _CACHE[key]

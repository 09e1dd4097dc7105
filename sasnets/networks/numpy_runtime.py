"""Run a saved Keras network with numpy alone, for fast cold-start inference.

Importing TensorFlow takes several seconds, longer than classifying a file
should; and for the small 1D networks sasnets trains, a batched float32
forward pass in numpy (BLAS matrix products, im2col for convolutions) is as
fast as Keras ``predict``.  Training stays on Keras; this module only reads
what Keras wrote.

A ``.keras`` file is a zip holding ``config.json`` (the layer graph) and
``model.weights.h5``, where Keras 3 stores each layer's variables under
``layers/<snake_case class name>[_<n>]/vars/<i>``, numbered per class in layer
order (not under the layer's own name).  :meth:`NumpyNetwork.from_keras_file`
rebuilds the graph from those two files without importing Keras or
TensorFlow, and raises :class:`UnsupportedNetwork` when a layer or option is
not implemented here, so callers fall back to Keras::

    try:
        net = NumpyNetwork.from_keras_file("classifier/network.keras")
    except UnsupportedNetwork:
        net = None          # use keras.saving.load_model instead

Supported: Sequential and Functional graphs (also nested) of InputLayer,
Dense, Conv1D (valid/same/causal padding, strides, dilation, groups),
SeparableConv1D, DepthwiseConv1D, Max/AveragePooling1D,
GlobalMax/GlobalAveragePooling1D, Flatten, Reshape, Permute, ZeroPadding1D,
Cropping1D, UpSampling1D, BatchNormalization, LayerNormalization,
Activation/ReLU/LeakyReLU/ELU/PReLU/Softmax, Add/Subtract/Multiply/Average/
Maximum/Minimum/Concatenate, Rescaling, Identity, and the inference-time
identities (Dropout and friends, GaussianNoise, ActivityRegularization).
The parity tests compare every built-in architecture with Keras to 1e-5.
"""
from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .._system import usable_cores

__all__ = ["NumpyNetwork", "UnsupportedNetwork", "load_network_parts", "runtime_for", "RUNTIME_ENV"]

#: environment switch: ``keras`` forces the Keras runtime, ``numpy`` (default) uses this one when it can
RUNTIME_ENV = "SASNETS_RUNTIME"

_F32 = np.float32


class UnsupportedNetwork(Exception):
    """The saved network uses something the numpy runtime does not implement."""


# -- activations -------------------------------------------------------------
def _softmax(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=axis, keepdims=True)
    return z


def _sigmoid(x):
    return (0.5 * (np.tanh(0.5 * x) + 1.0)).astype(x.dtype, copy=False)


def _gelu(x, approximate=False):
    if approximate:
        return (0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))).astype(x.dtype)
    from scipy.special import erf

    return (0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))).astype(x.dtype)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)


def _selu(x):
    return (1.0507009873554805 * _elu(x, 1.6732632423543772)).astype(x.dtype)


def _softplus(x):
    return (np.logaddexp(0, x)).astype(x.dtype)


_ACTIVATIONS: dict[str, Callable] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0, out=x),
    "relu6": lambda x: np.clip(x, 0, 6, out=x),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,
    "log_softmax": lambda x: (x - x.max(-1, keepdims=True)) - np.log(
        np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)),
    "elu": _elu,
    "selu": _selu,
    "gelu": _gelu,
    "swish": lambda x: x * _sigmoid(x),
    "silu": lambda x: x * _sigmoid(x),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "exponential": np.exp,
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x).astype(x.dtype),
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0, 1).astype(x.dtype),
    "hard_silu": lambda x: x * np.clip(x / 6.0 + 0.5, 0, 1).astype(x.dtype),
    "hard_swish": lambda x: x * np.clip(x / 6.0 + 0.5, 0, 1).astype(x.dtype),
}


def _activation_name(spec) -> str:
    if spec is None:
        return "linear"
    if isinstance(spec, dict):  # serialised activation object/function
        name = spec.get("config", spec.get("class_name"))
        if isinstance(name, dict):
            name = name.get("name")
        spec = name
    return str(spec).lower()


def _activation(spec) -> Callable:
    name = _activation_name(spec)
    if name not in _ACTIVATIONS:
        raise UnsupportedNetwork(f"activation {spec!r}")
    return _ACTIVATIONS[name]


# -- helpers -----------------------------------------------------------------
def _snake_case(name: str) -> str:
    """Keras' ``naming.to_snake_case`` (it names the weight groups)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _one(value):
    return int(value[0] if isinstance(value, (list, tuple)) else value)


def _pad_amounts(length: int, kernel: int, stride: int, dilation: int, padding: str):
    eff = (kernel - 1) * dilation + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return eff - 1, 0
    if padding == "same":
        out = -(-length // stride)
        total = max((out - 1) * stride + eff - length, 0)
        return total // 2, total - total // 2
    raise UnsupportedNetwork(f"padding {padding!r}")


def _windows(x, kernel: int, stride: int, dilation: int, padding: str):
    """``(batch, out_len, kernel, channels)`` strided view of the padded input."""
    lo, hi = _pad_amounts(x.shape[1], kernel, stride, dilation, padding)
    if lo or hi:
        x = np.pad(x, ((0, 0), (lo, hi), (0, 0)))
    x = np.ascontiguousarray(x)
    eff = (kernel - 1) * dilation + 1
    out_len = (x.shape[1] - eff) // stride + 1
    if out_len <= 0:
        raise ValueError("input too short for the convolution")
    b, s_l, s_c = x.strides
    return np.lib.stride_tricks.as_strided(
        x, shape=(x.shape[0], out_len, kernel, x.shape[2]),
        strides=(b, s_l * stride, s_l * dilation, s_c), writeable=False)


def _pool_windows(x, pool: int, stride: int, padding: str, fill: float):
    if padding == "same":
        lo, hi = _pad_amounts(x.shape[1], pool, stride, 1, "same")
        if lo or hi:
            x = np.pad(x, ((0, 0), (lo, hi), (0, 0)), constant_values=fill)
    elif padding != "valid":
        raise UnsupportedNetwork(f"pooling padding {padding!r}")
    return _windows(x, pool, stride, 1, "valid")


# -- layers ------------------------------------------------------------------
@dataclass
class _Layer:
    """One layer: its Keras class and config, its weights, and how to apply it."""

    name: str
    class_name: str
    config: dict
    weights: list = field(default_factory=list)

    def __call__(self, inputs: list):  # pragma: no cover - replaced per layer
        raise NotImplementedError


def _dense(cfg, w):
    kernel = w[0].astype(_F32)
    bias = w[1].astype(_F32) if cfg.get("use_bias", True) else None
    act = _activation(cfg.get("activation"))

    def run(x):
        y = x @ kernel
        if bias is not None:
            y += bias
        return act(y)
    return run


def _conv1d(cfg, w):
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise UnsupportedNetwork("Conv1D with channels_first")
    kernel = w[0].astype(_F32)  # (k, cin/groups, cout)
    bias = w[1].astype(_F32) if cfg.get("use_bias", True) else None
    k, cin_g, cout = kernel.shape
    stride, dilation = _one(cfg.get("strides", 1)), _one(cfg.get("dilation_rate", 1))
    groups = int(cfg.get("groups", 1))
    padding = cfg.get("padding", "valid")
    act = _activation(cfg.get("activation"))
    cout_g = cout // groups
    flat = [np.ascontiguousarray(kernel[:, :, g * cout_g:(g + 1) * cout_g].reshape(k * cin_g, cout_g))
            for g in range(groups)]

    def run(x):
        win = _windows(x, k, stride, dilation, padding)  # (b, L, k, cin)
        b, n = win.shape[:2]
        if groups == 1:
            y = win.reshape(b * n, k * cin_g) @ flat[0]
        else:
            y = np.concatenate([
                win[..., g * cin_g:(g + 1) * cin_g].reshape(b * n, k * cin_g) @ flat[g] for g in range(groups)
            ], axis=1)
        y = y.reshape(b, n, cout)
        if bias is not None:
            y += bias
        return act(y)
    return run


def _depthwise1d(cfg, kernel, bias, act):
    k, cin, mult = kernel.shape
    stride, dilation = _one(cfg.get("strides", 1)), _one(cfg.get("dilation_rate", 1))
    padding = cfg.get("padding", "valid")

    def run(x):
        win = _windows(x, k, stride, dilation, padding)  # (b, L, k, cin)
        y = np.einsum("blkc,kcm->blcm", win, kernel, optimize=True).reshape(win.shape[0], win.shape[1], cin * mult)
        y = y.astype(_F32, copy=False)
        if bias is not None:
            y += bias
        return act(y)
    return run


def _depthwise_conv1d(cfg, w):
    bias = w[1].astype(_F32) if cfg.get("use_bias", True) else None
    return _depthwise1d(cfg, w[0].astype(_F32), bias, _activation(cfg.get("activation")))


def _separable_conv1d(cfg, w):
    depth = _depthwise1d(cfg, w[0].astype(_F32), None, _ACTIVATIONS["linear"])
    point = w[1].astype(_F32)[0]  # (1, cin*mult, cout) -> (cin*mult, cout)
    bias = w[2].astype(_F32) if cfg.get("use_bias", True) else None
    act = _activation(cfg.get("activation"))

    def run(x):
        y = depth(x) @ point
        if bias is not None:
            y += bias
        return act(y)
    return run


def _pooling(kind):
    def build(cfg, w):
        pool = _one(cfg.get("pool_size", 2))
        stride = _one(cfg.get("strides") or pool)
        padding = cfg.get("padding", "valid")
        if cfg.get("data_format", "channels_last") != "channels_last":
            raise UnsupportedNetwork("pooling with channels_first")

        def run(x):
            if kind == "max":
                return _pool_windows(x, pool, stride, padding, -np.inf).max(axis=2)
            if padding == "same":  # Keras averages over the valid part of each window
                ones = np.ones((1, x.shape[1], 1), _F32)
                total = _pool_windows(x, pool, stride, padding, 0.0).sum(axis=2)
                count = _pool_windows(ones, pool, stride, padding, 0.0).sum(axis=2)
                return (total / count).astype(_F32)
            return _pool_windows(x, pool, stride, padding, 0.0).mean(axis=2, dtype=_F32)
        return run
    return build


def _global_pooling(kind):
    def build(cfg, w):
        keep = bool(cfg.get("keepdims", False))
        if cfg.get("data_format", "channels_last") != "channels_last":
            raise UnsupportedNetwork("global pooling with channels_first")
        if kind == "max":
            return lambda x: x.max(axis=1, keepdims=keep)
        return lambda x: x.mean(axis=1, keepdims=keep, dtype=_F32)
    return build


def _batch_norm(cfg, w):
    axis = cfg.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        axis = axis[0] if len(axis) == 1 else None
    if axis not in (-1, None) and axis < 0:
        raise UnsupportedNetwork("BatchNormalization on an axis other than the last")
    it = iter(w)
    gamma = next(it) if cfg.get("scale", True) else None
    beta = next(it) if cfg.get("center", True) else None
    mean, var = next(it), next(it)
    scale = (1.0 / np.sqrt(var.astype(np.float64) + cfg.get("epsilon", 1e-3)))
    if gamma is not None:
        scale = scale * gamma
    shift = -mean * scale + (beta if beta is not None else 0.0)
    scale, shift = scale.astype(_F32), shift.astype(_F32)
    last_axis = axis in (-1, None)

    def run(x):
        if not last_axis and axis != x.ndim - 1:
            raise UnsupportedNetwork("BatchNormalization on an axis other than the last")
        return x * scale + shift
    return run


def _layer_norm(cfg, w):
    axis = cfg.get("axis", -1)
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    if cfg.get("rms_scaling", False):
        raise UnsupportedNetwork("LayerNormalization with rms_scaling")
    it = iter(w)
    gamma = next(it).astype(_F32) if cfg.get("scale", True) else None
    beta = next(it).astype(_F32) if cfg.get("center", True) else None
    eps = cfg.get("epsilon", 1e-3)

    def run(x):
        axes = tuple(a % x.ndim for a in axis)
        if axes != tuple(range(x.ndim - len(axes), x.ndim)) or (gamma is not None and gamma.ndim != len(axes)):
            raise UnsupportedNetwork("LayerNormalization over non-trailing axes")
        mean = x.mean(axis=axes, keepdims=True, dtype=_F32)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True, dtype=_F32)
        y = (x - mean) / np.sqrt(var + eps)
        if gamma is not None:
            y = y * gamma
        if beta is not None:
            y = y + beta
        return y.astype(_F32, copy=False)
    return run


def _activation_layer(cfg, w):
    return _activation(cfg.get("activation"))


def _relu_layer(cfg, w):
    max_value = cfg.get("max_value")
    slope = float(cfg.get("negative_slope", 0.0) or 0.0)
    threshold = float(cfg.get("threshold", 0.0) or 0.0)

    def run(x):
        y = np.where(x >= threshold, x, slope * (x - threshold)).astype(_F32)
        if max_value is not None:
            y = np.minimum(y, max_value)
        return y
    return run


def _leaky_relu_layer(cfg, w):
    slope = float(cfg.get("negative_slope", cfg.get("alpha", 0.3)))
    return lambda x: np.where(x > 0, x, slope * x).astype(_F32)


def _elu_layer(cfg, w):
    alpha = float(cfg.get("alpha", 1.0))
    return lambda x: _elu(x, alpha)


def _prelu_layer(cfg, w):
    alpha = w[0].astype(_F32)
    return lambda x: np.where(x > 0, x, alpha * x).astype(_F32)


def _softmax_layer(cfg, w):
    axis = cfg.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise UnsupportedNetwork("Softmax over several axes")
        axis = axis[0]
    return lambda x: _softmax(x.copy(), axis=axis)


def _flatten(cfg, w):
    return lambda x: x.reshape(x.shape[0], -1)


def _reshape(cfg, w):
    shape = tuple(cfg["target_shape"])
    return lambda x: x.reshape((x.shape[0],) + shape)


def _permute(cfg, w):
    dims = tuple(cfg["dims"])
    return lambda x: np.ascontiguousarray(np.transpose(x, (0,) + dims))


def _zero_padding(cfg, w):
    pad = cfg.get("padding", 1)
    lo, hi = (pad, pad) if isinstance(pad, int) else tuple(pad)
    return lambda x: np.pad(x, ((0, 0), (lo, hi), (0, 0)))


def _cropping(cfg, w):
    crop = cfg.get("cropping", 1)
    lo, hi = (crop, crop) if isinstance(crop, int) else tuple(crop)
    return lambda x: x[:, lo:x.shape[1] - hi, :]


def _upsampling(cfg, w):
    size = int(cfg.get("size", 2))
    return lambda x: np.repeat(x, size, axis=1)


def _rescaling(cfg, w):
    scale = np.asarray(cfg.get("scale", 1.0), _F32)
    offset = np.asarray(cfg.get("offset", 0.0), _F32)
    return lambda x: x * scale + offset


def _identity(cfg, w):
    return lambda x: x


def _merge(op):
    def build(cfg, w):
        return op
    return build


def _concatenate(cfg, w):
    axis = cfg.get("axis", -1)
    return lambda *xs: np.concatenate(xs, axis=axis)


def _reduce(fn):
    def op(*xs):
        out = xs[0]
        for x in xs[1:]:
            out = fn(out, x)
        return out
    return op


_BUILDERS: dict[str, Callable] = {
    "Dense": _dense,
    "Conv1D": _conv1d,
    "Convolution1D": _conv1d,
    "DepthwiseConv1D": _depthwise_conv1d,
    "SeparableConv1D": _separable_conv1d,
    "MaxPooling1D": _pooling("max"),
    "MaxPool1D": _pooling("max"),
    "AveragePooling1D": _pooling("average"),
    "AvgPool1D": _pooling("average"),
    "GlobalMaxPooling1D": _global_pooling("max"),
    "GlobalMaxPool1D": _global_pooling("max"),
    "GlobalAveragePooling1D": _global_pooling("average"),
    "GlobalAvgPool1D": _global_pooling("average"),
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "Activation": _activation_layer,
    "ReLU": _relu_layer,
    "LeakyReLU": _leaky_relu_layer,
    "ELU": _elu_layer,
    "PReLU": _prelu_layer,
    "Softmax": _softmax_layer,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Permute": _permute,
    "ZeroPadding1D": _zero_padding,
    "Cropping1D": _cropping,
    "UpSampling1D": _upsampling,
    "Rescaling": _rescaling,
    "Identity": _identity,
    "Dropout": _identity,
    "SpatialDropout1D": _identity,
    "GaussianNoise": _identity,
    "GaussianDropout": _identity,
    "AlphaDropout": _identity,
    "ActivityRegularization": _identity,
    "Add": _merge(_reduce(np.add)),
    "Subtract": _merge(lambda a, b: a - b),
    "Multiply": _merge(_reduce(np.multiply)),
    "Maximum": _merge(_reduce(np.maximum)),
    "Minimum": _merge(_reduce(np.minimum)),
    "Average": _merge(lambda *xs: (_reduce(np.add)(*xs) / len(xs)).astype(_F32)),
    "Concatenate": _concatenate,
}

_MODELS = ("Functional", "Sequential", "Model")


# -- graph ---------------------------------------------------------------------
def _history(arg):
    """``(layer name, node index, tensor index)`` of a serialised Keras tensor, else ``None``."""
    if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
        return tuple(arg["config"]["keras_history"])
    return None


def _flatten_args(args):
    out = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(_flatten_args(a))
        else:
            out.append(a)
    return out


class _Graph:
    """A Sequential or Functional network as an ordered list of steps."""

    def __init__(self, config: dict, weights, path: str):
        cls = config.get("class_name")
        if cls not in _MODELS:
            raise UnsupportedNetwork(f"top-level {cls!r}")
        self.sequential = cls == "Sequential"
        inner = config["config"]
        self.layer_configs = inner["layers"]
        self.ops: dict[str, Callable] = {}
        self.kinds: dict[str, str] = {}
        self.folded: set[str] = set()  # layers whose output now includes the next BatchNormalization
        specs = self._read_layers(weights, path)
        if self.sequential:
            self.order = [n for n, (c, _, _) in specs.items() if c != "InputLayer"]
        else:
            self._read_nodes(inner)
        self._fold_batch_norms(specs)
        for name, (cls_name, cfg, arrays) in specs.items():
            if cls_name == "InputLayer":
                self.ops[name] = None
            elif isinstance(arrays, _Graph):
                self.ops[name] = arrays
            else:
                self.ops[name] = _BUILDERS[cls_name](cfg, arrays)

    def _read_layers(self, weights, path: str) -> dict:
        """``{layer name: (class, config, weight arrays or nested _Graph)}`` in layer order."""
        used: dict[str, int] = {}
        specs: dict = {}
        for layer in self.layer_configs:
            cls_name = layer["class_name"]
            name = layer.get("name") or layer["config"].get("name")
            base = _snake_case(cls_name)  # Keras names weight groups by class, numbered per class
            count = used.get(base)
            used[base] = 0 if count is None else count + 1
            wpath = f"{path}/{base}" if count is None else f"{path}/{base}_{used[base]}"
            self.kinds[name] = cls_name
            if cls_name == "InputLayer":
                specs[name] = (cls_name, layer["config"], [])
                continue
            if layer.get("registered_name") not in (None, cls_name):
                raise UnsupportedNetwork(f"custom layer {layer.get('registered_name')!r}")
            if cls_name in _MODELS:
                specs[name] = (cls_name, layer["config"], _Graph(layer, weights, f"{wpath}/layers"))
                continue
            if cls_name not in _BUILDERS:
                raise UnsupportedNetwork(f"layer {cls_name!r}")
            dtype = layer["config"].get("dtype") or "float32"
            policy = dtype.get("config", {}).get("name", "float32") if isinstance(dtype, dict) else str(dtype)
            if policy not in ("float32", "mixed_float16", "mixed_bfloat16"):
                raise UnsupportedNetwork(f"dtype policy {policy!r}")
            group = weights.get(f"{wpath}/vars")
            arrays = [np.asarray(group[str(i)]) for i in range(len(group))] if group is not None else []
            specs[name] = (cls_name, dict(layer["config"]), arrays)
        return specs

    def _read_nodes(self, inner: dict) -> None:
        self.inputs = [tuple(t) for t in _as_list_of_refs(inner["input_layers"])]
        self.outputs = [tuple(t) for t in _as_list_of_refs(inner["output_layers"])]
        if len(self.inputs) != 1:
            raise UnsupportedNetwork("networks with several inputs")
        self.nodes = []
        for layer in self.layer_configs:
            name = layer["name"]
            for node_index, node in enumerate(layer.get("inbound_nodes", [])):
                args = node.get("args", []) if isinstance(node, dict) else node
                refs = [_history(a) for a in _flatten_args(args)]
                if any(r is None for r in refs):
                    raise UnsupportedNetwork(f"non-tensor arguments to layer {name!r}")
                kwargs = node.get("kwargs", {}) if isinstance(node, dict) else {}
                if any(v is not None and k not in ("training", "mask") for k, v in kwargs.items()):
                    raise UnsupportedNetwork(f"call arguments {sorted(kwargs)} of layer {name!r}")
                self.nodes.append((name, node_index, refs))

    def _fold_batch_norms(self, specs: dict) -> None:
        """Fold each inference-mode BatchNormalization into the Conv1D/Dense feeding only it.

        ``bn(conv(x)) = conv'(x)`` with the kernel scaled per output channel and
        the bias shifted; this removes a full pass over the activations.
        """
        pairs = []
        if self.sequential:
            pairs = list(zip(self.order, self.order[1:]))
        else:
            consumers: dict[tuple, list] = {}
            for name, node_index, refs in self.nodes:
                for r in refs:
                    consumers.setdefault(tuple(r), []).append(name)
            called = {}
            for name, _, _ in self.nodes:
                called[name] = called.get(name, 0) + 1
            outputs = {tuple(o) for o in self.outputs}
            for name, node_index, refs in self.nodes:
                if len(refs) != 1 or called[name] != 1:
                    continue
                src = tuple(refs[0])
                if called.get(src[0]) == 1 and consumers.get(src) == [name] and src not in outputs:
                    pairs.append((src[0], name))
        for producer, bn in pairs:
            p_cls, p_cfg, p_w = specs[producer]
            b_cls, b_cfg, b_w = specs[bn]
            if b_cls != "BatchNormalization" or p_cls not in ("Conv1D", "Convolution1D", "Dense"):
                continue
            if _activation_name(p_cfg.get("activation")) != "linear" or b_cfg.get("axis", -1) not in (-1, [-1]):
                continue
            it = iter(b_w)
            gamma = next(it) if b_cfg.get("scale", True) else 1.0
            beta = next(it) if b_cfg.get("center", True) else 0.0
            mean, var = next(it), next(it)
            scale = gamma / np.sqrt(var.astype(np.float64) + b_cfg.get("epsilon", 1e-3))
            bias = p_w[1] if p_cfg.get("use_bias", True) else 0.0
            kernel = (p_w[0] * scale).astype(_F32)
            new_bias = ((bias - mean) * scale + beta).astype(_F32)
            specs[producer] = (p_cls, {**p_cfg, "use_bias": True}, [kernel, new_bias])
            specs[bn] = ("Identity", b_cfg, [])
            self.folded.add(producer)

    def run(self, x, want: str | None = None):
        """Output of the network (or of the layer named ``want``)."""
        if self.sequential:
            for name in self.order:
                op = self.ops[name]
                x = op.run(x) if isinstance(op, _Graph) else op(x)
                if name == want:
                    return x
            return x
        values: dict[tuple, np.ndarray] = {(self.inputs[0][0], 0, 0): x}
        for name, node_index, refs in self.nodes:
            op = self.ops[name]
            args = [values[(r[0], r[1], r[2])] for r in refs]
            out = op.run(args[0]) if isinstance(op, _Graph) else op(*args)
            values[(name, node_index, 0)] = out
            if name == want:
                return out
        outs = [values[(o[0], o[1], o[2])] for o in self.outputs]
        return outs[0] if len(outs) == 1 else outs

    def layer_names(self) -> list[str]:
        return [l.get("name") or l["config"]["name"] for l in self.layer_configs]


def _as_list_of_refs(spec):
    # Keras writes ["name", 0, 0] for one tensor and [["name", 0, 0], ...] for several
    if spec and isinstance(spec[0], str):
        return [spec]
    return spec


def load_network_parts(path: str):
    """``(config dict, open h5py weights file)`` of a ``.keras`` file (caller closes the file)."""
    import io

    import h5py

    try:
        with zipfile.ZipFile(path) as zf:
            config = json.loads(zf.read("config.json"))
            weights_bytes = zf.read("model.weights.h5")
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise UnsupportedNetwork(f"{path} is not a readable .keras file ({exc})") from None
    return config, h5py.File(io.BytesIO(weights_bytes), "r")


class NumpyNetwork:
    """A saved Keras network evaluated with numpy (float32, batched).

    ``net(x)`` or :meth:`predict` returns the network's output for ``x``
    (``(n, …)`` as the Keras input); ``predict(x, layer=name)`` returns the
    output of one layer instead (embeddings).
    """

    def __init__(self, graph: _Graph, input_shape: tuple | None, source: str = ""):
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
            graph = _Graph(config, weights, "layers")
        except UnsupportedNetwork:
            raise
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise UnsupportedNetwork(f"unexpected saved layout ({type(exc).__name__}: {exc})") from None
        finally:
            weights.close()
        input_shape = None
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "InputLayer":
                shape = layer["config"].get("batch_shape") or layer["config"].get("batch_input_shape")
                input_shape = tuple(shape[1:]) if shape else None
                break
        return cls(graph, input_shape, path)

    @property
    def layer_names(self) -> list[str]:
        return self._graph.layer_names()

    @property
    def last_layer_input(self) -> str | None:
        """Name of the layer whose output feeds the network's last layer (``Classifier.embed``)."""
        g = self._graph
        if g.sequential:
            return g.order[-2] if len(g.order) > 1 else None
        last = g.outputs[0][0]
        for name, _, refs in g.nodes:
            if name == last and len(refs) == 1:
                return refs[0][0]
        return None

    def embed(self, x, batch_size: int = 256) -> np.ndarray:
        """The input of the last layer for ``x`` (as ``keras.Model(net.inputs, net.layers[-1].input)``)."""
        layer = self.last_layer_input
        if layer is None or self._graph.kinds.get(layer) == "InputLayer":
            raise UnsupportedNetwork("the network has no layer before its last one")
        return self.predict(x, batch_size=batch_size, layer=layer)

    @property
    def penultimate_layer(self) -> str | None:
        """Name of the layer feeding the final Dense layer (the embedding), if any."""
        names = [n for n in self._graph.layer_names() if self._graph.kinds.get(n) != "InputLayer"]
        kinds = [self._graph.kinds[n] for n in names]
        identity = {"Dropout", "Activation", "Softmax", "SpatialDropout1D", "GaussianNoise", "GaussianDropout",
                    "AlphaDropout", "ActivityRegularization", "Identity"}
        i = len(names) - 1
        while i >= 0 and kinds[i] in identity:
            i -= 1
        if i <= 0 or kinds[i] != "Dense":
            return None
        i -= 1
        while i > 0 and kinds[i] in identity - {"Activation"}:
            i -= 1
        return names[i]

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

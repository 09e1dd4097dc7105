"""The numpy kernels of the Keras layers that are not sliding windows
(Dense, normalisation, activation layers, reshaping, merging, the
inference-time identities), and :data:`BUILDERS`, the registry from Keras
class name to builder that the graph walk uses for every supported layer.

A builder takes the layer's Keras config and its weight arrays (in Keras'
order) and returns the layer's forward function on float32 batches
(``(batch, ...)``, channels last).  Convolutions and pooling are in
:mod:`._conv`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._activations import activation, elu, softmax
from ._conv import conv1d, depthwise_conv1d, pooling, separable_conv1d
from ._errors import UnsupportedNetwork

__all__ = ["BUILDERS"]

_F32 = np.float32


def _dense(cfg, w):
    kernel = w[0].astype(_F32)
    bias = w[1].astype(_F32) if cfg.get("use_bias", True) else None
    act = activation(cfg.get("activation"))

    def run(x):
        y = x @ kernel
        if bias is not None:
            y += bias
        return act(y)
    return run


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
    return activation(cfg.get("activation"))


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
    return lambda x: elu(x, alpha)


def _prelu_layer(cfg, w):
    alpha = w[0].astype(_F32)
    return lambda x: np.where(x > 0, x, alpha * x).astype(_F32)


def _softmax_layer(cfg, w):
    axis = cfg.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise UnsupportedNetwork("Softmax over several axes")
        axis = axis[0]
    return lambda x: softmax(x.copy(), axis=axis)


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


BUILDERS: dict[str, Callable] = {
    "Dense": _dense,
    "Conv1D": conv1d,
    "Convolution1D": conv1d,
    "DepthwiseConv1D": depthwise_conv1d,
    "SeparableConv1D": separable_conv1d,
    "MaxPooling1D": pooling("max"),
    "MaxPool1D": pooling("max"),
    "AveragePooling1D": pooling("average"),
    "AvgPool1D": pooling("average"),
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

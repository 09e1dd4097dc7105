"""The sliding-window layers: Conv1D, DepthwiseConv1D, SeparableConv1D and
Max/AveragePooling1D, with Keras' padding rules.

Each window is a strided view of the padded input, ``(batch, out_len,
kernel, channels)``, so a convolution is one BLAS matrix product (im2col
without the copy) and a pooling one reduction.  Every builder takes the
layer's Keras config and weight arrays and returns the layer's forward
function.
"""
from __future__ import annotations

import numpy as np

from ._activations import ACTIVATIONS, activation
from ._errors import UnsupportedNetwork

__all__ = ["conv1d", "depthwise_conv1d", "separable_conv1d", "pooling"]

_F32 = np.float32


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


def conv1d(cfg, w):
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise UnsupportedNetwork("Conv1D with channels_first")
    kernel = w[0].astype(_F32)  # (k, cin/groups, cout)
    bias = w[1].astype(_F32) if cfg.get("use_bias", True) else None
    k, cin_g, cout = kernel.shape
    stride, dilation = _one(cfg.get("strides", 1)), _one(cfg.get("dilation_rate", 1))
    groups = int(cfg.get("groups", 1))
    padding = cfg.get("padding", "valid")
    act = activation(cfg.get("activation"))
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


def depthwise_conv1d(cfg, w):
    bias = w[1].astype(_F32) if cfg.get("use_bias", True) else None
    return _depthwise1d(cfg, w[0].astype(_F32), bias, activation(cfg.get("activation")))


def separable_conv1d(cfg, w):
    depth = _depthwise1d(cfg, w[0].astype(_F32), None, ACTIVATIONS["linear"])
    point = w[1].astype(_F32)[0]  # (1, cin*mult, cout) -> (cin*mult, cout)
    bias = w[2].astype(_F32) if cfg.get("use_bias", True) else None
    act = activation(cfg.get("activation"))

    def run(x):
        y = depth(x) @ point
        if bias is not None:
            y += bias
        return act(y)
    return run


def pooling(kind):
    """The builder of Max (``kind="max"``) or AveragePooling1D."""
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

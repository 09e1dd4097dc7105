"""Keras activation functions in numpy, by the names Keras serialises them.

Used both by layers with an ``activation`` option (Dense, Conv1D, ...) and
by the Activation layer; an activation not listed raises
:class:`UnsupportedNetwork` so the caller falls back to Keras.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._errors import UnsupportedNetwork

__all__ = ["ACTIVATIONS", "activation", "activation_name", "elu", "softmax"]


def softmax(x, axis=-1):
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


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)


def _selu(x):
    return (1.0507009873554805 * elu(x, 1.6732632423543772)).astype(x.dtype)


def _softplus(x):
    return (np.logaddexp(0, x)).astype(x.dtype)


ACTIVATIONS: dict[str, Callable] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0, out=x),
    "relu6": lambda x: np.clip(x, 0, 6, out=x),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": softmax,
    "log_softmax": lambda x: (x - x.max(-1, keepdims=True)) - np.log(
        np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)),
    "elu": elu,
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


def activation_name(spec) -> str:
    """The lower-case name of a serialised activation (``None`` is ``linear``)."""
    if spec is None:
        return "linear"
    if isinstance(spec, dict):  # serialised activation object/function
        name = spec.get("config", spec.get("class_name"))
        if isinstance(name, dict):
            name = name.get("name")
        spec = name
    return str(spec).lower()


def activation(spec) -> Callable:
    """The numpy function of a serialised activation; :class:`UnsupportedNetwork` if there is none."""
    name = activation_name(spec)
    if name not in ACTIVATIONS:
        raise UnsupportedNetwork(f"activation {spec!r}")
    return ACTIVATIONS[name]

"""Reading a ``network.keras`` file without Keras: its layer graph and its weights.

A ``.keras`` file is a zip holding ``config.json`` (the layer graph) and
``model.weights.h5``, where Keras 3 stores each layer's variables under
``layers/<snake_case class name>[_<n>]/vars/<i>``, numbered per class in
layer order (not under the layer's own name); a nested model's layers sit
under its own group, in ``<group>/layers/...``.  This module knows that
layout; what the layers compute is elsewhere.
"""
from __future__ import annotations

import json
import re
import zipfile

import numpy as np

from ._errors import UnsupportedNetwork

__all__ = ["load_network_parts", "weight_group_paths", "read_vars", "input_shape"]


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


def _snake_case(name: str) -> str:
    """Keras' ``naming.to_snake_case`` (it names the weight groups)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def weight_group_paths(layer_configs: list, path: str) -> list[str]:
    """The weights-file group of each layer in ``layer_configs`` (one model's layers), under ``path``."""
    used: dict[str, int] = {}
    groups = []
    for layer in layer_configs:
        base = _snake_case(layer["class_name"])  # Keras names weight groups by class, numbered per class
        count = used.get(base)
        used[base] = 0 if count is None else count + 1
        groups.append(f"{path}/{base}" if count is None else f"{path}/{base}_{used[base]}")
    return groups


def read_vars(weights, group_path: str) -> list:
    """The variables of the layer stored at ``group_path``, in Keras' order (none: ``[]``)."""
    group = weights.get(f"{group_path}/vars")
    return [np.asarray(group[str(i)]) for i in range(len(group))] if group is not None else []


def input_shape(config: dict) -> tuple | None:
    """The shape of one input (without the batch axis) from the saved config, if it says."""
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "InputLayer":
            shape = layer["config"].get("batch_shape") or layer["config"].get("batch_input_shape")
            return tuple(shape[1:]) if shape else None
    return None

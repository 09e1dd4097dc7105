"""Walking a saved Sequential or Functional Keras graph with numpy layer kernels.

:class:`Graph` turns a model's config (and its weights file) into an ordered
list of steps: the layers in order for a Sequential model, the inbound nodes
in order for a Functional one (Keras writes them so that each node's inputs
come before it), a nested model being one step that is itself a
:class:`Graph`.  On the way it folds each inference-mode BatchNormalization
into the Conv1D/Dense that alone feeds it.  Layers and options not
implemented raise :class:`UnsupportedNetwork`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._activations import activation_name
from ._errors import UnsupportedNetwork
from ._layers import BUILDERS
from ._loading import read_vars, weight_group_paths

__all__ = ["Graph"]

_F32 = np.float32

#: Keras class names of (nested) models
MODELS = ("Functional", "Sequential", "Model")


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


def _as_list_of_refs(spec):
    # Keras writes ["name", 0, 0] for one tensor and [["name", 0, 0], ...] for several
    if spec and isinstance(spec[0], str):
        return [spec]
    return spec


class Graph:
    """A Sequential or Functional network as an ordered list of steps."""

    def __init__(self, config: dict, weights, path: str):
        cls = config.get("class_name")
        if cls not in MODELS:
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
            elif isinstance(arrays, Graph):
                self.ops[name] = arrays
            else:
                self.ops[name] = BUILDERS[cls_name](cfg, arrays)

    def _read_layers(self, weights, path: str) -> dict:
        """``{layer name: (class, config, weight arrays or nested Graph)}`` in layer order."""
        specs: dict = {}
        for layer, wpath in zip(self.layer_configs, weight_group_paths(self.layer_configs, path)):
            cls_name = layer["class_name"]
            name = layer.get("name") or layer["config"].get("name")
            self.kinds[name] = cls_name
            if cls_name == "InputLayer":
                specs[name] = (cls_name, layer["config"], [])
                continue
            if layer.get("registered_name") not in (None, cls_name):
                raise UnsupportedNetwork(f"custom layer {layer.get('registered_name')!r}")
            if cls_name in MODELS:
                specs[name] = (cls_name, layer["config"], Graph(layer, weights, f"{wpath}/layers"))
                continue
            if cls_name not in BUILDERS:
                raise UnsupportedNetwork(f"layer {cls_name!r}")
            dtype = layer["config"].get("dtype") or "float32"
            policy = dtype.get("config", {}).get("name", "float32") if isinstance(dtype, dict) else str(dtype)
            if policy not in ("float32", "mixed_float16", "mixed_bfloat16"):
                raise UnsupportedNetwork(f"dtype policy {policy!r}")
            specs[name] = (cls_name, dict(layer["config"]), read_vars(weights, wpath))
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
            if activation_name(p_cfg.get("activation")) != "linear" or b_cfg.get("axis", -1) not in (-1, [-1]):
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
                x = op.run(x) if isinstance(op, Graph) else op(x)
                if name == want:
                    return x
            return x
        values: dict[tuple, np.ndarray] = {(self.inputs[0][0], 0, 0): x}
        for name, node_index, refs in self.nodes:
            op = self.ops[name]
            args = [values[(r[0], r[1], r[2])] for r in refs]
            out = op.run(args[0]) if isinstance(op, Graph) else op(*args)
            values[(name, node_index, 0)] = out
            if name == want:
                return out
        outs = [values[(o[0], o[1], o[2])] for o in self.outputs]
        return outs[0] if len(outs) == 1 else outs

    def layer_names(self) -> list[str]:
        return [l.get("name") or l["config"]["name"] for l in self.layer_configs]

    def last_layer_input(self) -> str | None:
        """Name of the layer whose output feeds the last layer (``None``: no single such layer)."""
        if self.sequential:
            return self.order[-2] if len(self.order) > 1 else None
        last = self.outputs[0][0]
        for name, _, refs in self.nodes:
            if name == last and len(refs) == 1:
                return refs[0][0]
        return None

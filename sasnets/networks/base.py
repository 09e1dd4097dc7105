"""Architectures: a network builder plus the recipe that trains it well.

An :class:`Architecture` bundles

* ``builder(input_shape, n_classes, **hyper) -> keras.Model``: an *uncompiled*
  network whose last layer outputs **logits** (no softmax; the classifier
  applies softmax and its temperature), built from plain Keras layers so that a
  saved network can be read without custom code;
* ``defaults``: the builder's default hyper-parameters;
* ``recipe``: how to train it (:class:`Recipe`: optimizer, learning rate and
  schedule, label smoothing, batch size, epochs, early-stopping patience);
* ``search_space(trial)``: the hyper-parameters ``sasnets tune`` explores.

Plugins register an :class:`Architecture` (or, for brevity, a bare builder
function, which gets the default :class:`Recipe`) through the
``sasnets_register_architectures`` hook; :func:`get_architecture` returns it.
Network code uses Keras 3 layers and ``keras.ops`` only, so the TensorFlow,
JAX and PyTorch backends all work.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from ..errors import UsageError
from ..options import Options

__all__ = ["Recipe", "Architecture", "get_architecture", "architecture_names",
           "make_optimizer", "make_loss", "marginal_matrices", "DEFAULT_ARCHITECTURE"]

#: the architecture ``sasnets train`` uses when ``--arch`` is not given
DEFAULT_ARCHITECTURE = "resnet1d"

_OPTIMIZERS = ("adamw", "adam", "adadelta", "sgd", "rmsprop")
_SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class Recipe(Options):
    """How an architecture is trained by default; every field can be overridden."""

    optimizer: str = "adamw"
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    schedule: str = "cosine"  # cosine decay over all epochs after a linear warm-up
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.0
    # weight of an extra cross-entropy on the form-factor and on the
    # structure-factor probabilities (sums over the F@S labels): 0 trains on the
    # labels alone; > 0 also rewards naming the right form (or structure) factor
    # when the pair is wrong, the answer a scientist reads first
    marginal_weight: float = 0.0
    batch_size: int = 256
    epochs: int = 40
    patience: int = 10  # epochs without a better validation accuracy before stopping
    optimizer_options: dict = field(default_factory=dict)
    # the input channels and augmentation the architecture trains on unless the
    # caller chooses (None: the PreprocessSpec default); a baseline reproduces its
    # published input this way
    channels: tuple | None = None
    augment: bool = True

    def __post_init__(self):
        if self.channels is not None:
            object.__setattr__(self, "channels", tuple(self.channels))
        if self.optimizer not in _OPTIMIZERS:
            raise UsageError(f"Unknown optimizer {self.optimizer!r}; choose from {', '.join(_OPTIMIZERS)}.")
        if self.schedule not in _SCHEDULES:
            raise UsageError(f"Unknown learning-rate schedule {self.schedule!r}; choose from {', '.join(_SCHEDULES)}.")
        if not self.learning_rate > 0:
            raise UsageError(f"The learning rate must be positive (--lr), got {self.learning_rate}.")
        if not 0 <= self.label_smoothing < 1:
            raise UsageError(f"Label smoothing must be in [0, 1) (--label-smoothing), got {self.label_smoothing}.")
        if not self.marginal_weight >= 0:
            raise UsageError(f"The marginal weight must be 0 or more (--marginal-weight), got {self.marginal_weight}.")
        if int(self.batch_size) < 1:
            raise UsageError(f"The batch size must be at least 1 (--batch-size), got {self.batch_size}.")
        if int(self.epochs) < 1:
            raise UsageError(f"Train for at least 1 epoch (--epochs), got {self.epochs}.")



@dataclass(frozen=True)
class Architecture:
    """A registered network recipe (see the module docstring)."""

    name: str
    builder: Callable[..., Any]
    description: str = ""
    defaults: dict = field(default_factory=dict)
    recipe: Recipe = field(default_factory=Recipe)
    search_space: Callable[[Any], dict] | None = None

    def hyper(self, **overrides) -> dict:
        """The default hyper-parameters updated with ``overrides``."""
        unknown = sorted(set(overrides) - set(self.defaults)) if self.defaults else []
        if unknown:
            raise UsageError(
                f"Architecture {self.name!r} has no hyper-parameter {', '.join(unknown)} (--hyper); "
                f"it has {', '.join(sorted(self.defaults)) or 'none'}."
            )
        return {**self.defaults, **overrides}

    def build(self, input_shape, n_classes: int, **hyper):
        """An uncompiled Keras network for ``input_shape = (nq, channels)`` returning logits."""
        return self.builder(tuple(input_shape), int(n_classes), **self.hyper(**hyper))


def architecture_names() -> list[str]:
    from ..plugins import get_registry

    return get_registry("architectures").names()


def get_architecture(name: str | None = None, option: str = "--arch") -> Architecture:
    """The registered architecture ``name`` (default :data:`DEFAULT_ARCHITECTURE`).

    A plugin may register a bare builder function; it is wrapped with the
    default :class:`Recipe` and no search space.
    """
    from ..plugins import get_registry

    name = name or DEFAULT_ARCHITECTURE
    entry = get_registry("architectures").entry(name, option)
    target = entry.load()
    if isinstance(target, Architecture):
        return target if target.name == name else replace(target, name=name)
    if callable(target):
        doc = (getattr(target, "__doc__", None) or "").strip()
        return Architecture(name=name, builder=target,
                            description=entry.meta.get("description") or (doc.splitlines()[0] if doc else ""))
    raise UsageError(f"Architecture {name!r} from {entry.origin} is neither an Architecture nor a builder function.")


def make_optimizer(recipe: Recipe, steps_per_epoch: int):
    """The Keras optimizer (with its learning-rate schedule) for ``recipe``."""
    import keras

    steps_per_epoch = max(int(steps_per_epoch), 1)
    lr = float(recipe.learning_rate)
    if recipe.schedule == "cosine":
        total = max(int(recipe.epochs) * steps_per_epoch, 1)
        warmup = int(min(recipe.warmup_epochs * steps_per_epoch, total // 2))
        if warmup > 0:
            schedule = keras.optimizers.schedules.CosineDecay(
                initial_learning_rate=lr * 1e-2, decay_steps=max(total - warmup, 1), alpha=1e-2,
                warmup_target=lr, warmup_steps=warmup)
        else:
            schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=total, alpha=1e-2)
    else:
        schedule = lr
    opts = dict(recipe.optimizer_options)
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=recipe.weight_decay, **opts)
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=schedule, **opts)
    if recipe.optimizer == "adadelta":
        return keras.optimizers.Adadelta(learning_rate=schedule, **opts)
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=schedule, **{"momentum": 0.9, "nesterov": True, **opts})
    return keras.optimizers.RMSprop(learning_rate=schedule, **opts)


def make_loss(recipe: Recipe, labels=None):
    """Categorical cross-entropy on logits, with the recipe's label smoothing;
    with a positive ``recipe.marginal_weight`` and product ``labels`` (F@S),
    plus that weight times the cross-entropy of the form-factor and of the
    structure-factor marginals (:func:`marginal_matrices`)."""
    import keras

    smoothing = float(recipe.label_smoothing)
    weight = float(recipe.marginal_weight)
    groups = marginal_matrices(labels) if weight > 0 and labels is not None else []
    if not groups:
        return keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)
    return _MarginalCrossentropy(groups, weight, smoothing)


def marginal_matrices(labels) -> list:
    """0/1 matrices ``(len(labels), groups)`` that sum label probabilities into
    form-factor and structure-factor probabilities; a grouping that merges no
    labels (no products among ``labels``) is left out."""
    import numpy as np

    from ..classifier.factors import split_label

    pairs = [split_label(label) for label in labels]
    matrices = []
    for part in (0, 1):
        names = sorted({pair[part] for pair in pairs})
        if 1 < len(names) < len(labels):
            index = {name: i for i, name in enumerate(names)}
            matrix = np.zeros((len(labels), len(names)), dtype="float32")
            matrix[np.arange(len(labels)), [index[pair[part]] for pair in pairs]] = 1.0
            matrices.append(matrix)
    return matrices


def _MarginalCrossentropy(groups: list, weight: float, smoothing: float):
    """The Keras loss of :func:`make_loss` with marginals (a class built on
    first use, so that importing this module does not import Keras)."""
    import keras

    class MarginalCrossentropy(keras.losses.Loss):
        def __init__(self):
            super().__init__(name="marginal_crossentropy")
            self.groups = [keras.ops.convert_to_tensor(g) for g in groups]

        def call(self, y_true, y_pred):
            ops = keras.ops
            y_true = ops.cast(y_true, y_pred.dtype)
            loss = keras.losses.categorical_crossentropy(y_true, y_pred, from_logits=True, label_smoothing=smoothing)
            proba = ops.softmax(y_pred, axis=-1)
            for group in self.groups:
                group = ops.cast(group, y_pred.dtype)
                loss = loss - weight * ops.sum(ops.matmul(y_true, group) * ops.log(ops.matmul(proba, group) + 1e-7),
                                               axis=-1)
            return loss

    return MarginalCrossentropy()

"""``mlp``: a multilayer perceptron on the flattened q-grid (a simple reference)."""
from __future__ import annotations

from .base import Architecture, Recipe

__all__ = ["build", "ARCHITECTURE"]


def build(input_shape, n_classes, units=(512, 256), dropout=0.2):
    """Multilayer perceptron: Flatten - (Dense - BatchNorm - relu - Dropout) x N - Dense."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=tuple(input_shape), name="curves")
    x = layers.Flatten(name="flatten")(inputs)
    for i, width in enumerate(units):
        x = layers.Dense(int(width), use_bias=False, name=f"dense{i + 1}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{i + 1}")(x)
        x = layers.Activation("relu", name=f"relu{i + 1}")(x)
        x = layers.Dropout(dropout, name=f"drop{i + 1}")(x)
    logits = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="mlp")


def _search_space(trial):
    width = trial.suggest_categorical("width", [128, 256, 512, 1024])
    depth = trial.suggest_int("depth", 1, 3)
    return {
        "hyper": {"units": [width] * depth, "dropout": trial.suggest_float("dropout", 0.0, 0.5)},
        "recipe": {"learning_rate": trial.suggest_float("learning_rate", 3e-4, 1e-2, log=True),
                   "label_smoothing": trial.suggest_float("label_smoothing", 0.0, 0.2)},
    }


ARCHITECTURE = Architecture(
    name="mlp",
    builder=build,
    description="Multilayer perceptron on the flattened q-grid (Dense-BatchNorm-relu blocks).",
    defaults={"units": (512, 256), "dropout": 0.2},
    recipe=Recipe(optimizer="adamw", learning_rate=2e-3, weight_decay=1e-4, schedule="cosine",
                  warmup_epochs=1, label_smoothing=0.1, batch_size=256, epochs=40, patience=10),
    search_space=_search_space,
)

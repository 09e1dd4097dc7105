"""A small 1D transformer encoder over q-grid patches (sasnets-extras).

The q-grid input ``(nq, channels)`` is cut into patches by a strided
convolution, given a learned position embedding (a transformer has no sense of
order otherwise, and position on the q-grid is physics: Guinier region,
oscillations, Porod tail), passed through pre-norm encoder blocks, pooled and
classified.  Written with Keras layers and ``keras.ops`` only, so it runs on
every Keras backend.  It uses attention, which the sasnets numpy runtime does
not interpret, so classifiers built with it predict through Keras.
"""
import keras
from keras import layers, ops

from sasnets.networks.base import Architecture, Recipe


@keras.saving.register_keras_serializable(package="sasnets_extras")
class PositionEmbedding(layers.Layer):
    """Adds a learned vector per sequence position."""

    def build(self, input_shape):
        self.positions = self.add_weight(shape=(input_shape[1], input_shape[2]), initializer="random_normal",
                                         name="positions")

    def call(self, x):
        return x + ops.expand_dims(self.positions, 0)


def build(input_shape, n_classes, patch=4, dim=64, depth=2, heads=4, mlp_ratio=2, dropout=0.1):
    """Patch embedding, learned positions, pre-norm encoder blocks, mean pooling, logits."""
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv1D(dim, patch, strides=patch, padding="same", name="patches")(inputs)
    x = PositionEmbedding(name="positions")(x)
    for i in range(depth):
        h = layers.LayerNormalization(name=f"block{i}_norm1")(x)
        h = layers.MultiHeadAttention(heads, dim // heads, dropout=dropout, name=f"block{i}_attention")(h, h)
        x = layers.Add(name=f"block{i}_add1")([x, h])
        h = layers.LayerNormalization(name=f"block{i}_norm2")(x)
        h = layers.Dense(dim * mlp_ratio, activation="gelu", name=f"block{i}_mlp1")(h)
        h = layers.Dropout(dropout)(h)
        h = layers.Dense(dim, name=f"block{i}_mlp2")(h)
        x = layers.Add(name=f"block{i}_add2")([x, h])
    x = layers.LayerNormalization(name="final_norm")(x)
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    outputs = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="transformer1d")


def _search_space(trial):
    return {
        "dim": trial.suggest_categorical("dim", [32, 64, 96]),
        "depth": trial.suggest_int("depth", 1, 4),
        "patch": trial.suggest_categorical("patch", [2, 4, 8]),
    }


ARCHITECTURE = Architecture(
    name="transformer",
    builder=build,
    description="Small 1D transformer encoder over q-grid patches (sasnets-extras).",
    defaults={"patch": 4, "dim": 64, "depth": 2, "heads": 4, "mlp_ratio": 2, "dropout": 0.1},
    recipe=Recipe(optimizer="adamw", learning_rate=1e-3, label_smoothing=0.05, epochs=40),
    search_space=_search_space,
)

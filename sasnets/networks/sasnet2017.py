"""``sasnet2017``: the convolutional network published with SASNets in 2017, the baseline.

Conv1D(nq filters, kernel 6, relu) - MaxPool(4) - Dropout(0.17676) -
Conv1D(nq/2, kernel 6, relu) - MaxPool(4) - Dropout(0.20782) - Flatten -
Dense(nq/4, tanh) - Dropout(0.20582) - Dense(classes), trained with Adadelta
(learning rate 1.0, rho 0.95: the Keras 2 defaults the original used) on
categorical cross-entropy.  The last layer outputs logits and the classifier
applies the softmax, which is the published network with its softmax moved
into the loss and the prediction step.  Unless told otherwise it reads what it
read in 2017, one channel of log intensity shifted per curve (SASNets
subtracted the log of the peak, ``logi`` the mean: the same shape), and trains
without augmentation, so ``--arch sasnet2017`` alone is the published baseline.
"""
from __future__ import annotations

from .base import Architecture, Recipe

__all__ = ["build", "ARCHITECTURE"]


def build(input_shape, n_classes, filters=None, kernel_size=6, pool_size=4,
          dropout=(0.17676, 0.20782, 0.20582)):
    """The 2017 SASNets CNN (baseline)."""
    import keras
    from keras import layers

    nq = int(input_shape[0])
    if (nq - kernel_size + 1) // pool_size - kernel_size + 1 < pool_size:
        from ..errors import UsageError

        least = pool_size * (pool_size + kernel_size - 1) + kernel_size - 1
        raise UsageError(f"sasnet2017 needs a q-grid of at least {least} points for its two convolutions "
                         f"and poolings, not {nq} (--nq).")
    filters = int(filters or nq)
    inputs = keras.Input(shape=tuple(input_shape), name="curves")
    x = layers.Conv1D(filters, kernel_size, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling1D(pool_size, name="pool1")(x)
    x = layers.Dropout(dropout[0], name="drop1")(x)
    x = layers.Conv1D(max(filters // 2, 1), kernel_size, activation="relu", name="conv2")(x)
    x = layers.MaxPooling1D(pool_size, name="pool2")(x)
    x = layers.Dropout(dropout[1], name="drop2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(max(filters // 4, 1), activation="tanh", name="dense")(x)
    x = layers.Dropout(dropout[2], name="drop3")(x)
    logits = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="sasnet2017")


def _search_space(trial):
    return {
        "hyper": {"kernel_size": trial.suggest_int("kernel_size", 3, 9)},
        "recipe": {"batch_size": trial.suggest_categorical("batch_size", [64, 128, 256])},
    }


ARCHITECTURE = Architecture(
    name="sasnet2017",
    builder=build,
    description="The 2017 SASNets CNN (Conv1D-MaxPool x2, Dense tanh), Adadelta, on its 2017 input; the baseline.",
    defaults={"filters": None, "kernel_size": 6, "pool_size": 4, "dropout": (0.17676, 0.20782, 0.20582)},
    recipe=Recipe(optimizer="adadelta", learning_rate=1.0, schedule="constant", warmup_epochs=0,
                  weight_decay=0.0, label_smoothing=0.0, batch_size=128, epochs=40, patience=10,
                  optimizer_options={"rho": 0.95, "epsilon": 1e-7}, channels=("logi",), augment=False),
    search_space=_search_space,
)

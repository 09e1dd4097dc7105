"""``resnet1d``: a compact 1D residual network with global pooling (the default).

Why this shape: a change of particle size shifts a curve along log q, so the
features that name a scattering model (power-law slopes, Guinier knees,
fringes, their spacing) are the same wherever they sit on the q-grid.
Convolutions over the log-spaced grid followed by global average pooling are
shift-invariant in exactly that sense, and the residual stages widen the
receptive field to the whole curve cheaply.  A wide stem (kernel 9) with
stride 4 reduces the grid fourfold at once: 128 points over 2.7 decades are
2 % apart in q, finer than the 2-10 % resolution of real instruments, so
neighbouring points carry little independent detail; after it, kernel-3
convolutions keep the network at about 2.8 MFLOP per curve, so one CPU core
classifies more than 10,000 curves a second (``benchmarks/bench_predict.py``),
within about 2 points of top-1 of a 3x costlier variant (stride 2, kernel 5)
on the training benchmark.  A few position-resolved channels of the final feature map sit beside the
pooled features, because where a feature sits (its absolute q) also tells some
models apart.  The mask channel tells the network where the curve was
measured.  Trained with AdamW, label smoothing
and a warm-up + cosine learning-rate schedule.

At this cost, accuracy follows compute: on the training benchmark (75 models
x 500 curves, 30 epochs) squeeze-excitation, a two-layer stem, a stride-8 stem
with 1.5x widths, stages 0.75x as wide and twice as deep, and distillation
from ``resnet1d_large`` scored within 1.4 points of the default's 72.0 %
2017-condition top-1 (best: the deeper stages with squeeze-excitation and
distillation, 73.4 %), while ``resnet1d_large`` reaches 75.3 % at 4.5x the
FLOPs.
"""
from __future__ import annotations

from .base import Architecture, Recipe

__all__ = ["build", "ARCHITECTURE", "LARGE"]


def _block(x, width, kernel_size, stride, name, layers, bn_momentum):
    shortcut = x
    y = layers.Conv1D(width, kernel_size, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv1D(width, kernel_size, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != width:
        shortcut = layers.Conv1D(width, 1, strides=stride, use_bias=False, name=f"{name}_proj")(shortcut)
        shortcut = layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def build(input_shape, n_classes, widths=(32, 64, 96, 128), blocks=(1, 1, 1, 1), kernel_size=3,
          stem_kernel=9, dropout=0.1, bn_momentum=0.9, stem_stride=4, position_channels=16):
    """1D ResNet: strided conv stem, residual stages (stride 2 between them), global average pooling plus position-resolved channels, Dense."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=tuple(input_shape), name="curves")
    x = layers.Conv1D(int(widths[0]), stem_kernel, strides=int(stem_stride), padding="same", use_bias=False,
                      name="stem_conv")(inputs)
    x = layers.BatchNormalization(momentum=float(bn_momentum), name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for s, (width, count) in enumerate(zip(widths, blocks)):
        for b in range(int(count)):
            stride = 2 if (s > 0 and b == 0) else 1
            x = _block(x, int(width), int(kernel_size), stride, f"s{s + 1}b{b + 1}", layers, float(bn_momentum))
    pooled = layers.GlobalAveragePooling1D(name="pool")(x)
    if position_channels:
        # a few channels of the final feature map kept position by position: where a
        # feature sits on the q-grid (its absolute q) also tells models apart
        where = layers.Conv1D(int(position_channels), 1, use_bias=False, name="position_conv")(x)
        where = layers.BatchNormalization(momentum=float(bn_momentum), name="position_bn")(where)
        where = layers.Activation("relu", name="position_relu")(where)
        x = layers.Concatenate(name="features")([pooled, layers.Flatten(name="position_flat")(where)])
    else:
        x = pooled
    if dropout:
        x = layers.Dropout(float(dropout), name="drop")(x)
    logits = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="resnet1d")


def _search_space(trial):
    base = trial.suggest_categorical("base_width", [16, 24, 32, 48])
    depth = trial.suggest_int("blocks_per_stage", 1, 2)
    return {
        "hyper": {"widths": [base, 2 * base, 3 * base, 4 * base], "blocks": [depth] * 4,
                  "kernel_size": trial.suggest_categorical("kernel_size", [3, 5, 7]),
                  "dropout": trial.suggest_float("dropout", 0.0, 0.3)},
        "recipe": {"learning_rate": trial.suggest_float("learning_rate", 1e-3, 1e-2, log=True),
                   "label_smoothing": trial.suggest_float("label_smoothing", 0.0, 0.2),
                   "weight_decay": trial.suggest_float("weight_decay", 1e-5, 1e-3, log=True)},
    }


ARCHITECTURE = Architecture(
    name="resnet1d",
    builder=build,
    description="Compact 1D ResNet with global average pooling, AdamW + cosine schedule, label smoothing (default).",
    defaults={"widths": (32, 64, 96, 128), "blocks": (1, 1, 1, 1), "kernel_size": 3, "stem_kernel": 9, "dropout": 0.1,
              "bn_momentum": 0.9, "stem_stride": 4, "position_channels": 16},
    recipe=Recipe(optimizer="adamw", learning_rate=3e-3, weight_decay=1e-4, schedule="cosine",
                  warmup_epochs=1, label_smoothing=0.1, batch_size=256, epochs=40, patience=10),
    search_space=_search_space,
)

#: The same network 1.5x wider and twice as deep (two blocks per stage): 12.6
#: MFLOP per curve instead of 2.8, so it classifies about 7,000 curves a second
#: on 2 cores where the default does 27,000, and trains 2.5x slower; on the
#: training benchmark (75 models x 500 curves, 30 epochs) it gains 3.3 points of
#: 2017-condition top-1 and 2.5 of instrument-like top-1 over the default.
LARGE = Architecture(
    name="resnet1d_large",
    builder=build,
    description="resnet1d 1.5x wider and twice as deep: more accurate, 4.5x the inference cost.",
    defaults={**ARCHITECTURE.defaults, "widths": (48, 96, 144, 192), "blocks": (2, 2, 2, 2)},
    recipe=ARCHITECTURE.recipe,
    search_space=_search_space,
)

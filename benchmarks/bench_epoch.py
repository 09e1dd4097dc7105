"""Training epoch speed: what feeding the network costs, as ``sasnets train`` does it and without each part.

An in-memory epoch is every training curve augmented anew (a randomly drawn
instrument: smearing, background, noise, q window, point density) and
preprocessed onto the q-grid, then one Keras ``fit`` call over it.  The
default architecture is trained with the same seed in three ways, so all
three reach the same validation accuracy (printed), alternating runs (A B C A
B C ...) so a drifting machine speed affects each alike:

* **sasnets**: what ``sasnets train`` does on TensorFlow: the next epoch is
  built in a background thread while this one trains, and ``fit`` reads a
  tf.data pipeline without autotuning;
* **each epoch built first**: the same pipeline, each epoch built when it is
  needed;
* **Keras' array input**: epochs built ahead, but ``fit`` given the numpy
  arrays, so Keras' own autotuned pipeline feeds it (destroying that
  pipeline's iterator at the end of each ``fit`` waits out the autotuner's
  sleep).

Printed: the median seconds per epoch after the first (which traces the
network) and each variant's ratio to ``sasnets``; and the seconds to build one
epoch's input, as a share of an epoch.

Run:  python benchmarks/bench_epoch.py [--data STORE] [--epochs 4] [--pairs 2] [--threads 2]
Without ``--data`` it simulates a small instrument-like store (12 cheap
scattering models x 500 curves, unsmeared, as ``scripts/pretrain.sh`` does)
into a temporary directory.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

MODELS = ["sphere", "cylinder", "core_shell_sphere", "ellipsoid", "lamellar", "flexible_cylinder", "power_law",
          "guinier", "mass_fractal", "broad_peak", "hollow_cylinder", "fuzzy_sphere"]
VARIANTS = ("sasnets", "each epoch built first", "Keras' array input")


def make_store(path: str, count: int) -> None:
    import sasnets
    from sasnets.simulate.options import GenerationOptions

    options = GenerationOptions.preset("instrument", resolution="0")
    sasnets.generate(path, MODELS, count, tag="train", options=options, seed=1)


def _specs():
    from sasnets.data.augment import AugmentSpec
    from sasnets.data.qgrid import QGrid

    return QGrid(0.001, 0.6, 128), AugmentSpec().replace(clean_prob=0)


def build_seconds(store: str, repeat: int) -> float:
    """Best seconds to build one in-memory epoch's input (augment + preprocess) over ``repeat`` epochs."""
    from sasnets.training.data import prepare_data

    qgrid, augment = _specs()
    data = prepare_data(store, qgrid=qgrid, augment_spec=augment)
    data.epoch_arrays(0)  # compiles the kernels
    times = []
    for epoch in range(1, 1 + repeat):
        t = time.perf_counter()
        data.epoch_arrays(epoch)
        times.append(time.perf_counter() - t)
    return min(times)


class _OnDemand:
    """Stands in for the epoch prefetcher: builds each epoch when it is asked for."""

    def __init__(self, data):
        self.data = data

    def epoch_arrays(self, epoch, then=None):
        return self.data.epoch_arrays(epoch)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def train_seconds(store: str, outdir: str, epochs: int, threads: int, variant: str) -> tuple:
    """(seconds of each epoch after the first, last validation accuracy) of the default network."""
    from sasnets.training import data as training_data
    from sasnets.training import train as training

    qgrid, augment = _specs()
    prefetching, pipelines = training_data.TrainingData.prefetching, training._use_tf_pipelines
    if variant == VARIANTS[1]:
        training_data.TrainingData.prefetching = lambda self: _OnDemand(self)
    elif variant == VARIANTS[2]:
        training._use_tf_pipelines = lambda keras: False
    try:
        training.train(store, outdir, epochs=epochs, patience=epochs, seed=0, threads=threads, tensorboard=False,
                       overwrite=os.path.exists(outdir), qgrid=qgrid, augment=augment)
    finally:
        training_data.TrainingData.prefetching, training._use_tf_pipelines = prefetching, pipelines
    with open(os.path.join(outdir, "history.json")) as fh:
        history = json.load(fh)
    return [h["seconds"] for h in history[1:]], history[-1]["val_accuracy"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="store with a 'train' tag (default: simulate a small one)")
    ap.add_argument("--count", type=int, default=500, help="curves per model when simulating")
    ap.add_argument("--epochs", type=int, default=4, help="epochs per training run")
    ap.add_argument("--pairs", type=int, default=2, help="training runs of each variant, alternating")
    ap.add_argument("--threads", type=int, default=None, help="TensorFlow threads (default: all cores)")
    ap.add_argument("--repeat", type=int, default=3, help="epochs built to time the input (the fastest counts)")
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryDirectory() as tmp:
        store = args.data
        if store is None:
            store = os.path.join(tmp, "train.h5")
            t = time.perf_counter()
            make_store(store, args.count)
            print(f"simulated {len(MODELS)} models x {args.count} curves in {time.perf_counter() - t:.0f} s",
                  file=sys.stderr)
        build = build_seconds(store, args.repeat)
        seconds = {v: [] for v in VARIANTS}
        accuracy = {}
        for turn in range(args.pairs):
            for i, variant in enumerate(VARIANTS):
                times, accuracy[variant] = train_seconds(store, os.path.join(tmp, f"run{turn}-{i}"), args.epochs,
                                                         args.threads, variant)
                seconds[variant] += times
        base = statistics.median(seconds[VARIANTS[0]])
        print(f"training the default, median s/epoch over {len(seconds[VARIANTS[0]])} epochs each:")
        for variant in VARIANTS:
            median = statistics.median(seconds[variant])
            print(f"  {variant:<24} {median:6.2f} s/epoch  {median / base:5.2f}x sasnets'  "
                  f"(validation top-1 {accuracy[variant]:.4f})")
        print(f"building one epoch's input: {build:.2f} s, {build / base:.2f} of an epoch as sasnets trains")


if __name__ == "__main__":
    main()

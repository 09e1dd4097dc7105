"""Training epoch speed: building an epoch's input, and training with it built ahead.

An in-memory epoch is every training curve augmented anew (a randomly drawn
instrument: smearing, background, noise, q window, point density) and
preprocessed onto the q-grid.  Two measurements, each against a baseline
measured in the same run:

1. **Training**: seconds per epoch of the default architecture with the next
   epoch built in a background thread while the current one trains (what
   ``sasnets train`` does) against building each epoch before training on it,
   the same seed, so both runs reach the same validation accuracy (printed);
   median of the epochs after the first (which traces the network) over
   ``--pairs`` runs of each, alternating.
2. **Building one epoch** (:meth:`TrainingData.epoch_arrays`): seconds, and
   their share of an epoch that builds its input first (what building ahead
   can hide at most).

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


def make_store(path: str, count: int) -> None:
    import sasnets
    from sasnets.simulate.options import GenerationOptions

    options = GenerationOptions.preset("instrument", resolution="0")
    sasnets.generate(path, MODELS, count, tag="train", options=options, seed=1)


def build_seconds(store: str, repeat: int) -> float:
    """Best seconds to build one in-memory epoch's input (augment + preprocess) over ``repeat`` epochs."""
    from sasnets.data.augment import AugmentSpec
    from sasnets.data.qgrid import QGrid
    from sasnets.training.data import prepare_data

    data = prepare_data(store, qgrid=QGrid(0.001, 0.6, 128), augment_spec=AugmentSpec.with_overrides({"clean_prob": 0}))
    data.epoch_arrays(0)  # compiles the kernels
    times = []
    for epoch in range(1, 1 + repeat):
        t = time.perf_counter()
        data.epoch_arrays(epoch)
        times.append(time.perf_counter() - t)
    return min(times)


def train_seconds(store: str, outdir: str, epochs: int, threads: int, ahead: bool) -> tuple:
    """(seconds of each epoch after the first, last validation accuracy) of the default network."""
    from sasnets.data.augment import AugmentSpec
    from sasnets.data.qgrid import QGrid
    from sasnets.training import data as training_data
    from sasnets.training.train import train

    original = training_data.TrainingData.prefetching
    if not ahead:  # build each epoch only when it is asked for
        class OnDemand:
            def __init__(self, data):
                self.data = data

            def epoch_arrays(self, epoch, then=None):
                return self.data.epoch_arrays(epoch)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                pass

        training_data.TrainingData.prefetching = lambda self: OnDemand(self)
    try:
        train(store, outdir, epochs=epochs, patience=epochs, seed=0, threads=threads, tensorboard=False,
              overwrite=os.path.exists(outdir), qgrid=QGrid(0.001, 0.6, 128),
              augment=AugmentSpec.with_overrides({"clean_prob": 0}))
    finally:
        training_data.TrainingData.prefetching = original
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
    ap.add_argument("--repeat", type=int, default=3, help="epochs built in measurement 2 (the fastest counts)")
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
        seconds = {True: [], False: []}
        accuracy = {}
        for turn in range(args.pairs):  # A B A B: a drifting machine speed affects both alike
            for ahead in (True, False):
                times, accuracy[ahead] = train_seconds(store, os.path.join(tmp, f"run{turn}{ahead}"), args.epochs,
                                                       args.threads, ahead)
                seconds[ahead] += times
        ahead, serial = statistics.median(seconds[True]), statistics.median(seconds[False])
        print(f"training the default: {ahead:.2f} s/epoch with the next epoch built ahead, {serial:.2f} s/epoch "
              f"building each epoch first (medians of {len(seconds[True])} epochs each): ratio {ahead / serial:.2f} "
              f"(validation top-1 {accuracy[True]:.4f} and {accuracy[False]:.4f}: the same run)")
        print(f"building one epoch's input: {build:.2f} s, {build / serial:.2f} of an epoch built first")

if __name__ == "__main__":
    main()

"""Prediction speed: batch inference throughput and ``sasnets predict`` cold start.

1. Batch inference of the default architecture (``resnet1d``, random weights,
   83 classes) at 128 q points: the numpy runtime
   (:mod:`sasnets.networks.numpy_runtime`; chunks spread over one thread per
   core, its default chunk is 256 curves) against Keras ``model.predict``
   measured in the same run, in curves/s and as a ratio (target: 20,000
   curves/s on 2 cores).  Also the whole
   :meth:`Classifier.predict_proba` path (resampling + preprocessing +
   forward pass) on ragged curves.
2. Cold start: wall-clock seconds of ``sasnets predict CLASSIFIER FILE --json``
   in a fresh interpreter (median of ``--repeat`` runs), next to
   ``python -c 'import tensorflow'`` and ``python -c 'import sasnets'``
   measured in the same run.

Run:  python benchmarks/bench_predict.py [--curves 8192] [--repeat 3] [--arch resnet1d]
Threads: BLAS and TensorFlow use all cores the process may use (2 on the CI machine);
set OMP_NUM_THREADS/OPENBLAS_NUM_THREADS to pin them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FILE = os.path.join(HERE, os.pardir, "tests", "data", "measured", "sphere_nist.ABS")


def best_rate(fn, n, repeat):
    """Highest curves/s over ``repeat`` runs of ``fn()`` (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return n / min(times)


def wall(cmd, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if run.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{run.stderr}")
    return statistics.median(times)


def make_classifier(arch: str, outdir: str):
    """A classifier directory with the architecture's network (random weights) over all sasmodels models."""
    from sasmodels.core import list_models

    from sasnets.data.preprocess import PreprocessSpec
    from sasnets.data.qgrid import QGrid
    from sasnets.networks.base import get_architecture
    from sasnets.classifier import FORMAT, VERSION, Classifier

    labels = list_models()
    qgrid, spec = QGrid(), PreprocessSpec()
    network = get_architecture(arch).build((qgrid.nq, len(spec.channels)), len(labels))
    meta = {"format": FORMAT, "version": VERSION, "labels": labels, "qgrid": qgrid.to_dict(),
            "preprocess": spec.to_dict(), "architecture": arch, "temperature": 1.0}
    Classifier(meta, network=network).save(outdir)
    return network, labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=8192)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--arch", default="resnet1d")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    from sasnets.data import Curve
    from sasnets.networks.numpy_runtime import NumpyNetwork
    from sasnets.classifier import load_classifier

    with tempfile.TemporaryDirectory() as tmp:
        clf_dir = os.path.join(tmp, "classifier")
        network, labels = make_classifier(args.arch, clf_dir)
        nq, channels = network.input_shape[1:]
        x = np.random.default_rng(0).normal(size=(args.curves, nq, channels)).astype(np.float32)
        fast = NumpyNetwork.from_keras_file(os.path.join(clf_dir, "network.keras"))
        diff = float(np.abs(fast.predict(x[:256]) - network.predict(x[:256], verbose=0)).max())
        print(f"{args.arch}, {nq} q points x {channels} channels, {len(labels)} classes, {args.curves} curves, "
              f"{os.cpu_count()} CPUs; max |numpy - keras| logit difference {diff:.1e}")
        rates = {}
        for bs in (128, 256, 1024):
            rates[f"numpy runtime, chunks of {bs}"] = best_rate(lambda: fast.predict(x, batch_size=bs), len(x),
                                                                args.repeat)
        for bs in (512, 2048):
            rates[f"keras predict, batch {bs}"] = best_rate(
                lambda: network.predict(x, batch_size=bs, verbose=0), len(x), args.repeat)
        base = max(v for k, v in rates.items() if k.startswith("keras"))
        for name, rate in rates.items():
            print(f"  {name:<28} {rate:10,.0f} curves/s   ({rate / base:.2f} x best Keras)")

        rng = np.random.default_rng(1)
        curves = []
        for _ in range(min(args.curves, 4096)):
            q = np.logspace(rng.uniform(-3, -2.3), rng.uniform(-0.8, -0.3), int(rng.integers(60, 200)))
            curves.append(Curve(q=q, iq=1 / (1 + (q * rng.uniform(20, 200)) ** 2) + 1e-3))
        clf = load_classifier(clf_dir)
        rate = best_rate(lambda: clf.predict_proba(curves), len(curves), args.repeat)
        print(f"  {'Classifier.predict_proba':<28} {rate:10,.0f} curves/s   "
              "(ragged curves: resample + preprocess + numpy forward)")

        predict = wall([sys.executable, "-m", "sasnets", "predict", clf_dir, FILE, "--json"], args.repeat)
        tf = wall([sys.executable, "-c", "import tensorflow"], args.repeat)
        bare = wall([sys.executable, "-c", "import sasnets"], args.repeat)
        print(f"cold start (median of {args.repeat}, wall clock):")
        print(f"  sasnets predict CLASSIFIER one-file   {predict:6.2f} s")
        print(f"  python -c 'import tensorflow'         {tf:6.2f} s   (predict / import-TF = {predict / tf:.2f})")
        print(f"  python -c 'import sasnets'            {bare:6.2f} s")


if __name__ == "__main__":
    main()

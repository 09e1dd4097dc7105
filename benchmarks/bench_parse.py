"""The Cython text parser versus ``numpy.loadtxt`` and ``pandas.read_csv``
on the same aggregated-text file.

Writes ``--curves`` curves of ``--points`` points in the sasnets aggregated
format (``AggrStore``: per line ``index seed npoints`` then q, dq, iq, diq and
a ``# {params}`` comment), then parses that one file three ways into float32
arrays, best of ``--repeat`` runs each: ``sasnets._ext.textparse.parse_rows``,
``numpy.loadtxt(comments="#")`` and ``pandas.read_csv(sep=r"\\s+",
comment="#")`` (its C engine), checks all three agree exactly, and prints
the ratios.

    python benchmarks/bench_parse.py [--curves 20000] [--points 128]
"""
import argparse
import io
import os
import tempfile
import time

import numpy as np


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--curves", type=int, default=20000)
    ap.add_argument("--points", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    import pandas as pd

    from sasnets._ext import textparse
    from sasnets.data import CurveBatch
    from sasnets.stores import open_store

    rng = np.random.default_rng(0)
    q = np.logspace(-3, -0.5, args.points)
    iq = rng.random((args.curves, args.points)) * 10.0 ** rng.uniform(-2, 3, (args.curves, 1))
    batch = CurveBatch.from_matrix(["sphere"] * args.curves, q, iq, dq=q * 0.05, diq=iq * 0.03,
                                   seeds=np.arange(args.curves), indices=np.arange(args.curves),
                                   params=[{"radius": 50.0}] * args.curves)
    with tempfile.TemporaryDirectory() as tmp:
        with open_store(f"aggr:{tmp}", "a") as s:
            s.write("train", batch)
        path = os.path.join(tmp, "train", "sphere.aggr")
        with open(path, "rb") as f:
            data = f.read()
        print(f"aggregated file: {args.curves} curves x {args.points} points, {len(data) / 1e6:.1f} MB")

        t_c, (ints, values, counts) = best(lambda: textparse.parse_rows(data, 3, np.float32), args.repeat)
        t_np, a_np = best(lambda: np.loadtxt(io.BytesIO(data), dtype=np.float32, comments="#"), args.repeat)
        t_pd, a_pd = best(lambda: pd.read_csv(io.BytesIO(data), sep=r"\s+", comment="#", header=None,
                                              dtype=np.float32, engine="c").to_numpy(), args.repeat)
    ours = np.concatenate([ints.astype(np.float32), values.reshape(len(counts), -1)], axis=1)
    assert np.array_equal(ours, a_np) and np.array_equal(ours, a_pd), "parsers disagree"
    print(f"Cython parse_rows : {t_c:7.3f} s")
    print(f"numpy.loadtxt     : {t_np:7.3f} s   ratio {t_np / t_c:5.1f}x  (requirement >= 3x)")
    print(f"pandas.read_csv   : {t_pd:7.3f} s   ratio {t_pd / t_c:5.1f}x  (requirement >= 1x)")


if __name__ == "__main__":
    main()

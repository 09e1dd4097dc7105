"""HDF5 full read versus per-model text files read with ``numpy.loadtxt``.

Synthesises ``--curves`` curves of ``--points`` points over ``--models``
scattering models (no simulation: random float32 arrays), writes them once
to an HDF5 store and once as per-model text files (one curve per row: q, dq,
iq, diq values, 9 significant digits), then times, each in a fresh
subprocess, a full read of the HDF5 store (``store.read(tag)``) and reading
every text file with ``numpy.loadtxt``.  Prints both times, their ratio, and
the HDF5 read's peak memory (the larger of tracemalloc's peak and the
``ru_maxrss`` growth during the read) over the bytes of the
arrays it returns.

    python benchmarks/bench_io.py                    # 1M curves x 128 points (needs ~8 GB disk)
    python benchmarks/bench_io.py --curves 20000     # quick
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def synthesise(n, points, models, chunk, h5_path, text_dir):
    from sasnets.data import CurveBatch
    from sasnets.stores import open_store

    rng = np.random.default_rng(0)
    q = np.logspace(-3, -0.5, points).astype(np.float32)
    names = [f"model{m:02d}" for m in range(models)]
    files = {m: open(os.path.join(text_dir, f"{m}.txt"), "w") for m in names}
    row_format = " ".join(["%.9g"] * (4 * points)) + "\n"
    with open_store(h5_path, "a") as store:
        for start in range(0, n, chunk):
            k = min(chunk, n - start)
            labels = np.array(names, dtype=object)[np.arange(start, start + k) % models]
            iq = (rng.random((k, points), dtype=np.float32) * 10.0 ** rng.uniform(-2, 3, (k, 1))).astype(np.float32)
            batch = CurveBatch.from_matrix(labels, q, iq, dq=q * 0.05, diq=iq * 0.03,
                                           seeds=np.arange(start, start + k), indices=np.arange(start, start + k),
                                           params=[{}] * k)
            store.write("train", batch)
            full = np.concatenate([np.broadcast_to(q, (k, points)), np.broadcast_to(q * 0.05, (k, points)),
                                   iq, iq * np.float32(0.03)], axis=1).astype(np.float64)
            for m in names:
                rows = full[labels == m]
                files[m].write("".join(row_format % tuple(r) for r in rows.tolist()))
    for f in files.values():
        f.close()


def child(kind, path):
    """Run in a subprocess: read and report seconds, bytes of arrays, peak RSS growth."""
    import tracemalloc

    from sasnets.plugins import get_registry
    from sasnets.stores import open_store

    get_registry("stores").get("hdf5")  # plugin discovery is not part of the read
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    t = time.perf_counter()
    if kind == "hdf5":
        with open_store(path) as s:
            batch = s.read("train", with_params=False)
        nbytes = sum(getattr(batch, c).nbytes for c in ("q", "dq", "iq", "diq"))
    else:
        arrays = [np.loadtxt(os.path.join(path, f), dtype=np.float32, ndmin=2) for f in sorted(os.listdir(path))]
        nbytes = sum(a.nbytes for a in arrays)
    elapsed = time.perf_counter() - t
    traced = tracemalloc.get_traced_memory()[1]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    print(elapsed, nbytes, max(traced, rss))


def measure(kind, path):
    # import numpy/h5py/sasnets first so their own memory is not counted as the read's
    code = ("import sys, numpy, h5py, sasnets.stores.hdf5; sys.path.insert(0, %r); import bench_io; "
            "bench_io.child(%r, %r)" % (os.path.dirname(os.path.abspath(__file__)), kind, path))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--curves", type=int, default=1_000_000)
    ap.add_argument("--points", type=int, default=128)
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--chunk", type=int, default=20000)
    ap.add_argument("--workdir", default=None, help="where to write the data (default: a temporary directory)")
    args = ap.parse_args(argv)
    work = tempfile.mkdtemp(prefix="sasnets-bench-io-", dir=args.workdir)
    try:
        h5, text = os.path.join(work, "data.h5"), os.path.join(work, "text")
        os.makedirs(text)
        t = time.perf_counter()
        synthesise(args.curves, args.points, args.models, args.chunk, h5, text)
        print(f"synthesised {args.curves} curves x {args.points} points in {time.perf_counter() - t:.0f} s "
              f"(HDF5 {os.path.getsize(h5) / 1e9:.2f} GB, text "
              f"{sum(os.path.getsize(os.path.join(text, f)) for f in os.listdir(text)) / 1e9:.2f} GB)")
        measure("hdf5", h5)  # warm the page cache for both, so disk speed is not measured
        h5_time, h5_bytes, h5_peak = measure("hdf5", h5)
        txt_time, txt_bytes, _ = measure("text", text)
        print(f"HDF5 full read       : {h5_time:8.2f} s")
        print(f"numpy.loadtxt (text) : {txt_time:8.2f} s")
        print(f"ratio loadtxt/HDF5   : {txt_time / h5_time:8.1f}x   (requirement >= 50x)")
        print(f"HDF5 peak memory     : {h5_peak / h5_bytes:8.2f}x the array bytes "
              f"({h5_peak / 1e9:.2f} GB for {h5_bytes / 1e9:.2f} GB; requirement <= 1.5x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

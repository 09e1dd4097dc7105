"""Curves per second of ``sasnets generate`` against the 2017-style loop.

Baseline (measured in the same run): the straightforward single-process loop
of the 2017 tool - per scattering model, build the sasmodels kernel, make the
q grid with ``sasmodels.compare.make_data``, then one sasmodels call per curve
with parameters from ``sasmodels.compare.randomize_pars`` (dispersity
suppressed: "mono"), ``constrain_pars``, scale 1, background 1e-5 and 2 %
noise, redrawing invalid curves; the curves are written to an HDF5 store in
one batch at the end.

Contender: :func:`sasnets.simulate.generate` into a fresh HDF5 store with the
same grid (100 log-spaced points, q 0.001-0.5 1/Å, 5 % dQ/Q, 2 % dI/I, mono),
on ``--workers`` processes (Dask LocalCluster; its start-up is inside the
timing).  It runs twice: with ``--precision double`` (the baseline's
precision: the ratio measures parallelism and overhead only), and with the
default ``--precision auto`` (single precision where the model declares it
safe, as sasmodels does on GPUs).

Model mix: sphere, cylinder, ellipsoid, mass_fractal (cheap, well under 10 ms
per curve) and core_shell_parallelepiped, bcc_paracrystal (0.1-0.3 s per
curve), ``--count`` curves each.  With the default count the baseline takes
about a minute on an idle 2-core machine, long enough that the few seconds of
cluster start-up count but do not dominate; DLLs are compiled before any
timing so neither side pays compilation.

Real samples (``--real-samples``): the cost of products with a structure
factor, size dispersity and slit smearing, as curves/s ratios against
monodisperse pinhole curves of the same form factors measured in the same
run, in this process (``simulate_valid_curve``, no Dask, kernels built
before timing).  Form factors sphere, cylinder, ellipsoid,
core_shell_sphere (all can take a structure factor); the same 100-point
grid for every variant, so only the physics differs; the ``instrument``
and ``realistic`` presets (their own q windows and resolvable sizes;
realistic adds dispersity on every curve and 15 % slit curves) are timed
too, so realistic/instrument is the cost of the realistic default.

Run:  python benchmarks/bench_generate.py [--count 150] [--workers 2] [--repeat 3]
      python benchmarks/bench_generate.py --quick        (10 curves per model)
      python benchmarks/bench_generate.py --real-samples [--count 100] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

MODELS = ["sphere", "cylinder", "ellipsoid", "core_shell_parallelepiped", "bcc_paracrystal", "mass_fractal"]
GRID = dict(qmin=0.001, qmax=0.5, nq=100, resolution=5.0, noise=2.0)


def baseline_2017(path: str, models, count: int, seed: int) -> int:
    """The 2017-style loop: one sasmodels call per curve through the compare helpers."""
    from sasmodels import compare, core
    from sasmodels.direct_model import DirectModel

    from sasnets.data import Curve, CurveBatch
    from sasnets.stores import open_store

    np.random.seed(seed)
    curves = []
    for name in models:
        info = core.load_model_info(name)
        model = core.build_model(info, dtype="double", platform="dll")
        data, _ = compare.make_data({"qmin": GRID["qmin"], "qmax": GRID["qmax"], "nq": GRID["nq"],
                                     "res": GRID["resolution"] / 100, "is2d": False, "sesans": False,
                                     "view": "log", "zero": False, "accuracy": "Low"})
        calculator = DirectModel(data, model, cutoff=1e-5)
        defaults = compare.get_pars(info)
        made = 0
        while made < count:
            pars = compare.suppress_pd(compare.randomize_pars(info, defaults))
            compare.constrain_pars(info, pars)
            pars.update(scale=1.0, background=1e-5)
            with np.errstate(all="ignore"):
                iq = np.asarray(calculator(**pars), float)
                diq = GRID["noise"] / 100 * iq
                iq = iq + diq * np.random.randn(len(iq))
            if not (np.all(np.isfinite(iq)) and np.all(iq > 0)):
                continue
            curves.append(Curve(q=data.x, iq=iq, diq=diq, dq=data.dx, model=name, index=made,
                                params={k: v for k, v in pars.items() if not isinstance(v, str)}))
            made += 1
    with open_store(path, "a") as store:
        store.write("train", CurveBatch.from_curves(curves))
    return len(curves), None


def sasnets_generate(path: str, models, count: int, seed: int, workers: int, precision: str):
    from sasnets.simulate import GenerationOptions, generate

    options = GenerationOptions(precision=precision, **GRID)
    report = generate(path, models, count, options=options, seed=seed, workers=workers)
    assert not report.failed, report.failed
    return report.generated, report.simulation_cpu_seconds


def warm_up(models) -> None:
    """Compile every DLL both sides need, outside the timings."""
    from sasnets.simulate.engine import get_kernel

    for name in models:
        for precision in ("double", "auto"):
            get_kernel(name, precision, "dll")


def timed(fn, *args):
    """(curves, wall seconds, CPU seconds spent simulating) of one contender.

    The baseline's CPU time is this process's; sasnets' is what its workers
    report (simulation only: cluster start-up, kernel loading and the
    client's writes are not in it).
    """
    start, cpu = time.perf_counter(), time.process_time()
    n, worker_cpu = fn(*args)
    wall = time.perf_counter() - start
    return n, wall, (time.process_time() - cpu) if worker_cpu is None else worker_cpu


REAL_FORMS = ["sphere", "cylinder", "ellipsoid", "core_shell_sphere"]


def real_sample_variants():
    """(label, models, options) of each variant the --real-samples run times; the first is the baseline."""
    from sasnets.simulate import GenerationOptions

    grid = dict(GRID, precision="double")
    mono = GenerationOptions(**grid)
    return [
        ("monodisperse, pinhole (baseline)", REAL_FORMS, mono),
        ("P@hardsphere", [f"{m}@hardsphere" for m in REAL_FORMS], mono),
        ("P@hayter_msa", [f"{m}@hayter_msa" for m in REAL_FORMS], mono),
        ("P@stickyhardsphere", [f"{m}@stickyhardsphere" for m in REAL_FORMS], mono),
        ("polydisperse, 1 parameter, 40 points", REAL_FORMS, mono.replace(polydisperse=True, pd_max=1)),
        ("polydisperse, 1-2 parameters (default)", REAL_FORMS, mono.replace(polydisperse=True)),
        ("P@hayter_msa, polydisperse (default)", [f"{m}@hayter_msa" for m in REAL_FORMS],
         mono.replace(polydisperse=True)),
        ("slit-smeared (slit length 0.01-0.12)", REAL_FORMS, mono.replace(slit=1.0)),
        ("instrument preset (mono, pinhole)", REAL_FORMS,
         GenerationOptions.preset("instrument", precision="double")),
        ("realistic preset (= instrument + pd + slit)", REAL_FORMS,
         GenerationOptions.preset("realistic", precision="double")),
    ]


def time_variant(models, options, count: int, seed: int) -> tuple[int, float]:
    from sasnets.simulate.simulation import simulate_valid_curve

    start, n = time.perf_counter(), 0
    for model in models:
        for index in range(count):
            simulate_valid_curve(model, seed, "bench", index, options)
            n += 1
    return n, time.perf_counter() - start


def real_samples(count: int, repeat: int, seed: int) -> int:
    from sasnets.simulate.simulation import simulate_valid_curve

    variants = real_sample_variants()
    for _, models, options in variants:  # build every kernel (and its DLL) before any timing
        for model in models:
            simulate_valid_curve(model, seed, "warm", 0, options)
    print(f"form factors: {', '.join(REAL_FORMS)}; {count} curves each per variant; {GRID['nq']} points, "
          f"q {GRID['qmin']}-{GRID['qmax']} 1/Å, double precision, 1 process; best of {repeat}")
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    best = {}
    for _ in range(max(1, repeat)):
        for label, models, options in variants:  # interleaved, so load changes hit every variant alike
            n, t = time_variant(models, options, count, seed)
            if label not in best or t < best[label][1]:
                best[label] = (n, t)
    base_rate = best[variants[0][0]][0] / best[variants[0][0]][1]
    for label, _, _ in variants:
        n, t = best[label]
        rate = n / t
        print(f"{label:<42} {n:6d} curves {t:7.2f} s {rate:9.1f} curves/s  ratio {rate / base_rate:6.3f}x "
              f"(cost {base_rate / rate:5.1f}x)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=150, help="curves per model (default 150)")
    parser.add_argument("--workers", type=int, default=2, help="sasnets worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the three contenders this many times, interleaved, and keep each one's best")
    parser.add_argument("--quick", action="store_true", help="10 curves per model: a smoke run, not a measurement")
    parser.add_argument("--real-samples", action="store_true",
                        help="time products, dispersity and slit smearing against monodisperse curves instead")
    args = parser.parse_args(argv)
    count = 10 if args.quick else args.count
    if args.real_samples:
        return real_samples(count, args.repeat, args.seed)

    warm_up(MODELS)
    print(f"models: {', '.join(MODELS)}; {count} curves each; {GRID['nq']} points, "
          f"q {GRID['qmin']}-{GRID['qmax']} 1/Å, dQ/Q {GRID['resolution']}%, dI/I {GRID['noise']}%, mono")
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    best = {}
    for rep in range(max(1, args.repeat)):
        with tempfile.TemporaryDirectory() as tmp:
            runs = {
                "base": timed(baseline_2017, os.path.join(tmp, "base.h5"), MODELS, count, args.seed),
                "double": timed(sasnets_generate, os.path.join(tmp, "double.h5"), MODELS, count, args.seed,
                                args.workers, "double"),
                "auto": timed(sasnets_generate, os.path.join(tmp, "auto.h5"), MODELS, count, args.seed,
                              args.workers, "auto"),
            }
        for key, run in runs.items():
            if key not in best or run[1] < best[key][1]:
                best[key] = run
        if args.repeat > 1:
            print(f"repeat {rep + 1}: " + ", ".join(f"{k} {r[1]:.1f} s" for k, r in runs.items()), flush=True)
    (n_base, t_base, c_base), (n_dbl, t_dbl, c_dbl), (n_auto, t_auto, c_auto) = best["base"], best["double"], best["auto"]
    rate_base, rate_dbl, rate_auto = n_base / t_base, n_dbl / t_dbl, n_auto / t_auto
    print(f"{'2017 loop (1 process, double)':<44} {n_base:6d} curves {t_base:8.1f} s {rate_base:8.2f} curves/s")
    print(f"{f'sasnets generate ({args.workers} workers, double)':<44} {n_dbl:6d} curves {t_dbl:8.1f} s "
          f"{rate_dbl:8.2f} curves/s  ratio {rate_dbl / rate_base:.2f}x")
    print(f"{f'sasnets generate ({args.workers} workers, auto precision)':<44} {n_auto:6d} curves {t_auto:8.1f} s "
          f"{rate_auto:8.2f} curves/s  ratio {rate_auto / rate_base:.2f}x")
    print(f"simulation CPU per curve: 2017 loop {c_base / n_base * 1e3:.1f} ms, sasnets double "
          f"{c_dbl / n_dbl * 1e3:.1f} ms, sasnets auto {c_auto / n_auto * 1e3:.1f} ms")
    print(f"load average after: {os.getloadavg()[0]:.2f} (other processes on the machine lower the parallel figures: "
          "with Linux autogroup scheduling a busy machine gives each session, not each process, a share)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

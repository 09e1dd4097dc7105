"""Cost of oversampled pinhole smearing (sasnets.data.resolution) per curve.

For each model, draws ``--curves`` parameter sets and q grids as the
generator does (``instrument`` preset: qmin 1e-3..1e-2, qmax 0.1..0.5,
60-200 points, dQ/Q 2-10 %) and times one smeared evaluation per curve with
sasmodels' default ``Pinhole1D`` (calculation points = the data's own points)
and with :func:`sasnets.data.resolution.pinhole_resolution` (points sized for
the object's fringes, capped at ``MAX_CALC_POINTS``), both in the same run;
prints mean ms per curve, the ratio, and mean calculation points.

Run:  python benchmarks/bench_resolution.py [--curves 30] [--models sphere cylinder core_shell_parallelepiped]
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--curves", type=int, default=30)
    ap.add_argument("--models", nargs="+", default=["sphere", "cylinder", "core_shell_parallelepiped"])
    ap.add_argument("--precision", default="single")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from sasmodels import core
    from sasmodels.direct_model import call_kernel
    from sasmodels.resolution import Pinhole1D

    from sasnets.data.resolution import object_size, pinhole_resolution, size_bucket
    from sasnets.simulate.options import GenerationOptions
    from sasnets.simulate.sampling import sample_parameters
    from sasnets.simulate.simulation import draw_q

    options = GenerationOptions.preset("instrument", qmin="0.001:0.01", qmax="0.1:0.5", nq="60:200",
                                       resolution="2:10")
    print(f"{'model':<28}{'default ms':>11}{'sasnets ms':>11}{'ratio':>7}{'pts default':>12}{'pts sasnets':>12}")
    for name in args.models:
        model = core.load_model(name, dtype=args.precision, platform="dll")
        rng = np.random.default_rng(args.seed)
        times = {"default": [], "sasnets": []}
        points = {"default": [], "sasnets": []}
        for _ in range(args.curves):
            q, dq = draw_q(options, rng)
            pars = sample_parameters(model.info, rng)
            pars = {k: v for k, v in pars.items() if not isinstance(v, str)}
            for label in ("default", "sasnets"):
                t0 = time.perf_counter()
                res = (Pinhole1D(q, dq) if label == "default"
                       else pinhole_resolution(q, dq, size=size_bucket(object_size(model.info, pars))))
                res.apply(call_kernel(model.make_kernel([res.q_calc]), pars))
                times[label].append(time.perf_counter() - t0)
                points[label].append(len(res.q_calc))
        d, s = (1e3 * np.mean(times[k]) for k in ("default", "sasnets"))
        print(f"{name:<28}{d:>11.2f}{s:>11.2f}{s / d:>7.1f}{np.mean(points['default']):>12.0f}"
              f"{np.mean(points['sasnets']):>12.0f}")


if __name__ == "__main__":
    main()

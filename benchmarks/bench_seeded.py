"""Fits started from the classifier's size estimates against fits without them.

    python benchmarks/bench_seeded.py STORE TAG [--n 16] [--budget 20] [--workers 2] [--seed 0]

``--n`` curves of TAG (a seeded sample, any label the shipped classifier has
size estimates for) are each fitted with their true model twice, by the same
fitter and budget: once from the model defaults and the global search only,
once with the classifier's size estimates as one more start
(``sasnets fit``'s default, ``--no-size-seeds`` turns it off).  Reported: the
share of adequate fits (reduced chi2 < 2), the median reduced chi2 and the
median wall time per fit of each, in one run.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("tag")
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import sasnets
    from sasnets.fitting import FitJob, map_fits, size_guesses
    from sasnets.stores import open_store

    clf = sasnets.load_default_classifier()
    sized = set((clf.meta.sizes or {}).get("labels", {}))
    with open_store(args.store) as store:
        batch = store.read(args.tag, with_params=True)
    rows = [i for i, m in enumerate(batch.models.astype(str)) if m in sized]
    pick = np.random.default_rng(args.seed).choice(rows, min(args.n, len(rows)), replace=False)
    curves = [batch.curve(int(i)) for i in sorted(pick)]
    jobs = []
    for curve in curves:
        guess = size_guesses(clf, curve).get(curve.model)
        for seeded in (False, True):
            jobs.append(FitJob(curve, curve.model, {"budget_s": args.budget, "seed": args.seed,
                                                    "guess": guess if seeded else None}))
    results = dict(map_fits(jobs, workers=args.workers))
    print(f"{len(curves)} curves of tag {args.tag!r}, each fitted with its true model; budget {args.budget:g} s")
    print(f"{'':16} {'adequate':>9} {'median chi2/dof':>16} {'median s/fit':>13}")
    for k, name in enumerate(("unseeded", "size-seeded")):
        fits = [results[i] for i in range(k, len(jobs), 2)]
        chi2 = [f.reduced_chi2 for f in fits if f.success]
        print(f"{name:16} {100 * np.mean([f.acceptable for f in fits]):8.1f}% {np.median(chi2):16.3g} "
              f"{np.median([f.elapsed for f in fits]):13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

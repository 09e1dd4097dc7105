"""Classify-then-fit against an AutoSAS-style baseline that fits every candidate model.

Curves: ``--per-model`` curves of each of ``--models`` (products included)
simulated with sasmodels' own sampler (``--sampler sasmodels``: not the
classifier's training sampler), the realistic preset's instrument conditions
(q window, 2-10 % dQ/Q, noise, scale, background, dispersity).

Contender: ``sasnets fit``'s default, the classifier's top ``--top`` candidates
(plus the simpler models nested in them, and the ``--extend`` next ones when
none of those fits adequately), each fitted, in ``sasnets fit``'s default order.

Baseline (measured in the same run, same fitter and budget): fit every model
of a pool and pick the lowest BIC, as AutoSAS does over its model library.
Both use the same two passes (``sasnets.fitting.fit_job_sets``): every
candidate fitted quickly, then the poor ones ranked above the first adequate
one (in the default order, or by BIC for the baseline) fitted again in full.
``--pool family`` (default, affordable on 2 cores) is every label of the
classifier in the true form factor's family, products included; ``--pool
all`` is every label (about 200 fits a curve).

Reported, for both: the share of curves whose first answer is the true model
(and, more leniently, the true model or, for a product F@S, its form factor F
alone fitted adequately: sasmodels' sampler draws volume fractions down to 0.001
and effective radii untied from the particle, so many of its products carry no
visible S(q) and F is then the answer the data support; and, as leniently as the
measured files are judged, the true model or an answer that fits as well as the
true model's own adequate fit with no more free parameters, the true model being
fitted in full after the timed runs where they did not), the share whose first
answer fits adequately (reduced chi2 < 2), and wall time
per curve (true model first is also split between the products and the other
curves); and the speed-up.  Target: classify-then-fit >= 20x faster at an
accuracy within 5 points of the baseline.  Classify-then-fit's fits are also
ranked in each final order ``sasnets fit --rank-by`` offers (network,
adequate, posterior), with the share of curves whose true model was among the
fitted candidates (what any order can reach).

``--true-model`` fits each curve's true model alone instead (no classifier, no baseline): how often
the fitter itself reaches an adequate fit, per model.

Run:  python benchmarks/bench_select.py [--per-model 2] [--budget 5] [--pool family|all] [--workers 2] [--no-baseline]
      [--pd-points 1225]
      [--top 3] [--extend 2] [--no-reference] [--classifier DIR] [--models sphere,cylinder,...] [--true-model]
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

MODELS = ["sphere", "cylinder", "core_shell_sphere", "ellipsoid", "lamellar", "mass_fractal",
          "sphere@hardsphere", "cylinder@hayter_msa"]


#: dispersity points of a curve, over all its dispersed sizes together: 35 x 35 on two sizes, as many as the
#: fitter integrates each width over.  The realistic preset's 15 (3 a size on two, cheap for training data)
#: make a curve of three discrete sizes, not of a distribution: at the true parameters, a width integrated over
#: 35 points misfits 5 of 24 such core-shell spheres at chi2/dof 7-143, so no fit of a size distribution could
#: fit them (docs/fitting.md, Benchmark)
PD_POINTS = 35 * 35


def curves(models, per_model: int, seed: int, pd_points: int = PD_POINTS):
    from sasnets.simulate.options import GenerationOptions
    from sasnets.simulate.simulation import simulate_valid_curve

    options = GenerationOptions.preset("realistic", sampler="sasmodels", pd_points=pd_points, slit=0.0)
    return [simulate_valid_curve(m, seed, "select", i, options)[0] for m in models for i in range(per_model)]


def pool_for(model: str, labels, pool: str) -> list:
    from sasnets.analysis.families import model_family

    if pool == "all":
        return list(labels)
    family = model_family(model)
    return [label for label in labels if model_family(label) == family]


def _form_alone(fit, curve) -> bool:
    """The first answer to a product F@S is F alone, fitted adequately: S(q) is not seen in the data."""
    from sasnets.classifier.factors import NO_STRUCTURE_FACTOR, split_label

    form, structure = split_label(curve.model)
    return structure != NO_STRUCTURE_FACTOR and fit.model == form and bool(fit.acceptable)


def _as_good(fit, curve, true_fit) -> bool:
    """The first answer ``fit`` is the true model, or another that fits as well as the true model's
    own adequate fit ``true_fit`` with no more free parameters
    (:func:`~sasnets.analysis.fit_verified.as_good_as`): the data cannot tell them apart."""
    from sasnets.analysis.fit_verified import as_good_as

    return fit.model == curve.model or (true_fit is not None and bool(true_fit.acceptable)
                                        and as_good_as(fit, true_fit))


def _scores(firsts, data, seconds: float, fits: int, true_fits=None) -> dict:
    right = np.array([f.model == c.model for f, c in zip(firsts, data)])
    true_fits = true_fits or [None] * len(data)
    product = np.array(["@" in c.model for c in data])
    return {"true_first": float(np.mean(right)),
            "true_first_products": float(np.mean(right[product])) if product.any() else None,
            "true_first_others": float(np.mean(right[~product])) if (~product).any() else None,
            "true_or_form_first": float(np.mean(right | np.array([_form_alone(f, c) for f, c in zip(firsts, data)]))),
            "true_or_as_good_first": float(np.mean([_as_good(f, c, t) for f, c, t in zip(firsts, data, true_fits)])),
            "first_adequate": float(np.mean([f.acceptable for f in firsts])),
            "true_model_adequate": float(np.mean([bool(t is not None and t.acceptable) for t in true_fits])),
            "seconds_per_curve": seconds / len(data), "fits": fits}


def _true_model_fits(data, rankings, options: dict, workers: int) -> list:
    """Each curve's true model fitted in full (after the timed runs, not counted in them): taken from
    the runs' fits where one searched it in full, else fitted now; what the first answers are judged
    against (:func:`_as_good`)."""
    from sasnets.fitting import FitJob, map_fits

    found = [next((f for ranked in rankings for f in ranked[i] if f.model == c.model and not f.quick), None)
             for i, c in enumerate(data)]
    missing = [i for i, f in enumerate(found) if f is None]
    for k, fit in map_fits([FitJob(data[i], data[i].model, dict(options)) for i in missing], workers=workers):
        found[missing[k]] = fit
    return found


def true_model_alone(per_model: int, budget: float | None, workers: int, seed: int, models=MODELS,
                     pd_points: int = PD_POINTS) -> dict:
    """Each curve's true model fitted alone, as ``sasnets fit --model TRUE`` would: how often the fitter
    itself finds an adequate fit, per model, without the classifier (what any candidate order can reach)."""
    from sasnets.fitting import DEFAULT_BUDGET_S

    data = curves(models, per_model, seed, pd_points)
    options = dict(budget_s=budget or DEFAULT_BUDGET_S, seed=seed)
    t0 = time.perf_counter()
    fits = _true_model_fits(data, [], options, workers)  # no runs to take fits from: every curve fitted now
    wall = time.perf_counter() - t0
    per_model_adequate = {m: int(sum(f.acceptable for f, c in zip(fits, data) if c.model == m)) for m in models}
    return {"curves": len(data), "adequate": float(np.mean([f.acceptable for f in fits])),
            "per_model": per_model_adequate, "per_model_curves": per_model,
            "mean_fit_s": float(np.mean([f.elapsed for f in fits])), "seconds_per_curve": wall / len(data)}


def run(per_model: int, budget: float | None, pool: str, workers: int, seed: int, top: int, models=MODELS,
        baseline: bool = True, extend: int | None = None, reference: bool = True, classifier: str | None = None,
        pd_points: int = PD_POINTS) -> dict:
    import sasnets
    from sasnets.fitting import (DEFAULT_BUDGET_S, DEFAULT_EXTEND, DEFAULT_RANKING, RANKINGS, FitJob, candidate_jobs,
                                 classifier_probabilities, fit_job_sets, rank_fits, size_guesses)

    clf = sasnets.load_classifier(classifier) if classifier else sasnets.load_default_classifier()
    data = curves(models, per_model, seed, pd_points)
    options = dict(budget_s=budget or DEFAULT_BUDGET_S, seed=seed)
    extend = DEFAULT_EXTEND if extend is None else extend
    out, ranked_by = {}, {}
    for name in ("classify_then_fit", "baseline") if baseline else ("classify_then_fit",):
        t0 = time.perf_counter()
        sets = []
        for curve in data:
            if name == "classify_then_fit":
                sets.append(candidate_jobs(curve, classifier_probabilities(clf, curve), top=top, extend=extend,
                                           reference=reference, guesses=size_guesses(clf, curve), **options))
            else:
                sets.append([FitJob(curve, m, dict(options)) for m in pool_for(curve.model, clf.labels, pool)])
        # the same two-pass fitter for both: the baseline ranks by BIC alone (no probabilities)
        ranked = [None] * len(sets)
        counted = {"fits": 0}
        for s, fits in fit_job_sets(sets, workers=workers, rank_by=DEFAULT_RANKING if name == "classify_then_fit"
                                    else "posterior", progress=lambda done, total: counted.update(fits=total)):
            ranked[s] = fits
        ranked_by[name] = (ranked, time.perf_counter() - t0, counted["fits"])
    true_fits = _true_model_fits(data, [r for r, _, _ in ranked_by.values()], options, workers)
    for name, (ranked, seconds, fits) in ranked_by.items():
        out[name] = _scores([r[0] for r in ranked], data, seconds, fits, true_fits)
        if name == "classify_then_fit":  # the same fits in each final order sasnets fit --rank-by offers
            out[name]["true_fitted"] = float(np.mean([any(f.model == c.model for f in r)
                                                      for r, c in zip(ranked, data)]))
            out["rank_by"] = {by: _scores([rank_fits(r, by=by)[0] for r in ranked], data, seconds, fits, true_fits)
                              for by in RANKINGS}
    if baseline:
        out["speedup"] = out["baseline"]["seconds_per_curve"] / out["classify_then_fit"]["seconds_per_curve"]
    out["curves"] = len(data)
    out["pool"] = pool
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-model", type=int, default=2)
    parser.add_argument("--budget", type=float, help="seconds a fit (default: sasnets fit's)")
    parser.add_argument("--pool", choices=["family", "all"], default="family")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--extend", type=int, help="candidates fitted after the top ones when none of those fits "
                        "adequately (default: sasnets fit's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pd-points", type=int, default=PD_POINTS, help="dispersity points a curve is simulated "
                        "with, over all its dispersed sizes together (default 1225: 35 a size when two are dispersed; "
                        "15, the realistic preset's, gives 3)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated labels to simulate")
    parser.add_argument("--no-baseline", action="store_true", help="classify-then-fit alone (no speed-up)")
    parser.add_argument("--no-reference", action="store_true", help="classify-then-fit without the reference "
                        "candidate (sphere with the most probable structure factor)")
    parser.add_argument("--classifier", help="classifier directory (default: the shipped one)")
    parser.add_argument("--true-model", action="store_true", help="fit each curve's true model alone instead "
                        "(no classifier): how often the fitter finds an adequate fit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.true_model:
        r = true_model_alone(args.per_model, args.budget, args.workers, args.seed, args.models.split(","),
                             args.pd_points)
        if args.json:
            print(json.dumps(r, indent=2))
            return 0
        print(f"{r['curves']} curves from sasmodels' sampler, each fitted with its true model alone")
        for m, n in r["per_model"].items():
            print(f"  {m:24} {n} of {r['per_model_curves']} adequate")
        print(f"adequate: {100 * r['adequate']:.1f}%; {r['mean_fit_s']:.2f} s a fit, "
              f"{r['seconds_per_curve']:.2f} s a curve on {args.workers} workers")
        return 0
    r = run(args.per_model, args.budget, args.pool, args.workers, args.seed, args.top, args.models.split(","),
            baseline=not args.no_baseline, extend=args.extend, reference=not args.no_reference,
            classifier=args.classifier, pd_points=args.pd_points)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"{r['curves']} curves from sasmodels' sampler; baseline pool: {r['pool']}")
    print(f"{'':20} {'true first':>11} {'or F of F@S':>12} {'or as good':>11} {'first adequate':>15} {'s/curve':>9} "
          f"{'fits':>6}")
    rows = [("classify_then_fit", r["classify_then_fit"])]
    rows += [(f"  --rank-by {by}", v) for by, v in r["rank_by"].items()]
    rows += [("baseline", r["baseline"])] if "baseline" in r else []
    for name, v in rows:
        print(f"{name:20} {100 * v['true_first']:10.1f}% {100 * v['true_or_form_first']:11.1f}% "
              f"{100 * v['true_or_as_good_first']:10.1f}% "
              f"{100 * v['first_adequate']:14.1f}% "
              f"{v['seconds_per_curve']:9.1f} {v['fits']:6d}")
    print(f"true model among the fitted candidates: {100 * r['classify_then_fit']['true_fitted']:.1f}%; "
          f"its own fit adequate: {100 * r['classify_then_fit']['true_model_adequate']:.1f}%")
    for name, v in rows:
        split = [(k, v[f"true_first_{k}"]) for k in ("products", "others") if v[f"true_first_{k}"] is not None]
        if not name.startswith(" ") and split:
            print(f"{name}: true first on " + ", ".join(f"{100 * x:.1f}% of the {k}" for k, x in split))
    if "speedup" in r:
        print(f"speed-up: {r['speedup']:.1f}x (target >= 20x at accuracy within 5 points)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

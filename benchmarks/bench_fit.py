"""Acceptance measurement for classify-then-fit.

Simulates curves of sphere, cylinder, core_shell_sphere, lamellar, ellipsoid
and mass_fractal (or the ``--models`` given) with sasnets' own generator (the
``instrument`` preset narrowed to qmin 1e-3..1e-2 1/Å, qmax 0.1..0.5 1/Å,
60-200 log-spaced points, 1-sigma dQ/Q 2-10 %, 2 % Gaussian noise;
parameters, SLDs included, from each model's parameter table and
``random()``; random scale and flat background);
then fits every one of the models to every curve with
:func:`sasnets.fitting.fit_model` and prints

* the fraction of curves where the *true* model reaches reduced chi-square < 2
  (target >= 90 %), per model and overall;
* top-1 accuracy of ranking by fit alone (BIC, uniform prior);
* with a classifier (``--classifier PATH``, or ``--train`` to train a small one
  on generated data for the six models inside this run): top-1 accuracy of the
  network alone against the top-1 after re-ranking its top ``--top``
  candidates with :func:`sasnets.fitting.rank_fits` (target: the
  re-ranked figure is higher), and the fit-verified accuracy.

Run:  python benchmarks/bench_fit.py [--per-model 20] [--workers 2] [--classifier runs/clf | --train runs/bench-fit-clf]
      python benchmarks/bench_fit.py --quick        (3 curves per model)
      python benchmarks/bench_fit.py --models core_multi_shell,onion,spherical_sld,unified_power_Rg --per-model 8
      ... --hold-true n,n_shells,level     (the fits hold each curve's true shell/level count, as --fix does)
      ... --no-count-search                (keep one shell/level where the count is not held, as before)
      python benchmarks/bench_fit.py --real-samples [--per-case 8] [--workers 2]
                                           (products, dispersity and slit smearing: see real_samples)
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

MODELS = ["sphere", "cylinder", "core_shell_sphere", "lamellar", "ellipsoid", "mass_fractal"]


def acceptance_options(any_size: bool = False):
    """Instrument-like generation options of the acceptance measurement
    (particle shapes within pi/qmin of their curve, as the preset does, unless ``any_size``)."""
    from sasnets.simulate.options import GenerationOptions

    return GenerationOptions.preset("instrument", qmin="0.001:0.01", qmax="0.1:0.5", nq="60:200",
                                    noise="2", resolution="2:10", engine="dll", resolvable=not any_size)


def simulate_curves(per_model: int, seed: int, tag: str = "bench-fit", any_size: bool = False, models=MODELS):
    """``per_model`` valid curves of each model from sasnets' own generator
    (:func:`sasnets.simulate.simulation.simulate_valid_curve`): parameters from
    the model's parameter table and its ``random()`` (SLDs included), random
    scale and background, 2 % noise."""
    from sasnets.simulate.simulation import simulate_valid_curve

    options = acceptance_options(any_size)
    return [simulate_valid_curve(m, seed, tag, i, options)[0] for m in models for i in range(per_model)]


def resolution_aliasing(curve) -> float:
    """Largest relative difference between the curve's noise-free I(q) smeared
    the way sasmodels (and so the generator and the fit) does it, on the
    curve's own q points, and smeared on an 8x finer q grid.  Objects much
    larger than 1/qmin have fringes finer than the point spacing; the default
    smearing then aliases them into spurious bumps that a fit can match only
    at a needle-sharp parameter value.  Such curves are reported separately."""
    from sasmodels import core
    from sasmodels.direct_model import call_kernel
    from sasmodels.resolution import Pinhole1D

    model = core.load_model(curve.model, dtype="double", platform="dll")
    q, dq = np.asarray(curve.q, float), np.asarray(curve.dq, float)
    coarse = Pinhole1D(q, dq)
    qc = coarse.q_calc
    fine = Pinhole1D(q, dq, q_calc=np.logspace(np.log10(qc.min()), np.log10(qc.max()), 8 * len(qc)))
    pars = {k: v for k, v in curve.params.items() if not isinstance(v, str)}
    smeared = [res.apply(call_kernel(model.make_kernel([res.q_calc]), pars)) for res in (coarse, fine)]
    return float(np.max(np.abs(smeared[0] - smeared[1]) / np.abs(smeared[1])))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-model", type=int, default=20, help="curves per scattering model")
    ap.add_argument("--budget", type=float, default=20.0, help="seconds per fit")
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--top", type=int, default=3, help="network candidates re-ranked by fitting")
    ap.add_argument("--classifier", help="a trained classifier directory (labels must include the six models)")
    ap.add_argument("--train", metavar="DIR", help="train a classifier on the six models under the same conditions "
                    "into DIR (reused if DIR already holds one) and use it")
    ap.add_argument("--train-count", type=int, default=600, help="training curves per model for --train")
    ap.add_argument("--epochs", type=int, default=30, help="training epochs for --train")
    ap.add_argument("--quick", action="store_true", help="3 curves per model")
    ap.add_argument("--any-size", action="store_true", help="draw particle sizes without the pi/qmin limit of the "
                    "instrument preset (generate --any-size), to see what the limit changes")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated scattering models to simulate "
                    "and fit (default: the acceptance's six), e.g. core_multi_shell,onion,unified_power_Rg")
    ap.add_argument("--hold-true", default="", metavar="NAMES",
                    help="comma-separated parameters each fit holds at the curve's true value (sasnets fit --fix), "
                    "where both the curve's and the fitted model have them, e.g. n,n_shells,level,sld_solvent")
    ap.add_argument("--no-count-search", action="store_true",
                    help="fit shells/levels at the default count only (fit_model(search_counts=False)), the baseline "
                    "of the count search")
    ap.add_argument("--cache", metavar="FILE", help="reuse the fits stored in FILE by an earlier run with the same "
                    "--per-model/--seed/--budget/--starts (written when absent), e.g. to add --train afterwards")
    ap.add_argument("--real-samples", action="store_true", help="measure products (P@S), dispersity and slit "
                    "smearing on simulated curves from two samplers and on SasView's example files, instead")
    ap.add_argument("--per-case", type=int, default=8, help="curves per case and sampler for --real-samples")
    args = ap.parse_args(argv)
    if args.quick:
        args.per_model = 3
    if args.real_samples:
        return real_samples(per_case=args.per_case, budget=args.budget, workers=args.workers, seed=args.seed)

    from sasnets.fitting import FitJob, check_models, fixable_parameters, map_fits, rank_fits

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    check_models(models)
    curves = simulate_curves(args.per_model, args.seed, any_size=args.any_size, models=models)
    hold = [n.strip() for n in args.hold_true.split(",") if n.strip()]
    fixable = {m: fixable_parameters(m) for m in models}

    def held(curve, model):
        return {n: float(curve.params[n]) for n in hold if n in curve.params and n in fixable[model]}
    search = not args.no_count_search
    jobs = [FitJob(c, m, dict(budget_s=args.budget, starts=args.starts, seed=args.seed, fix=held(c, m),
                              search_counts=search))
            for c in curves for m in models]
    key = (args.per_model, args.seed, args.budget, args.starts, args.any_size, models, [c.seed for c in curves], hold,
           search)
    cached = _load_cache(args.cache, key)
    t0 = time.perf_counter()
    if cached is not None:
        fits, wall = cached
        print(f"fits reused from {args.cache}", file=sys.stderr)
    else:
        fits = [None] * len(jobs)
        for done, (i, res) in enumerate(map_fits(jobs, workers=args.workers), 1):
            fits[i] = res
            if done % 20 == 0 or done == len(jobs):
                print(f"\r{done}/{len(jobs)} fits, {time.perf_counter() - t0:.0f} s", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        wall = time.perf_counter() - t0
        _save_cache(args.cache, key, fits, wall)
    per_curve = [{f.model: f for f in fits[k * len(models):(k + 1) * len(models)]} for k in range(len(curves))]

    print(f"curves: {len(curves)} ({args.per_model} per model), fits: {len(jobs)}, wall {wall:.0f} s, "
          f"mean {np.mean([f.elapsed for f in fits]):.2f} s/fit, budget {args.budget} s, "
          f"over budget: {sum(f.stopped_on_budget for f in fits)}")
    print(f"\n{'true model':<20}{'chi2r<2':>9}{'median chi2r':>14}{'BIC top-1':>11}")
    ok_all, bic_all = [], []
    for m in models:
        rows = [pc for c, pc in zip(curves, per_curve) if c.model == m]
        ok = [pc[m].reduced_chi2 < 2 for pc in rows]
        bic = [rank_fits([_copy(f) for f in pc.values()])[0].model == m for pc in rows]
        ok_all += ok
        bic_all += bic
        med = np.median([pc[m].reduced_chi2 for pc in rows])
        print(f"{m:<20}{np.mean(ok):>9.0%}{med:>14.2f}{np.mean(bic):>11.0%}")
    print(f"{'all':<20}{np.mean(ok_all):>9.1%}{'':>14}{np.mean(bic_all):>11.1%}")
    aliased = np.array([resolution_aliasing(c) > 0.02 for c in curves])
    ok_all = np.array(ok_all)
    print(f"\nACCEPTANCE true model reduced chi2 < 2: {np.mean(ok_all):.1%} of {len(curves)} curves (target >= 90 %)")
    if aliased.any() and not aliased.all():
        print(f"  on the {int((~aliased).sum())} curves whose smeared I(q) is free of resolution aliasing: "
              f"{np.mean(ok_all[~aliased]):.1%}; on the {int(aliased.sum())} aliased ones "
              f"(object fringes finer than the q spacing, see resolution_aliasing): {np.mean(ok_all[aliased]):.1%}")
    failures = [(c.model, c.seed, round(pc[c.model].reduced_chi2, 2), "aliased" if a else "clean")
                for c, pc, a in zip(curves, per_curve, aliased) if not pc[c.model].reduced_chi2 < 2]
    if failures:
        print("curves where the true model failed (model, seed, reduced chi2, aliasing):", failures)

    classifier = _classifier(args, models)
    if classifier is None:
        print("\nno classifier (--classifier PATH): network-vs-re-ranked comparison skipped")
        return
    from sasnets.analysis.fit_verified import verify_curve
    from sasnets.fitting import classifier_probabilities

    net_top1, reranked_top1, verified = [], [], []
    for c, pc in zip(curves, per_curve):
        p = classifier_probabilities(classifier, c)
        ordered = sorted(p, key=lambda m: -p[m])
        net_top1.append(ordered[0] == c.model)
        cands = []
        for m in ordered[:args.top]:
            f = _copy(pc[m]) if m in pc else None
            if f is None:  # a label outside the six: not fitted in this benchmark
                continue
            f.probability = p[m]
            cands.append(f)
        ranked = rank_fits(cands)
        reranked_top1.append(bool(ranked) and ranked[0].model == c.model)
        verified.append(verify_curve(None if c.model in ordered[:args.top] else pc[c.model], cands))
    print(f"\nnetwork alone top-1:          {np.mean(net_top1):.1%}")
    print(f"re-ranked by fit (top {args.top}) top-1: {np.mean(reranked_top1):.1%}")
    print(f"fit-verified accuracy (k={args.top}):  {np.mean(verified):.1%}")
    print(f"ACCEPTANCE re-ranked top-1 {np.mean(reranked_top1):.1%} vs network alone {np.mean(net_top1):.1%}"
          f" (ratio {np.mean(reranked_top1) / max(np.mean(net_top1), 1e-9):.2f})")


# --- products, dispersity, slit smearing (issue 22) ------------------------------------------------------------

#: simulated cases of real_samples: (scattering model, {parameter: (low, high)} of the own sampler)
SAMPLE_CASES = [
    ("sphere@hayter_msa", {"radius": (15, 35), "volfraction": (0.01, 0.2), "charge": (5, 40)}),
    ("sphere@hardsphere", {"radius": (20, 150), "volfraction": (0.05, 0.4)}),
    ("sphere", {"radius": (20, 300), "radius_pd": (0.05, 0.3)}),
    ("cylinder", {"radius": (10, 60), "length": (100, 600), "radius_pd": (0.05, 0.25)}),
]
#: SasView example files (sasdata) and the model each is fitted with: (file, entry index, model, fit_model options)
EXAMPLE_FITS = [
    ("hSDS_D2O_0p5_percent.xml", 0, "sphere@hayter_msa", {}),
    ("hSDS_D2O_2p0_percent.xml", 0, "sphere@hayter_msa", {}),
    ("hSDS_D2O_2p0_percent_0p2M_NaCl.xml", 0, "sphere@hayter_msa", {"fix": {"concentration_salt": 0.2}}),
    ("hSDS_D2O_2p0_percent.xml", 0, "ellipsoid@hayter_msa", {}),
    ("Ludox_silica.xml", 0, "sphere", {}),
    ("Ludox_silica.xml", 0, "sphere", {"polydisperse": ["radius"], "pd_type": "schulz"}),
    ("Ludox_silica.xml", 0, "sphere@hardsphere", {"polydisperse": ["radius"], "pd_type": "schulz"}),
    ("AOT_Microemulsion-Core_Contrast.xml", 0, "core_shell_sphere", {"polydisperse": ["radius"]}),
    ("AOT_Microemulsion-Drop_Contrast.xml", 0, "core_shell_sphere", {"polydisperse": ["radius"]}),
    ("AOT_Microemulsion-Shell_Contrast.xml", 0, "core_shell_sphere", {"polydisperse": ["radius"]}),
    ("latex_smeared.xml", 0, "sphere", {"polydisperse": ["radius"]}),
    ("latex_smeared.xml", 1, "sphere", {"polydisperse": ["radius"]}),
    ("latex_smeared.xml", 1, "sphere", {"polydisperse": ["radius"], "slit_length": 0.0}),
]


def _noisy_curve(model, pars, rng, tag):
    """A curve of ``model`` at ``pars`` computed with sasmodels' DirectModel on 100 log-spaced points
    (qmin 1e-3..5e-3, qmax 0.2..0.5 1/Å, dQ/Q 5 %), 2 % Gaussian noise; None if I(q) is not positive."""
    from sasmodels import core
    from sasmodels.data import Data1D
    from sasmodels.direct_model import DirectModel

    from sasnets.data.curves import Curve

    q = np.logspace(np.log10(rng.uniform(1e-3, 5e-3)), np.log10(rng.uniform(0.2, 0.5)), 100)
    kernel = core.load_model(model, dtype="double", platform="dll")
    data = Data1D(x=q, y=np.ones_like(q), dx=0.05 * q, dy=np.ones_like(q))
    iq = DirectModel(data, kernel)(**{**pars, "background": 0.0})
    if not np.all(np.isfinite(iq)) or np.any(iq <= 0):
        return None
    iq = iq + pars["background"]
    diq = 0.02 * iq
    return Curve(q=q, iq=iq + rng.normal(size=q.size) * diq, diq=diq, dq=0.05 * q, model=model,
                 params=dict(pars), seed=tag)


def _own_sample(model, ranges, rng):
    pars = {n: float(rng.uniform(*r)) for n, r in ranges.items()}
    pars.update(scale=float(10 ** rng.uniform(-2, 0)), sld=1.0, sld_solvent=6.3)
    if "radius_pd" in pars:
        pars.update(radius_pd_n=35, radius_pd_nsigma=3, radius_pd_type="gaussian")
    pars["background"] = 0.0
    return pars


def _sasmodels_sample(model, seed):
    """Parameters from sasmodels' own sampler (sasmodels.compare.randomize_pars + constrain_pars),
    sizes below 500 Å; widths as it draws them, on the size parameters it chose (one 65 % of the
    time, two 33 %), none on orientations (a 1D curve averages them)."""
    from sasmodels import compare, core

    from sasnets.simulate.sampling import randomized_widths

    info = core.load_model_info(model)
    pars = dict(info.parameters.defaults)
    for p in info.parameters.kernel_parameters:
        if p.polydisperse:
            pars.update({p.name + "_pd": 0.0, p.name + "_pd_n": 35, p.name + "_pd_nsigma": 3.0})
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        pars = compare.randomize_pars(info, pars, maxdim=500)
        compare.constrain_pars(info, pars)
    finally:
        np.random.set_state(state)
    dispersed = randomized_widths(info, pars)
    for name in [n for n in pars if n.endswith("_pd")]:
        if name in dispersed:
            pars[name] = min(float(pars[name]), 0.3)  # within the fit's width range 0..0.5 with margin
            pars[name + "_n"], pars[name + "_nsigma"] = 35, 3.0
        else:
            pars[name], pars[name + "_n"] = 0.0, 0
    return {k: v for k, v in pars.items() if not k.startswith("up_") and "_M0" not in k and "_mtheta" not in k
            and "_mphi" not in k}


def _truth_holds(model, pars):
    """What a scientist knows of a sample and holds: a product's conditions and effective-radius mode."""
    from sasnets.fitting.products import CONDITIONS

    if "@" not in model:
        return {}
    return {k: float(pars[k]) for k in (*CONDITIONS, "radius_effective_mode") if k in pars}


def simulated_cases(per_case, seed):
    """[(sampler, curve)] for each case of SAMPLE_CASES from both samplers."""
    out = []
    for c, (model, ranges) in enumerate(SAMPLE_CASES):
        for sampler in ("own", "sasmodels"):
            made, k = 0, 0
            while made < per_case and k < 20 * per_case:
                tag = seed + 1000 * c + k
                rng = np.random.default_rng(tag)
                pars = _own_sample(model, ranges, rng) if sampler == "own" else _sasmodels_sample(model, tag)
                pars["background"] = 0.0
                curve = _noisy_curve(model, pars, rng, tag)
                k += 1
                if curve is None:
                    continue
                curve.params["background"] = float(1e-3 * np.median(curve.iq))
                curve.iq = curve.iq + curve.params["background"]
                out.append((sampler, curve))
                made += 1
    return out


def _rel(fit, truth, name):
    if name not in fit.parameters or not truth.get(name):
        return None
    return abs(fit.parameters[name][0] - float(truth[name])) / abs(float(truth[name]))


def real_samples(per_case=8, budget=20.0, workers=None, seed=0):
    """Products (P@S), dispersity and slit smearing, measured in one run:

    1. simulated curves (SAMPLE_CASES, from sasnets' own uniform sampler and from
       ``sasmodels.compare.randomize_pars``) fitted with their true model, automatic rules only
       (a product's conditions held at the truth, as a scientist knows them): the share with reduced
       chi2 < 2 (target >= 90 %), and the median relative error of radius, volfraction and radius_pd;
    2. cost: per-fit time of a product candidate and of a polydisperse candidate against a plain
       monodisperse ``sphere`` fit of the same curves (ratio of medians);
       and the product curves fitted without their effective-radius mode: tied to the form factor
       against ``sasnets fit``'s search that frees it where the tied fit is poor;
    3. SasView's example files (EXAMPLE_FITS) fitted with the named models: reduced chi2 and sizes.
    """
    from sasnets.fitting import FitJob, map_fits

    cases = simulated_cases(per_case, seed)
    jobs = [FitJob(c, c.model, dict(budget_s=budget, seed=seed, fix=_truth_holds(c.model, c.params)))
            for _, c in cases]
    # cost: each fitted with its true model, so that every fit converges the same way (a poor fit searches longer):
    # plain monodisperse spheres, sphere@hardsphere with its width search off, polydisperse spheres with the width asked
    plain = []
    for k in range(per_case):
        rng = np.random.default_rng(seed + 90000 + k)
        pars = _own_sample("sphere", {"radius": (20, 300)}, rng)
        plain.append(_noisy_curve("sphere", pars, rng, seed + 90000 + k))
    own = {m: [c for s, c in cases if s == "own" and c.model == m] for m in ("sphere@hardsphere", "sphere")}
    cost = [("plain", "sphere", plain, dict(search_widths=False)),
            ("product", "sphere@hardsphere", own["sphere@hardsphere"], dict(search_widths=False)),
            ("polydisperse", "sphere", own["sphere"], dict(polydisperse=["radius"]))]
    spans = {}
    for label, model, curves, opts in cost:
        spans[label] = slice(len(jobs), len(jobs) + len(curves))
        jobs += [FitJob(c, model, dict(budget_s=budget, seed=seed, **opts)) for c in curves]
    # the effective radius, not known: tied to the form factor (held mode 1, the fit without the search) against
    # sasnets fit's default (tied, freed when the tied fit is poor), on every product curve with its true model
    products = [c for _, c in cases if "@" in c.model]
    for label, mode in (("tied", {"radius_effective_mode": 1.0}), ("automatic", {})):
        spans[label] = slice(len(jobs), len(jobs) + len(products))
        jobs += [FitJob(c, c.model, dict(budget_s=budget, seed=seed, fix={
            **{k: v for k, v in _truth_holds(c.model, c.params).items() if k != "radius_effective_mode"}, **mode}))
            for c in products]
    t0 = time.perf_counter()
    fits = [None] * len(jobs)
    for done, (i, res) in enumerate(map_fits(jobs, workers=workers), 1):
        fits[i] = res
        print(f"\r{done}/{len(jobs)} fits, {time.perf_counter() - t0:.0f} s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"simulated: {len(cases)} curves, budget {budget} s/fit, wall {time.perf_counter() - t0:.0f} s")
    print(f"{'true model':<20}{'sampler':<11}{'n':>3}{'chi2r<2':>9}{'med chi2r':>10}{'radius':>9}{'volfrac':>9}"
          f"{'radius_pd':>10}{'width kept':>11}")
    ok_all = []
    for model, _ in SAMPLE_CASES:
        for sampler in ("own", "sasmodels"):
            rows = [(c, f) for (s, c), f in zip(cases, fits) if s == sampler and c.model == model]
            if not rows:
                continue
            ok = [f.reduced_chi2 < 2 for _, f in rows]
            ok_all += ok
            med = {n: [e for e in (_rel(f, c.params, n) for c, f in rows) if e is not None]
                   for n in ("radius", "volfraction", "radius_pd")}
            fmt = {n: f"{np.median(v):.1%}" if v else "-" for n, v in med.items()}
            widths = sum(bool(f.pd_types) for _, f in rows)
            print(f"{model:<20}{sampler:<11}{len(rows):>3}{np.mean(ok):>9.0%}"
                  f"{np.median([f.reduced_chi2 for _, f in rows]):>10.2f}{fmt['radius']:>9}{fmt['volfraction']:>9}"
                  f"{fmt['radius_pd']:>10}{widths:>11}")
    print(f"ACCEPTANCE true model reduced chi2 < 2: {np.mean(ok_all):.1%} of {len(ok_all)} curves (target >= 90 %)")
    failures = [(c.model, s, c.seed, round(f.reduced_chi2, 2)) for (s, c), f in zip(cases, fits)
                if not f.reduced_chi2 < 2]
    if failures:
        print("  not acceptable (model, sampler, seed, reduced chi2):", failures)

    tied, automatic = fits[spans.pop("tied")], fits[spans.pop("automatic")]
    freed = [a.fixed.get("radius_effective_mode") == 0 for a in automatic]
    print(f"\nEFFECTIVE RADIUS not known, {len(products)} product curves (both samplers), true model: reduced chi2 < 2 "
          f"with it tied to the form factor {np.mean([f.reduced_chi2 < 2 for f in tied]):.1%}, with sasnets fit's "
          f"search (freed where the tied fit is poor) {np.mean([f.reduced_chi2 < 2 for f in automatic]):.1%}, "
          f"freed on {sum(freed)}; mean time {np.mean([f.elapsed for f in tied]):.1f} against "
          f"{np.mean([f.elapsed for f in automatic]):.1f} s a fit")
    times = {label: np.median([f.elapsed for f in fits[span]]) for label, span in spans.items()}
    auto_sphere = [f for (s, c), f in zip(cases, fits) if s == "own" and c.model == "sphere"]
    times["search"] = np.median([f.elapsed for f in auto_sphere])
    print(f"\nCOST per fit, median over {per_case} curves each, true model, same run: plain sphere 1.00x; "
          f"sphere@hardsphere {times['product'] / times['plain']:.2f}x; sphere with the radius width asked "
          f"{times['polydisperse'] / times['plain']:.2f}x; sphere with the automatic width search (monodisperse fit, "
          f"poor, then with the width) {times['search'] / times['plain']:.2f}x")
    auto = [f for (s, c), f in zip(cases, fits) if c.model in ("sphere", "cylinder")]
    print(f"  automatic width search: tried on {sum(f.dispersity_tried for f in auto)} of {len(auto)} polydisperse "
          f"curves, kept on {sum(bool(f.pd_types) for f in auto)}")
    example_fits(budget=budget, workers=workers, seed=seed)


def example_fits(budget=20.0, workers=None, seed=0):
    """Fit SasView's example files (installed with sasdata) with the EXAMPLE_FITS models; print each fit."""
    import sasdata

    from sasnets.fitting import FitJob, map_fits
    from sasnets.stores.measured import load_curves

    folder = os.path.join(os.path.dirname(sasdata.__file__), "example_data", "1d_data")
    jobs, labels = [], []
    for name, entry, model, opts in EXAMPLE_FITS:
        curve = load_curves(os.path.join(folder, name))[entry]
        res = "slit" if curve.slit_smeared and opts.get("slit_length") != 0.0 else "pinhole" \
            if curve.dq is not None and np.any(curve.dq > 0) else "none"
        jobs.append(FitJob(curve, model, dict(budget_s=budget, seed=seed, **opts)))
        labels.append(f"{name}[{entry}] ({res}{', ' + ','.join(f'{k}={v}' for k, v in opts.items()) if opts else ''})")
    fits = [None] * len(jobs)
    for i, res in map_fits(jobs, workers=workers):
        fits[i] = res
    print("\nSasView example files:")
    for label, job, f in zip(labels, jobs, fits):
        shown = {k: v for k, (v, _) in f.parameters.items() if k not in ("scale", "background")}
        pars = ", ".join(f"{k}={v:.4g}" for k, v in shown.items())
        print(f"  {job.model:<22} chi2r {f.reduced_chi2:8.2f}  {f.elapsed:5.1f} s  {pars}  {label}")


def _load_cache(path, key):
    import pickle

    if not path or not os.path.exists(path):
        return None
    with open(path, "rb") as fh:
        stored = pickle.load(fh)
    return (stored["fits"], stored["wall"]) if stored["key"] == key else None


def _save_cache(path, key, fits, wall):
    import pickle

    if path:
        with open(path, "wb") as fh:
            pickle.dump({"key": key, "fits": fits, "wall": wall}, fh)


def _copy(fit):
    from dataclasses import replace

    return replace(fit)


def _classifier(args, models):
    import sasnets

    if args.train:
        if not os.path.exists(os.path.join(args.train, "classifier.json")):
            train_classifier(args.train, args.train_count, args.epochs, args.seed, args.workers, models)
        return sasnets.load_classifier(args.train)
    if not args.classifier:
        return None
    return sasnets.load_classifier(args.classifier)


def train_classifier(outdir, count, epochs, seed, workers, models=MODELS):
    """Generate ``count`` training curves per model (different seeds and tag
    from the test curves, same instrument conditions) and train the default
    architecture on them."""
    import sasnets

    store = os.path.join(outdir + "-data.h5")
    options = acceptance_options()
    t0 = time.perf_counter()
    sasnets.generate(store, models, count, tag="train", options=options, seed=seed + 1, workers=workers)
    sasnets.generate(store, models, max(count // 5, 20), tag="eval", options=options, seed=seed + 2, workers=workers)
    print(f"generated training data in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    t0 = time.perf_counter()
    sasnets.train(store, outdir, val_tag="eval", epochs=epochs, seed=seed, tensorboard=False, overwrite=True)
    print(f"trained the classifier in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()

"""``sasnets evaluate CLASSIFIER STORE``: accuracy, credible sets and calibration on a tag."""
import json
import math

import click

from ..errors import UsageError
from ._progress import ProgressBars


#: the unit of each progress stage of evaluate and analyze
UNITS = {"evaluate": "curve", "calibrate": "curve", "fit-verify": "fit"}


def load_classifier_arg(path):
    from ..classifier import load_classifier

    return load_classifier(path)


def format_metrics(m: dict, info: dict, width: int = 36) -> str:
    """The human-readable evaluation table."""
    def pct(x):
        return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:5.1f} %"

    lines = [
        f"{info.get('architecture') or 'classifier'} on tag {info.get('tag')!r} of {info.get('store')}: "
        f"{m['n']} curves, {m['n_models']} scattering models",
        "",
        f"  top-1 accuracy            {pct(m['top1'])}",
        f"  top-3 accuracy            {pct(m['top3'])}",
        f"  top-5 accuracy            {pct(m['top5'])}",
        f"  mean rank of true model   {m['mean_rank']:7.2f}",
        f"  68 % credible set         covers {pct(m['credible68']['coverage'])}, "
        f"{m['credible68']['mean_size']:.2f} models on average",
        f"  95 % credible set         covers {pct(m['credible95']['coverage'])}, "
        f"{m['credible95']['mean_size']:.2f} models on average",
        f"  rejected at the 5 % level {m['rejected95']:7.2f} models on average",
        f"  calibration error (ECE)   {m['ece']:7.3f}" + (f"   (temperature {m['temperature']:.3g})" if "temperature" in m else ""),
        "",
        f"  {'family':<{22}} {'models':>6} {'curves':>7} {'top-1':>8} {'in family':>10}",
    ]
    for family, v in m["per_family"].items():
        lines.append(f"  {family:<22} {v['models']:>6} {v['n']:>7} {pct(v['top1']):>8} {pct(v['family_accuracy']):>10}")
    lines += _factor_lines(m.get("factors"), pct)
    lines += _condition_lines(m, pct)
    per = m["per_model"]
    if per:
        w = max(len("scattering model"), *(len(k) for k in per))
        lines += ["", f"  {'scattering model':<{w}} {'curves':>7} {'top-1':>8} {'top-3':>8} {'rank':>6}"]
        for name, v in sorted(per.items(), key=lambda kv: (kv[1]["top1"], kv[0])):
            lines.append(f"  {name:<{w}} {v['n']:>7} {pct(v['top1']):>8} {pct(v['top3']):>8} {v['mean_rank']:>6.2f}")
    skipped = info.get("skipped_models") or {}
    if skipped:
        lines += ["", "  skipped (not known to the classifier): "
                  + ", ".join(f"{k} ({v})" for k, v in sorted(skipped.items()))]
    return "\n".join(lines)


def _factor_lines(f: dict | None, pct) -> list[str]:
    """Form factor and structure factor each on its own (a classifier trained on products)."""
    if not f:
        return []
    ff = f["form_factor"]
    lines = ["", f"  form factor top-1 / top-3 / top-5   {pct(ff['top1'])} / {pct(ff['top3'])} / {pct(ff['top5'])}",
             f"  structure factor named right        {pct(f['structure_factor']['accuracy'])}",
             "", f"  {'true structure factor':<22} {'curves':>7} {'S(q) right':>11} {'form factor top-1':>18}"]
    for name, v in f["per_structure_factor"].items():
        lines.append(f"  {name:<22} {v['n']:>7} {pct(v['structure_factor_accuracy']):>11} {pct(v['form_factor_top1']):>18}")
    return lines


def _condition_lines(m: dict, pct) -> list[str]:
    """Top-1 by background-to-peak ratio and by q-window width (sasnets.analysis.conditions)."""
    from ..analysis.conditions import condition_tables

    lines = []
    for _, title, rows in condition_tables(m):
        lines += ["", f"  {title:<44} {'curves':>7} {'share':>8} {'top-1':>8}"]
        lines += [f"  {label:<44} {b['n']:>7} {pct(b['share']):>8} {pct(b['top1']):>8}" for label, b in rows]
    return lines


@click.command("evaluate")
@click.argument("classifier", type=click.Path())
@click.argument("store")
@click.option("--tag", default="test", show_default=True, help="Tag of the store to evaluate on.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (top1, top3, top5, per_model, "
              "per_family, by_background, by_q_window, by_intensity_range, credible68, credible95, ece, …) instead of the table.")
@click.option("--calibrate-on", "calibrate_on", metavar="TAG",
              help="First fit the softmax temperature on this tag (e.g. eval) and store it in classifier.json.")
@click.option("--max-curves", type=click.IntRange(min=1), help="Evaluate a random subset of this many curves.")
@click.option("--batch-size", type=click.IntRange(min=1), default=4096, show_default=True,
              help="Curves classified per batch (memory use grows with it; results do not change).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the --max-curves subset.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--fit-verify", "fit_verify", type=click.IntRange(min=1), metavar="N",
              help="Also fit N random curves (bumps): fraction where a top-3 candidate fits as well as the true model, "
                   "and top-1 after re-ranking the top 3 by fit, as `sasnets fit --rank-by posterior` does.")
def evaluate(classifier, store, tag, as_json, calibrate_on, max_curves, batch_size, seed, quiet, fit_verify):
    """Measure how well CLASSIFIER names the scattering model of the curves in STORE.

    \b
    Examples:
      sasnets evaluate runs/mine data.h5 --tag test
      sasnets evaluate runs/mine data.h5 --calibrate-on eval --fit-verify 50 --json
    """
    from ..analysis.evaluate import calibrate
    from ..analysis.evaluate import evaluate as run_evaluation

    clf = load_classifier_arg(classifier)
    calibration = None
    if calibrate_on:
        if calibrate_on == tag:
            raise UsageError(f"--calibrate-on {calibrate_on!r} is the tag being evaluated; "
                             "fit the temperature on a different (validation) tag.")
        with ProgressBars(quiet, UNITS) as bars:
            calibration = calibrate(clf, store, calibrate_on, batch_size=batch_size, max_curves=max_curves,
                                    seed=seed, progress=bars)
        click.echo(f"Temperature {calibration['previous']:.4g} -> {calibration['temperature']:.4g} "
                   f"(NLL on {calibrate_on!r} {calibration['nll_before']:.4f} -> {calibration['nll_after']:.4f}); "
                   f"saved in {clf.path}.", err=True)
    with ProgressBars(quiet, UNITS) as bars:
        result = run_evaluation(clf, store, tag, batch_size=batch_size, max_curves=max_curves, seed=seed,
                                progress=bars)
    if fit_verify:  # fit-verified accuracy (sasnets.analysis.fit_verified)
        from ..analysis.fit_verified import fit_verified_accuracy_on_store

        with ProgressBars(quiet, UNITS) as bars:
            result.metrics["fit_verified"] = fit_verified_accuracy_on_store(clf, store, tag, n=fit_verify, k=3,
                                                                            seed=seed, progress=bars)
    if as_json:
        out = dict(result.metrics)
        out["info"] = result.info
        if calibration:
            out["calibration"] = calibration
        click.echo(json.dumps(out, indent=2, default=float))
    else:
        click.echo(format_metrics(result.metrics, result.info))
        if fit_verify:
            fv = result.metrics["fit_verified"]
            click.echo(f"\n  fit-verified top-{fv['k']} accuracy {100 * fv['fit_verified']:5.1f} % on {fv['n']} fitted curves "
                       f"(top-{fv['k']} without fitting {100 * fv['top_k']:5.1f} %)\n"
                       f"  top-1 after re-ranking the top {fv['k']} by fit (the answer of `sasnets fit`) "
                       f"{100 * fv['reranked_top1']:5.1f} % (the network alone {100 * fv['top1']:5.1f} % on these curves)\n"
                       f"  wrong top-1 answers: {100 * fv['top1_equivalent']:5.1f} % of curves fit as well as the true "
                       f"model, {100 * fv['top1_worse']:5.1f} % worse, {100 * fv['top1_unresolved']:5.1f} % not judged "
                       "(the true model's own fit is poor)")
            for name, key in (("fit as well", "equivalent_pairs"), ("fit worse", "worse_pairs")):
                shown = ", ".join(f"{true} as {answer} ({count})" for true, answer, count in fv[key][:5])
                click.echo(f"  most common answers that {name}: {shown or 'none'}")


COMMANDS = [evaluate]

"""``sasnets fit FILES...``: fit the candidate scattering models to measured curves.

Thin over :mod:`sasnets.fitting`: loads each file, asks the
classifier for the top candidates (or takes ``--model``), fits them all in
parallel, and prints a ranked table per file (or JSON).  A file that cannot
be read is reported on one line and the others carry on; the exit status is
non-zero if any file failed.
"""
from __future__ import annotations

import json
import math
import os
import re
import warnings

import click

from ..errors import SasnetsError, UsageError
from ..fitting.batch import DEFAULT_EXTEND, MAX_REFINED
from ..fitting.search import DEFAULT_BUDGET_S
from ..fitting.ranking import DEFAULT_RANKING
from ._options import comma_separated


def _plot_path(template: str, source: str, several: bool) -> str:
    """``--plot fit.png`` for one curve; ``fit-<file stem>.png`` for each of several
    (``fit-<file stem>-<entry>.png`` for the entries of a multi-entry file)."""
    if not several:
        return template
    root, ext = os.path.splitext(template)
    return f"{root}-{_stem(source)}{ext or '.png'}"


def _stem(source: str) -> str:
    """``sample`` for ``dir/sample.xml``; ``sample-usans`` for the entry ``dir/sample.xml[usans]``."""
    name, _, entry = os.path.basename(source).partition("[")
    stem = os.path.splitext(name)[0]
    if entry:
        stem += "-" + re.sub(r"[^A-Za-z0-9._-]+", "_", entry.rstrip("]")).strip("_")
    return stem


def _write_csv(path: str, best, failed) -> None:
    """One row per curve: the first-ranked candidate (``best``: ``(source, FitResult)``),
    then the curves that could not be fitted with their error."""
    import csv

    names = list(dict.fromkeys(n for _, r in best if r is not None for n in r.parameters))
    columns = ["file", "model", "reduced_chi2", "acceptable", "probability", "bic"] + \
        [c for n in names for c in (n, f"{n}_error")] + ["error"]
    rows = []
    for source, r in best:
        row = {"file": source}
        if r is not None:
            row.update(model=r.model, reduced_chi2=_csv_number(r.reduced_chi2), acceptable=r.acceptable,
                       probability=_csv_number(r.probability), bic=_csv_number(r.bic))
            for n, (value, error) in r.parameters.items():
                row[n], row[f"{n}_error"] = _csv_number(value), _csv_number(error)
        rows.append(row)
    rows += [{"file": source, "error": message} for source, message in failed]
    try:
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    except OSError as exc:
        raise UsageError(f"Cannot write {path} ({exc.strerror or exc}); check the --csv path.") from None


def _csv_number(value):
    return "" if value is None or not math.isfinite(value) else f"{value:.6g}"


def _write_pars(directory: str, source: str, ranked) -> None:
    """One bumps ``.par`` file per fitted candidate of ``source`` in ``directory``."""
    try:
        os.makedirs(directory, exist_ok=True)
        for r in ranked:
            if r.success:
                with open(os.path.join(directory, f"{_stem(source)}-{r.model}.par"), "w") as fh:
                    fh.write(r.bumps_pars())
    except OSError as exc:
        raise UsageError(f"Cannot write bumps parameter files to {directory} ({exc.strerror or exc}); "
                         "check the --bumps-pars directory.") from None


def _fmt(value, error=None) -> str:
    if value is None or not math.isfinite(value):
        return "nan"
    if error is None or not math.isfinite(error) or error <= 0:
        return f"{value:.4g}"
    return f"{value:.4g}±{error:.2g}"


_ORDER = {"network": "in the network's order",
          "adequate": "in the network's order, adequate fits (chi2/dof < 2) first",
          "posterior": "ranked by ln(p) - BIC/2"}


def _table(source: str, results, rank_by: str = DEFAULT_RANKING, extend: int = 0) -> list[str]:
    if all(r.probability is None for r in results):  # no network: either order is the fit's
        rank_by = "posterior"
    lines = [f"{source}: {len(results)} candidate(s), {_ORDER[rank_by]}"]
    width = max([len("model")] + [len(r.model) for r in results])
    lines.append(f"  {'#':>2}  {'model':<{width}}  {'prob':>6}  {'chi2/dof':>9}  {'BIC':>10}  fit  parameters")
    for r in results:
        prob = "-" if r.probability is None else f"{r.probability:.3f}"
        if not r.success:
            lines.append(f"  {r.rank:>2}  {r.model:<{width}}  {prob:>6}  {'-':>9}  {'-':>10}  failed: {r.message}")
            continue
        ok = "ok" if r.acceptable else "poor"
        shape = [n for n in r.parameters if n not in ("scale", "background")]
        shape += [n for n in ("scale", "background") if n in r.parameters]
        pars = ", ".join(f"{n}={_fmt(*r.parameters[n])}" for n in shape)
        if r.pd_types:
            pars += " (" + ", ".join(f"{n}: {t}" for n, t in r.pd_types.items()) + " distribution)"
        chi2 = f"{r.reduced_chi2:.3g}" if r.reduced_chi2 < 100 else f"{r.reduced_chi2:.0f}"
        lines.append(f"  {r.rank:>2}  {r.model:<{width}}  {prob:>6}  {chi2:>9}  {r.bic:>10.1f}  {ok:<4} {pars}")
    notes: dict = {}  # message -> the candidates it is about
    for r in results:
        if r.success and r.message not in ("converged", ""):
            notes.setdefault(r.message, []).append(r.model)
    for message, models in sorted(notes.items()):
        hint = " (raise --budget)" if "time budget" in message and "--budget" not in message else ""
        lines.append(f"  note: {', '.join(models)}: {message}{hint}")
    quick = [r.model for r in results if r.quick]
    if quick:
        lines.append(f"  note: {', '.join(quick)}: quick fit, not searched further (a candidate ranked above fits "
                     f"adequately, or {MAX_REFINED} others were searched in full; name one with --model to fit it "
                     "in full)")
    held = {k: v for r in results for k, v in r.held.items()}
    if held:
        lines.append("  held: " + ", ".join(f"{k}={v:g}" for k, v in held.items()))
    lines += _count_hints(results)
    lines += _condition_notes(results)
    if not extend and results and not any(r.acceptable for r in results) \
            and any(r.probability is not None for r in results):
        lines.append("  note: no candidate fits adequately (chi2/dof < 2): --extend 2 also fits the next two most "
                     "probable scattering models (or the file's error bars may be too small)")
    overruled = _overruled(results) if rank_by == "posterior" else None
    if overruled is not None:
        lines.append(f"  note: the fits overrule the network's first choice, {overruled.model} "
                     f"(p={overruled.probability:.2f}); a poor fit of a model with many parameters may be a missed "
                     "minimum: compare with --plot, or keep the network's order with --rank-by network")
    moved = _overruled(results) if rank_by == "adequate" else None
    if moved is not None:
        lines.append(f"  note: the network's first choice, {moved.model} (p={moved.probability:.2f}), fits poorly "
                     "and goes after the adequate fits; --rank-by network keeps it first")
    better = _fits_better_than_first(results) if rank_by == "network" else None
    if better is not None:
        first = results[0]
        lines.append(f"  note: {better.model} fits the data better than the network's first choice {first.model} "
                     f"(chi2/dof {better.reduced_chi2:.3g} vs {first.reduced_chi2:.3g}, BIC {better.bic:.1f} vs "
                     f"{first.bic:.1f}); --rank-by posterior ranks by fit and network together")
    return lines


def _fits_better_than_first(results):
    """In the network's order: the candidate fit and prior rank first when the network's
    first choice fits poorly and another candidate beats it, else None."""
    fitted = [r for r in results if r.success and math.isfinite(r.score)]
    if not results or not fitted or results[0].acceptable:
        return None
    best = max(fitted, key=lambda r: r.score)
    return best if best is not results[0] else None


def _count_hints(results) -> list[str]:
    """A note for each poor fit of a model whose number of shells or levels
    was not held: the counts tried, and how to try more."""
    from ..fitting import count_parameters

    lines = []
    for r in results:
        if not r.success or r.acceptable:
            continue
        counts = [n for n in count_parameters(r.model) if n not in r.held and n in r.fixed]
        if counts:
            name = counts[0]
            tried = r.counts_tried.get(name) or [int(r.fixed[name])]
            lines.append(f"  note: {r.model} fits best with {name}={r.fixed[name]:g} of "
                         f"{', '.join(map(str, tried))} tried; if the sample has more shells or levels, "
                         f"hold their number (--fix {name}={max(tried) + 1})")
    return lines


def _condition_notes(results) -> list[str]:
    """A note for each product whose sample conditions (temperature ...) were
    not held: the defaults assumed, and how to give them."""
    from ..fitting.products import CONDITIONS

    lines = []
    for r in results:
        assumed = {n: r.fixed[n] for n in CONDITIONS if n in r.fixed and n not in r.held}
        if r.success and assumed:
            values = ", ".join(f"{n}={v:g}" for n, v in assumed.items())
            lines.append(f"  note: {r.model} assumes sasmodels' defaults {values}; give the sample's with "
                         f"--fix {next(iter(assumed))}=VALUE")
    return lines


def _comma_list(ctx, param, values) -> tuple:
    return tuple(comma_separated(values))


def _parse_fix(values) -> dict:
    """``--fix NAME=VALUE`` options as {name: float}."""
    held = {}
    for text in values:
        name, sep, value = text.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            held[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--fix {text!r} is not NAME=VALUE with a number (e.g. --fix sld_solvent=6.36).") from None
    return held


def _overruled(results):
    """The network's most probable candidate when the fits ranked another first, else None."""
    known = [r for r in results if r.probability is not None and r.success]
    if not known or not results[0].success:
        return None
    favourite = max(known, key=lambda r: r.probability)
    return favourite if favourite.probability > (results[0].probability or 0.0) else None


@click.command("fit")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--classifier", "classifier_path", metavar="PATH",
              help="Trained classifier directory; its top candidates are fitted (default: the installed default classifier).")
@click.option("--top", default=3, show_default=True, type=click.IntRange(min=1),
              help="How many of the classifier's most probable scattering models to fit.")
@click.option("--extend", default=DEFAULT_EXTEND, show_default=True, type=click.IntRange(min=0),
              help="When none of the --top candidates fits adequately (chi2/dof < 2), fit this many more, the next "
              "most probable ones (off by default: docs/fitting.md measures what it changes).")
@click.option("--model", "models", multiple=True, metavar="NAME", callback=_comma_list,
              help="Fit this scattering model (repeatable, or comma-separated) instead of the classifier's candidates.")
@click.option("--resolution", type=float, metavar="PCT",
              help="1-sigma dQ/Q in percent; replaces the files' own dQ (give it when a file has none).")
@click.option("--budget", default=DEFAULT_BUDGET_S, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="SECONDS", help="Wall-clock limit per fit, its searches over shell or level counts "
              "(multi-shell and multi-level models) and size dispersity included; when no candidate fits adequately, "
              "one whose size distribution the limit left no time for is fitted again with up to 3 times it.")
@click.option("--starts", default=3, show_default=True, type=click.IntRange(min=1),
              help="Local polishes (bumps Levenberg-Marquardt) from distinct minima of the global search.")
@click.option("--plot", "plot_path", metavar="PATH",
              help="Write data, fits and residuals to PATH (one file: PATH; several: PATH-<file stem>.png).")
@click.option("--json", "as_json", is_flag=True,
              help='Print a JSON array of {"file", "candidates": [...]} in final rank order.')
@click.option("--csv", "csv_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Write one row per curve to FILE: the first-ranked candidate, its fit quality and parameters.")
@click.option("--results", "results_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Keep every curve's fits in FILE (JSON lines) as soon as they finish; a rerun with the same "
              "options skips the curves FILE holds, so an interrupted batch resumes.")
@click.option("--report", "report_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Write DIR/index.html: a summary table and, per curve, the data with the ranked fits and "
              "residuals, and every candidate's probability, fit quality and parameters (viewable offline).")
@click.option("--bumps-pars", "pars_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Write each candidate's fitted parameters as a bumps .par file, DIR/<file>-<model>.par.")
@click.option("--rank-by", "rank_by", type=click.Choice(list(_ORDER)), default=DEFAULT_RANKING,
              show_default=True, help="Final order: re-ranked by network probability times fit evidence "
              "(ln p - BIC/2); the network's, with the fits as a check on each candidate; or the network's with "
              "the adequate fits (chi2/dof < 2) first. docs/fitting.md#ranking compares them.")
@click.option("--fix", "fix", multiple=True, metavar="NAME=VALUE",
              help="Hold a parameter you know at VALUE in every candidate that has it (repeatable): a solvent SLD, "
              "a polydispersity (radius_pd=0.1), background or scale on absolute data, or a count of shells or "
              "levels (n=3) which fits that many instead of searching 1-3. `sasnets models NAME --parameters` lists the names.")
@click.option("--polydisperse", "polydisperse", multiple=True, metavar="NAME", callback=_comma_list,
              help="Fit the distribution width NAME_pd of this size parameter (repeatable or comma-separated, e.g. "
              "radius,length) in every "
              "candidate that has it. Without it a poor fit is tried again with the width of each size parameter in "
              "turn, the one that lowers chi-square the most first, until one fits (right after a poor first search "
              "round), keeping the lowest BIC.")
@click.option("--pd-type", "pd_type", type=click.Choice(["gaussian", "lognormal", "schulz"]), default="gaussian",
              show_default=True, help="Size distribution of every width fitted or held (sasmodels' and SasView's "
              "default is gaussian; schulz or lognormal suit widths above about 0.3).")
@click.option("--monodisperse", is_flag=True,
              help="Fit no width unless --polydisperse names it (skip the automatic width search).")
@click.option("--slit-length", "slit_length", type=float, metavar="1/A",
              help="Slit length (1/Å) of slit-smeared data (USANS, USAXS) whose file does not say; replaces the "
              "files' own resolution.")
@click.option("--slit-width", "slit_width", type=float, metavar="1/A",
              help="Slit width (1/Å), with or without --slit-length.")
@click.option("--reference/--no-reference", default=True, show_default=True,
              help="Fit the sphere too when the top candidates leave it out: with the most probable structure "
              "factor when one is more probable than none (sphere@hayter_msa), else alone.")
@click.option("--size-seeds/--no-size-seeds", default=True, show_default=True,
              help="Start each fit from the classifier's size estimates too (when it has them, see sasnets sizes).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the global search's starting points.")
@click.option("--workers", type=click.IntRange(min=1), help="Parallel fitting processes (default: all cores).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run the fits on an existing Dask cluster, e.g. tcp://head:8786 (instead of local processes).")
@click.option("--q-units", "q_units", metavar="A|nm",
              help="Units of q in the files, overriding what they say (default: as the file says, else 1/Å).")
def fit(files, classifier_path, top, extend, models, resolution, budget, starts, plot_path, as_json, csv_path,
        results_path, report_dir, pars_dir, rank_by, fix, polydisperse, pd_type, monodisperse, slit_length, slit_width,
        reference, size_seeds, seed, workers, scheduler, q_units):
    """Fit the most probable scattering models to each measured curve in FILES
    (files, or directories standing for the files in them)
    and check each candidate against the data.

    For each candidate: reduced chi-square, fitted parameters with
    uncertainties, BIC and the network probability.  The candidates are
    ranked by ln(p) - BIC/2 (network prior times the Schwarz evidence), or
    keep the network's order with --rank-by network; "ok" marks reduced
    chi-square < 2.

    A product of form and structure factor is named as sasmodels names it;
    its volume fraction and S(q) interaction parameters are fitted, the
    effective radius follows the form factor (and is fitted on its own
    where that fits poorly, as is the beta approximation), and temperature, dielectric constant and salt
    are held (give yours with --fix).  Slit-smeared files
    are fitted with their slit; --slit-length gives one a file lacks.

    \b
    Examples:
      sasnets fit --model sphere@hayter_msa --fix temperature=298 sds.xml
      sasnets fit --model sphere --polydisperse radius --pd-type schulz ludox.xml
      sasnets fit --model sphere --slit-length 0.117 usans.txt
      sasnets fit sample.xml --json --bumps-pars pars/ > fits.json
      sasnets fit measurements/ --csv fits.csv
      sasnets fit measurements/ --results fits.jsonl --report report/
    """
    from .. import fitting
    from ..stores.measured import MeasuredFileWarning, load_curves, parse_q_units

    q_units = parse_q_units(q_units)
    if resolution is not None and not 0 <= resolution < 100:
        raise UsageError(f"--resolution is dQ/Q in percent and must be between 0 and 100, got {resolution}.")
    held = _parse_fix(fix)
    for name, value in (("--slit-length", slit_length), ("--slit-width", slit_width)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise UsageError(f"{name} is a length in 1/Å and must be zero or positive, got {value:g}.")
    if resolution is not None and (slit_length or slit_width):
        raise UsageError("--resolution (pinhole dQ/Q) and --slit-length/--slit-width both given; "
                         "a curve is smeared by one of them.")
    if models:
        fitting.check_models(models)
        fitting.held_for(models, held)  # a name none of them has is a typo: say so before any file is read
        fitting.polydisperse_for(models, polydisperse)
    classifier = None
    if classifier_path is not None or not models:
        from ..classifier import resolve_classifier

        try:
            classifier = resolve_classifier(classifier_path)
        except UsageError as exc:
            raise UsageError(f"{exc} Or name the scattering models to fit with --model.") from None
    options = dict(resolution=None if resolution is None else resolution / 100.0, budget_s=budget,
                   starts=starts, seed=seed, fix=held, polydisperse=list(polydisperse) or None, pd_type=pd_type,
                   search_widths=not monodisperse, slit_length=slit_length, slit_width=slit_width)

    from .predict import expand_data_paths

    files = expand_data_paths(files)  # a directory stands for the files in it
    results_file = None
    if results_path:
        from ..fitting.results_file import ResultsFile, options_key

        results_file = ResultsFile(results_path, options_key(
            {**options, "models": list(models), "top": top, "extend": extend, "size_seeds": size_seeds,
             "reference": reference,
             "q_units": q_units, "classifier": getattr(classifier, "path", None)}))
    failed = []
    entries = []  # (source, curve, its candidate fits or None when fitted by an earlier run) in file order
    for path in files:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", MeasuredFileWarning)
                curves = load_curves(path, q_units=q_units)  # every entry of a multi-entry file
            for w in caught:
                if issubclass(w.category, MeasuredFileWarning):
                    click.echo(f"Warning: {w.message}", err=True)
        except SasnetsError as exc:
            click.echo(f"Error: {exc}", err=True)
            failed.append((path, str(exc)))
            continue
        for curve in curves:
            source = curve.source or path
            if results_file is not None and source in results_file.done:  # fitted by an earlier run
                entries.append((source, curve, None))
                continue
            try:
                probabilities = fitting.classifier_probabilities(classifier, curve) if classifier is not None else None
                guesses = fitting.size_guesses(classifier, curve) if size_seeds and classifier is not None else {}
                new = fitting.candidate_jobs(curve, probabilities, models=models, top=top, extend=extend,
                                             reference=reference, guesses=guesses, **options)
            except SasnetsError as exc:
                click.echo(f"Error: {exc}", err=True)
                failed.append((source, str(exc)))
                continue
            entries.append((source, curve, new))

    neutral = 1.0 / len(classifier.labels) if classifier is not None else None  # models it does not know
    fitted = {}  # entry index: ranked results
    sets = [e for e, (_, _, jobs) in enumerate(entries) if jobs is not None]
    if sets:
        from ..progress import Progress
        from ._progress import ProgressBars

        with ProgressBars(units={"fitting": "fit"}) as bars:
            bars(Progress("fitting", 0, sum(not job.reserve for e in sets for job in entries[e][2])))
            for s, ranked in fitting.fit_job_sets([entries[e][2] for e in sets], workers=workers,
                                                  scheduler=scheduler, rank_by=rank_by, default_probability=neutral,
                                                  progress=lambda done, total: bars(Progress("fitting", done, total))):
                fitted[sets[s]] = ranked
                if results_file is not None:  # a curve done: saved at once
                    results_file.add(entries[sets[s]][0], ranked)
    skipped = sum(jobs is None for _, _, jobs in entries)
    if skipped:
        click.echo(f"{skipped} curve(s) already fitted in {results_path}; not refitted.", err=True)

    out, best, reported = [], [], []
    for e, (path, curve, jobs) in enumerate(entries):
        ranked = fitting.rank_fits(results_file.done[path] if jobs is None else fitted[e],
                                   default_probability=neutral, by=rank_by)
        if as_json:
            out.append({"file": path, "candidates": [r.to_dict() for r in ranked]})
        else:
            click.echo("\n".join(_table(path, ranked, rank_by, extend)))
        if plot_path:
            target = _plot_path(plot_path, path, len(entries) > 1)
            from ..analysis.fit_plot import plot_fits

            plot_fits(curve, ranked, target, title=os.path.basename(path))
            click.echo(f"plot written to {target}", err=True)
        if pars_dir:
            _write_pars(pars_dir, path, ranked)
        best.append((path, ranked[0] if ranked else None))
        reported.append((path, curve, ranked))
    if report_dir:
        from ..analysis.fit_report import write_report

        page = write_report(report_dir, reported, failed=failed)
        click.echo(f"report written to {page}", err=True)
    if csv_path:
        _write_csv(csv_path, best, failed)
    if as_json:
        out += [{"file": path, "error": message, "candidates": []} for path, message in failed]
        click.echo(json.dumps(out, indent=2))
    if failed:
        raise click.exceptions.Exit(1)


COMMANDS = [fit]

"""``sasnets generate``: simulate curves for scattering models into a store.

Thin over :func:`sasnets.simulate.generate`; see that module for resuming,
seeds and parallelism.
"""
import os
import sys

import click

from ..errors import DataError, UsageError

_RANGE_HELP = "a number, or LOW:HIGH to draw one per curve"


def _progress_bar(quiet: bool):
    """A progress callback drawing a tqdm bar on stderr, and a closer."""
    if quiet:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="curve", file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
               disable=None, desc="generating")

    def update(done, total):
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    return update, bar.close


def _summary(report) -> list[str]:
    names = sorted(report.models)
    width = max([len("model")] + [len(n) for n in names])
    lines = [f"{'model':<{width}}  {'existing':>8}  {'generated':>9}  {'redrawn':>7}"]
    for n in names:
        m = report.models[n]
        line = f"{n:<{width}}  {m.existing:>8}  {m.generated:>9}  {m.redrawn:>7}"
        lines.append(line + ("  FAILED" if m.failed else ""))
    lines.append(
        f"{report.generated} curves generated ({report.redrawn} redrawn) for {len(names)} scattering models in "
        f"{report.elapsed:.1f} s ({report.curves_per_second:.1f} curves/s), engine {report.engine}, "
        f"{report.workers} worker(s); tag {report.tag!r} of {report.store}"
    )
    return lines


@click.command("generate")
@click.argument("models", nargs=-1, required=True)
@click.option("-o", "--output", required=True, metavar="STORE",
              help="Store to write (data.h5, sqlite:///x.db, postgresql://…); topped up, never overwritten.")
@click.option("-x", "--exclude", multiple=True, metavar="PATTERN", help="Leave out these models (repeatable).")
@click.option("--count", type=int, default=1000, show_default=True,
              help="Curves per model; the store's tag is topped up to this many, so reruns resume.")
@click.option("--tag", default="train", show_default=True, help="Dataset split to write: train, eval, test or any name.")
@click.option("--preset", type=click.Choice(["2017", "instrument"]), default="2017", show_default=True,
              help="Defaults for the options below: 2017 = fixed 100-point grid, scale 1, background 1e-5; "
                   "instrument = per-curve q window in 1e-3..0.6 1/Å, 60-250 points, 1-5 % noise, 2-10 % dQ/Q, "
                   "random scale and background.")
@click.option("--nq", metavar="N[:N]", help=f"Points per curve ({_RANGE_HELP}). [2017: 100]")
@click.option("--qmin", metavar="Q[:Q]", help=f"Lowest q in 1/Å, log-spaced grid ({_RANGE_HELP}). [2017: 0.001]")
@click.option("--qmax", metavar="Q[:Q]", help=f"Highest q in 1/Å ({_RANGE_HELP}). [2017: 0.5]")
@click.option("--resolution", metavar="PCT[:PCT]", help=f"dQ/Q in % (1-sigma pinhole smearing; {_RANGE_HELP}). [2017: 5]")
@click.option("--noise", metavar="PCT[:PCT]", help=f"dI/I in % (Gaussian noise; {_RANGE_HELP}). [2017: 2]")
@click.option("--scale", metavar="S[:S]", help=f"Scale factor, log-uniform ({_RANGE_HELP}). [2017: 1]")
@click.option("--background", metavar="B[:B]", help=f"Flat background in 1/cm, log-uniform ({_RANGE_HELP}). [2017: 1e-5]")
@click.option("--template", metavar="FILE",
              help="Take q and dq from this measured file (replaces --nq/--qmin/--qmax).")
@click.option("--resolvable/--any-size", "resolvable", default=None,
              help="Shrink particle shapes whose largest dimension exceeds pi/qmin, the largest size the curve's "
                   "q window resolves (proportions kept). [2017: any size; instrument: resolvable]")
@click.option("--mono/--polydisperse", default=True, show_default=True, help="Add size dispersity to the curves.")
@click.option("--cutoff", type=float, default=1e-5, show_default=True, help="Dispersion weight cutoff (with --polydisperse).")
@click.option("--magnetic", is_flag=True, help="Magnetic scattering (needs 2D curves; not supported yet).")
@click.option("--precision", type=click.Choice(["auto", "single", "double", "fast", "long"]), default="auto",
              show_default=True, help="Kernel precision; auto = single where the model allows it, else double.")
@click.option("--engine", type=click.Choice(["auto", "opencl", "cuda", "dll"]), default="auto", show_default=True,
              help="auto = an OpenCL/CUDA GPU when present (device as sasmodels picks it, e.g. PYOPENCL_CTX), "
                   "else the compiled C kernel (dll).")
@click.option("--dimension", type=click.Choice(["1D", "2D"], case_sensitive=False), default="1D", show_default=True,
              help="1D curves I(q); 2D is not supported yet.")
@click.option("--seed", type=int, default=0, show_default=True, help="Run seed; same options and seed give identical curves.")
@click.option("--workers", type=int, default=None, help="Worker processes (default: all cores; 1 = in this process, no Dask).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on an existing Dask cluster, e.g. tcp://head:8786 (dask-jobqueue on SLURM).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
def generate(models, output, exclude, count, tag, preset, nq, qmin, qmax, resolution, noise, scale, background,
             template, resolvable, mono, cutoff, magnetic, precision, engine, dimension, seed, workers, scheduler, quiet):
    """Simulate curves for MODELS into a store, COUNT per model.

    MODELS are scattering model names (sphere), categories (shape:sphere,
    shape-independent, structure-factor, paracrystal, …), sasmodels kinds
    (1d, 2d, …), globs ('*sphere') or 'all'; a bare name always means the
    model, so 'sphere' is the sphere model and 'shape:sphere' its category.

    \b
      sasnets generate all --count 2000 -o data.h5
      sasnets generate '*sphere' cylinder -x fuzzy_sphere --count 500 --tag eval -o data.h5
      sasnets generate all --preset instrument --nq 60:250 --noise 1:5 -o wide.h5
    """
    from ..simulate import GenerationOptions, generate as run_generate
    from ..simulate.options import PRESETS

    values = dict(PRESETS[preset])
    given = {"nq": nq, "qmin": qmin, "qmax": qmax, "resolution": resolution, "noise": noise,
             "scale": scale, "background": background, "resolvable": resolvable}
    values.update({k: v for k, v in given.items() if v is not None})
    common = dict(polydisperse=not mono, cutoff=cutoff, magnetic=magnetic, precision=precision, engine=engine,
                  dimension=dimension.upper())
    if template:
        if not os.path.isfile(template):
            raise UsageError(f"--template file {template!r} does not exist or is not a file.")
        clash = [f"--{k}" for k in ("nq", "qmin", "qmax") if given[k] is not None]
        if clash:
            raise UsageError(f"{', '.join(clash)} cannot be combined with --template {template!r}: q comes from the file.")
        for k in ("nq", "qmin", "qmax"):
            values.pop(k)
        options = GenerationOptions.from_template(template, **values, **common)
    else:
        options = GenerationOptions(**values, **common)

    update, close = _progress_bar(quiet)
    try:
        report = run_generate(output, list(models), count, tag=tag, options=options, seed=seed,
                              exclude=list(exclude), workers=workers, scheduler=scheduler, progress=update)
    finally:
        close()
    if not quiet:
        for line in _summary(report):
            click.echo(line)
    if report.failed:
        for name, reason in sorted(report.failed.items()):
            click.echo(f"  {reason}", err=True)
        raise DataError(
            f"{len(report.failed)} scattering model(s) stopped without reaching --count {count}: "
            f"{', '.join(sorted(report.failed))}; the curves made are stored, the rest of the models are complete."
        )


COMMANDS = [generate]

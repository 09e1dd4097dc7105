"""``sasnets generate``: simulate curves for scattering models into a store.

Thin over :func:`sasnets.simulate.generate`; see that module for resuming,
seeds and parallelism.
"""
import os

import click

from ..errors import DataError, UsageError
from ._progress import ProgressBars

_RANGE_HELP = "a number, or LOW:HIGH to draw one per curve"


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
@click.option("--preset", type=click.Choice(["realistic", "instrument", "2017"]), default="realistic", show_default=True,
              help="Defaults for the options below: realistic = instrument plus size dispersity on every curve "
                   "(gaussian/lognormal/schulz, width 0-0.3, at most 2 parameters) and 15 % slit-smeared "
                   "USANS/USAXS curves (slit length 0.01-0.12 1/Å, q 3e-5..0.05 1/Å); "
                   "instrument = per-curve q window in 1e-3..0.6 1/Å, 60-250 points, 1-5 % noise, 2-10 % dQ/Q, "
                   "random scale and background, monodisperse, pinhole; "
                   "2017 = fixed 100-point grid, scale 1, background 1e-5 (the 2017 SASNets data).")
@click.option("--structure-factor", "structure_factor", metavar="S[,S]",
              help="Also generate each selected form factor that can take one times these structure factors "
                   "(hardsphere, hayter_msa, squarewell, stickyhardsphere, two_yukawa, or 'all'), "
                   "e.g. sphere@hayter_msa; see 'sasnets models --structure-factor all'.")
@click.option("--nq", metavar="N[:N]", help=f"Points per curve ({_RANGE_HELP}). [realistic: 60:250; 2017: 100]")
@click.option("--qmin", metavar="Q[:Q]", help=f"Lowest q in 1/Å, log-spaced grid ({_RANGE_HELP}). [realistic: 0.001:0.02; 2017: 0.001]")
@click.option("--qmax", metavar="Q[:Q]", help=f"Highest q in 1/Å ({_RANGE_HELP}). [realistic: 0.1:0.6; 2017: 0.5]")
@click.option("--resolution", metavar="PCT[:PCT]", help=f"dQ/Q in % (1-sigma pinhole smearing; {_RANGE_HELP}). [realistic: 2:10; 2017: 5]")
@click.option("--noise", metavar="PCT[:PCT]", help=f"dI/I in % (Gaussian noise; {_RANGE_HELP}). [realistic: 1:5; 2017: 2]")
@click.option("--scale", metavar="S[:S]", help=f"Scale factor, log-uniform ({_RANGE_HELP}). [realistic: 0.001:0.3; 2017: 1]")
@click.option("--background", metavar="B[:B]", help=f"Flat background in 1/cm, log-uniform ({_RANGE_HELP}). [realistic: 0.001:1; 2017: 1e-5]")
@click.option("--template", metavar="FILE",
              help="Take q and dq from this measured file (replaces --nq/--qmin/--qmax).")
@click.option("--resolvable/--any-size", "resolvable", default=None,
              help="Shrink particle shapes whose largest dimension exceeds pi/qmin, the largest size the curve's "
                   "q window resolves (proportions kept). [realistic, instrument: resolvable; 2017: any size]")
@click.option("--sampler", type=click.Choice(["sasnets", "sasmodels"]), default="sasnets", show_default=True,
              help="Parameter sampler: sasnets (each model's random() in physical ranges, S(q) tied to the form "
                   "factor) or sasmodels (sasmodels.compare.randomize_pars, as `sasmodels.compare -random` draws; "
                   "to judge a classifier on curves from a sampler other than its training one).")
@click.option("--mono/--polydisperse", default=None,
              help="Size dispersity on the size parameters. [realistic: polydisperse; instrument, 2017: mono]")
@click.option("--pd-type", "pd_type", metavar="TYPE[,TYPE]",
              help="Dispersity distributions drawn per parameter. [gaussian,lognormal,schulz]")
@click.option("--pd-width", "pd_width", metavar="W[:W]",
              help=f"Relative dispersity width, 0.1 = 10 %, below 1 ({_RANGE_HELP}). [0:0.3]")
@click.option("--pd-max", "pd_max", type=int, help="At most this many dispersed size parameters per curve. [2]")
@click.option("--pd-points", "pd_points", type=int,
              help="Dispersity points per curve, all dispersed parameters together (each gets "
                   "floor(N^(1/k)) of them): a curve costs at most about N monodisperse ones. [40]")
@click.option("--pd-nsigma", "pd_nsigma", type=float, help="Dispersity integrated over this many widths. [3]")
@click.option("--mono-share", "mono_share", type=float,
              help="Share of the curves left monodisperse with --polydisperse, 0-1 (proteins, viruses). "
                   "[realistic: 0.2; others: 0]")
@click.option("--beta-share", "beta_share", type=float,
              help="Share of the products F@S simulated in sasmodels' beta approximation (structure_factor_mode 1) "
                   "instead of the decoupling one, 0-1. [realistic: 0.5; others: 0]")
@click.option("--sf-broad-share", "sf_broad_share", type=float,
              help="Share of the products F@S whose structure factor parameters are drawn as sasmodels' own "
                   "random() draws them (volume fraction up to 0.74, effective radius untied from the particle "
                   "on some), not from the physical ranges, 0-1. [realistic: 0.3; others: 0]")
@click.option("--cutoff", type=float, default=1e-5, show_default=True, help="Dispersion weight cutoff (with --polydisperse).")
@click.option("--slit", "slit", type=float,
              help="Share of the curves slit-smeared (USANS/USAXS), 0-1. [realistic: 0.15; others: 0]")
@click.option("--slit-length", "slit_length", metavar="L[:L]",
              help=f"Slit length in 1/Å, log-uniform ({_RANGE_HELP}; NIST USANS 0.117). [0.01:0.12]")
@click.option("--slit-width", "slit_width", metavar="W[:W]", help=f"Slit width in 1/Å ({_RANGE_HELP}). [0]")
@click.option("--slit-qmin", "slit_qmin", metavar="Q[:Q]",
              help=f"Lowest q of slit-smeared curves, 1/Å ({_RANGE_HELP}). [realistic: 3e-5:3e-4; others: --qmin]")
@click.option("--slit-qmax", "slit_qmax", metavar="Q[:Q]",
              help=f"Highest q of slit-smeared curves, 1/Å ({_RANGE_HELP}). [realistic: 0.003:0.05; others: --qmax]")
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
def generate(models, output, exclude, count, tag, preset, structure_factor, nq, qmin, qmax, resolution, noise, scale,
             background, template, resolvable, sampler, mono, pd_type, pd_width, pd_max, pd_points, pd_nsigma, mono_share,
             beta_share, sf_broad_share, cutoff, slit,
             slit_length, slit_width, slit_qmin, slit_qmax, magnetic, precision, engine, dimension, seed, workers,
             scheduler, quiet):
    """Simulate curves for MODELS into a store, COUNT per model.

    MODELS are scattering model names (sphere), categories (shape:sphere,
    shape-independent, structure-factor, paracrystal, …), sasmodels kinds
    (1d, 2d, …), globs ('*sphere') or 'all'; a bare name always means the
    model, so 'sphere' is the sphere model and 'shape:sphere' its category.
    A product of a form factor and a structure factor is written as
    sasmodels writes it, sphere@hayter_msa; --structure-factor adds the
    products of every selected form factor that can take one.

    \b
      sasnets generate all --count 2000 -o data.h5
      sasnets generate sphere@hayter_msa cylinder@hardsphere --count 500 -o micelles.h5
      sasnets generate 'shape:sphere' --structure-factor hardsphere,hayter_msa -o conc.h5
      sasnets generate sphere --slit 1 --slit-length 0.117 --pd-width 0.05:0.2 -o usans.h5
      sasnets generate '*sphere' cylinder -x fuzzy_sphere --count 500 --tag eval -o data.h5
      sasnets generate all --preset 2017 -o seed.h5
    """
    from ..simulate import GenerationOptions, generate as run_generate
    from ..simulate.options import PRESETS

    values = dict(PRESETS[preset])
    given = {"nq": nq, "qmin": qmin, "qmax": qmax, "resolution": resolution, "noise": noise,
             "scale": scale, "background": background, "resolvable": resolvable,
             "polydisperse": None if mono is None else not mono, "pd_types": pd_type, "pd_width": pd_width,
             "pd_max": pd_max, "pd_points": pd_points, "pd_nsigma": pd_nsigma, "mono_share": mono_share,
             "beta_share": beta_share, "sf_broad_share": sf_broad_share, "slit": slit,
             "slit_length": slit_length, "slit_width": slit_width, "slit_qmin": slit_qmin, "slit_qmax": slit_qmax}
    values.update({k: v for k, v in given.items() if v is not None})
    common = dict(cutoff=cutoff, sampler=sampler, magnetic=magnetic, precision=precision, engine=engine, dimension=dimension.upper())
    if template and slit is None:
        values["slit"] = 0.0  # the template's own resolution is used
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

    with ProgressBars(quiet, units={"generate": "curve"}) as bars:
        report = run_generate(output, list(models), count, tag=tag, options=options, seed=seed,
                              exclude=list(exclude), structure_factors=structure_factor, workers=workers,
                              scheduler=scheduler, progress=bars)
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

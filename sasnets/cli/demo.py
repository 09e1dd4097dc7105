"""``sasnets demo``: the whole workflow in a few minutes on a laptop CPU (see :mod:`sasnets.demo`)."""
import click

from ._progress import ProgressBars


@click.command("demo")
@click.option("-o", "--output", "outdir", default="sasnets-demo", show_default=True, type=click.Path(file_okay=False),
              help="Directory for the store, the classifier and the report; a rerun reuses what is there.")
@click.option("--models", metavar="A,B,...", help="Scattering models to learn (default: "
              "sphere,core_shell_sphere,cylinder,ellipsoid,lamellar,guinier_porod).")
@click.option("--count", type=click.IntRange(min=10), default=600, show_default=True,
              help="Training curves per model (a quarter as many test curves).")
@click.option("--epochs", type=click.IntRange(min=1), default=15, show_default=True, help="Training epochs.")
@click.option("--arch", default="resnet1d", show_default=True, help="Network architecture (see sasnets architectures).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random draw; same seed, same demo.")
@click.option("--workers", type=click.IntRange(min=1), help="Processes for simulation and fitting (default: all cores).")
@click.option("-q", "--quiet", is_flag=True, help="No progress output; print only the report path.")
def demo(outdir, models, count, epochs, arch, seed, workers, quiet):
    """Generate a small dataset, train a small network, evaluate it, classify and fit the
    bundled example curve, and write an HTML report whose path is printed.

    \b
    Examples:
      sasnets demo -o sasnets-demo --seed 0
    """
    from ..demo import DEMO_MODELS, run_demo

    chosen = [m.strip() for m in models.split(",") if m.strip()] if models else list(DEMO_MODELS)
    with ProgressBars(quiet, units={"generate train": "curve", "generate test": "curve", "train": "epoch", "evaluate": "curve",
                                     "fit example": "fit"}) as bars:
        result = run_demo(outdir, models=chosen, count=count, epochs=epochs, arch=arch, seed=seed,
                          workers=workers, progress=bars)
    if quiet:
        click.echo(result.report)
        return
    m = result.metrics
    click.echo(f"Test set: {m['n']} curves of {m['n_models']} scattering models, "
               f"top-1 {m['top1']:.1%}, top-3 {m['top3']:.1%}.")
    shown = ", ".join(f"{name} {p:.0%}" for name, p in result.predictions)
    click.echo(f"Example {result.example}: {shown}.")
    if result.fits:
        best = result.fits[0]
        chi2 = f", chi2/dof {best.chi2 / best.dof:.3g}" if best.dof else ""
        click.echo(f"Best fit: {best.model}{chi2}.")
    click.echo(f"Report: {result.report}")


COMMANDS = [demo]

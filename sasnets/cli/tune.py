"""``sasnets tune STORE -o DIR``: hyper-parameter search (thin over :func:`sasnets.training.tune.tune`)."""
from __future__ import annotations

import click

from .train import ProgressPrinter, _models, build_specs, common_data_options


class _TunePrinter(ProgressPrinter):
    """Per-trial lines on top of the per-epoch progress of each trial."""

    def __call__(self, event):
        if self.quiet:
            return
        info = event.info
        if event.stage == "tune_start":
            click.echo(f"search: {event.done} of {event.total} trials done, running {info['remaining']}", err=True)
        elif event.stage == "trial_end":
            value = f"{info['value']:.3f}" if info["value"] is not None else "-"
            click.echo(f"trial {info['trial']}: {info['state'].lower()}, val_acc {value}, {info['params']}", err=True)
        elif event.stage == "tune_done":
            click.echo(f"best trial {info['best_trial']}: val_acc {info['value']:.3f}, {info['params']}", err=True)
        elif event.stage in ("epoch_begin", "batch", "epoch_end"):
            super().__call__(event)


@click.command("tune")
@click.argument("store")
@click.option("-o", "--output", required=True, metavar="DIR", help="Search directory: study.db, trials/, best/.")
@click.option("--arch", default=None, help="Architecture whose hyper-parameters are searched. [default: resnet1d]")
@click.option("--trials", type=int, default=20, show_default=True, help="Total trials of the search (finished ones count).")
@click.option("--trial-epochs", type=int, default=5, show_default=True, help="Epochs each trial trains.")
@click.option("--timeout", type=float, default=None, help="Stop starting new trials after this many seconds.")
@common_data_options
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def tune_command(store, output, arch, trials, trial_epochs, timeout, tag, val_tag, val_fraction, models, qmin,
                 qmax, nq, channels, augment, augment_set, stream, seed, threads, quiet):
    """Search hyper-parameters with optuna; writes the best classifier to DIR/best.

    The study is stored in DIR/study.db: rerun the same command to resume an
    interrupted search, or raise --trials to search further.

    \b
    Examples:
      sasnets tune data.h5 -o runs/search --trials 20 --trial-epochs 5
    """
    from ..training.tune import tune

    qgrid, preprocess, aug = build_specs(qmin, qmax, nq, channels, augment, augment_set)
    printer = _TunePrinter(quiet)
    options = dict(tag=tag, val_tag=val_tag, val_fraction=val_fraction, models=_models(models), qgrid=qgrid,
                   preprocess=preprocess, augment=aug, stream=stream, threads=threads)
    try:
        tune(store, output, arch=arch, trials=trials, trial_epochs=trial_epochs, seed=seed or 0, timeout=timeout,
             progress=printer, **{k: v for k, v in options.items() if v is not None})
    except KeyboardInterrupt:
        printer.close()
        click.echo(f"Interrupted; finished trials are kept in {output}/study.db; rerun the same command to resume.", err=True)
        raise click.exceptions.Exit(130) from None
    finally:
        printer.close()
    click.echo(f"{output}/best")


COMMANDS = [tune_command]

"""``sasnets train STORE -o RUN``: train a classifier (thin over :func:`sasnets.train`)."""
from __future__ import annotations

import json
from dataclasses import replace

import click

from ..errors import UsageError
from ._progress import ProgressBars

__all__ = ["train_command", "COMMANDS", "parse_settings", "ProgressPrinter", "common_data_options"]


def parse_settings(values, option: str = "--hyper", example: str = "dropout=0.2") -> dict:
    """``("widths=[16,32]", "dropout=0.2")`` -> ``{"widths": [16, 32], "dropout": 0.2}`` (values as JSON, else strings)."""
    out = {}
    for item in values or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} {item!r} must look like NAME=VALUE, e.g. {option} {example}.")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def _models(value):
    return [m.strip() for m in value.split(",") if m.strip()] if value else None


class ProgressPrinter:
    """Turns training :class:`~sasnets.progress.Progress` events into a tqdm bar per epoch
    and one line per epoch on stderr."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.bars = ProgressBars(quiet, units={"batch": "batch"})

    def __call__(self, event) -> None:
        if self.quiet:
            return
        info = event.info
        if event.stage in ("data", "warm_start"):
            click.echo(event.message, err=True)
        elif event.stage == "start":
            what = "resuming" if info["resumed"] else "training"
            click.echo(f"{what} {info['architecture']} ({info['params']:,} parameters) on {info['train']} curves, "
                       f"validating on {info['val']}; epoch {info['first_epoch']} of {info['epochs']}", err=True)
        elif event.stage == "epoch_begin":
            self.bars.close()
            self.bars(replace(event, stage="batch", done=0, total=info["steps"]))
        elif event.stage == "batch":
            self.bars(event)
        elif event.stage == "epoch_end":
            self.bars.close()
            r = info["record"]
            best = " *" if info["best_epoch"] == r["epoch"] else ""
            click.echo(f"epoch {r['epoch']:>3}  loss {r['loss']:.4f}  acc {r['accuracy']:.3f}  "
                       f"val_loss {r['val_loss']:.4f}  val_acc {r['val_accuracy']:.3f}  val_top5 {r['val_top5']:.3f}  "
                       f"lr {r['learning_rate']:.2e}  {r['seconds']:.1f}s{best}", err=True)
            if info["stopped_early"]:
                click.echo("stopping early: validation accuracy stopped improving", err=True)

    def close(self):
        self.bars.close()


def common_data_options(f):
    """Options shared by ``train`` and ``tune``: data selection and preprocessing."""
    options = [
        click.option("--tag", default="train", show_default=True, help="Tag of the store to train on."),
        click.option("--val-tag", default=None, help="Tag holding validation curves (default: a seeded --val-fraction of the training tag)."),
        click.option("--val-fraction", type=float, default=None, help="Fraction of the training tag held out for validation. [default: 0.1]"),
        click.option("--models", default=None, metavar="A,B,...", help="Train on these scattering models only (default: every model in the tag)."),
        click.option("--qmin", type=float, default=None, help="Lowest q of the network's q-grid, 1/Å (default: the training curves' median range)."),
        click.option("--qmax", type=float, default=None, help="Highest q of the network's q-grid, 1/Å."),
        click.option("--nq", type=int, default=None, help="Points of the log-spaced q-grid. [default: 128]"),
        click.option("--channels", default=None, metavar="C,C,...", help="Input channels: logi, slope, mask. [default: the architecture's recipe; logi,slope,mask, sasnet2017 logi]"),
        click.option("--augment/--no-augment", default=None, help="Instrument-like augmentation of training curves. [default: the architecture's recipe; on, sasnet2017 off]"),
        click.option("--augment-set", multiple=True, metavar="NAME=VALUE",
                     help="Change one augmentation range or probability, e.g. clean_prob=0.5 or noise=[0,0.02] "
                          "(repeatable; VALUE is JSON; names in the user guide)."),
        click.option("--stream/--in-memory", default=None, help="Force streaming from the store or reading it into memory (default: by size)."),
        click.option("--seed", type=int, default=None, help="Seed for splits, augmentation and initial weights; same seed, same run on CPU. [default: 0]"),
        click.option("--threads", type=int, default=None, help="CPU threads TensorFlow may use (default: all)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def build_specs(qmin, qmax, nq, channels, augment, augment_set=()):
    """``(qgrid, preprocess, augment)`` library arguments from CLI options (``None`` = default/saved)."""
    from ..data.augment import AugmentSpec
    from ..data.preprocess import PreprocessSpec
    from ..data.qgrid import QGrid

    qgrid = None
    if qmin is not None or qmax is not None or nq is not None:
        if qmin is None or qmax is None:
            raise UsageError("Give both --qmin and --qmax to choose the q-grid (or neither to derive it from the data).")
        qgrid = QGrid(qmin, qmax, nq or 128)
    preprocess = PreprocessSpec(channels=tuple(c.strip() for c in channels.split(",") if c.strip())) if channels else None
    aug = None if augment is None else (AugmentSpec() if augment else AugmentSpec.off())
    if augment_set:
        if augment is False:
            raise UsageError("--augment-set changes the augmentation that --no-augment switches off; give one of them.")
        aug = AugmentSpec().replace(**parse_settings(augment_set, "--augment-set", "clean_prob=0.5"))
    return qgrid, preprocess, aug


@click.command("train")
@click.argument("store")
@click.option("-o", "--output", required=True, metavar="RUN", help="Classifier directory to write (e.g. runs/resnet).")
@click.option("--arch", default=None, help="Network architecture (see `sasnets architectures`). [default: resnet1d]")
@common_data_options
@click.option("--epochs", type=int, default=None, help="Most epochs to train (default: the architecture's recipe, 40).")
@click.option("--batch-size", type=int, default=None, help="Curves per batch (default: the architecture's recipe).")
@click.option("--lr", "learning_rate", type=float, default=None, help="Peak learning rate (default: the architecture's recipe).")
@click.option("--label-smoothing", type=float, default=None, help="Label smoothing of the loss (default: the recipe's).")
@click.option("--marginal-weight", type=float, default=None,
              help="Also train on the form-factor and structure-factor probabilities (sums over the F@S labels), "
                   "this weight times their cross-entropy (default: the recipe's, 0).")
@click.option("--patience", type=int, default=None, help="Stop after this many epochs without a better validation accuracy.")
@click.option("--hyper", multiple=True, metavar="NAME=VALUE", help="Architecture hyper-parameter (repeatable; VALUE is JSON).")
@click.option("--resume", is_flag=True, help="Continue the interrupted run in RUN exactly where it stopped; with "
              "--epochs above its own, train it longer (the learning-rate schedule is stretched over the new total).")
@click.option("--overwrite", is_flag=True, help="Replace the classifier already in RUN.")
@click.option("--init-from", metavar="CLASSIFIER", default=None,
              help="Warm start: begin from this classifier's weights ('default' = the shipped one); a label F@S it "
                   "lacks starts from F's output row. Architecture, q-grid and channels default to its own.")
@click.option("--distribute", is_flag=True, help="Train on all GPUs (or logical CPU devices) with tf.distribute.MirroredStrategy.")
@click.option("--tensorboard/--no-tensorboard", default=True, show_default=True, help="Write TensorBoard logs to RUN/logs.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def train_command(store, output, arch, tag, val_tag, val_fraction, models, qmin, qmax, nq, channels, augment,
                  augment_set, stream, seed, threads, epochs, batch_size, learning_rate, label_smoothing,
                  marginal_weight, patience, hyper, resume, overwrite, init_from, distribute, tensorboard, quiet):
    """Train a classifier on the curves of STORE (a file or URL) and save it to RUN.

    RUN receives classifier.json, network.keras (best validation epoch),
    history.json, training.png, TensorBoard logs and a checkpoint after every
    epoch; after an interruption rerun with --resume.

    \b
    Examples:
      sasnets train data.h5 -o runs/mine --epochs 20
      sasnets train data.h5 -o runs/mine --resume
      sasnets train data.h5 -o runs/mine --resume --epochs 40
      sasnets train data.h5 -o runs/big --arch resnet1d_large --models 'shape:cylinder'
      sasnets train products.h5 -o runs/warm --init-from default --epochs 10
    """
    from ..training.train import train

    qgrid, preprocess, aug = build_specs(qmin, qmax, nq, channels, augment, augment_set)
    printer = ProgressPrinter(quiet)
    try:
        classifier = train(
            store, output, arch=arch, tag=tag, val_tag=val_tag, val_fraction=val_fraction, models=_models(models),
            epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, label_smoothing=label_smoothing,
            marginal_weight=marginal_weight, patience=patience, hyper=parse_settings(hyper) or None, qgrid=qgrid,
            preprocess=preprocess, augment=aug,
            seed=seed, resume=resume, overwrite=overwrite, distribute=distribute, stream=stream,
            tensorboard=tensorboard, threads=threads, init_from=_init_from(init_from), progress=printer)
    except KeyboardInterrupt:
        printer.close()
        click.echo(f"Interrupted; every finished epoch is checkpointed in {output}; continue with: "
                   f"sasnets train {store} -o {output} --resume", err=True)
        raise click.exceptions.Exit(130) from None
    finally:
        printer.close()
    m = classifier.metrics
    if not quiet:
        click.echo(f"validation top-1 {m['val_accuracy']:.3f}, top-5 {m['val_top5']:.3f} "
                   f"(best epoch {m['best_epoch']}, temperature {classifier.temperature:.2f})", err=True)
    click.echo(output)


def _init_from(value):
    """The classifier of --init-from: a path, or 'default' for the shipped one."""
    if value is None:
        return None
    if value == "default":
        from ..classifier import load_default_classifier

        return load_default_classifier()
    return value


COMMANDS = [train_command]

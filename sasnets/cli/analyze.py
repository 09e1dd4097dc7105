"""``sasnets analyze CLASSIFIER STORE -o DIR``: plots and an index.html report of an evaluation."""
import os

import click


@click.command("analyze")
@click.argument("classifier", type=click.Path())
@click.argument("store")
@click.option("--tag", default="test", show_default=True, help="Tag of the store to analyse.")
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Directory for the PNG/PDF plots, tables and index.html.")
@click.option("--analyzers", "analyzers", metavar="A,B",
              help="Comma-separated analyzers to run (default: all registered; see sasnets plugins).")
@click.option("--max-curves", type=click.IntRange(min=1), help="Analyse a random subset of this many curves.")
@click.option("--batch-size", type=click.IntRange(min=1), default=4096, show_default=True,
              help="Curves classified per batch (memory use grows with it; results do not change).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the subset and of t-SNE.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def analyze(classifier, store, tag, outdir, analyzers, max_curves, batch_size, seed, quiet):
    """Evaluate CLASSIFIER on a tag of STORE and write plots (confusion matrix, dendrogram,
    t-SNE, per-model accuracy, calibration) and an index.html report to --output.

    \b
    Examples:
      sasnets analyze runs/mine data.h5 -o report/ --tag test
    """
    from ..analysis.evaluate import evaluate
    from ..analysis.report import analyzer_names, needs_embeddings, run_analyzers, write_index
    from ._progress import ProgressBars
    from .evaluate import UNITS, load_classifier_arg

    names = analyzer_names(analyzers)
    clf = load_classifier_arg(classifier)
    with ProgressBars(quiet, UNITS) as bars:
        result = evaluate(clf, store, tag, batch_size=batch_size, max_curves=max_curves, seed=seed,
                          embed=needs_embeddings(names), progress=bars)
    os.makedirs(outdir, exist_ok=True)

    def say(event):
        if not quiet and event.message:
            click.echo(event.message, err=True)

    artifacts = run_analyzers(result, outdir, names, progress=say)
    index = write_index(result, outdir, artifacts, title=f"sasnets analysis: {os.path.basename(os.path.normpath(classifier))}")
    for name, error in result.info.get("analyzer_errors", {}).items():
        click.echo(f"Warning: analyzer {name} failed ({error}); the report shows the others.", err=True)
    m = result.metrics
    files = sum(len(v) for v in artifacts.values())
    click.echo(f"{m['n']} curves: top-1 {m['top1']:.1%}, top-5 {m['top5']:.1%}, ECE {m['ece']:.3f}; "
               f"{files} files and {index}")


COMMANDS = [analyze]

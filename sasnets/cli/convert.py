"""``sasnets convert SRC DST``: copy a dataset between any two stores."""
import click

from ..stores.convert import convert as convert_store
from ._options import comma_separated
from ._progress import ProgressBars


@click.command("convert")
@click.argument("src")
@click.argument("dst")
@click.option("--tag", "tags", multiple=True, metavar="TAG",
              help="Copy only this tag (repeatable; default: every tag).")
@click.option("--models", "models", multiple=True, metavar="M[,M…]",
              help="Copy only these scattering models (comma-separated or repeated).")
@click.option("--chunk-size", default=2048, show_default=True, type=click.IntRange(min=1),
              help="Curves read and written per batch.")
def convert(src, dst, tags, models, chunk_size):
    """Copy curves from store SRC to store DST (HDF5 file, sqlite:///x.db,
    postgresql://user@host/db, json:DIR, aggr:DIR).

    Rerunning tops up: curves DST already holds are skipped, so an
    interrupted conversion resumes where it stopped.  2017 files and tables
    (JSON, result_<tag>_<model>, data.db, train_data) are read too.

    \b
    Examples:
      sasnets convert legacy_json_dir/ data.h5
      sasnets convert data.h5 postgresql://me@dbhost/sas --tag train
    """
    with ProgressBars(units={"convert": "curve"}, leave=True) as bars:
        result = convert_store(src, dst, tags=comma_separated(tags) or None, models=comma_separated(models) or None,
                               chunk_size=chunk_size, progress=bars)
    for tag in result.read:
        click.echo(f"{tag}: {result.written[tag]} curves written, {result.skipped[tag]} already present")
    click.echo(f"{result.total_written} curves written to {result.destination}")


COMMANDS = [convert]

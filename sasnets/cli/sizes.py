"""``sasnets sizes CLASSIFIER STORE``: teach a classifier to estimate each candidate's sizes."""
import click

from ._progress import ProgressBars


@click.command("sizes")
@click.argument("classifier")
@click.argument("store")
@click.option("--tag", default="train", show_default=True, help="Tag of simulated curves to fit the estimates on.")
@click.option("--check-tag", default=None, help="Tag of held-out curves the estimates' errors are measured on "
              "(default: the curves fitted, which understates them).")
@click.option("--check-store", default=None, metavar="STORE", help="Store holding --check-tag (default: STORE).")
@click.option("--per-model", type=click.IntRange(min=20), default=400, show_default=True,
              help="Curves per scattering model used (a seeded subset).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the subset and its augmentation.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def sizes(classifier, store, tag, check_tag, check_store, per_model, seed, quiet):
    """Fit CLASSIFIER's size estimates on the simulated curves of STORE and save them in it.

    Per scattering model, the network's features are mapped (ridge regression)
    to the model's size parameters (log), a product's volume fraction and the
    dispersity of its first size; `sasnets predict` then shows them for each
    candidate and `sasnets fit` starts from them.  Each estimate's uncertainty
    is its RMS error on --check-tag.

    \b
    Examples:
      sasnets sizes runs/mine data.h5 --tag train --check-tag eval
      sasnets sizes runs/mine train.h5 --check-store test.h5 --check-tag calibrate
    """
    from ..classifier import load_classifier
    from ..classifier.sizes import fit_size_estimator
    from ..stores.base import open_store

    clf = load_classifier(classifier)
    with open_store(store) as handle, ProgressBars(quiet, {"sizes": "model"}) as bars:
        if check_store:
            with open_store(check_store) as other:
                result = fit_size_estimator(clf, handle, tag=tag, check_tag=check_tag, per_label=per_model,
                                            seed=seed, check_store=other, progress=bars)
        else:
            result = fit_size_estimator(clf, handle, tag=tag, check_tag=check_tag, per_label=per_model, seed=seed,
                                        progress=bars)
    click.echo(f"size estimates for {len(result.coef)} of {len(clf.labels)} scattering models saved in {clf.path}",
               err=True)


COMMANDS = [sizes]

"""Registers the built-in analyzers (lazily: matplotlib, scipy and scikit-learn load on use)."""
from ..hookspecs import hookimpl

_PLOTS = "sasnets.analysis.plots"


@hookimpl
def sasnets_register_analyzers(register):
    register("metrics", f"{_PLOTS}:metrics_tables",
             description="metrics.json and per_model.csv: every number sasnets evaluate reports.")
    register("confusion", f"{_PLOTS}:confusion_matrix_plot",
             description="Row-normalised confusion matrix ordered by the confusion dendrogram.")
    register("dendrogram", f"{_PLOTS}:dendrogram_plot",
             description="Dendrogram of confusable scattering models (1 - symmetrised confusion).")
    register("tsne", f"{_PLOTS}:tsne_plot", needs_embeddings=True,
             description="t-SNE map of penultimate-layer embeddings coloured by model family.")
    register("accuracy", f"{_PLOTS}:per_model_accuracy_plot",
             description="Top-1/top-3 accuracy bar per scattering model, grouped by family.")
    register("calibration", f"{_PLOTS}:calibration_plot",
             description="Reliability diagram with expected calibration error.")

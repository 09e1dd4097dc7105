"""Hook specifications of the ``sasnets`` plugin system.

Plugins (built-in modules and third-party distributions exposing an entry point
in the ``sasnets`` group) implement these hooks with ``@hookimpl``.  Each
registration hook hands the plugin a ``register`` callback backed by a
:class:`sasnets.plugins.Registry`; names are unique across all plugins.
"""
import pluggy

hookspec = pluggy.HookspecMarker("sasnets")
hookimpl = pluggy.HookimplMarker("sasnets")


@hookspec
def sasnets_register_stores(register):
    """Register store classes.

    Call ``register(name, store_class)`` once per store.  ``name`` is the URL
    scheme that selects the store (``hdf5``, ``sqlite``, ``postgresql``, …);
    ``store_class`` subclasses :class:`sasnets.stores.Store` and may define
    ``schemes`` (extra URL schemes) and ``suffixes`` (file suffixes such as
    ``.h5``) that also select it.
    """


@hookspec
def sasnets_register_architectures(register):
    """Register network architectures.

    Call ``register(name, target, description=...)`` where ``target`` is a
    :class:`sasnets.networks.Architecture` (builder, default hyper-parameters,
    training :class:`~sasnets.networks.Recipe`, optuna search space) or a bare
    ``builder(input_shape, n_classes, **hyper)`` function, which gets the
    default recipe; either may be given lazily as a ``"module:attr"`` string.
    The builder returns an uncompiled Keras network whose last layer outputs
    logits (the classifier applies softmax); ``input_shape`` is
    ``(nq, channels)``.  The description (or the builder's docstring first
    line) is shown by ``sasnets plugins`` and ``sasnets architectures``.
    """


@hookspec
def sasnets_register_analyzers(register):
    """Register analyzers.

    Call ``register(name, analyzer)`` where ``analyzer(results, outdir)`` turns
    evaluation results into files in ``outdir`` and returns their paths.
    """


@hookspec
def sasnets_register_commands(cli):
    """Add Click commands to the ``sasnets`` command group ``cli``."""

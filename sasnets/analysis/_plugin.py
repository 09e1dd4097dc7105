"""Registers the built-in analyzers (lazily)."""
from ..hookspecs import hookimpl


@hookimpl
def sasnets_register_analyzers(register):
    pass

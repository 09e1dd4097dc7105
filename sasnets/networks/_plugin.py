"""Registers the built-in network architectures (lazily)."""
from ..hookspecs import hookimpl


@hookimpl
def sasnets_register_architectures(register):
    pass

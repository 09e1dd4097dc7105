"""Registers the built-in commands: every public module of :mod:`sasnets.cli`
that defines ``COMMANDS`` (a list of Click commands)."""
import importlib
import pkgutil

from ..hookspecs import hookimpl


@hookimpl
def sasnets_register_commands(cli):
    from .. import cli as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)

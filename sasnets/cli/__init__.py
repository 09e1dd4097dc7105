"""The ``sasnets`` command line: a Click group, thin over the library API.

Commands are added by plugins through the ``sasnets_register_commands`` hook;
the built-in ones live one module per subcommand in this package (see
:mod:`sasnets.cli._plugin`).  Expected failures (:class:`SasnetsError`) are
printed as one line on stderr with a non-zero exit status; an interrupt says
how to resume where the command saves finished work (:data:`RESUMABLE`, or a
plugin command with ``resumable = True``), and only there.
"""
from __future__ import annotations

import sys

import click

from ..errors import SasnetsError
from ._quiet import quiet_tensorflow

__all__ = ["cli", "main", "RESUMABLE"]

#: built-in commands whose finished work survives an interrupt and a rerun continues
#: (train and tune say so themselves, naming their checkpoint)
RESUMABLE = frozenset({"generate", "convert", "demo"})


class SasnetsGroup(click.Group):
    """Click group that loads plugin commands on first use and turns
    :class:`SasnetsError` into one line and an exit status."""

    _loaded = False

    def _load(self):
        if not self._loaded:
            self._loaded = True
            from ..plugins import register_commands

            register_commands(self)

    def list_commands(self, ctx):
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        self._load()
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SasnetsError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            name = ctx.invoked_subcommand
            command = self.get_command(ctx, name) if name else None
            if name in RESUMABLE or getattr(command, "resumable", False):
                click.echo("Interrupted; finished work is saved; rerun the same command to resume.", err=True)
            else:
                click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=SasnetsGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="sasnets", prog_name="sasnets")
@click.option("--verbose", is_flag=True,
              help="Show TensorFlow's own log lines (hidden by default; SASNETS_VERBOSE=1 does the same).")
def cli(verbose):
    """Which scattering model is my small-angle scattering curve?

    Simulate training curves with sasmodels, store them, train networks,
    classify measured curves and fit the candidates with bumps.
    """
    quiet_tensorflow(verbose)


def main(argv=None):
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="sasnets", standalone_mode=True)
    except SasnetsError as exc:  # raised while loading plugins, before a command runs
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)

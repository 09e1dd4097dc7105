"""Write docs/cli-reference.md from the ``--help`` of every built-in sasnets command.

    python scripts/gen_cli_reference.py           # rewrite docs/cli-reference.md
    python scripts/gen_cli_reference.py --check   # exit 1 when the file is stale

Only commands defined inside the ``sasnets`` package are documented, so an
installed plugin (e.g. sasnets-extras) does not change the page.  The help is
rendered at a fixed width so the output does not depend on the terminal.
tests/test_docs.py fails when the committed page differs from this output.
"""
from __future__ import annotations

import argparse
import os
import sys

import click

WIDTH = 100
TARGET = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "cli-reference.md")


def _help(command: click.Command, name: str, parent: click.Context | None = None) -> str:
    ctx = click.Context(command, info_name=name, parent=parent, terminal_width=WIDTH, max_content_width=WIDTH)
    return command.get_help(ctx)


def render() -> str:
    """The Markdown page: the group's help, then one section per built-in command."""
    from sasnets.cli import cli

    settings = {k: v for k, v in cli.context_settings.items() if k not in ("terminal_width", "max_content_width")}
    root = click.Context(cli, info_name="sasnets", terminal_width=WIDTH, max_content_width=WIDTH, **settings)
    names = [n for n in cli.list_commands(root)
             if (cli.get_command(root, n).callback.__module__ or "").startswith("sasnets.")]
    parts = ["# CLI reference", "",
             "Generated from `--help` by `python scripts/gen_cli_reference.py`; do not edit by hand "
             "(tests/test_docs.py fails when this page is stale).", "",
             "Commands: " + ", ".join(f"[`{n}`](#sasnets-{n})" for n in names) + ".", "",
             "## sasnets", "", "```text", cli.get_help(root), "```", ""]
    for name in names:
        parts += [f"## sasnets {name}", "", "```text", _help(cli.get_command(root, name), name, root), "```", ""]
    return "\n".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/cli-reference.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = open(TARGET).read() if os.path.exists(TARGET) else ""
        if current != text:
            print("docs/cli-reference.md is stale; run: python scripts/gen_cli_reference.py", file=sys.stderr)
            return 1
        return 0
    with open(TARGET, "w") as fh:
        fh.write(text)
    print(os.path.normpath(TARGET))
    return 0


if __name__ == "__main__":
    sys.exit(main())

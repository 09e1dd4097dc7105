"""Every subcommand's --help shows an example, and the examples use only options the command has."""
import re

import pytest
from click.testing import CliRunner

from sasnets.cli import cli


def _names():
    return sorted(cli.list_commands(None))


@pytest.mark.parametrize("name", _names())
def test_help_has_an_example_that_uses_real_options(name):
    command = cli.get_command(None, name)
    text = CliRunner().invoke(cli, [name, "--help"]).output
    examples = [line.strip() for line in text.splitlines() if line.strip().startswith(f"sasnets {name}")]
    assert examples, f"sasnets {name} --help shows no example"
    known = {opt for p in command.params for opt in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
    for line in examples:
        for option in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", line):
            assert option in known, f"{line!r} uses {option}, which sasnets {name} does not have"


def test_every_option_says_what_it_does():
    for name in _names():
        command = cli.get_command(None, name)
        for p in command.params:
            if getattr(p, "opts", None) and p.opts[0].startswith("-") and p.name != "help":
                assert getattr(p, "help", None), f"sasnets {name} {p.opts[0]} has no description"

"""Ctrl-C says how to resume only for commands that saved their finished work."""
import pytest

from sasnets.cli import RESUMABLE, cli


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_a_command_that_saves_nothing_just_says_interrupted(cli_runner, monkeypatch, tmp_path):
    import sasnets.classifier

    monkeypatch.setattr(sasnets.classifier, "load_default_classifier", interrupt)
    curve = tmp_path / "c.txt"
    curve.write_text("0.01 1 0.1\n0.02 2 0.1\n")
    result = cli_runner.invoke(cli, ["predict", str(curve)])
    assert result.exit_code == 130
    assert result.stderr.strip() == "Interrupted."


@pytest.mark.parametrize("name", sorted(RESUMABLE))
def test_resumable_commands_say_how_to_resume(cli_runner, monkeypatch, name):
    command = cli.get_command(None, name)
    monkeypatch.setattr(command, "callback", interrupt)
    result = cli_runner.invoke(cli, [name])
    if result.exit_code == 2:  # a required argument is missing before the callback runs
        args = {"generate": ["sphere", "-o", "x.h5"], "convert": ["a.h5", "b.h5"]}[name]
        result = cli_runner.invoke(cli, [name, *args])
    assert result.exit_code == 130, result.output
    assert "rerun the same command to resume" in result.stderr

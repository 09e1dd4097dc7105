"""The command line as a user meets it: fast help, one-line errors, python -m."""
import subprocess
import sys

from sasnets.cli import cli


def _run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from sasnets.cli import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib', 'dask', 'torch', 'jax') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = _run("-c", code)
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout


def test_import_sasnets_is_light():
    out = _run("-c", "import sys, sasnets; sasnets.open_store; print('tensorflow' in sys.modules)")
    assert out.stdout.strip() == "False"


def test_python_dash_m_runs_the_cli():
    out = _run("-m", "sasnets", "--version")
    assert out.returncode == 0 and "sasnets" in out.stdout


def test_user_error_is_one_line_and_nonzero(cli_runner, tmp_path):
    result = cli_runner.invoke(cli, ["info", str(tmp_path / "missing.h5")])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and "missing.h5" in lines[0]
    assert "Traceback" not in result.output


def test_info_lists_counts_per_model_and_tag(cli_runner, tmp_path, small_batch):
    from sasnets.stores import open_store

    path = str(tmp_path / "d.h5")
    with open_store(path, "a") as s:
        s.write("train", small_batch)
        s.write("eval", small_batch.take([0]))
    result = cli_runner.invoke(cli, ["info", path])
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()}
    assert rows["model"] == ["eval", "train"]
    assert rows["sphere"] == ["1", "4"] and rows["cylinder"] == ["0", "4"]
    js = cli_runner.invoke(cli, ["info", path, "--json"])
    import json

    assert json.loads(js.output)["train"]["lamellar"] == 4

"""TensorFlow's native log lines stay out of the CLI's output unless asked for."""
import os
import subprocess
import sys

import pytest

IMPORT = "import tensorflow, keras; print('imported')"
QUIET = "from sasnets.cli._quiet import quiet_tensorflow; quiet_tensorflow(); " + IMPORT
#: what TensorFlow's C++ runtime prints while it loads (oneDNN, cpu_feature_guard, absl)
NATIVE = ("oneDNN", "cpu_feature_guard", "absl::InitializeLog")


def run(code, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "SASNETS_VERBOSE")}
    environment.update(env)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=300)
    assert out.returncode == 0 and "imported" in out.stdout, out.stderr
    return out.stderr


@pytest.mark.slow
def test_the_cli_hides_tensorflow_log_lines_and_verbose_shows_them():
    plain = run(IMPORT)
    if not any(marker in plain for marker in NATIVE):
        pytest.skip("this TensorFlow prints no native log lines at import: nothing to hide")
    assert not any(marker in run(QUIET) for marker in NATIVE)
    assert any(marker in run(QUIET, SASNETS_VERBOSE="1") for marker in NATIVE)


def test_verbose_is_a_global_option():
    from click.testing import CliRunner

    from sasnets.cli import cli

    result = CliRunner().invoke(cli, ["--verbose", "models", "--help"])
    assert result.exit_code == 0, result.output
    assert "--verbose" in CliRunner().invoke(cli, ["--help"]).output

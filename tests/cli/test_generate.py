"""``sasnets models`` and ``sasnets generate`` on the command line."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from sasnets.cli import cli
from sasnets.stores import open_store

FAST = ["--nq", "16", "--workers", "1"]


def _one_line_error(result):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    return lines[0]


def test_commands_are_registered_through_the_plugin_hook(cli_runner):
    result = cli_runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "generate" in result.output and "models" in result.output
    assert cli_runner.invoke(cli, ["generate", "--help"]).exit_code == 0


def test_models_lists_every_sasmodels_model_with_its_category(cli_runner):
    from sasmodels import core

    result = cli_runner.invoke(cli, ["models"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == len(core.list_models()) == 83
    name, category = lines[[l.split()[0] for l in lines].index("sphere")].split()
    assert (name, category) == ("sphere", "shape:sphere")


def test_models_filters_and_prints_json(cli_runner):
    result = cli_runner.invoke(cli, ["models", "paracrystal", "--json"])
    assert result.exit_code == 0
    assert [e["name"] for e in json.loads(result.output)] == ["bcc_paracrystal", "fcc_paracrystal", "sc_paracrystal"]


def test_models_shows_user_models(cli_runner, tmp_path, monkeypatch):
    (tmp_path / "my_peak.py").write_text(
        'name = "my_peak"\ntitle = "peak"\ndescription = "peak"\ncategory = "shape-independent"\n'
        'parameters = [["height", "", 1.0, [0, float("inf")], "", "h"]]\n'
        'def Iq(q, height):\n    return height / (1 + q * q)\nIq.vectorized = True\n')
    monkeypatch.setenv("SAS_MODELPATH", str(tmp_path))
    result = cli_runner.invoke(cli, ["models", "my_*"])
    assert result.exit_code == 0
    assert result.output.split()[:2] == ["my_peak", "shape-independent"]
    assert "user model" in result.output


def test_generate_writes_counts_and_reports_per_model(cli_runner, tmp_path):
    out = tmp_path / "data.h5"
    result = cli_runner.invoke(cli, ["generate", "sphere", "cylinder", "--count", "4", "--seed", "3",
                                     "-o", str(out), *FAST])
    assert result.exit_code == 0, result.output
    assert "sphere" in result.output and "redrawn" in result.output and "8 curves generated" in result.output
    with open_store(str(out)) as s:
        assert s.counts() == {"train": {"sphere": 4, "cylinder": 4}}


def test_issue_example_with_exclude_and_tag(cli_runner, tmp_path):
    out = tmp_path / "data.h5"
    result = cli_runner.invoke(cli, ["generate", "*sphere", "cylinder", "-x", "fuzzy_sphere", "--count", "1",
                                     "--tag", "eval", "-o", str(out), *FAST])
    assert result.exit_code == 0, result.output
    with open_store(str(out)) as s:
        counts = s.counts()["eval"]
    assert "cylinder" in counts and "core_shell_sphere" in counts and "fuzzy_sphere" not in counts


def test_ranged_instrument_options(cli_runner, tmp_path):
    out = tmp_path / "data.h5"
    result = cli_runner.invoke(cli, ["generate", "sphere", "--count", "12", "--preset", "instrument",
                                     "--nq", "20:40", "--noise", "1:5", "--resolution", "2:10",
                                     "--workers", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with open_store(str(out)) as s:
        batch = s.read("train")
    assert len(set(batch.lengths)) > 3 and batch.lengths.min() >= 20 and batch.lengths.max() <= 40



def test_resolvable_sizes_follow_the_preset_and_the_switch(cli_runner, tmp_path):
    from sasnets.simulate import load_model_info
    from sasnets.simulate.sampling import largest_dimension

    info = load_model_info("sphere")
    base = ["generate", "sphere", "--count", "30", "--preset", "instrument", "--qmin", "0.01", "--workers", "1"]
    for switch, path in (([], tmp_path / "cap.h5"), (["--any-size"], tmp_path / "free.h5")):
        result = cli_runner.invoke(cli, base + switch + ["-o", str(path)])
        assert result.exit_code == 0, result.output
    sizes = {}
    for name in ("cap", "free"):
        with open_store(str(tmp_path / f"{name}.h5")) as s:
            sizes[name] = [largest_dimension(info, p) for p in s.read("train").params]
            assert s.provenance("train")[-1]["options"]["resolvable"] == (name == "cap")
    assert max(sizes["cap"]) <= np.pi / 0.01 * (1 + 1e-6) < max(sizes["free"])
    # topping a tag up with the other setting is refused: its curves would differ
    line = _one_line_error(cli_runner.invoke(cli, base + ["--any-size", "-o", str(tmp_path / "cap.h5")]))
    assert "resolvable" in line

@pytest.mark.parametrize("args, fragment", [
    (["sphear"], "did you mean sphere"),
    (["sphere", "--qmin", "0.5", "--qmax", "0.1"], "--qmin"),
    (["sphere", "--count", "0"], "--count"),
    (["sphere", "--count", "-5"], "--count"),
    (["sphere", "--nq", "1"], "--nq"),
    (["sphere", "--noise", "1:x"], "--noise"),
    (["sphere", "--dimension", "2D"], "not supported yet"),
    (["sphere", "--magnetic"], "--magnetic"),
    (["sphere", "--engine", "opencl"], "opencl"),
    (["sphere", "-x", "sphere"], "excluded"),
    (["sphere@sphere"], "not a structure factor"),
    (["power_law@hardsphere"], "cannot multiply it by a structure factor"),
    (["sphere@hardsphre"], "did you mean hardsphere"),
    (["power_law", "--structure-factor", "hardsphere"], "can take a structure factor"),
    (["sphere", "--structure-factor", "hayter"], "did you mean hayter_msa"),
    (["sphere", "--slit-length", "-0.1"], "--slit-length must be positive"),
    (["sphere", "--pd-width", "0:1"], "--pd-width"),
    (["sphere", "--pd-type", "gauss"], "did you mean gaussian"),
    (["spheer@hardsphere"], "did you mean sphere"),
])
def test_bad_options_give_one_line_errors(cli_runner, tmp_path, args, fragment):
    if args[-1] == "opencl":
        from sasnets.simulate.engine import resolve_engine
        if resolve_engine("auto") == "opencl":
            pytest.skip("an OpenCL GPU is present")
    out = tmp_path / "data.h5"
    result = cli_runner.invoke(cli, ["generate", *args, "-o", str(out), "--workers", "1"])
    assert fragment in _one_line_error(result)
    assert not out.exists()


def test_unwritable_output_is_a_one_line_error(cli_runner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli_runner.invoke(cli, ["generate", "sphere", "--count", "1", "-o", str(blocker / "d.h5"), *FAST])
    assert "-o" in _one_line_error(result)
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        result = cli_runner.invoke(cli, ["generate", "sphere", "--count", "1", "-o", str(ro / "d.h5"), *FAST])
        assert "-o" in _one_line_error(result)


def test_template_file(cli_runner, tmp_path):
    pytest.importorskip("sasnets.stores.measured")
    q = np.geomspace(0.005, 0.3, 30)
    template = tmp_path / "measured.txt"
    np.savetxt(template, np.column_stack([q, 1 / q, 0.1 / q]))
    out = tmp_path / "d.h5"
    result = cli_runner.invoke(cli, ["generate", "sphere", "--count", "2", "--template", str(template),
                                     "--resolution", "4", "--workers", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with open_store(str(out)) as s:
        batch = s.read("train")
    assert np.allclose(batch.q[:30], q, rtol=1e-6) and np.allclose(batch.dq[:30], 0.04 * q, rtol=1e-5)
    clash = cli_runner.invoke(cli, ["generate", "sphere", "--template", str(template), "--nq", "10", "-o", str(out)])
    assert "--template" in _one_line_error(clash)
    missing = cli_runner.invoke(cli, ["generate", "sphere", "--template", str(tmp_path / "nope.txt"), "-o", str(out)])
    assert "--template" in _one_line_error(missing)
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("this is not a scattering curve\n")
    unreadable = cli_runner.invoke(cli, ["generate", "sphere", "--template", str(garbage), "-o", str(out)])
    assert "garbage.txt" in _one_line_error(unreadable)


def _counts_when_readable(path):
    try:
        with open_store(str(path)) as s:
            return s.counts().get("train", {})
    except Exception:  # the writer may hold the file at this instant
        return None


@pytest.mark.slow
def test_resume_after_a_killed_run_gives_exact_counts_without_duplicates(tmp_path):
    out = tmp_path / "data.h5"
    models = ["sphere", "cylinder", "core_shell_parallelepiped"]
    cmd = [sys.executable, "-m", "sasnets", "generate", *models, "--count", "40", "--seed", "5",
           "--nq", "40", "--workers", "2", "-q", "-o", str(out)]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            counts = _counts_when_readable(out) if out.exists() else None
            if counts and sum(counts.values()) >= 10:
                break
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the run finished before it could be killed; make it longer"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    partial = _counts_when_readable(out)
    assert partial is not None and sum(partial.values()) < 3 * 40
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    with open_store(str(out)) as s:
        assert s.counts()["train"] == dict.fromkeys(models, 40)
        batch = s.read("train", with_params=False)
    pairs = set(zip(batch.models.astype(str), batch.indices.tolist()))
    assert len(pairs) == len(batch) == 120
    assert len(set(batch.seeds.tolist())) == 120


def test_generate_help_documents_products_dispersity_and_slit_with_examples(cli_runner):
    text = cli_runner.invoke(cli, ["generate", "--help"]).output
    for option in ("--structure-factor", "--pd-type", "--pd-width", "--pd-max", "--pd-points", "--slit",
                   "--slit-length", "--slit-qmin", "sphere@hayter_msa", "[default: realistic]"):
        assert option in text, option


def test_generate_products_in_sasmodels_notation_and_with_structure_factor_option(cli_runner, tmp_path):
    out = tmp_path / "data.h5"
    result = cli_runner.invoke(cli, ["generate", "sphere@hayter_msa", "power_law", "cylinder",
                                     "--structure-factor", "hardsphere", "--count", "2", "--seed", "1",
                                     "-o", str(out), *FAST])
    assert result.exit_code == 0, result.output
    with open_store(str(out)) as s:
        counts = s.counts()["train"]
        options = s.provenance("train")[-1]["options"]
    assert counts == dict.fromkeys(["sphere@hayter_msa", "power_law", "cylinder", "cylinder@hardsphere"], 2)
    # the default preset is realistic: dispersity on, a share of slit-smeared curves
    assert options["polydisperse"] is True and options["slit"] == 0.15


def test_models_lists_products_for_a_structure_factor(cli_runner):
    result = cli_runner.invoke(cli, ["models", "shape:sphere", "--structure-factor", "hayter_msa"])
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.output.splitlines()]
    assert "sphere@hayter_msa" in names and all(n.endswith("@hayter_msa") for n in names)

"""sasnets predict: every measured format, JSON output, bad files, argument forms."""
import json
import os
import subprocess
import sys

import pytest

from sasnets.cli import cli

DATA = os.path.join(os.path.dirname(__file__), os.pardir, "data", "measured")
GOOD = ["sphere_nist.ABS", "sphere_3col.dat", "sphere_4col.csv", "sphere_cansas1d.xml", "sphere_nxcansas.h5",
        "sphere_nm.txt"]
BAD = ["bad_empty.txt", "bad_binary.dat", "bad_nan.txt", "bad_negative.txt", "bad_single_point.txt",
       "bad_truncated.xml", "bad_fake.h5", "missing.txt"]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tiny_classifier")]


def files(names):
    return [os.path.join(DATA, n) for n in names]


def test_json_lists_predictions_for_good_files_and_errors_for_bad_ones(tiny_classifier, cli_runner):
    _, clf = tiny_classifier
    args = files(GOOD + BAD)
    result = cli_runner.invoke(cli, ["predict", clf, *args, "--json", "--top", "2"])
    assert result.exit_code == 1  # some files failed
    out = json.loads(result.stdout)
    assert [o["file"] for o in out] == args  # one object per file, in order, path as given
    for o in out[:len(GOOD)]:
        probs = [p["probability"] for p in o["predictions"]]
        assert len(probs) == 2 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
        assert o["predictions"][0]["model"] == "sphere"
    for o, name in zip(out[len(GOOD):], BAD):
        assert set(o) == {"file", "error"} and name in o["error"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == len(BAD)
    assert "Traceback" not in result.output


def test_human_output_and_warnings(tiny_classifier, cli_runner):
    _, clf = tiny_classifier
    result = cli_runner.invoke(cli, ["predict", clf, *files(["sphere_nist.ABS", "sphere_nm.txt"])])
    assert result.exit_code == 0, result.output
    assert "1. sphere" in result.stdout and "95 % credible set" in result.stdout
    assert "1/nm" in result.stderr  # the unit conversion is announced


def test_classifier_option_and_missing_classifier(tiny_classifier, cli_runner, monkeypatch, tmp_path):
    import sasnets.classifier.default as default

    monkeypatch.delenv(default.ENV_VAR, raising=False)
    monkeypatch.setattr(default, "PRETRAINED_DIR", tmp_path / "no-pretrained")  # as if none were installed
    _, clf = tiny_classifier
    ok = cli_runner.invoke(cli, ["predict", "--classifier", clf, *files(["sphere_3col.dat"]), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)[0]["predictions"]
    none = cli_runner.invoke(cli, ["predict", *files(["sphere_3col.dat"])])
    assert none.exit_code != 0
    assert "classifier" in none.stderr.lower() and "Traceback" not in none.output


def test_a_mostly_flat_curve_is_classified_with_a_warning(tiny_classifier, cli_runner, tmp_path):
    import numpy as np

    _, clf = tiny_classifier
    q = np.geomspace(0.005, 0.3, 80)
    flat = tmp_path / "flat.txt"  # a sphere's scattering buried under a background 20 times its peak
    np.savetxt(flat, np.column_stack([q, 20 + 1 / (1 + (60 * q) ** 4), np.full(80, 0.1)]))
    result = cli_runner.invoke(cli, ["predict", clf, str(flat), *files(["sphere_3col.dat"]), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out[0]["predictions"] and out[0]["intensity_decades"] < 0.1 < out[1]["intensity_decades"]
    assert "factor 1.0" in out[0]["warnings"][0] and not out[1]["warnings"]
    warned = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warned) == 1 and "flat.txt" in warned[0] and "unreliable" in warned[0]


def test_q_units_override_changes_coverage(tiny_classifier, cli_runner):
    _, clf = tiny_classifier
    a = json.loads(cli_runner.invoke(cli, ["predict", clf, *files(["sphere_3col.dat"]), "--json"]).stdout)[0]
    b = cli_runner.invoke(cli, ["predict", clf, *files(["sphere_3col.dat"]), "--json", "--q-units", "nm"])
    b = json.loads(b.stdout)[0]
    assert b["coverage"] < a["coverage"]


def test_cold_start_does_not_import_tensorflow(tiny_classifier):
    _, clf = tiny_classifier
    code = ("import sys; from sasnets.cli import main\n"
            "try:\n    main(['predict', sys.argv[1], sys.argv[2], '--json'])\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n")
    run = subprocess.run([sys.executable, "-c", code, clf, files(["sphere_nist.ABS"])[0]],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)[0]["predictions"][0]["model"] == "sphere"


def test_each_entry_of_a_multi_entry_file_is_classified(tiny_classifier, cli_runner):
    _, clf = tiny_classifier
    path = files(["sphere_two_entries.xml"])[0]
    result = cli_runner.invoke(cli, ["predict", clf, path, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [o["file"] for o in out] == [path + "[sans]", path + "[usans]"]
    assert all(o["predictions"] for o in out)
    assert not any("slit" in w for w in out[0]["warnings"])
    # its training data do not record slit smearing (the tiny classifier's store has no provenance)
    assert any("slit-smeared" in w and "does not record" in w for w in out[1]["warnings"])
    assert any("covers only" in w for w in out[1]["warnings"])
    text = cli_runner.invoke(cli, ["predict", clf, path])
    assert text.exit_code == 0, text.output
    assert f"{path}[sans]: CanSAS XML" in text.stdout and f"{path}[usans]: CanSAS XML" in text.stdout
    usans_block = text.stdout.split(f"{path}[usans]")[1]
    assert "95 % credible set" in usans_block and "  Warning: the curve is slit-smeared" in usans_block
    assert "Warning:" not in text.stdout.split(f"{path}[usans]")[0]
    assert all(line.startswith("Warning: ") for line in text.stderr.splitlines() if line.strip())


def test_slit_length_and_resolution_options(tiny_classifier, cli_runner):
    _, clf = tiny_classifier
    bare = files(["sphere_2col.txt"])
    slit = json.loads(cli_runner.invoke(cli, ["predict", clf, *bare, "--json", "--slit-length", "0.05"]).stdout)[0]
    assert slit["predictions"] and any("slit length 0.05 1/Å" in w for w in slit["warnings"])
    pinhole = cli_runner.invoke(cli, ["predict", clf, *bare, "--json", "--resolution", "5"])
    assert pinhole.exit_code == 0 and not json.loads(pinhole.stdout)[0]["warnings"]
    stated = cli_runner.invoke(cli, ["predict", clf, *files(["sphere_4col.csv"]), "--json", "--slit-length", "0.05"])
    assert not any("slit" in w for w in json.loads(stated.stdout)[0]["warnings"])  # the file's dq wins
    for args in (["--slit-length", "-1"], ["--resolution", "-5"], ["--slit-length", "0.1", "--resolution", "5"]):
        bad = cli_runner.invoke(cli, ["predict", clf, *bare, *args])
        assert bad.exit_code == 2, bad.output
        assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.output


def test_slit_smeared_file_is_classified_with_a_warning(tiny_classifier, cli_runner):
    _, clf = tiny_classifier
    result = cli_runner.invoke(cli, ["predict", clf, *files(["sphere_usans.ABS"]), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)[0]
    assert out["predictions"] and any("slit-smeared (slit length 0.05" in w for w in out["warnings"])


def test_slit_caveat_follows_the_training_data(tiny_classifier, cli_runner, tmp_path):
    """A classifier whose training runs simulated slit-smeared curves (the shipped one) classifies a
    slit-smeared file without the caveat; one trained on pinhole curves only says so."""
    import shutil

    _, clf = tiny_classifier
    usans = files(["sphere_usans.ABS"])

    def warnings_with(slit: float) -> list:
        copy = tmp_path / f"slit{slit}"
        shutil.copytree(clf, copy)
        meta = json.loads((copy / "classifier.json").read_text())
        meta.setdefault("data", {})["provenance"] = [{"command": "generate", "options": {"slit": slit}}]
        (copy / "classifier.json").write_text(json.dumps(meta))
        result = cli_runner.invoke(cli, ["predict", str(copy), *usans, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)[0]["warnings"]

    assert not any("slit" in w for w in warnings_with(0.15))
    assert any("slit-smeared" in w and "pinhole-smeared curves only" in w for w in warnings_with(0.0))


def test_an_entry_left_out_is_said_next_to_the_others_answer(tiny_classifier, cli_runner, tmp_path):
    _, clf = tiny_classifier
    text = open(files(["sphere_two_entries.xml"])[0]).read()
    start = text.index("<SASentry", text.index("</SASentry>"))
    body = text[start:]
    path = tmp_path / "one_bad.xml"  # the usans entry keeps one row: unusable
    path.write_text(text[:start] + body[:body.index("</Idata>") + 8] + body[body.rindex("</Idata>") + 8:])
    result = cli_runner.invoke(cli, ["predict", clf, str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{path}[sans]: CanSAS XML")  # names do not depend on what was left out
    assert f"  Warning: {path}[usans] has only 1 usable point" in result.stdout
    assert "that entry was left out" in result.stdout


def test_a_long_credible_set_is_cut_short_in_text_but_whole_in_json():
    from sasnets.cli.predict import CREDIBLE_SHOWN, format_record

    names = [f"model{i}" for i in range(40)]
    record = {"file": "x.dat", "format": "ascii", "points": 50, "qmin": 0.01, "qmax": 0.3, "coverage": 1.0,
              "predictions": [{"model": "model0", "probability": 0.1}], "credible95": names}
    line = format_record(record).splitlines()[-1]
    assert "(40 models)" in line and f"… and {40 - CREDIBLE_SHOWN} more" in line
    assert "model5" in line and "model6," not in line and "model39" not in line


def test_a_directory_stands_for_the_files_in_it(tiny_classifier, cli_runner, tmp_path):
    import shutil

    _, clf = tiny_classifier
    folder = tmp_path / "run1"
    folder.mkdir()
    for name in ("sphere_3col.dat", "sphere_nist.ABS"):
        shutil.copy(os.path.join(DATA, name), folder / name)
    (folder / ".hidden").write_text("not data")
    result = cli_runner.invoke(cli, ["predict", clf, str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert [os.path.basename(r["file"]) for r in json.loads(result.stdout)] == ["sphere_3col.dat", "sphere_nist.ABS"]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli_runner.invoke(cli, ["predict", clf, str(empty)])
    assert result.exit_code == 2 and "no data files in it" in result.stderr


def test_products_are_named_with_both_factor_probabilities(cli_runner):
    """A classifier whose labels include products answers with the pair, the factor probabilities summed over the other."""
    from sasnets.cli.predict import format_record
    from sasnets.classifier.factors import factor_probabilities, split_label

    labels = ["cylinder", "sphere", "sphere@hardsphere", "sphere@hayter_msa"]
    proba = [[0.1, 0.2, 0.3, 0.4]]
    forms, p_form, structures, p_structure = factor_probabilities(proba, labels)
    assert forms == ["cylinder", "sphere"] and p_form[0].tolist() == pytest.approx([0.1, 0.9])
    assert structures == ["none", "hardsphere", "hayter_msa"]
    assert p_structure[0].tolist() == pytest.approx([0.3, 0.3, 0.4])
    assert split_label("sphere@hayter_msa") == ("sphere", "hayter_msa") and split_label("sphere") == ("sphere", "none")
    record = {"file": "x.dat", "format": "ascii", "points": 50, "qmin": 0.01, "qmax": 0.3, "coverage": 1.0,
              "predictions": [{"model": "sphere@hayter_msa", "probability": 0.4, "form_factor": "sphere",
                               "form_factor_probability": 0.9, "structure_factor": "hayter_msa",
                               "structure_factor_probability": 0.4}],
              "structure_factors": [{"structure_factor": "hayter_msa", "probability": 0.4},
                                    {"structure_factor": "none", "probability": 0.3},
                                    {"structure_factor": "hardsphere", "probability": 0.3}],
              "credible95": labels}
    text = format_record(record)
    assert "1. sphere@hayter_msa   40.00 %   (form factor 90 %)" in text
    assert "structure factor: hayter_msa 40.0 %, none 30.0 %, hardsphere 30.0 %" in text


def test_size_estimates_are_fitted_saved_and_shown(tiny_classifier, cli_runner, tmp_path):
    """sasnets sizes fits per-model size estimates; predict shows them for each candidate.

    The tiny classifier (50 curves a model, a few epochs) encodes size weakly, so its estimate
    need only beat knowing the range the radii come from (20-120 Å, log spread 0.5)."""
    import shutil

    from sasnets.classifier import load_classifier

    store, clf = tiny_classifier
    copy = str(tmp_path / "clf")
    shutil.copytree(clf, copy)
    result = cli_runner.invoke(cli, ["sizes", copy, store, "--tag", "train", "--check-tag", "eval", "-q"])
    assert result.exit_code == 0, result.output
    meta = load_classifier(copy).meta.sizes
    assert set(meta["labels"]) == {"sphere"}  # guinier and power_law have no volume parameter
    assert meta["error"]["sphere"]["radius"] < 0.5
    out = json.loads(cli_runner.invoke(cli, ["predict", copy, *files(["sphere_nist.ABS"]), "--json"]).stdout)
    first = out[0]["predictions"][0]
    assert first["model"] == "sphere" and set(first["sizes"]) == {"radius", "radius_pd"}
    radius = first["sizes"]["radius"]
    assert radius["low"] < radius["value"] < radius["high"] and radius["units"] == "Å"
    text = cli_runner.invoke(cli, ["predict", copy, *files(["sphere_nist.ABS"])]).stdout
    assert "radius ≈" in text

"""sasnets fit: ranked table, --json, --plot, bad files and missing candidates."""
import json
import os

import numpy as np
import pytest

from sasnets.cli import cli

SPHERE = dict(radius=60.0, sld=2.0, sld_solvent=5.0, scale=0.02, background=0.01)


def write_sphere_file(path, seed=0, npoints=60):
    """A 4-column ASCII file (q, I, dI, dQ) of a noisy sphere curve computed with sasmodels."""
    from sasmodels import core
    from sasmodels.data import Data1D
    from sasmodels.direct_model import DirectModel

    q = np.logspace(np.log10(5e-3), np.log10(0.3), npoints)
    data = Data1D(x=q, y=np.ones_like(q), dx=0.05 * q, dy=np.ones_like(q))
    iq = DirectModel(data, core.load_model("sphere", dtype="double", platform="dll"))(**SPHERE)
    diq = 0.02 * iq
    noisy = iq + np.random.default_rng(seed).normal(size=q.size) * diq
    np.savetxt(path, np.column_stack([q, noisy, diq, 0.05 * q]), header="Q(1/A) I(1/cm) dI dQ")
    return str(path)


@pytest.fixture(scope="module")
def sphere_file(tmp_path_factory):
    return write_sphere_file(tmp_path_factory.mktemp("fit") / "sphere.dat")


FAST = ["--budget", "20", "--workers", "1"]


@pytest.mark.slow  # several fits
def test_json_output_in_rank_order(cli_runner, sphere_file):
    result = cli_runner.invoke(cli, ["fit", sphere_file, "--model", "lamellar", "--model", "sphere", "--json", *FAST])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert isinstance(out, list) and len(out) == 1 and out[0]["file"] == sphere_file
    candidates = out[0]["candidates"]
    assert [c["model"] for c in candidates] == ["sphere", "lamellar"]
    best = candidates[0]
    assert best["reduced_chi2"] < 2 and best["acceptable"] and best["probability"] is None
    value, error = best["parameters"]["radius"]
    assert abs(value - 60.0) < 2 and error > 0
    for key in ("bic", "aic", "rank", "posterior", "chi2", "dof", "fixed"):
        assert key in best
    assert candidates[1]["reduced_chi2"] > 10


@pytest.mark.slow  # several fits
def test_table_output_and_plots_for_several_files(cli_runner, sphere_file, tmp_path):
    second = write_sphere_file(tmp_path / "other.dat", seed=1)
    plot = tmp_path / "fit.png"
    # --monodisperse: the width search of the poor cylinder fits would add a fit each (up to --budget)
    result = cli_runner.invoke(cli, ["fit", sphere_file, second, "--model", "sphere", "--model", "cylinder",
                                     "--plot", str(plot), "--monodisperse", *FAST])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert sum("ranked by ln(p) - BIC/2" in line for line in lines) == 2
    first_row = next(line for line in lines if line.strip().startswith("1 "))
    assert "sphere" in first_row and " ok " in first_row and "radius=" in first_row and "±" in first_row
    for name in ("fit-sphere.png", "fit-other.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert not plot.exists()


def test_table_says_when_the_fits_overrule_the_network():
    """A scientist reading the table learns that the first row is not the network's
    favourite, and how to keep the network's order."""
    from sasnets.fitting import FitResult, rank_fits
    from sasnets.cli.fit import _table

    def result(model, chi2, probability):
        return FitResult(model=model, success=True, chi2=chi2, npoints=100, nparams=3, dof=97,
                         probability=probability, parameters={"scale": (1.0, 0.1), "background": (0.0, 0.1)})

    fits = [result("onion", 900.0, 0.7), result("core_shell_sphere", 100.0, 0.3)]
    lines = _table("x.dat", rank_fits(fits), "posterior")
    assert "ranked by ln(p) - BIC/2" in lines[0] and "core_shell_sphere" in lines[2]
    assert any("overrule the network's first choice, onion (p=0.70)" in line and "--rank-by network" in line
               for line in lines)
    lines = _table("x.dat", rank_fits(fits, by="network"), "network")
    assert "network's order" in lines[0] and "onion" in lines[2]
    assert not any("overrule" in line for line in lines)
    lines = _table("x.dat", rank_fits(fits, by="adequate"), "adequate")
    assert "adequate fits (chi2/dof < 2) first" in lines[0] and "core_shell_sphere" in lines[2]
    assert any("first choice, onion (p=0.70), fits poorly" in line and "--rank-by network" in line for line in lines)
    assert not any("--extend" in line for line in lines)  # core_shell_sphere (chi2/dof 1.03) fits


def test_table_suggests_extend_when_no_candidate_fits():
    from sasnets.fitting import FitResult, rank_fits
    from sasnets.cli.fit import _table

    fits = [FitResult(model=m, success=True, chi2=900.0, npoints=100, nparams=3, dof=97, probability=p,
                      parameters={"scale": (1.0, 0.1)}) for m, p in (("onion", 0.7), ("sphere", 0.3))]
    assert any("no candidate fits adequately" in line and "--extend 2" in line
               for line in _table("x.dat", rank_fits(fits)))
    assert not any("--extend" in line for line in _table("x.dat", rank_fits(fits), extend=2))  # already extended
    for r in fits:  # --model without a classifier: no next candidates to offer
        r.probability = None
    assert not any("--extend" in line for line in _table("x.dat", rank_fits(fits)))


def test_table_names_the_counts_tried_when_a_multi_shell_fit_is_poor():
    from sasnets.fitting import FitResult, rank_fits
    from sasnets.cli.fit import _table

    def result(model, chi2, fixed, held=None, tried=None):
        return FitResult(model=model, success=True, chi2=chi2, npoints=100, nparams=3, dof=97, fixed=fixed,
                         held=held or {}, counts_tried=tried or {},
                         parameters={"scale": (1.0, 0.1), "background": (0.0, 0.1)})

    searched = result("onion", 900.0, {"n_shells": 2.0}, tried={"n_shells": [1, 2, 3]})
    poor = _table("x.dat", rank_fits([searched, result("sphere", 500.0, {})]))
    assert any("onion fits best with n_shells=2 of 1, 2, 3 tried" in line and "--fix n_shells=4" in line
               for line in poor)
    unsearched = _table("x.dat", rank_fits([result("onion", 900.0, {"n_shells": 1.0})]))
    assert any("n_shells=1 of 1 tried" in line and "--fix n_shells=2" in line for line in unsearched)
    good = _table("x.dat", rank_fits([result("onion", 90.0, {"n_shells": 1.0})]))
    held = _table("x.dat", rank_fits([result("onion", 900.0, {"n_shells": 2.0}, {"n_shells": 2.0})]))
    assert not any("fits best with" in line for line in good + held)


@pytest.mark.slow  # several fits
def test_rank_by_network_without_a_classifier_ranks_by_fit(cli_runner, sphere_file):
    result = cli_runner.invoke(cli, ["fit", sphere_file, "--model", "lamellar", "--model", "sphere",
                                     "--rank-by", "network", "--json", *FAST])
    assert result.exit_code == 0, result.output
    assert [c["model"] for c in json.loads(result.stdout)[0]["candidates"]] == ["sphere", "lamellar"]


@pytest.mark.slow  # several fits
def test_fix_holds_known_values_in_the_candidates_that_have_them(cli_runner, sphere_file):
    args = ["fit", sphere_file, "--model", "sphere", "--model", "lamellar", "--fix", "radius=60",
            "--fix", "background=0.01", *FAST]
    result = cli_runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    sphere, lamellar = json.loads(result.stdout)[0]["candidates"]
    assert sphere["model"] == "sphere" and sphere["held"] == {"radius": 60.0, "background": 0.01}
    assert set(sphere["parameters"]) == {"scale"} and sphere["acceptable"]
    assert lamellar["held"] == {"background": 0.01} and "background" not in lamellar["parameters"]
    table = cli_runner.invoke(cli, args)
    assert table.exit_code == 0, table.output
    assert "held: radius=60, background=0.01" in table.stdout and "background=" not in table.stdout.split("held:")[0]


def test_models_lists_the_parameters_fix_takes(cli_runner):
    result = cli_runner.invoke(cli, ["models", "core_multi_shell", "--parameters"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("core_multi_shell") and any(line.split()[:2] == ["n", "1"] for line in lines)
    assert any(line.split()[0] == "thickness3" for line in lines[1:] if line.strip())
    listing = json.loads(cli_runner.invoke(cli, ["models", "sphere", "--parameters", "--json"]).stdout)
    assert listing[0]["parameters"]["radius"] == {"default": 50.0, "lower": 0.0, "upper": None, "units": "Ang"}


def test_bad_file_is_one_line_and_others_continue(cli_runner, sphere_file, tmp_path):
    bad = tmp_path / "broken.dat"
    bad.write_text("this is not a curve\n")
    result = cli_runner.invoke(cli, ["fit", str(bad), sphere_file, "--model", "sphere", "--json", *FAST])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "broken.dat" in errors[0] and "Traceback" not in result.stderr
    out = json.loads(result.stdout)
    assert [entry["file"] for entry in out] == [sphere_file, str(bad)]
    assert out[0]["candidates"][0]["model"] == "sphere" and out[1]["candidates"] == [] and out[1]["error"]


def test_no_classifier_and_no_model_says_what_to_pass(cli_runner, sphere_file, monkeypatch, tmp_path):
    """Where no default classifier is installed (the shipped one removed)."""
    import sasnets.classifier.default as default

    monkeypatch.delenv(default.ENV_VAR, raising=False)
    monkeypatch.setattr(default, "PRETRAINED_DIR", tmp_path / "no-pretrained")
    result = cli_runner.invoke(cli, ["fit", sphere_file])
    assert result.exit_code == 2
    assert "--classifier" in result.stderr and "--model" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, message", [
    (["--model", "spheer"], "Unknown scattering model 'spheer' (--model); did you mean sphere"),
    (["--model", "sphere", "--resolution", "150"], "--resolution"),
    (["--model", "sphere", "--q-units", "furlong"], "--q-units"),
    (["--model", "sphere", "--fix", "radius"], "--fix 'radius' is not NAME=VALUE"),
    (["--model", "sphere", "--fix", "radius=big"], "--fix 'radius=big' is not NAME=VALUE"),
    (["--model", "sphere", "--model", "lamellar", "--fix", "n_shells=3"],
     "--fix n_shells: none of the scattering models fitted (sphere, lamellar)"),
    (["--model", "sphere", "--fix", "radius=-1"], "outside the parameter's limits"),
])
def test_bad_options_are_one_line(cli_runner, sphere_file, args, message):
    result = cli_runner.invoke(cli, ["fit", sphere_file, *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.xdist_group("tiny_classifier")
def test_classifier_candidates_and_evaluate_fit_verify(tiny_classifier, cli_runner, sphere_file):
    """With a trained classifier: its top candidates are fitted with its probabilities, and
    ``evaluate --fit-verify`` reports the fit-verified accuracy."""
    store, clf = tiny_classifier
    result = cli_runner.invoke(cli, ["fit", sphere_file, "--classifier", clf, "--top", "2", "--json", *FAST])
    assert result.exit_code == 0, result.output
    candidates = json.loads(result.stdout)[0]["candidates"]
    assert len(candidates) == 2 and candidates[0]["model"] == "sphere"
    assert all(0 <= c["probability"] <= 1 for c in candidates)
    result = cli_runner.invoke(cli, ["fit", sphere_file, "--classifier", clf, "--top", "1", "--no-reference", "--json",
                                     *FAST])
    assert [c["model"] for c in json.loads(result.stdout)[0]["candidates"]] == ["sphere"]
    result = cli_runner.invoke(cli, ["evaluate", clf, store, "--tag", "test", "--json", "-q", "--fit-verify", "3"])
    assert result.exit_code == 0, result.output
    fv = json.loads(result.stdout)["fit_verified"]
    assert fv["n"] == 3 and fv["k"] == 3 and fv["fit_verified"] >= fv["top_k"] >= fv["top1"]
    assert 0 <= fv["reranked_top1"] <= fv["top_k"]
    assert fv["top1_fit_verified"] >= fv["top1"] and fv["form_factor_top1_fit_verified"] >= fv["form_factor_top1"]
    assert fv["top1_equivalent"] + fv["top1_worse"] + fv["top1_unresolved"] == pytest.approx(1 - fv["top1"])
    result = cli_runner.invoke(cli, ["evaluate", clf, store, "--tag", "test", "-q", "--fit-verify", "2"])
    assert result.exit_code == 0 and "wrong top-1 answers" in result.output, result.output


HAYTER = dict(radius=20.0, volfraction=0.1, charge=25.0, sld=0.5, sld_solvent=6.3, scale=1.0, background=0.01)


@pytest.fixture(scope="module")
def hayter_file(tmp_path_factory):
    """A 4-column file of a noisy sphere@hayter_msa curve computed with sasmodels."""
    from sasmodels import core
    from sasmodels.data import Data1D
    from sasmodels.direct_model import DirectModel

    q = np.logspace(-3, -0.5, 100)
    data = Data1D(x=q, y=np.ones_like(q), dx=0.05 * q, dy=np.ones_like(q))
    iq = DirectModel(data, core.load_model("sphere@hayter_msa", dtype="double", platform="dll"))(**HAYTER)
    diq = 0.02 * iq
    noisy = iq + np.random.default_rng(0).normal(size=q.size) * diq
    path = tmp_path_factory.mktemp("fit") / "sds.dat"
    np.savetxt(path, np.column_stack([q, noisy, diq, 0.05 * q]), header="Q(1/A) I(1/cm) dI dQ")
    return str(path)


def test_product_fit_reports_structure_factor_parameters(cli_runner, hayter_file):
    result = cli_runner.invoke(cli, ["fit", hayter_file, "--model", "sphere@hayter_msa", "--fix", "temperature=318.16",
                                     "--json", *FAST])
    assert result.exit_code == 0, result.output
    c = json.loads(result.stdout)[0]["candidates"][0]
    assert c["model"] == "sphere@hayter_msa" and c["acceptable"]
    assert {"volfraction", "charge", "radius"} <= set(c["parameters"]) and c["nparams"] == 5
    assert c["fixed"]["radius_effective_mode"] == 1 and c["held"] == {"temperature": 318.16}
    table = cli_runner.invoke(cli, ["fit", hayter_file, "--model", "sphere@hayter_msa", *FAST])
    assert "assumes sasmodels' defaults temperature=318.16" in table.stdout  # the conditions a scientist should give


def test_polydisperse_and_pd_type_options(cli_runner, sphere_file):
    result = cli_runner.invoke(cli, ["fit", sphere_file, "--model", "sphere", "--polydisperse", "radius",
                                     "--pd-type", "schulz", "--json", *FAST])
    assert result.exit_code == 0, result.output
    c = json.loads(result.stdout)[0]["candidates"][0]
    assert "radius_pd" in c["parameters"] and c["dispersity"]["radius"]["type"] == "schulz"
    assert c["fixed"]["radius_pd_n"] == 35
    table = cli_runner.invoke(cli, ["fit", sphere_file, "--model", "sphere", "--polydisperse", "radius", *FAST])
    assert "radius: gaussian distribution" in table.stdout


def test_model_and_polydisperse_take_comma_separated_lists(cli_runner, sphere_file):
    result = cli_runner.invoke(cli, ["fit", sphere_file, "--model", "sphere,core_shell_sphere",
                                     "--polydisperse", "radius,thickness", "--json", *FAST])
    assert result.exit_code == 0, result.output
    fits = {c["model"]: c for c in json.loads(result.stdout)[0]["candidates"]}
    assert set(fits) == {"sphere", "core_shell_sphere"}
    assert set(fits["sphere"]["dispersity"]) == {"radius"}
    assert set(fits["core_shell_sphere"]["dispersity"]) == {"radius", "thickness"}


def test_slit_length_option(cli_runner, tmp_path):
    from sasmodels import core
    from sasmodels.data import Data1D
    from sasmodels.direct_model import DirectModel

    q = np.logspace(-4, np.log10(5e-3), 60)
    data = Data1D(x=q, y=np.ones_like(q), dx=None, dy=np.ones_like(q))
    data.dxl, data.dxw = np.full(q.size, 0.05), None
    pars = dict(radius=2300.0, sld=1.0, sld_solvent=6.3, scale=0.01, background=0.01)
    iq = DirectModel(data, core.load_model("sphere", dtype="double", platform="dll"))(**pars)
    diq = 0.02 * iq
    path = tmp_path / "usans.dat"
    np.savetxt(path, np.column_stack([q, iq + np.random.default_rng(0).normal(size=q.size) * diq, diq]))
    args = ["fit", str(path), "--model", "sphere", "--monodisperse", "--json", *FAST]
    smeared = json.loads(cli_runner.invoke(cli, [*args, "--slit-length", "0.05"]).stdout)[0]["candidates"][0]
    assert smeared["acceptable"] and abs(smeared["parameters"]["radius"][0] - 2300) < 50


@pytest.mark.parametrize("args, message", [
    (["--model", "sphere@sphere"], "is a form factor, not a structure factor"),
    (["--model", "lamellar@hardsphere"], "lamellar has no effective radius"),
    (["--model", "sphere@nonesuch"], "Unknown structure factor 'nonesuch'"),
    (["--model", "sphere", "--slit-length", "-0.1"], "--slit-length is a length"),
    (["--model", "sphere", "--slit-length", "0.1", "--resolution", "5"], "both given"),
    (["--model", "sphere", "--fix", "radius_pd=1.5"], "radius_pd=1.5 is outside the range of a dispersity width"),
    (["--model", "sphere", "--polydisperse", "sld"], "not a size parameter"),
    (["--model", "sphere", "--polydisperse", "length"], "none of the scattering models fitted"),
])
def test_bad_product_dispersity_slit_options_are_one_line(cli_runner, sphere_file, args, message):
    result = cli_runner.invoke(cli, ["fit", sphere_file, *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_documents_products_dispersity_and_slits(cli_runner):
    out = cli_runner.invoke(cli, ["fit", "--help"]).output
    for text in ("sphere@hayter_msa", "--polydisperse", "--pd-type", "--slit-length", "--slit-width", "Examples"):
        assert text in out


def test_a_note_names_the_candidates_it_is_about():
    from sasnets.cli.fit import _table
    from sasnets.fitting import FitResult, rank_fits

    def result(model, message):
        return FitResult(model=model, success=True, chi2=100.0, npoints=100, nparams=3, dof=97, message=message,
                         parameters={"scale": (1.0, 0.1), "background": (0.0, 0.1)})

    lines = _table("x.dat", rank_fits([result("pringle", "stopped on the time budget"), result("sphere", "converged"),
                                       result("superball", "stopped on the time budget")]))
    assert "  note: pringle, superball: stopped on the time budget (raise --budget)" in lines
    assert not any("sphere:" in line for line in lines)


def test_in_the_networks_order_a_much_better_fit_further_down_is_pointed_out():
    from sasnets.cli.fit import _table
    from sasnets.fitting import FitResult, rank_fits

    def result(model, chi2, probability):
        return FitResult(model=model, success=True, chi2=chi2, npoints=100, nparams=3, dof=97,
                         probability=probability, parameters={"scale": (1.0, 0.1), "background": (0.0, 0.1)})

    fits = [result("ellipsoid", 10000.0, 0.45), result("sphere", 200.0, 0.03)]
    lines = _table("x.dat", rank_fits(fits, by="network"), "network")
    assert "ellipsoid" in lines[2]  # the network's order is kept
    assert any("sphere fits the data better than the network's first choice ellipsoid" in line for line in lines)
    good_first = [result("ellipsoid", 100.0, 0.45), result("sphere", 98.0, 0.03)]
    assert not any("fits the data better" in line for line in _table("x.dat", rank_fits(good_first, by="network"),
                                                                      "network"))


def test_a_fit_can_be_taken_further_in_sasmodels_and_bumps(cli_runner, sphere_file, tmp_path):
    """The JSON's sasmodels parameters recompute the fitted curve; the .par file loads into bumps."""
    import numpy as np
    from bumps.cli import load_pars
    from bumps.fitproblem import FitProblem
    from sasmodels.bumps_model import Experiment, Model
    from sasmodels.core import load_model
    from sasmodels.data import Data1D
    from sasmodels.direct_model import DirectModel

    pars = tmp_path / "pars"
    result = cli_runner.invoke(cli, ["fit", sphere_file, "--model", "sphere", "--monodisperse", "--json",
                                     "--bumps-pars", str(pars), *FAST])
    assert result.exit_code == 0, result.output
    (best,) = json.loads(result.stdout)[0]["candidates"]
    assert best["sasmodels"]["model"] == "sphere"
    q, iq, diq, dq = np.loadtxt(sphere_file, unpack=True)
    data = Data1D(x=q, y=iq, dx=dq, dy=diq)
    again = DirectModel(data, load_model("sphere"))(**best["sasmodels"]["parameters"])
    chi2 = float(np.sum(((iq - again) / diq) ** 2))
    assert chi2 == pytest.approx(best["chi2"], rel=1e-6)
    par = pars / "sphere-sphere.par"
    model = Model(load_model("sphere"))
    for name in best["parameters"]:
        getattr(model, name).range(-1e9, 1e9)
    problem = FitProblem(Experiment(data=data, model=model))
    load_pars(problem, str(par))
    loaded = dict(zip(problem.labels(), problem.getp()))
    assert {k: pytest.approx(v[0], rel=1e-9) for k, v in best["parameters"].items()} == loaded


def test_fit_takes_a_directory_of_files(cli_runner, sphere_file, tmp_path):
    import shutil

    shutil.copy(sphere_file, tmp_path / "a.dat")
    write_sphere_file(tmp_path / "b.dat", seed=1)
    result = cli_runner.invoke(cli, ["fit", str(tmp_path), "--model", "sphere", "--monodisperse", "--json", *FAST])
    assert result.exit_code == 0, result.output
    assert [os.path.basename(e["file"]) for e in json.loads(result.stdout)] == ["a.dat", "b.dat"]


def test_csv_has_one_row_per_curve_with_the_first_candidate_and_errors(cli_runner, sphere_file, tmp_path):
    import csv

    bad = tmp_path / "broken.dat"
    bad.write_text("not numbers\n")
    table = tmp_path / "fits.csv"
    result = cli_runner.invoke(cli, ["fit", sphere_file, str(bad), "--model", "sphere", "--model", "lamellar",
                                     "--monodisperse", "--csv", str(table), *FAST])
    assert result.exit_code == 1  # the broken file
    rows = list(csv.DictReader(open(table)))
    assert [r["file"] for r in rows] == [sphere_file, str(bad)]
    assert rows[0]["model"] == "sphere" and rows[0]["acceptable"] == "True" and abs(float(rows[0]["radius"]) - 60) < 2
    assert float(rows[0]["radius_error"]) > 0 and rows[0]["error"] == ""
    assert rows[1]["model"] == "" and rows[1]["error"]


@pytest.mark.slow  # several fits
def test_a_results_file_resumes_a_batch_and_a_report_renders(cli_runner, tmp_path):
    """--results keeps each curve's fits as it finishes, so a rerun fits only what is missing
    (a line cut short by an interrupt is refitted); --report writes a page a browser renders."""
    files = [write_sphere_file(tmp_path / f"s{i}.dat", seed=i) for i in range(3)]
    results, report = str(tmp_path / "fits.jsonl"), tmp_path / "report"
    args = ["--model", "sphere", "--monodisperse", "--results", results, *FAST]
    first = cli_runner.invoke(cli, ["fit", *files[:2], *args])
    assert first.exit_code == 0, first.output
    assert [json.loads(line)["file"] for line in open(results)] == files[:2]
    with open(results, "a") as fh:  # an interrupt while the third curve's line was written
        fh.write('{"file": "' + files[2] + '", "key": "cut sh')
    again = cli_runner.invoke(cli, ["fit", *files, *args, "--report", str(report), "--json"])
    assert again.exit_code == 0, again.output
    assert "2 curve(s) already fitted" in again.stderr
    out = json.loads(again.stdout)
    assert [o["file"] for o in out] == files and all(o["candidates"][0]["acceptable"] for o in out)
    lines = [json.loads(line) for line in open(results) if line.strip().endswith("}")]
    assert [line["file"] for line in lines] == files  # only the third was fitted again
    changed = cli_runner.invoke(cli, ["fit", files[0], "--model", "lamellar", "--results", results, *FAST])
    assert "already fitted" not in changed.stderr  # other options: fitted anew
    page = (report / "index.html").read_text()
    assert page.count("<section") == 3 and page.count('<img src="') == 3
    _check_in_a_browser(report / "index.html", tmp_path / "shot.png")


def _check_in_a_browser(page, shot):
    """Open the page in headless Chromium: every image loads, and the screenshot is not blank."""
    import shutil

    playwright = pytest.importorskip("playwright.sync_api")
    browser_path = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser_path is None:
        pytest.skip("no Chromium to render the report (scripts/setup.sh installs it)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        tab = browser.new_page()
        tab.goto(page.as_uri())
        images = tab.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        tab.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert len(images) == 3 and all(done and width > 100 for done, width in images)
    import matplotlib.image

    pixels = matplotlib.image.imread(str(shot))
    assert pixels.shape[0] > 1000 and pixels.std() > 0.05  # a long page with plots, not a blank one


def test_a_poor_candidate_below_an_adequate_one_is_marked_quick(cli_runner, sphere_file):
    result = cli_runner.invoke(cli, ["fit", sphere_file, "--model", "sphere", "--model", "lamellar", *FAST])
    assert result.exit_code == 0, result.output
    assert "lamellar: quick fit, not searched further" in result.output
    as_json = cli_runner.invoke(cli, ["fit", sphere_file, "--model", "sphere", "--model", "lamellar", "--json", *FAST])
    quick = {c["model"]: c["quick"] for c in json.loads(as_json.stdout)[0]["candidates"]}
    assert quick == {"sphere": False, "lamellar": True}

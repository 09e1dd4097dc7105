"""sasnets demo: the end-to-end run on tiny sizes (library function and CLI wiring)."""
import json
import os

import pytest

from sasnets.demo import DEMO_MODELS, example_curve_path, run_demo


def test_example_curve_is_bundled_and_readable():
    import sasnets

    curve = sasnets.load_curve(example_curve_path())
    assert len(curve.q) == 120 and curve.dq is not None
    assert 0.002 < curve.q[0] < curve.q[-1] < 0.5


def test_demo_models_are_installed():
    from sasnets.simulate.catalog import resolve_models

    assert set(resolve_models(DEMO_MODELS)) == set(DEMO_MODELS)


@pytest.mark.slow
def test_demo_runs_end_to_end_and_reruns_without_retraining(tmp_path):
    stages = []
    models = ("sphere", "cylinder", "lamellar")
    kwargs = dict(models=models, count=40, test_count=8, epochs=1, top=2, fit_budget_s=3, seed=3,
                  workers=1, threads=1, analyzers=["metrics", "accuracy"],
                  progress=lambda event: stages.append(event.stage))
    result = run_demo(tmp_path / "demo", **kwargs)
    assert os.path.isfile(result.report) and result.report.endswith("index.html")
    page = open(result.report).read()
    assert "Example curve: cylinder_example.txt" in page and "example_fit.png" in page
    assert result.metrics["n"] == 8 * len(models)
    assert [m for m, _ in result.predictions] and {m for m, _ in result.predictions} <= set(models)
    assert len(result.fits) == 2 and result.fits[0].rank == 1
    record = json.load(open(os.path.join(os.path.dirname(result.report), "example_fit.json")))
    assert record["fits"][0]["model"] == result.fits[0].model
    for stage in ("generate train", "generate test", "train", "evaluate", "fit example"):
        assert stage in stages
    network = os.path.join(result.classifier, "network.keras")
    mtime = os.path.getmtime(network)
    again = run_demo(tmp_path / "demo", **kwargs)
    assert os.path.getmtime(network) == mtime  # the finished classifier is reused
    assert again.metrics["n"] == result.metrics["n"]


def test_cli_demo_help_names_the_report(cli_runner):
    from sasnets.cli import cli

    out = cli_runner.invoke(cli, ["demo", "--help"])
    assert out.exit_code == 0 and "report" in out.output and "--seed" in out.output

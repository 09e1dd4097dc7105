"""scripts/background_study.py, which the model card's limits quote, runs on the shipped classifier."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_background_study_reports_every_level_and_the_fits(capsys):
    spec = importlib.util.spec_from_file_location("background_study",
                                                  os.path.join(ROOT, "scripts", "background_study.py"))
    study = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(study)
    study.main(["--curves", "2", "--fits", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == [f"background {level:.3%} of I(0)" for level in study.LEVELS]
    assert "of 2; first answers:" in lines[0]
    assert lines[3].startswith("background 0.100% of I(0), 1 curves fitted: polymer_micelle fits as well as sphere on")

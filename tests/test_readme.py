"""The README is a short front door, and its two commands are the ones CI runs."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
MAX_LINES = 150
FIRST_SCREEN = 50


def readme():
    return (ROOT / "README.md").read_text()


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)```", readme(), re.S)
    test_cmd = next(b.strip() for b in blocks if "scripts/test.sh" in b)
    ci = (ROOT / ".ci" / "run").read_text()
    for part in test_cmd.split("&&"):
        assert part.strip() in ci, f"{part.strip()!r} from the README is not run by .ci/run"


def test_readme_names_a_main_command_that_exists():
    blocks = re.findall(r"```bash\n(.*?)```", readme(), re.S)
    main_cmd = blocks[0].strip()
    for script in re.findall(r"scripts/\S+\.sh", main_cmd):
        assert (ROOT / script).exists(), script


def test_readme_is_short():
    lines = readme().splitlines()
    assert len(lines) <= MAX_LINES, f"README.md has {len(lines)} lines; move details to docs/ (at most {MAX_LINES})"


def test_readme_first_screen_has_the_commands_and_own_file_section():
    head = "\n".join(readme().splitlines()[:FIRST_SCREEN])
    assert "bash scripts/setup.sh && bash scripts/main.sh" in head
    assert "bash scripts/setup.sh && bash scripts/test.sh" in head
    assert "## Classify and fit my own file" in head


def test_readme_shows_real_predict_and_fit_output():
    text = readme()
    outputs = re.findall(r"```text\n(.*?)```", text, re.S)
    assert any("95 % credible set" in o for o in outputs), "no `sasnets predict FILE` output excerpt"
    assert any("chi2/dof" in o and "candidate(s)" in o for o in outputs), "no `sasnets fit FILE` output excerpt"
    assert "Until a default classifier ships" not in text


def test_readme_says_where_setup_installs():
    text = readme()
    assert "active Python" in text and "virtual environment" in text
    assert "apt-get" in text and "PostgreSQL" in text

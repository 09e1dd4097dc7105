"""The README's two commands are the ones CI runs."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    test_cmd = next(b.strip() for b in blocks if "scripts/test.sh" in b)
    ci = (ROOT / ".ci" / "run").read_text()
    for part in test_cmd.split("&&"):
        assert part.strip() in ci, f"{part.strip()!r} from the README is not run by .ci/run"


def test_readme_names_a_main_command_that_exists():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    main_cmd = blocks[0].strip()
    for script in re.findall(r"scripts/\S+\.sh", main_cmd):
        assert (ROOT / script).exists(), script

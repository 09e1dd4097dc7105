"""The package's shape: no import cycle between its modules, fitting free of TensorFlow."""
import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "sasnets"


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict:
    """{module: modules of sasnets it imports}, wherever the import stands: a
    lazy import inside a function is a dependency too (two modules that reach
    into each other from their functions are one concept split in two)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        statements = [s for s in ast.walk(ast.parse(path.read_text())) if isinstance(s, (ast.Import, ast.ImportFrom))]
        targets = set()
        for s in statements:
            if isinstance(s, ast.Import):
                targets.update(a.name for a in s.names)
                continue
            base = s.module or ""
            if s.level:
                anchor = package.split(".")[: len(package.split(".")) - (s.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in s.names:
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in modules else base)
        graph[name] = sorted(t for t in targets if t in modules and t != name)
    return graph


def find_cycle(graph: dict):
    """One import cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    assert "sasnets.fitting.search" in graph["sasnets.fitting.batch"]  # the graph sees relative imports
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b"], "b": [], "c": ["a"]}) is None


def test_fitting_and_the_classifier_import_without_tensorflow():
    code = ("import sys, sasnets.fitting, sasnets.classifier, sasnets.analysis.fit_verified; "
            "bad = [m for m in ('tensorflow', 'keras', 'sasnets.training') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

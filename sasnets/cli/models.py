"""``sasnets models``: every scattering model sasmodels knows, with its category."""
import json

import click


@click.command("models")
@click.argument("patterns", nargs=-1)
@click.option("-x", "--exclude", multiple=True, metavar="PATTERN", help="Leave out these models (same words as PATTERNS).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {name, category, path}.")
def models(patterns, exclude, as_json):
    """List scattering models, one per line: name and sasmodels category.

    PATTERNS (default: all) select models the way 'sasnets generate' does:
    model names, categories (shape:sphere, shape-independent, paracrystal, ...),
    sasmodels kinds (1d, 2d, single, ...) and globs ('*sphere').  User models
    found in the SAS_MODELPATH directories are listed with their file.
    """
    from ..simulate.catalog import list_models, resolve_model_entries

    entries = resolve_model_entries(patterns or ["all"], exclude) if (patterns or exclude) else list_models()
    if as_json:
        click.echo(json.dumps([{"name": e.name, "category": e.category, "path": e.path} for e in entries], indent=2))
        return
    width = max((len(e.name) for e in entries), default=0)
    for e in entries:
        line = f"{e.name:<{width}}  {e.category}"
        click.echo(line + (f"  (user model: {e.path})" if e.path else ""))


COMMANDS = [models]

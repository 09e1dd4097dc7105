"""``sasnets architectures``: the registered network architectures and their recipes."""
from __future__ import annotations

import json

import click


@click.command("architectures")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list with hyper-parameters and training recipes.")
def architectures(as_json):
    """List the network architectures `sasnets train --arch` accepts.

    \b
    Examples:
      sasnets architectures
    """
    from ..data.preprocess import PreprocessSpec
    from ..networks.base import DEFAULT_ARCHITECTURE, get_architecture
    from ..plugins import get_registry

    rows = []
    for entry in get_registry("architectures"):
        arch = get_architecture(entry.name)
        rows.append({"name": entry.name, "origin": entry.origin, "default": entry.name == DEFAULT_ARCHITECTURE,
                     "description": arch.description or entry.description,
                     "hyper": arch.defaults, "recipe": arch.recipe.to_dict()})
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=list))
        return
    width = max(len(r["name"]) for r in rows) if rows else 4
    for r in rows:
        mark = " (default)" if r["default"] else ""
        click.echo(f"{r['name']:<{width}}  [{r['origin']}]{mark}  {r['description']}")
        recipe = r["recipe"]
        click.echo(f"{'':<{width}}  {recipe['optimizer']}, lr {recipe['learning_rate']:g}, {recipe['schedule']}, "
                   f"label smoothing {recipe['label_smoothing']:g}, batch {recipe['batch_size']}, {recipe['epochs']} epochs; "
                   f"input {','.join(recipe['channels'] or PreprocessSpec().channels)}, "
                   f"augmentation {'on' if recipe['augment'] else 'off'}")


COMMANDS = [architectures]

"""``sasnets info STORE``: curves per scattering model and tag."""
import json

import click

from ..stores import open_store


@click.command("info")
@click.argument("store")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {tag: {model: count}}.")
@click.option("--provenance", is_flag=True, help="Also show how each tag was generated.")
def info(store, as_json, provenance):
    """Show how many curves STORE holds per scattering model and tag.

    \b
    Examples:
      sasnets info data.h5
    """
    with open_store(store, "r") as s:
        counts = s.counts()
        runs = {tag: s.provenance(tag) for tag in counts} if provenance else {}
    if as_json:
        out = {"counts": counts, "provenance": runs} if provenance else counts
        click.echo(json.dumps(out, indent=2, sort_keys=True))
        return
    if not counts:
        click.echo(f"{store}: empty")
        return
    models = sorted({m for per in counts.values() for m in per})
    tags = sorted(counts)
    width = max(len("model"), *(len(m) for m in models))
    click.echo(f"{'model':<{width}}  " + "  ".join(f"{t:>8}" for t in tags))
    for m in models:
        click.echo(f"{m:<{width}}  " + "  ".join(f"{counts[t].get(m, 0):>8}" for t in tags))
    click.echo(f"{'total':<{width}}  " + "  ".join(f"{sum(counts[t].values()):>8}" for t in tags))
    click.echo(f"{len(models)} scattering models, {len(tags)} tag(s)")
    for tag, records in runs.items():
        for r in records:
            click.echo(f"[{tag}] " + json.dumps(r, sort_keys=True, default=str))


COMMANDS = [info]

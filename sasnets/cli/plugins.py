"""``sasnets plugins``: every registered store, architecture and analyzer."""
import json

import click

from ..plugins import failed_plugins, get_registry


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
def plugins(as_json):
    """List registered stores, architectures and analyzers with their origin.

    \b
    Examples:
      sasnets plugins --json
    """
    listing = {
        kind: [{"name": e.name, "origin": e.origin, "description": e.meta.get("description", "")}
               for e in get_registry(kind)]
        for kind in ("stores", "architectures", "analyzers")
    }
    failed = failed_plugins()
    if as_json:
        click.echo(json.dumps({**listing, "failed": failed}, indent=2))
        return
    for kind, entries in listing.items():
        click.echo(f"{kind}:")
        if not entries:
            click.echo("  (none)")
        for e in entries:
            desc = f"  - {e['description']}" if e["description"] else ""
            click.echo(f"  {e['name']:<18} [{e['origin']}]{desc}")
    for name, reason in failed.items():
        click.echo(f"failed plugin {name}: {reason}")


COMMANDS = [plugins]

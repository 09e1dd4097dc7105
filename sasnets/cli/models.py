"""``sasnets models``: every scattering model sasmodels knows, with its category."""
import json
import math

import click


@click.command("models")
@click.argument("patterns", nargs=-1)
@click.option("-x", "--exclude", multiple=True, metavar="PATTERN", help="Leave out these models (same words as PATTERNS).")
@click.option("--parameters", "with_parameters", is_flag=True,
              help="Also list each model's parameters (default, limits, units): the names `sasnets fit --fix` takes.")
@click.option("--structure-factor", "structure_factor", metavar="S[,S]",
              help="List instead the products (sphere@hayter_msa) of the selected form factors that can take these "
                   "structure factors (hardsphere, hayter_msa, …, or 'all').")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON list of {name, category, path} (with --parameters, also parameters).")
def models(patterns, exclude, with_parameters, structure_factor, as_json):
    """List scattering models, one per line: name and sasmodels category.

    PATTERNS (default: all) select models the way 'sasnets generate' does:
    model names, categories (shape:sphere, shape-independent, paracrystal, ...),
    sasmodels kinds (1d, 2d, single, ...) and globs ('*sphere').  User models
    found in the SAS_MODELPATH directories are listed with their file.

    \b
      sasnets models --structure-factor all          every product sasmodels allows
      sasnets models 'shape:cylinder' --structure-factor hayter_msa
    """
    from ..simulate.catalog import list_models, resolve_model_entries

    if structure_factor:
        entries = [e for e in resolve_model_entries(patterns or ["all"], exclude, structure_factors=structure_factor)
                   if "@" in e.name]
    elif patterns or exclude:
        entries = resolve_model_entries(patterns, exclude)
    else:
        entries = list_models()
    parameters = {}
    if with_parameters:
        from ..fitting import fixable_parameters

        parameters = {e.name: fixable_parameters(e.name) for e in entries}
    if as_json:
        listing = [{"name": e.name, "category": e.category, "path": e.path} for e in entries]
        for item in listing if with_parameters else ():
            item["parameters"] = {n: {"default": p.default, "lower": _json_number(p.lower),
                                      "upper": _json_number(p.upper), "units": p.units}
                                  for n, p in parameters[item["name"]].items()}
        click.echo(json.dumps(listing, indent=2))
        return
    width = max((len(e.name) for e in entries), default=0)
    for e in entries:
        line = f"{e.name:<{width}}  {e.category}"
        click.echo(line + (f"  (user model: {e.path})" if e.path else ""))
        for name, p in parameters.get(e.name, {}).items():
            if not name.endswith(("_pd_n", "_pd_nsigma")):  # the footnote says they exist
                click.echo(f"    {name:<16} {p.default:<10g} [{p.lower:g}, {p.upper:g}]  {p.units}".rstrip())
    if with_parameters:
        click.echo("(each NAME_pd, a relative dispersity width, also takes NAME_pd_n points (35) over "
                   "NAME_pd_nsigma widths (3))")


def _json_number(value: float):
    """inf is not JSON: unbounded limits become null."""
    return value if math.isfinite(value) else None


COMMANDS = [models]

"""Cost of one training curve per class, and the cost tiers scripts/pretrain.sh budgets by.

    python scripts/model_costs.py measure [--out scripts/pretrain_costs.json] [NAMES...]
    python scripts/model_costs.py tier cheap|medium|slow|slowest|mono [--costs FILE]

``measure`` times one curve of each class (a scattering model, or a product
``F@S`` of a form factor that can take a structure factor and one of
``STRUCTURE_FACTORS``) with the options of the training set (``realistic``
preset, no pinhole smearing, 15 dispersity points), on one core, the kernel
built first; it merges into an existing file, so it can be run in parts.
``tier`` prints the classes of one tier, one per line; a class missing from
the file is estimated as 1.5x its form factor (products measured cost
0.8-2x theirs).  ``mono`` is the tier simulated monodisperse: the classes
whose dispersity alone costs more than ``MONO_ABOVE`` seconds a curve (pringle
integrates over its two angles in every dispersity point).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COSTS = os.path.join(HERE, "pretrain_costs.json")
STRUCTURE_FACTORS = ("hardsphere", "hayter_msa", "squarewell", "stickyhardsphere")
#: upper bounds (seconds per curve) of the tiers, in order
TIERS = {"cheap": 0.02, "medium": 0.2, "slow": 1.5, "slowest": float("inf")}
MONO_ABOVE = 15.0


def classes() -> list[str]:
    """Every scattering model, then every product F@S the training set holds."""
    from sasmodels import core

    from sasnets.simulate.catalog import load_model_info
    from sasnets.simulate.products import can_take_structure_factor

    models = sorted(n for n in core.list_models())
    products = [f"{m}@{s}" for m in models if can_take_structure_factor(load_model_info(m)) for s in STRUCTURE_FACTORS]
    return models + products


def measure(names, out: str, repeat: int = 2) -> None:
    from sasnets.simulate.options import GenerationOptions
    from sasnets.simulate.simulation import simulate_valid_curve

    options = GenerationOptions.preset("realistic", resolution="0", pd_points=15)
    costs = json.load(open(out)) if os.path.exists(out) else {}
    for name in names:
        simulate_valid_curve(name, 0, "cost", 0, options)  # builds the kernel
        t0 = time.perf_counter()
        for i in range(1, repeat + 1):
            simulate_valid_curve(name, 0, "cost", i, options)
        costs[name] = round((time.perf_counter() - t0) / repeat, 5)
        print(f"{name:55s} {costs[name]:.4f} s", flush=True)
        with open(out, "w") as fh:
            json.dump(costs, fh, indent=1, sort_keys=True)


def cost_of(name: str, costs: dict) -> float:
    if name in costs:
        return float(costs[name])
    return 1.5 * float(costs.get(name.split("@")[0], 0.0))


def tier(name: str, costs: dict, names) -> list[str]:
    if name == "mono":
        return [n for n in names if cost_of(n, costs) > MONO_ABOVE or cost_of(n.split("@")[0], costs) > MONO_ABOVE]
    mono = set(tier("mono", costs, names))
    bounds = list(TIERS.values())
    low = 0.0 if name == "cheap" else bounds[list(TIERS).index(name) - 1]
    high = TIERS[name]
    return [n for n in names if n not in mono and low <= cost_of(n, costs) < high]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("names", nargs="*")
    m.add_argument("--out", default=COSTS)
    t = sub.add_parser("tier")
    t.add_argument("name", choices=[*TIERS, "mono"])
    t.add_argument("--costs", default=COSTS)
    args = parser.parse_args(argv)
    if args.command == "measure":
        measure(args.names or classes(), args.out)
        return 0
    costs = json.load(open(args.costs))
    print("\n".join(tier(args.name, costs, classes())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

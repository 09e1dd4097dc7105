"""How many shells or levels: the count search of multi-shell and multi-level models.

A vector parameter's count (``n_shells`` of core_multi_shell, ``level`` of
unified_power_Rg) is an integer the search cannot move.  A count not held is
searched: when the fit at the default count (one shell or level) is not
acceptable, the model is fitted again with each count up to
:data:`COUNT_SEARCH_MAX` (the global search also starting from the fit with
one count fewer) and the fit with the lowest BIC is kept, so a two-shell
onion is fitted with two shells without the scientist knowing the count.
"""
from __future__ import annotations

__all__ = ["COUNT_SEARCH_MAX", "search_count"]

#: the most shells or levels tried when a model's default count fits poorly
COUNT_SEARCH_MAX = 3


def search_count(fit, info, held: dict, control: str, first, time_left=lambda: True):
    """The fit with the lowest BIC among ``first`` (the default count of
    ``control``) and fits with every other count up to COUNT_SEARCH_MAX
    within the count's limits, while ``time_left()``; the chosen count is a
    fixed value, not a held one (``counts_tried`` lists the counts fitted)."""
    upper = next(p.limits[1] for p in info.parameters.kernel_parameters if p.name == control)
    fits = {int(first.fixed[control]): first}
    skipped = False
    for n in range(1, int(min(COUNT_SEARCH_MAX, upper)) + 1):
        if n not in fits:
            if not time_left():
                skipped = True
                break
            below = fits.get(n - 1)  # its shells or levels are a start for the first n - 1 of these
            guess = below.values if below is not None and below.success else None
            fits[n] = fit({**held, control: n}, guess=guess)
            fits[n].held = dict(held)
    best = min((r for r in fits.values() if r.success), key=lambda r: r.bic)
    best.counts_tried = {control: sorted(fits)}
    best.stopped_on_budget |= skipped  # counts left untried for want of time
    return best

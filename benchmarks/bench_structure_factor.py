"""How often the shipped classifier names the structure factor, by the product's volume
fraction and by how much its S(q) changes the curve.

    python benchmarks/bench_structure_factor.py [--classifier DIR ...] [--effect] STORE:TAG [STORE:TAG ...]

For the product curves (F@S) of each tag: the share whose most probable structure
factor is the true one, and the share called ``none``, per band of the true
volume fraction.  At low volume fractions S(q) is close to 1 and the curve is its
form factor's: the figures say how much of the structure-factor error is that.

``--classifier`` (repeatable; default: the shipped one) compares classifiers on the
same curves.  ``--effect`` bands the same curves by the visibility of their S(q) instead: the
reduced chi2 between the product's theory and its form factor's alone (the same
parameters, the best common scale, no resolution), in the curve's own error bars.
Below ~1 the structure factor is hidden in the noise and ``none`` is as right an
answer as the truth; this is slow (two sasmodels evaluations a curve, dispersity
included: ~10 min for the ~1000 products of the sasmodels-sampler tag on one core).

The model card quotes it on the test tag and on the sasmodels-sampler tag of
scripts/pretrain.sh (``/tmp/sasnets-pretrain/data.h5:test``, ``judge.h5:sasmodels``).
"""
import sys

import numpy as np

PHI_BANDS = ((0.0, 0.05), (0.05, 0.15), (0.15, 0.3), (0.3, 1.0))
EFFECT_BANDS = ((0.0, 1.0), (1.0, 5.0), (5.0, 50.0), (50.0, np.inf))


def structure_factor_effect(curve) -> float:
    """Reduced chi2 of the form factor alone (best scale) against the product's theory, in ``curve``'s errors."""
    from sasmodels.direct_model import call_kernel

    from sasnets.classifier.factors import split_label
    from sasnets.simulate.engine import get_kernel

    form = split_label(curve.model)[0]
    q, sigma = np.asarray(curve.q, float), np.asarray(curve.diq, float)
    pars = {**curve.model_parameters, "background": 0.0}
    product_kernel = get_kernel(curve.model, "double", "dll")
    form_kernel = get_kernel(form, "double", "dll")
    known = set(form_kernel.info.parameters.defaults)
    known |= {k + end for k in list(known) for end in ("_pd", "_pd_n", "_pd_nsigma", "_pd_type")}
    with_s = call_kernel(product_kernel.make_kernel([q]), pars)
    alone = call_kernel(form_kernel.make_kernel([q]), {k: v for k, v in pars.items() if k in known})
    ok = np.isfinite(with_s) & np.isfinite(alone) & (sigma > 0) & (alone > 0)
    if ok.sum() < 5:
        return float("nan")
    w = 1.0 / sigma[ok] ** 2
    scale = np.sum(w * with_s[ok] * alone[ok]) / np.sum(w * alone[ok] ** 2)
    return float(np.sum(w * (with_s[ok] - scale * alone[ok]) ** 2) / ok.sum())


def _report(label, values, bands, predicted, true):
    for lo, hi in bands:
        sel = (true != "none") & (values >= lo) & (values < hi)
        if sel.any():
            print(f"  {label} {lo:g}-{hi:g}: {int(sel.sum()):5d} curves, structure factor right "
                  f"{np.mean(predicted[sel] == true[sel]):6.1%}, called none {np.mean(predicted[sel] == 'none'):6.1%}")


def main(argv) -> int:
    import sasnets
    from sasnets.classifier.factors import factor_probabilities, split_label
    from sasnets.stores import open_store

    effect = "--effect" in argv
    argv = [a for a in argv if a != "--effect"]
    paths = []
    while "--classifier" in argv:
        at = argv.index("--classifier")
        paths.append(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    classifiers = [(p, sasnets.load_classifier(p)) for p in paths] or [("shipped", sasnets.load_default_classifier())]
    for spec in argv:
        store, _, tag = spec.rpartition(":")
        with open_store(store) as s:
            batch = s.read(tag, with_params=True)
        batch = batch.take(np.array([all(m in clf.labels for _, clf in classifiers) for m in batch.models.astype(str)]))
        true = np.array([split_label(m)[1] for m in batch.models.astype(str)])
        phi = np.array([p.get("volfraction", np.nan) for p in batch.params])
        chi2 = np.full(len(batch), np.nan)
        for i in np.flatnonzero(true != "none") if effect else ():
            try:
                chi2[i] = structure_factor_effect(batch.curve(i))
            except Exception:  # a draw sasmodels cannot evaluate without the product stays unbanded
                pass
        for name, clf in classifiers:
            _, _, structures, p_structure = factor_probabilities(clf.predict_proba(batch), clf.labels)
            predicted = np.array(structures)[p_structure.argmax(axis=1)]
            print(f"{spec}, {name}: {int((true != 'none').sum())} product curves")
            _report("volume fraction", phi, PHI_BANDS, predicted, true)
            if effect:
                _report("S(q) effect chi2", chi2, EFFECT_BANDS + ((5.0, np.inf),), predicted, true)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""How often the shipped classifier names the structure factor, by the product's volume fraction.

    python benchmarks/bench_structure_factor.py STORE:TAG [STORE:TAG ...]

For the product curves (F@S) of each tag: the share whose most probable structure
factor is the true one, and the share called ``none``, per band of the true
volume fraction.  At low volume fractions S(q) is close to 1 and the curve is its
form factor's: the figures say how much of the structure-factor error is that.
The model card quotes it on the test tag and on the sasmodels-sampler tag of
scripts/pretrain.sh (``/tmp/sasnets-pretrain/data.h5:test``, ``judge.h5:sasmodels``).
"""
import sys

import numpy as np

BANDS = ((0.0, 0.05), (0.05, 0.15), (0.15, 0.3), (0.3, 1.0))


def main(argv) -> int:
    import sasnets
    from sasnets.classifier.factors import factor_probabilities, split_label
    from sasnets.stores import open_store

    clf = sasnets.load_default_classifier()
    for spec in argv:
        store, _, tag = spec.rpartition(":")
        with open_store(store) as s:
            batch = s.read(tag, with_params=True)
        batch = batch.take(np.array([m in clf.labels for m in batch.models.astype(str)]))
        _, _, structures, p_structure = factor_probabilities(clf.predict_proba(batch), clf.labels)
        predicted = np.array(structures)[p_structure.argmax(axis=1)]
        true = np.array([split_label(m)[1] for m in batch.models.astype(str)])
        phi = np.array([p.get("volfraction", np.nan) for p in batch.params])
        print(f"{spec}: {int((true != 'none').sum())} product curves")
        for lo, hi in BANDS:
            sel = (true != "none") & (phi >= lo) & (phi < hi)
            if sel.any():
                print(f"  volume fraction {lo:g}-{hi:g}: {int(sel.sum()):5d} curves, structure factor right "
                      f"{np.mean(predicted[sel] == true[sel]):6.1%}, called none {np.mean(predicted[sel] == 'none'):6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

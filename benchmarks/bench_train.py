"""Training benchmark: the default architecture against ``sasnet2017`` on identical data.

Two measurements, both networks trained on the same training tag with the
same validation split (seeded) and scored on the same test tags.
``sasnet2017`` runs as ``--arch sasnet2017`` does, as published: its network,
its recipe, no augmentation and its 2017 input (one channel of log intensity);
``--ablation`` adds it on the default's input channels, and the default
without augmentation, so each part's share shows:

1. **2017 conditions** - tag ``test``: curves simulated like the training
   tag (128 log-spaced points 1e-3..0.5 1/Å, 3 % resolution, 2 % noise,
   scale 1, background 1e-5): top-1 / top-5 and seconds per epoch, plus the
   training time at which the default first passes the 2017 poster's 54.9 %
   validation top-1.
2. **instrument-like curves** - tag ``instrument``: the ``instrument``
   generation preset (q windows within 1e-3..0.6 1/Å, 60-250 points, 1-5 %
   noise, 2-10 % resolution, random scale and background) that neither
   network saw in training.  Broken down by how much of each curve a flat
   background hides (background over peak intensity) and by the width of its
   q window, so the run shows which curves carry too little of their
   scattering model to classify.

The default's most frequent errors under 2017 conditions are listed too, and
``--fit-verify N`` fits N seeded 2017-condition test curves per network: the
share whose top-1 answer is right or fits the curve as well as the true model
(reduced chi-square within 10 %), i.e. how many errors the data itself cannot
settle.

The figures are printed as differences and ratios against ``sasnet2017``
measured in the same run; nothing is asserted.  ``--generate`` (re)creates
or tops up the dataset with ``sasnets.generate`` (resumable); without it the
store given by ``--data`` must already hold the tags.

Example (the issue's full size; hours of generation on 2 cores)::

    python benchmarks/bench_train.py --data runs/bench.h5 --generate --count 500 --threads 2
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

POSTER_TOP1 = 0.549


def generate(path, count, test_count, exclude, seed):
    import sasnets
    from sasnets.simulate.options import GenerationOptions

    o2017 = GenerationOptions(qmin="0.001", qmax="0.5", nq="128", noise="2", resolution="3", scale="1",
                              background="1e-5")
    inst = GenerationOptions.preset("instrument")
    for tag, opts, n, s in (("train", o2017, count, seed), ("test", o2017, test_count, seed + 1),
                            ("instrument", inst, test_count, seed + 2)):
        t = time.perf_counter()
        sasnets.generate(path, ["all"], n, tag=tag, options=opts, seed=s, exclude=exclude)
        print(f"generated {tag}: {time.perf_counter() - t:.0f} s", file=sys.stderr)


def score(classifier, store, tag):
    """Top-1 / top-5 of ``classifier`` on the curves of ``tag`` whose model it knows, top-1 by background, q window
    and intensity range (:mod:`sasnets.analysis.conditions`), and the evaluation itself."""
    from sasnets.analysis.evaluate import evaluate

    result = evaluate(classifier, store, tag)
    m = result.metrics
    return {"curves": m["n"], "top1": m["top1"], "top5": m["top5"], "by_background": m["by_background"],
            "by_q_window": m["by_q_window"], "by_intensity_range": m["by_intensity_range"]}, result


def most_confused(result, k=8):
    """The ``k`` most frequent (true model, predicted model) errors of an evaluation, as shares of all its curves."""
    predicted = result.proba.argmax(axis=1)
    wrong = predicted != result.y
    pairs, counts = np.unique(np.stack([result.y[wrong], predicted[wrong]], axis=1), axis=0, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:k]
    return [{"true": result.labels[pairs[i, 0]], "predicted": result.labels[pairs[i, 1]],
             "share": float(counts[i] / len(result.y))} for i in order]


def run(args, name, arch, augment, epochs, preprocess):
    from sasnets.training.train import train

    outdir = os.path.join(args.out, name)
    t = time.perf_counter()

    def progress(event):
        if event.stage == "epoch_end":
            r = event.info["record"]
            print(f"  {name} epoch {r['epoch']:>2}: val top-1 {r['val_accuracy']:.3f} top-5 {r['val_top5']:.3f} "
                  f"{r['seconds']:.1f} s", file=sys.stderr, flush=True)

    resume = os.path.exists(os.path.join(outdir, "checkpoint", "latest")) and not args.fresh
    clf = train(args.data, outdir, arch=arch, augment=augment, epochs=epochs, seed=args.seed, threads=args.threads,
                overwrite=not resume and os.path.exists(outdir), resume=resume, tensorboard=False, progress=progress,
                patience=epochs, models=None if resume else args.models,
                preprocess=None if resume else preprocess)
    wall = time.perf_counter() - t
    with open(os.path.join(outdir, "history.json")) as fh:
        history = json.load(fh)
    epoch_seconds = float(np.median([h["seconds"] for h in history]))
    passed = next((h["elapsed"] for h in history if h["val_accuracy"] >= POSTER_TOP1), None)
    return clf, {"epochs": len(history), "seconds_per_epoch": epoch_seconds, "train_seconds": history[-1]["elapsed"],
                 "wall_seconds": wall, "seconds_to_poster": passed,
                 "val_top1": clf.metrics["val_accuracy"], "params": None}


def print_breakdown(results):
    """Where the instrument-like errors are, network by network, and the default's most confused pairs."""
    from sasnets.analysis.conditions import condition_tables

    names = list(results)
    for key, title, rows in condition_tables(results[names[0]]["instrument"]):
        print()
        print(f"instrument-like top-1 by {title:<40} {'share':>6} " + " ".join(f"{n[:20]:>20}" for n in names))
        for label, band in rows:
            cells = [next(b["top1"] for b in results[n]["instrument"][key] if b["low"] == band["low"]) for n in names]
            print(f"  {label:<62} {band['share']:>6.3f} " + " ".join(f"{c:>20.3f}" for c in cells))
    pairs = results["default"].get("most_confused", [])
    if pairs:
        print()
        print("default, 2017 conditions: most frequent errors (true -> predicted, share of all test curves)")
        for p in pairs:
            print(f"  {p['true']} -> {p['predicted']}: {100 * p['share']:.1f} %")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="store with tags train, test, instrument")
    ap.add_argument("--generate", action="store_true", help="create or top up the tags with sasnets.generate")
    ap.add_argument("--count", type=int, default=500, help="training curves per scattering model (--generate)")
    ap.add_argument("--test-count", type=int, default=100, help="test curves per model and tag (--generate)")
    ap.add_argument("--exclude", nargs="*", default=[], help="scattering models left out (--generate)")
    ap.add_argument("--min-count", type=int, default=None,
                    help="use the models with at least this many training curves (default: --count)")
    ap.add_argument("--epochs", type=int, default=12, help="epochs of the default architecture")
    ap.add_argument("--baseline-epochs", type=int, default=12, help="epochs of sasnet2017")
    ap.add_argument("--ablation", action="store_true",
                    help="also train the default without augmentation and sasnet2017 on the default's input channels")
    ap.add_argument("--also", action="append", default=[], metavar="ARCH",
                    help="also train this architecture like the default (augmented, our input) and compare it "
                    "with sasnet2017 (repeatable), e.g. resnet1d_large")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/bench_train", help="directory for the trained classifiers")
    ap.add_argument("--fresh", action="store_true", help="retrain instead of resuming/reusing earlier runs")
    ap.add_argument("--fit-verify", type=int, default=0, metavar="N",
                    help="fit N 2017-condition test curves per network: top-1 right or as good a fit as the truth")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if args.generate:
        generate(args.data, args.count, args.test_count, args.exclude, args.seed + 1)

    import sasnets

    with sasnets.open_store(args.data) as store:
        counts = store.counts()
    missing = [t for t in ("train", "test", "instrument") if t not in counts]
    if missing:
        sys.exit(f"{args.data} lacks tag(s) {', '.join(missing)}; run with --generate.")
    need = args.min_count if args.min_count is not None else args.count
    models = sorted(m for m, n in counts["train"].items()
                    if n >= need and counts["test"].get(m, 0) and counts["instrument"].get(m, 0))
    left_out = sorted(set(counts["train"]) - set(models))
    args.models = models
    n_train = sum(counts["train"][m] for m in models)
    print(f"data: {len(models)} scattering models, {n_train} training curves "
          f"(min {min(counts['train'][m] for m in models)} per model); "
          f"left out (fewer than {need} training curves or no test curves): {', '.join(left_out) or 'none'}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

    from sasnets.data.preprocess import PreprocessSpec

    ours = PreprocessSpec()
    plans = [("default", None, True, args.epochs, ours),
             ("sasnet2017", "sasnet2017", False, args.baseline_epochs, None)]  # its recipe's 2017 input
    plans += [(arch, arch, True, args.epochs, ours) for arch in args.also]
    if args.ablation:
        plans += [("sasnet2017-our-input", "sasnet2017", False, args.baseline_epochs, ours),
                  ("default-no-augment", None, False, args.epochs, ours)]
    results = {}
    with sasnets.open_store(args.data) as store:
        for name, arch, augment, epochs, preprocess in plans:
            clf, info = run(args, name, arch, augment, epochs, preprocess)
            info["params"] = int(clf.network.count_params())
            info["test"], test = score(clf, store, "test")
            info["instrument"], _ = score(clf, store, "instrument")
            info["architecture"] = clf.architecture
            if name == "default":
                info["most_confused"] = most_confused(test)
            if args.fit_verify:
                from sasnets.analysis.fit_verified import fit_verified_accuracy_on_store

                def fitted(event, name=name):
                    if event.done % 20 == 0 or event.finished:
                        print(f"  {name} fit-verify: {event.done}/{event.total} fits", file=sys.stderr, flush=True)

                info["fit_verified"] = fit_verified_accuracy_on_store(clf, store, "test", n=args.fit_verify, k=1,
                                                                      seed=args.seed, progress=fitted)
            results[name] = info

    base = results["sasnet2017"]
    print()
    print(f"{'network':<20} {'arch':<14} {'params':>8} {'epochs':>6} {'s/epoch':>8} {'to 54.9%':>9} "
          f"{'2017 top-1':>10} {'top-5':>6} {'instr top-1':>11} {'top-5':>6}")
    for name, r in results.items():
        poster = f"{r['seconds_to_poster']:.0f} s" if r["seconds_to_poster"] is not None else "never"
        print(f"{name:<20} {r['architecture']:<14} {r['params']:>8} {r['epochs']:>6} {r['seconds_per_epoch']:>8.1f} "
              f"{poster:>9} {r['test']['top1']:>10.3f} {r['test']['top5']:>6.3f} "
              f"{r['instrument']['top1']:>11.3f} {r['instrument']['top5']:>6.3f}")
    for name in ["default", *args.also]:
        d = results[name]
        print()
        print(f"{name} vs sasnet2017, 2017 conditions: {100 * (d['test']['top1'] - base['test']['top1']):+.1f} "
              f"percentage points top-1, {100 * (d['test']['top5'] - base['test']['top5']):+.1f} top-5; "
              f"seconds per epoch ratio {d['seconds_per_epoch'] / base['seconds_per_epoch']:.2f}")
        print(f"{name} vs sasnet2017, instrument-like curves: "
              f"{100 * (d['instrument']['top1'] - base['instrument']['top1']):+.1f} "
              f"percentage points top-1, {100 * (d['instrument']['top5'] - base['instrument']['top5']):+.1f} top-5")
    for name, r in results.items():
        gap = r["test"]["top1"] - r["instrument"]["top1"]
        print(f"{name}: top-1 drop from 2017-condition to instrument-like curves {100 * gap:.1f} percentage points")
    if args.fit_verify:
        print()
        print(f"2017 conditions, {args.fit_verify} fitted test curves: top-1 / top-1 right or fitting as well as the "
              "true model (reduced chi-square within 10 %)")
        for name, r in results.items():
            fv = r["fit_verified"]
            print(f"  {name:<20} {fv['top1']:.3f} / {fv['fit_verified']:.3f}")
    print_breakdown(results)
    with open(os.path.join(args.out, "results.json"), "w") as fh:
        json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()

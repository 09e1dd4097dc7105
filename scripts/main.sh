#!/usr/bin/env bash
# The main job, end to end on the embedded default store (HDF5): simulate a small
# dataset for a handful of scattering models, train a small network, evaluate it,
# classify and fit the bundled example curve, and write an HTML report
# (sasnets-demo/report/index.html, path printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
sasnets demo -o sasnets-demo --seed 0 "$@"

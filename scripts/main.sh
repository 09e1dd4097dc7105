#!/usr/bin/env bash
# The main job on the embedded default store: simulate a dataset for every
# scattering model into runs/data.h5 and show what it holds.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs
sasnets generate all --count 200 --seed 1 -o runs/data.h5
sasnets info runs/data.h5

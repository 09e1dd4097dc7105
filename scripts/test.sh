#!/usr/bin/env bash
# Run the whole test suite (slow and PostgreSQL tests included), two workers.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2
exec python -m pytest -n 2 --dist loadgroup -q "$@"

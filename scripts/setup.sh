#!/usr/bin/env bash
# Install sasnets with every optional extra and the test tools.
# PostgreSQL server binaries (initdb/pg_ctl/postgres) are installed from Debian when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "PostgreSQL server binaries not found: the postgres-marked tests will be skipped." >&2
    fi
fi
# Chromium renders the fit report in its browser test (tests/cli/test_fit.py); skipped without it.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
        echo "Chromium could not be installed: the report's browser test will be skipped." >&2
fi
python -m pip install -q --upgrade pip setuptools wheel cython numpy
python -m pip install -q -e ".[postgres,test]" --no-build-isolation
for plugin in plugins/*/; do
    [ -f "$plugin/pyproject.toml" ] && python -m pip install -q -e "$plugin" --no-build-isolation
done
echo "sasnets installed: $(python -c 'import sasnets; print(sasnets.__version__)')"

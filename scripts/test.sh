#!/usr/bin/env bash
# Runs the whole test suite from a clean clone: makes a virtualenv, installs the
# project with its test dependencies, builds the local kube-apiserver the first time
# (scripts/localkube.sh; skipped when already built), then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${CATALOG_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'

if [ -x scripts/localkube.sh ]; then
  scripts/localkube.sh build
fi

# Tests must not read or write the user's own configuration, cache or cluster.
export XDG_CACHE_HOME="${XDG_CACHE_HOME_TEST:-$(mktemp -d)}"
export XDG_CONFIG_HOME="$XDG_CACHE_HOME/config"
export KUBECONFIG="$XDG_CACHE_HOME/no-such-kubeconfig"

exec "$venv/bin/python" -m pytest "$@"

#!/usr/bin/env bash
# Runs the whole test suite from a clean clone: makes a virtualenv, installs the
# project with its test dependencies, runs ruff and mypy (either failing fails the
# run), builds the local kube-apiserver the first time (scripts/localkube.sh; skipped
# when already built), then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${CATALOG_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'

# Lint and types first: they take seconds, the tests minutes (config in pyproject.toml).
"$venv/bin/python" -m ruff check .
"$venv/bin/python" -m mypy

# Real programs the tests drive: an OCI registry on loopback for the Tekton bundle
# tests (tests/test_oci.py starts it), the shells whose completion scripts
# tests/test_completion.py loads, Graphviz's dot for `catalog graph` and the site's
# pictures, Chromium for the site's browser tests. A test whose program is missing
# fails, never skips.
needed=""
for pkg in docker-registry zsh fish graphviz chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || needed="$needed $pkg"
done
if [ -n "$needed" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $needed >/dev/null
  else
    echo "test.sh: not installed and this is not root: apt-get install$needed" >&2
  fi
fi

if [ -x scripts/localkube.sh ]; then
  scripts/localkube.sh build
fi

# Tests must not read or write the user's own configuration, cache or cluster.
export XDG_CACHE_HOME="${XDG_CACHE_HOME_TEST:-$(mktemp -d)}"
export XDG_CONFIG_HOME="$XDG_CACHE_HOME/config"
export KUBECONFIG="$XDG_CACHE_HOME/no-such-kubeconfig"

# Two workers (each with its own local API server), a test file per worker at a
# time: the suite takes half as long on two cores. CATALOG_TEST_WORKERS=0 runs it in
# one process.
workers="${CATALOG_TEST_WORKERS:-2}"
if [ "$workers" = 0 ]; then
  exec "$venv/bin/python" -m pytest "$@"
fi
exec "$venv/bin/python" -m pytest -n "$workers" --dist loadfile "$@"

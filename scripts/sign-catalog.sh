#!/usr/bin/env bash
# Signs the built-in catalog again: regenerates both of its indexes (index.yaml at the top,
# whose paths go into catalog/, and catalog/index.yaml, which the wheel ships) and writes
# index.yaml.sig beside each, then checks both against the committed public key.
#
# For maintainers only: it needs the catalog's PRIVATE key, which is never in this
# repository. Give it as CATALOG_SIGNING_KEY (a PEM file, or env://VAR for a variable
# holding one); its passphrase, if any, as CATALOG_SIGNING_PASSWORD. Run it after every
# change to catalog/ (or to how indexes are written): until then tests/test_builtin_signature.py
# and `catalog index --check` fail, since the signature no longer covers the index.
#
# The signature is valid for two years (CATALOG_SIGNING_VALIDITY to change it); each run
# gives it the next serial.
set -euo pipefail
cd "$(dirname "$0")/.."

key="${CATALOG_SIGNING_KEY:?set CATALOG_SIGNING_KEY to the private key of the catalog (a file, or env://VAR)}"
catalog="${CATALOG_BIN:-.venv/bin/catalog}"
validity="${CATALOG_SIGNING_VALIDITY:-730d}"

"$catalog" index . --sign "$key" --valid-for "$validity"
"$catalog" index catalog --sign "$key" --valid-for "$validity"
"$catalog" index . --check --strict --key keys/catalog.pub
"$catalog" index catalog --check --strict --key keys/catalog.pub

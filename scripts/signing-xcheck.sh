#!/usr/bin/env bash
# Regenerate tests/data/signing/go-xcheck.json: what Go itself writes for the bytes
# catalog signs (Tekton checksums, durations, quantities, strings, cosign's payload,
# key and signature formats), for tests/test_signing_go_xcheck.py to compare with.
#
# usage: scripts/signing-xcheck.sh K8S_SRC
#   K8S_SRC: Debian's kubernetes 1.20 source tree (`apt-get source kubernetes`, as
#   scripts/localkube.sh fetches it); the program is built inside it, offline, with
#   its vendored k8s.io/api, k8s.io/apimachinery and sigs.k8s.io/yaml.
# Needs: golang-go, golang-golang-x-crypto-dev (scrypt, copied into the vendor tree).
# Unpack the source with its Debian patches: dpkg-source -x kubernetes_*.dsc DIR
set -euo pipefail
src=${1:?usage: scripts/signing-xcheck.sh KUBERNETES_1.20_SOURCE_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-$root/.venv/bin/python}
work=$src/cmd/catalog-xcheck
mkdir -p "$work"
cp "$root/scripts/signing-xcheck/main.go" "$work/main.go"
"$py" "$root/scripts/signing-xcheck/gen_types.py" "$work/types_gen.go"
scrypt=/usr/share/gocode/src/golang.org/x/crypto/scrypt
mkdir -p "$src/vendor/golang.org/x/crypto/scrypt"
cp "$scrypt/scrypt.go" "$src/vendor/golang.org/x/crypto/scrypt/"
# As Kubernetes 1.20's own build does (hack/lib/init.sh): GOPATH mode, the tree as
# k8s.io/kubernetes inside a GOPATH, its vendor folder resolving every import.
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/k8s.io"
ln -s "$(cd "$src" && pwd)" "$gopath/src/k8s.io/kubernetes"
(cd "$gopath/src/k8s.io/kubernetes/cmd/catalog-xcheck" &&
    GOPATH=$gopath GO111MODULE=off GOPROXY=off CGO_ENABLED=0 GOCACHE=$gopath/cache go build -o catalog-xcheck .)
"$py" "$root/scripts/signing-xcheck/inputs.py" >"$work/inputs.json"
"$work/catalog-xcheck" "$work/inputs.json" "$root/tests/data/signing/go-xcheck.json"
echo "wrote tests/data/signing/go-xcheck.json"

#!/usr/bin/env bash
# The README's first command ends here: install kubectl-deploy into namespace demo and
# show what was made. With a kubeconfig (KUBECONFIG or ~/.kube/config) that cluster is
# used; without one, a local kube-apiserver is built (the first time only, a few
# minutes with progress shown) and started in .localkube/ (stop it with:
# scripts/localkube.sh stop .localkube).
set -euo pipefail
cd "$(dirname "$0")/.."
catalog=${CATALOG:-catalog}
command -v "$catalog" >/dev/null || catalog=.venv/bin/catalog

if [ -z "${KUBECONFIG:-}" ] && [ ! -f "$HOME/.kube/config" ]; then
  echo "demo: no kubeconfig found: using a local kube-apiserver in .localkube/" >&2
  # The API server is all the demo needs; the test command builds the controller
  # manager too, reusing what this build compiled.
  scripts/localkube.sh build kube-apiserver
  if ! scripts/localkube.sh status .localkube >/dev/null 2>&1; then
    scripts/localkube.sh stop .localkube >/dev/null 2>&1 || true
    scripts/localkube.sh start .localkube >/dev/null
  fi
  export KUBECONFIG="$PWD/.localkube/admin.kubeconfig"
  local_cluster=1
fi

"$catalog" install kubectl-deploy -n demo --create-namespace
echo
kubectl get tasks,serviceaccounts,roles,rolebindings -n demo -l app.kubernetes.io/managed-by=catalog
echo
kubectl get role catalog-kubectl-deploy -n demo -o yaml | sed -n '/^rules:/,$p'

if [ -n "${local_cluster:-}" ]; then
  cat >&2 <<EOF

demo: left running: etcd and kube-apiserver, started in .localkube/
  as admin:      export KUBECONFIG=$PWD/.localkube/admin.kubeconfig
  as alice (no rights until granted): $PWD/.localkube/limited.kubeconfig
  stop it:       scripts/localkube.sh stop .localkube
EOF
fi

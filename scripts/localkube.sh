#!/usr/bin/env bash
# Local, real Kubernetes API server for the tests (see DESIGN.md, "Testing
# against a real Kubernetes API server").
#
#   scripts/localkube.sh build [BINARY...]   build kube-apiserver and kube-controller-manager (or
#                                            only those named) from Debian bookworm's source package
#                                            (offline Go build); what is built already is skipped
#   scripts/localkube.sh start DIR           etcd + kube-apiserver + kube-controller-manager (when
#                                            built: namespace deletion, ServiceAccount tokens),
#                                            Tekton CRDs, admin/limited kubeconfigs in DIR
#   scripts/localkube.sh stop DIR            stop everything started in DIR, remove etcd data
#   scripts/localkube.sh status DIR          show which processes are alive and /readyz
#   scripts/localkube.sh stop-apiserver DIR  stop only kube-apiserver (etcd keeps its data)
#   scripts/localkube.sh start-apiserver DIR start it again with the same flags, wait for /readyz
#
# Environment:
#   LOCALKUBE_HOME            binaries and build state (default ~/.cache/catalog-localkube)
#   LOCALKUBE_TEKTON_VERSION  version in the tekton-pipelines/pipelines-info ConfigMap (v0.59.0)
#   LOCALKUBE_LIMITED_USER    name of the unprivileged user (alice)
#   LOCALKUBE_OWNER_PID       if set, a watchdog stops the cluster when that process exits
#   LOCALKUBE_READY_TIMEOUT   seconds to wait for /readyz (60)
#   KUBECTL                   kubectl to use (kubectl)
# The build steps are functions run through `phase`, which shellcheck cannot follow.
# shellcheck disable=SC2317
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT_PATH="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
LOCALKUBE_HOME=${LOCALKUBE_HOME:-$HOME/.cache/catalog-localkube}
BIN_DIR="$LOCALKUBE_HOME/bin"
KUBECTL=${KUBECTL:-kubectl}
LIMITED_USER=${LOCALKUBE_LIMITED_USER:-alice}
TEKTON_VERSION=${LOCALKUBE_TEKTON_VERSION:-v0.59.0}
READY_TIMEOUT=${LOCALKUBE_READY_TIMEOUT:-60}
STOP_TIMEOUT=10
APT_PACKAGES=(golang-go etcd-server rsync openssl dpkg-dev golang-github-modern-go-reflect2-dev)
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2
CRD_DIRS=("$REPO_ROOT/third_party/tekton-crds" "$REPO_ROOT/third_party/tekton-triggers-crds")

die() { echo "localkube: error: $*" >&2; exit 1; }
note() { echo "localkube: $*" >&2; }
usage() { sed -n '2,20p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------- build

LOG=/dev/null
BUILD_START=$SECONDS
PHASE_NO=0
PHASES=0

clock() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

# heartbeat PID EXPECT WHAT: while PID runs, a line every 20 s with the time spent on
# WHAT and, from EXPECT (seconds it took on two cores), about how much is left.
heartbeat() {
    local pid=$1 expect=$2 what=$3 start=$SECONDS spent left
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        spent=$((SECONDS - start))
        if [ $((spent % 20)) -eq 0 ] && [ $spent -gt 0 ]; then
            left=$((expect - spent))
            if [ $left -gt 0 ]; then
                note "  $what: $(clock $spent) so far, about $(clock $left) left (total $(clock $((SECONDS - BUILD_START))))"
            else
                note "  $what: $(clock $spent) so far, nearly done (total $(clock $((SECONDS - BUILD_START))))"
            fi
        fi
    done
}

# phase NAME [--expect SECONDS] CMD...: a numbered progress line on stderr, the command's
# output in $LOG; with --expect, a heartbeat while it runs.
phase() {
    local name=$1; shift
    local expect=0
    if [ "${1:-}" = --expect ]; then expect=$2; shift 2; fi
    PHASE_NO=$((PHASE_NO + 1))
    note "[$PHASE_NO/$PHASES] $name (total $(clock $((SECONDS - BUILD_START))))"
    echo "=== $(date '+%F %T') $name: $*" >>"$LOG"
    # A subshell outside any `if`/`||`, so that `set -e` applies inside the phase.
    local rc pid
    set +e
    (set -e; "$@") >>"$LOG" 2>&1 &
    pid=$!
    if [ "$expect" -gt 0 ]; then heartbeat "$pid" "$expect" "$name" & fi
    local beat=$!
    wait "$pid"
    rc=$?
    [ "$expect" -gt 0 ] && { kill "$beat" 2>/dev/null; wait "$beat" 2>/dev/null; }
    set -e
    if [ $rc -ne 0 ]; then
        echo "=== $name FAILED (exit $rc)" >>"$LOG"
        tail -n 25 "$LOG" >&2
        die "$name failed; full log: $LOG"
    fi
}

install_packages() {
    local missing=() p
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "all packages installed: ${APT_PACKAGES[*]}"
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || { echo "need root to install: ${missing[*]}"; return 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
}

# Prints "URI SIGNED-BY" for the first source offering SUITE (deb822 or one-line format).
mirror_for_suite() {
    local suite=$1 f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        awk -v suite="$suite" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "") {
                    split(uris, u, " "); print u[1], (signed == "" ? "-" : signed); found = 1; exit
                }
                types = ""; suites = ""; uris = ""; signed = ""
            }
            /^[[:space:]]*$/ { flush(); next }
            /^[[:space:]]*#/ { next }
            tolower($1) == "types:"     { $1 = ""; types = substr($0, 2) }
            tolower($1) == "suites:"    { $1 = ""; suites = substr($0, 2) }
            tolower($1) == "uris:"      { $1 = ""; uris = substr($0, 2) }
            tolower($1) == "signed-by:" { $1 = ""; signed = substr($0, 2) }
            END { if (!found) flush() }
        ' "$f" | head -n 1 | grep . && return 0
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -e "$f" ] || continue
        awk -v suite="$suite" '
            $1 == "deb" {
                i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == suite) { print $i, "-"; exit }
            }' "$f" | head -n 1 | grep . && return 0
    done
    return 1
}

fetch_source() {
    local apt_dir=$1 dest=$2 suite uri signed opts line
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc/preferences.d"
    : >"$apt_dir/sources.list"
    for suite in bookworm bookworm-security; do
        line=$(mirror_for_suite "$suite") || { echo "no apt source found for suite $suite"; return 1; }
        uri=${line%% *}
        signed=${line#* }
        opts=""
        [ "$signed" != "-" ] && opts="[signed-by=$signed] "
        echo "deb-src ${opts}$uri $suite main" >>"$apt_dir/sources.list"
    done
    cat "$apt_dir/sources.list"
    local aptopts=(
        -o "Dir::Etc::sourcelist=$apt_dir/sources.list"
        -o "Dir::Etc::sourceparts=-"
        -o "Dir::Etc::preferencesparts=$apt_dir/etc/preferences.d"
        -o "Dir::State::Lists=$apt_dir/lists"
        -o "Dir::Cache=$apt_dir/cache"
        -o "APT::Sandbox::User=root"
    )
    apt-get "${aptopts[@]}" update
    (cd "$dest" && apt-get "${aptopts[@]}" source kubernetes)
}

patch_reflect2() {
    local src=$1 new
    [ -d "$REFLECT2_SRC" ] || { echo "missing $REFLECT2_SRC"; return 1; }
    new=$(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)
    new=v${new%%-*}
    echo "before:"
    grep -n 'modern-go/reflect2' "$src/go.mod" "$src/vendor/modules.txt" || true
    rm -rf "$src/vendor/github.com/modern-go/reflect2"
    mkdir -p "$src/vendor/github.com/modern-go/reflect2"
    # Only the package's sources, as `go mod vendor` would copy them.
    find "$REFLECT2_SRC" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' -o -name LICENSE \) ! -name '*_test.go' \
        -exec cp {} "$src/vendor/github.com/modern-go/reflect2/" \;
    # Every version on a reflect2 line (require, replace, modules.txt headers) becomes Debian's.
    sed -i -E "/github\.com\/modern-go\/reflect2/ s/v[0-9]+\.[0-9]+\.[0-9]+/$new/g" "$src/go.mod" "$src/vendor/modules.txt"
    echo "after:"
    grep -n 'modern-go/reflect2' "$src/go.mod" "$src/vendor/modules.txt"
    ls "$src/vendor/github.com/modern-go/reflect2"
}

# compile SRC BINARY...: the Go build of these commands; the Go cache lives beside the
# binaries, so a second build (the controller manager after the API server) reuses
# every package the first compiled.
compile() {
    local src=$1 b what=""; shift
    for b in "$@"; do what="$what cmd/$b"; done
    cd "$src"
    env GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=0 GOCACHE="$LOCALKUBE_HOME/gocache" \
        GOPATH="$LOCALKUBE_HOME/gopath" make WHAT="${what# }"
}

install_binaries() {
    local src=$1 b f; shift
    mkdir -p "$BIN_DIR"
    for b in "$@"; do
        f=$(find "$src/_output" -type f -name "$b" -perm -u+x | head -n 1)
        [ -n "$f" ] || { echo "built binary $b not found under $src/_output"; return 1; }
        install -m 0755 "$f" "$BIN_DIR/$b.tmp"
        mv -f "$BIN_DIR/$b.tmp" "$BIN_DIR/$b"
        "$BIN_DIR/$b" --version
    done
}

# start loads the CRDs with kubectl: a fresh Debian machine gets Debian's own.
ensure_kubectl() {
    command -v "$KUBECTL" >/dev/null && return 0
    [ "$(id -u)" -eq 0 ] || die "kubectl not found; install it (Debian: apt-get install kubernetes-client)"
    note "installing kubectl (Debian's kubernetes-client)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null; }; then
        die "could not install kubernetes-client"
    fi
}

# Seconds each step took on two cores here, for the heartbeat's "about ... left".
EXPECT_COMPILE_FIRST=240   # code generators and kube-apiserver from an empty Go cache
EXPECT_COMPILE_MORE=50     # kube-controller-manager, most packages already compiled

cmd_build() {
    ensure_kubectl
    local want=("$@") b missing=()
    [ ${#want[@]} -gt 0 ] || want=(kube-apiserver kube-controller-manager)
    for b in "${want[@]}"; do
        case "$b" in kube-apiserver | kube-controller-manager) ;; *) die "cannot build $b (kube-apiserver, kube-controller-manager)" ;; esac
        [ -x "$BIN_DIR/$b" ] || missing+=("$b")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "localkube: already built: ${want[*]/#/$BIN_DIR/}" >&2
        return 0
    fi
    mkdir -p "$LOCALKUBE_HOME"
    LOG="$LOCALKUBE_HOME/build.log"
    : >"$LOG"
    note "building ${missing[*]} into $BIN_DIR (log: $LOG)"
    local src="$LOCALKUBE_HOME/src" expect=$EXPECT_COMPILE_FIRST
    [ -d "$LOCALKUBE_HOME/gocache" ] && expect=$EXPECT_COMPILE_MORE
    BUILD_START=$SECONDS
    PHASES=2
    if [ ! -f "$src/.ready" ]; then
        PHASES=5
        phase "installing apt packages" install_packages
        rm -rf "$src"
        mkdir -p "$src"
        phase "fetching Debian source package kubernetes" fetch_source "$LOCALKUBE_HOME/apt" "$src"
        local tree
        tree=$(find "$src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)
        [ -n "$tree" ] || die "no unpacked kubernetes-* source tree in $src; log: $LOG"
        phase "replacing vendored reflect2 with Debian's v1.0.2" patch_reflect2 "$tree"
        echo "$tree" >"$src/.ready"
    fi
    local tree
    tree=$(cat "$src/.ready")
    phase "compiling ${missing[*]}" --expect "$expect" compile "$tree" "${missing[@]}"
    phase "installing binaries" install_binaries "$tree" "${missing[@]}"
    note "built ${missing[*]} in $(clock $((SECONDS - BUILD_START))): $BIN_DIR"
    # The source and the Go cache stay for the next binary; once both are built they go.
    if [ -x "$BIN_DIR/kube-apiserver" ] && [ -x "$BIN_DIR/kube-controller-manager" ]; then
        chmod -R u+w "$src" "$LOCALKUBE_HOME/gopath" 2>/dev/null || true  # the Go module cache is read-only
        rm -rf "$src" "$LOCALKUBE_HOME/gopath" "$LOCALKUBE_HOME/gocache"
    fi
}

# ---------------------------------------------------------------- start/stop

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# spawn NAME CMD...: start CMD in its own session (pid == process group id), log to DIR/NAME.log.
spawn() {
    local name=$1; shift
    setsid "$@" </dev/null >>"$DIR/$name.log" 2>&1 &
    local pid=$!
    sed -i "/^$name /d" "$DIR/pids" 2>/dev/null || true
    echo "$name $pid" >>"$DIR/pids"
}

pid_of() { awk -v n="$1" '$1 == n { print $2 }' "$DIR/pids" 2>/dev/null | tail -n 1; }

# alive NAME: the recorded process still runs (and is still ours, not a reused pid).
alive() {
    local pid
    pid=$(pid_of "$1")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DIR"
}

# kill_proc NAME [TIMEOUT]: SIGTERM its process group, SIGKILL after TIMEOUT seconds.
kill_proc() {
    local name=$1 timeout=${2:-$STOP_TIMEOUT} pid i
    pid=$(pid_of "$name")
    [ -n "$pid" ] || return 0
    if alive "$name"; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < timeout * 10; i++)); do
            alive "$name" || break
            sleep 0.1
        done
        if alive "$name"; then
            note "$name (pid $pid) did not stop in ${timeout}s, killing"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            for ((i = 0; i < 20; i++)); do
                alive "$name" || break
                sleep 0.1
            done
        fi
    fi
    sed -i "/^$name /d" "$DIR/pids"
}

make_certs() {
    (
        cd "$DIR/pki"
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localkube-ca" \
            -keyout ca.key -out ca.crt
        openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout apiserver.key -out apiserver.csr
        printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc" \
            "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >apiserver.ext
        openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
            -extfile apiserver.ext -out apiserver.crt
        openssl genrsa -out sa.key 2048
        openssl rsa -in sa.key -pubout -out sa.pub
        chmod 600 ./*.key
    ) >>"$DIR/pki/openssl.log" 2>&1
}

# write_kubeconfig FILE CONTEXT USER TOKEN
write_kubeconfig() {
    local ca
    ca=$(base64 -w0 "$DIR/pki/ca.crt")
    (umask 077 && cat >"$1") <<EOF
apiVersion: v1
kind: Config
clusters:
- name: localkube
  cluster:
    server: $SERVER
    certificate-authority-data: $ca
users:
- name: $3
  user:
    token: $4
contexts:
- name: $2
  context:
    cluster: localkube
    user: $3
current-context: $2
EOF
}

# etcd fsyncs every write; on a busy disk that stalls the API server for seconds
# (seen once as a start that never finished), so its data lives in memory when
# /dev/shm is there. $DIR/etcd-data is then a link to it.
make_etcd_data() {
    if [ -d /dev/shm ] && [ -w /dev/shm ]; then
        ln -s "$(mktemp -d /dev/shm/localkube-etcd.XXXXXX)" "$DIR/etcd-data"
    else
        mkdir -p "$DIR/etcd-data"
    fi
}

remove_etcd_data() {
    if [ -L "$DIR/etcd-data" ]; then
        rm -rf "$(readlink "$DIR/etcd-data")"
    fi
    rm -rf "$DIR/etcd-data"
}

run_etcd() {
    spawn etcd etcd --name localkube --data-dir "$DIR/etcd-data" \
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster "localkube=http://127.0.0.1:$ETCD_PEER_PORT" \
        --log-level warn --logger zap
}

run_apiserver() {
    spawn kube-apiserver "$BIN_DIR/kube-apiserver" \
        --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" --insecure-port 0 \
        --cert-dir "$DIR/pki" --tls-cert-file "$DIR/pki/apiserver.crt" --tls-private-key-file "$DIR/pki/apiserver.key" \
        --client-ca-file "$DIR/pki/ca.crt" \
        --token-auth-file "$DIR/tokens.csv" \
        --authorization-mode RBAC \
        --service-account-key-file "$DIR/pki/sa.pub" \
        --service-account-signing-key-file "$DIR/pki/sa.key" \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-cluster-ip-range 10.0.0.0/24 \
        --profiling=false --v=1
}

run_controller_manager() {
    spawn kube-controller-manager "$BIN_DIR/kube-controller-manager" \
        --kubeconfig "$DIR/controller-manager.kubeconfig" \
        --controllers namespace,serviceaccount,serviceaccount-token,garbagecollector \
        --use-service-account-credentials=false \
        --service-account-private-key-file "$DIR/pki/sa.key" \
        --root-ca-file "$DIR/pki/ca.crt" \
        --leader-elect=false --port 0 --secure-port 0 \
        --profiling=false --v=1
}

wait_etcd() {
    local deadline=$((SECONDS + READY_TIMEOUT))
    until curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1; do
        alive etcd || { tail -n 20 "$DIR/etcd.log" >&2; die "etcd exited; log: $DIR/etcd.log"; }
        [ $SECONDS -lt $deadline ] || die "etcd not healthy after ${READY_TIMEOUT}s; log: $DIR/etcd.log"
        sleep 0.1
    done
}

wait_readyz() {
    local deadline=$((SECONDS + READY_TIMEOUT))
    until curl -sf --cacert "$DIR/pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" "$SERVER/readyz" >/dev/null 2>&1; do
        alive kube-apiserver || {
            tail -n 20 "$DIR/kube-apiserver.log" >&2
            die "kube-apiserver exited; log: $DIR/kube-apiserver.log"
        }
        [ $SECONDS -lt $deadline ] || die "kube-apiserver not ready after ${READY_TIMEOUT}s; log: $DIR/kube-apiserver.log"
        sleep 0.2
    done
}

# Tekton's CRDs as a Kubernetes 1.20 server accepts them: no conversion webhook
# (nothing serves it here) and no `default: ''` on strings (1.20 rejects them).
adjust_crds() {
    python3 - "$@" <<'PY'
import sys
import yaml

def strip_empty_defaults(node):
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("default") == "":
            del node["default"]
        for value in node.values():
            strip_empty_defaults(value)
    elif isinstance(node, list):
        for value in node:
            strip_empty_defaults(value)

docs = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fh:
        for doc in yaml.safe_load_all(fh):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            doc["spec"]["conversion"] = {"strategy": "None"}
            strip_empty_defaults(doc["spec"].get("versions"))
            docs.append(doc)
yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)
PY
}

kubectl_admin() { "$KUBECTL" --kubeconfig "$DIR/admin.kubeconfig" --request-timeout=30s "$@"; }

load_crds() {
    local files=() d
    for d in "${CRD_DIRS[@]}"; do
        [ -d "$d" ] || die "missing CRD directory $d"
        files+=("$d"/*.yaml)
    done
    adjust_crds "${files[@]}" >"$DIR/crds.yaml"
    # Server-side: the larger CRDs exceed the last-applied annotation limit of client-side apply.
    kubectl_admin apply --server-side --field-manager=localkube -f "$DIR/crds.yaml" >>"$DIR/localkube.log" 2>&1 ||
        { tail -n 20 "$DIR/localkube.log" >&2; die "loading Tekton CRDs failed; log: $DIR/localkube.log"; }
    kubectl_admin wait --for condition=established --timeout=60s -f "$DIR/crds.yaml" >>"$DIR/localkube.log" 2>&1 ||
        die "Tekton CRDs not Established; log: $DIR/localkube.log"
}

create_tekton_namespace() {
    kubectl_admin apply --server-side --field-manager=localkube -f - >>"$DIR/localkube.log" 2>&1 <<EOF ||
apiVersion: v1
kind: Namespace
metadata:
  name: tekton-pipelines
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: pipelines-info
  namespace: tekton-pipelines
data:
  version: "$TEKTON_VERSION"
---
# As Tekton's own release does: every authenticated user may read pipelines-info,
# so that tools can check the installed version without further rights.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: tekton-pipelines-info
  namespace: tekton-pipelines
rules:
  - apiGroups: [""]
    resources: ["configmaps"]
    resourceNames: ["pipelines-info"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: tekton-pipelines-info
  namespace: tekton-pipelines
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: tekton-pipelines-info
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: system:authenticated
EOF
        die "creating tekton-pipelines/pipelines-info failed; log: $DIR/localkube.log"
}

# The watchdog stops the cluster once the owner process (e.g. pytest) is gone,
# so nothing outlives a test run that was killed.
start_watchdog() {
    local owner=$1
    kill -0 "$owner" 2>/dev/null || die "LOCALKUBE_OWNER_PID $owner is not running"
    # shellcheck disable=SC2016  # expanded by the inner bash
    spawn watchdog bash -c 'while kill -0 "$1" 2>/dev/null && [ -e "$2/pids" ]; do sleep 1; done
        [ -e "$2/pids" ] && LOCALKUBE_IN_WATCHDOG=1 "$3" stop "$2"' \
        localkube-watchdog "$owner" "$DIR" "$SCRIPT_PATH"
}

load_config() {
    [ -f "$DIR/config" ] || die "$DIR/config missing: was 'start $DIR' run?"
    # shellcheck source=/dev/null
    . "$DIR/config"
}

set_dir() {
    [ -n "${1:-}" ] || usage
    mkdir -p "$1"
    DIR=$(cd "$1" && pwd)
}

stop_on_failure() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then cmd_stop "$DIR" >/dev/null 2>&1 || true; fi
    return "$rc"
}

cmd_start() {
    set_dir "${1:-}"
    local b start=$SECONDS
    [ -x "$BIN_DIR/kube-apiserver" ] ||
        die "local kube-apiserver not built: run scripts/localkube.sh build ($BIN_DIR/kube-apiserver missing)"
    local manager=1
    if [ ! -x "$BIN_DIR/kube-controller-manager" ]; then
        manager=0
        note "kube-controller-manager not built: namespaces are not deleted and ServiceAccounts get no tokens"
    fi
    command -v etcd >/dev/null || die "etcd not found: run scripts/localkube.sh build"
    command -v "$KUBECTL" >/dev/null || die "kubectl not found ($KUBECTL)"
    if [ -f "$DIR/pids" ] && { alive etcd || alive kube-apiserver || alive kube-controller-manager; }; then
        die "a cluster is already running in $DIR (run: $SCRIPT_PATH stop $DIR)"
    fi
    remove_etcd_data
    rm -rf "$DIR/pki" "$DIR/pids"
    mkdir -p "$DIR/pki"
    make_etcd_data
    : >"$DIR/localkube.log"
    : >"$DIR/pids"

    ETCD_PORT=$(free_port)
    ETCD_PEER_PORT=$(free_port)
    API_PORT=$(free_port)
    while [ "$ETCD_PEER_PORT" = "$ETCD_PORT" ]; do ETCD_PEER_PORT=$(free_port); done
    while [ "$API_PORT" = "$ETCD_PORT" ] || [ "$API_PORT" = "$ETCD_PEER_PORT" ]; do API_PORT=$(free_port); done
    SERVER="https://127.0.0.1:$API_PORT"
    ADMIN_TOKEN=$(openssl rand -hex 24)
    LIMITED_TOKEN=$(openssl rand -hex 24)
    (
        umask 077
        printf '%s,admin,admin,"system:masters"\n%s,%s,%s\n' "$ADMIN_TOKEN" "$LIMITED_TOKEN" "$LIMITED_USER" "$LIMITED_USER" >"$DIR/tokens.csv"
        cat >"$DIR/config" <<EOF
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
API_PORT=$API_PORT
SERVER=$SERVER
ADMIN_TOKEN=$ADMIN_TOKEN
LIMITED_USER=$LIMITED_USER
EOF
    )
    make_certs || die "creating certificates failed; log: $DIR/pki/openssl.log"
    write_kubeconfig "$DIR/admin.kubeconfig" localkube-admin admin "$ADMIN_TOKEN"
    write_kubeconfig "$DIR/limited.kubeconfig" localkube-limited "$LIMITED_USER" "$LIMITED_TOKEN"
    write_kubeconfig "$DIR/controller-manager.kubeconfig" localkube-admin admin "$ADMIN_TOKEN"

    # From here on, a failure stops whatever was already started.
    trap stop_on_failure EXIT
    if [ -n "${LOCALKUBE_OWNER_PID:-}" ]; then start_watchdog "$LOCALKUBE_OWNER_PID"; fi
    run_etcd
    wait_etcd
    run_apiserver
    wait_readyz
    note "kube-apiserver ready at $SERVER after $((SECONDS - start)) s"
    [ "$manager" = 1 ] && run_controller_manager
    load_crds
    create_tekton_namespace
    if [ "$manager" = 1 ] && ! alive kube-controller-manager; then
        tail -n 20 "$DIR/kube-controller-manager.log" >&2
        die "kube-controller-manager exited; log: $DIR/kube-controller-manager.log"
    fi
    {
        printf 'export KUBECONFIG=%q\n' "$DIR/admin.kubeconfig"
        printf 'export LOCALKUBE_DIR=%q\n' "$DIR"
        printf 'export LOCALKUBE_SERVER=%q\n' "$SERVER"
        printf 'export LOCALKUBE_ADMIN_KUBECONFIG=%q\n' "$DIR/admin.kubeconfig"
        printf 'export LOCALKUBE_LIMITED_KUBECONFIG=%q\n' "$DIR/limited.kubeconfig"
        printf 'export LOCALKUBE_LIMITED_USER=%q\n' "$LIMITED_USER"
    } >"$DIR/env"
    trap - EXIT
    note "cluster ready in $((SECONDS - start)) s (source $DIR/env)"
    echo "$DIR/admin.kubeconfig"
}

cmd_stop() {
    set_dir "${1:-}"
    [ -f "$DIR/pids" ] || { note "nothing running in $DIR"; remove_etcd_data; return 0; }
    local name
    for name in kube-controller-manager kube-apiserver etcd; do
        kill_proc "$name"
    done
    [ -n "${LOCALKUBE_IN_WATCHDOG:-}" ] || kill_proc watchdog
    remove_etcd_data
    rm -f "$DIR/pids"
    note "stopped $DIR"
}

cmd_status() {
    set_dir "${1:-}"
    load_config
    local name rc=0
    for name in etcd kube-apiserver kube-controller-manager watchdog; do
        if alive "$name"; then
            echo "$name: running (pid $(pid_of "$name"))"
        elif [ "$name" = kube-controller-manager ] && [ ! -x "$BIN_DIR/$name" ]; then
            echo "$name: not built (optional)"
        else
            echo "$name: not running"; [ "$name" = watchdog ] || rc=1
        fi
    done
    if curl -sf --cacert "$DIR/pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" "$SERVER/readyz" >/dev/null 2>&1; then
        echo "readyz: ok ($SERVER)"
    else
        echo "readyz: failing ($SERVER)"; rc=1
    fi
    return "$rc"
}

cmd_stop_apiserver() {
    set_dir "${1:-}"
    load_config
    # It stops listening at once but then drains the controller manager's
    # watches for a long while: no point waiting for that.
    kill_proc kube-apiserver 2
    note "kube-apiserver stopped"
}

cmd_start_apiserver() {
    set_dir "${1:-}"
    load_config
    alive etcd || die "etcd is not running in $DIR"
    alive kube-apiserver && { note "kube-apiserver already running"; return 0; }
    run_apiserver
    wait_readyz
    note "kube-apiserver ready at $SERVER"
}

main() {
    local cmd=${1:-}
    [ $# -gt 0 ] && shift
    case "$cmd" in
        build) cmd_build "$@" ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        stop-apiserver) cmd_stop_apiserver "$@" ;;
        start-apiserver) cmd_start_apiserver "$@" ;;
        *) usage ;;
    esac
}

main "$@"; exit $?

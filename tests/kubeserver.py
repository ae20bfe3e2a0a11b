"""pytest plugin: a real, local Kubernetes API server for the tests.

Load it from a conftest with ``pytest_plugins = ["tests.kubeserver"]`` (or
``["kubeserver"]`` when ``tests/`` is on ``sys.path``), or with
``-p tests.kubeserver``.

The server is started once per session by ``scripts/localkube.sh start`` (etcd,
kube-apiserver and kube-controller-manager from Debian's kubernetes 1.20, with
the Tekton Pipelines and Triggers CRDs loaded) and stopped at the end of the
session.  Set ``CATALOG_TEST_KUBECONFIG`` to the ``admin.kubeconfig`` of a
server that is already running (``scripts/localkube.sh start DIR``) to reuse it
instead; the plugin then neither starts nor stops it.

Fixtures: ``kube_server`` (session) and ``kube_namespace`` (a fresh namespace
per test).  ``grant(kube_server, namespace, rules)`` gives the unprivileged
user the given RBAC rules in a namespace.  Tests that need the server carry the
``kube`` marker.

Only the standard library, pytest and PyYAML are imported here, never project
code, so that the plugin loads before (and independently of) the package.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import pathlib
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "scripts" / "localkube.sh"
NOT_BUILT = "local kube-apiserver not built: run scripts/localkube.sh build"
REUSE_ENV = "CATALOG_TEST_KUBECONFIG"
START_TIMEOUT = 300
KUBECTL_TIMEOUT = 60


def localkube_home() -> pathlib.Path:
    """Where ``scripts/localkube.sh build`` puts its binaries (same rule as the script)."""
    home = os.environ.get("LOCALKUBE_HOME")
    return pathlib.Path(home) if home else pathlib.Path.home() / ".cache" / "catalog-localkube"


def is_built() -> bool:
    bin_dir = localkube_home() / "bin"
    return all(
        os.access(bin_dir / name, os.X_OK) for name in ("kube-apiserver", "kube-controller-manager")
    )


def _script(
    *args: str, timeout: float = START_TIMEOUT, env: Mapping[str, str] | None = None
) -> str:
    """Run ``scripts/localkube.sh`` and return its stdout; fail the test with its stderr."""
    try:
        proc = subprocess.run(
            ["bash", str(SCRIPT), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"scripts/localkube.sh {' '.join(args)} timed out after {timeout}s", pytrace=False
        )
        raise AssertionError from exc  # not reached; keeps type checkers happy
    if proc.returncode != 0:
        if "not built" in proc.stderr:
            pytest.fail(NOT_BUILT, pytrace=False)
        pytest.fail(
            f"scripts/localkube.sh {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}",
            pytrace=False,
        )
    return proc.stdout


@dataclasses.dataclass(frozen=True)
class KubeServer:
    """A running local API server and the files to reach it."""

    dir: pathlib.Path
    admin_kubeconfig: pathlib.Path
    limited_kubeconfig: pathlib.Path
    server: str
    limited_user: str = "alice"
    #: False when the server was found through CATALOG_TEST_KUBECONFIG (not ours to stop).
    owned: bool = True

    def kubeconfig(self, user: str = "admin") -> pathlib.Path:
        return self.admin_kubeconfig if user == "admin" else self.limited_kubeconfig

    def kubectl(
        self,
        *args: str,
        user: str = "admin",
        input: str | None = None,
        check: bool = True,
        timeout: float = KUBECTL_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl as ``admin`` or as the limited user (any other ``user`` value)."""
        cmd = [
            os.environ.get("KUBECTL", "kubectl"),
            "--kubeconfig",
            str(self.kubeconfig(user)),
            *args,
        ]
        proc = subprocess.run(
            cmd, input=input, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr}")
        return proc

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        user: str = "admin",
        timeout: float = 30,
    ) -> tuple[int, Any]:
        """One HTTP call to the API server; returns (status, decoded JSON body or None)."""
        config = yaml.safe_load(self.kubeconfig(user).read_text(encoding="utf-8"))
        cluster = config["clusters"][0]["cluster"]
        token = config["users"][0]["user"]["token"]
        context = ssl.create_default_context(
            cadata=base64.b64decode(cluster["certificate-authority-data"]).decode("ascii")
        )
        data = (
            None
            if body is None
            else (body if isinstance(body, bytes) else json.dumps(body).encode())
        )
        req = urllib.request.Request(
            cluster["server"] + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": content_type,
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(req, context=context, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        return status, (json.loads(raw) if raw else None)

    def grant(
        self, namespace: str, rules: Sequence[Mapping[str, Any]], name: str | None = None
    ) -> str:
        return grant(self, namespace, rules, name=name)

    def stop_apiserver(self) -> None:
        """Stop kube-apiserver only; etcd (and thus all objects) and the controller manager stay."""
        _script("stop-apiserver", str(self.dir), timeout=60)

    def start_apiserver(self) -> None:
        """Start kube-apiserver again with the same flags and wait for /readyz."""
        _script("start-apiserver", str(self.dir), timeout=120)


def _server_of(kubeconfig: pathlib.Path) -> str:
    config = yaml.safe_load(kubeconfig.read_text(encoding="utf-8"))
    return str(config["clusters"][0]["cluster"]["server"])


def _reuse(admin_kubeconfig: pathlib.Path) -> KubeServer:
    if not admin_kubeconfig.is_file():
        pytest.fail(f"{REUSE_ENV}={admin_kubeconfig}: no such file", pytrace=False)
    directory = admin_kubeconfig.parent
    user = os.environ.get("LOCALKUBE_LIMITED_USER", "alice")
    config_file = directory / "config"
    if config_file.is_file():
        for line in config_file.read_text(encoding="utf-8").splitlines():
            if line.startswith("LIMITED_USER="):
                user = line.split("=", 1)[1]
    return KubeServer(
        dir=directory,
        admin_kubeconfig=admin_kubeconfig,
        limited_kubeconfig=directory / "limited.kubeconfig",
        server=_server_of(admin_kubeconfig),
        limited_user=user,
        owned=False,
    )


@pytest.fixture(scope="session")
def kube_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeServer]:
    """The session's local API server (started here unless CATALOG_TEST_KUBECONFIG names one)."""
    reuse = os.environ.get(REUSE_ENV)
    if reuse:
        yield _reuse(pathlib.Path(reuse).resolve())
        return
    if not is_built():
        pytest.fail(NOT_BUILT, pytrace=False)
    if shutil.which(os.environ.get("KUBECTL", "kubectl")) is None:
        pytest.fail("kubectl not found on PATH (needed by scripts/localkube.sh)", pytrace=False)
    directory = tmp_path_factory.mktemp("localkube")
    # The watchdog started for LOCALKUBE_OWNER_PID stops the cluster even if
    # this process dies without running the teardown below.
    env = {"LOCALKUBE_OWNER_PID": str(os.getpid())}
    try:
        _script("start", str(directory), env=env, timeout=START_TIMEOUT / 2)
    except pytest.fail.Exception:
        # One more try on a loaded machine: a start that stalls once rarely stalls twice.
        subprocess.run(["bash", str(SCRIPT), "stop", str(directory)], capture_output=True,
                       timeout=120, check=False)
        directory = tmp_path_factory.mktemp("localkube")
        _script("start", str(directory), env=env)
    try:
        admin = directory / "admin.kubeconfig"
        yield KubeServer(
            dir=directory,
            admin_kubeconfig=admin,
            limited_kubeconfig=directory / "limited.kubeconfig",
            server=_server_of(admin),
            limited_user=os.environ.get("LOCALKUBE_LIMITED_USER", "alice"),
        )
    finally:
        subprocess.run(
            ["bash", str(SCRIPT), "stop", str(directory)],
            capture_output=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def kube_namespace(kube_server: KubeServer) -> Iterator[str]:
    """A fresh namespace, created as admin; deleted (without waiting) after the test.
    Straight through the API rather than kubectl: most cluster tests make one."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"catalog-test": "true"}},
    }
    status, body = kube_server.request("POST", "/api/v1/namespaces", namespace)
    if status != 201:
        pytest.fail(f"creating namespace {name} failed (HTTP {status}): {body}", pytrace=False)
    try:
        yield name
    finally:
        kube_server.request("DELETE", f"/api/v1/namespaces/{name}")


def grant(
    kube_server: KubeServer,
    namespace: str,
    rules: Sequence[Mapping[str, Any]],
    name: str | None = None,
) -> str:
    """Give the limited user ``rules`` (RBAC PolicyRules) in ``namespace``.

    Creates a Role and a RoleBinding named ``name`` (generated when omitted),
    waits until the authorizer honours the first rule, and returns the name.
    """
    name = name or f"{kube_server.limited_user}-grant-{uuid.uuid4().hex[:6]}"
    docs = [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": name, "namespace": namespace},
            "rules": [dict(rule) for rule in rules],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [
                {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "User",
                    "name": kube_server.limited_user,
                }
            ],
        },
    ]
    kube_server.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
    _wait_until_allowed(kube_server, namespace, rules)
    return name


def _wait_until_allowed(
    kube_server: KubeServer, namespace: str, rules: Sequence[Mapping[str, Any]]
) -> None:
    # The RBAC authorizer reads Roles through an informer: a new binding takes
    # effect a moment after it is created.
    rule = next(
        (r for r in rules if r.get("resources") and r.get("verbs") and not r.get("resourceNames")),
        None,
    )
    if rule is None:
        time.sleep(1)
        return
    group = (rule.get("apiGroups") or [""])[0]
    resource = rule["resources"][0] + (f".{group}" if group not in ("", "*") else "")
    deadline = time.monotonic() + 15
    while True:
        proc = kube_server.kubectl(
            "auth",
            "can-i",
            rule["verbs"][0],
            resource,
            "-n",
            namespace,
            user="limited",
            check=False,
        )
        if proc.stdout.strip() == "yes" or time.monotonic() > deadline:
            return
        time.sleep(0.1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "kube: needs the local Kubernetes API server (scripts/localkube.sh build, then start)",
    )

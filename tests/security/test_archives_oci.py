"""Bundle layers are capped after decompression, and blobs at the size their manifest
declares, against the real registry (Debian's docker-registry, started by the
``registry`` fixture of tests/test_oci.py).

Each attack is pushed with the registry's own HTTP API, then pulled three ways:
in-process under tracemalloc (peak Python allocations), by ``catalog install`` (one
line, nothing applied), and in a child process whose peak RSS is read back.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import tarfile
import tracemalloc
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.errors import CatalogError
from catalog_cli.oci import bundle, registry

from .. import test_oci
from ..conftest import BUILTIN, ROOT, assert_one_line_error, run_cli

#: The real registry, started once for this module (tests/test_oci.py's fixture).
registry_server = test_oci.registry

MiB = 1024 * 1024
GiB = 1024 * MiB
#: What the layer bomb expands to: several GB from a blob under the 4 MiB layer limit.
BOMB = 3 * GiB + 512 * MiB
#: A blob this much larger than its manifest says.
OVERSIZED = 192 * MiB
#: Peak Python allocations allowed while refusing (the caps are 4 MiB; the rest is slack).
MAX_PEAK = 100 * MiB



def task() -> bytes:
    return sorted((BUILTIN / "task/yq-update").glob("*/yq-update.yaml"))[-1].read_bytes()


def gzip_of_zeros(head: bytes, total: int) -> bytes:
    """A gzip member holding ``head`` and then zeros up to ``total`` bytes, made in a
    second: the zeros are one compressed block repeated (a full flush makes blocks
    independent), with a real CRC and length in the trailer."""
    block = 64 * MiB
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = [first.compress(head) + first.flush(zlib.Z_FULL_FLUSH)]
    zeros = zlib.compressobj(9, zlib.DEFLATED, -15)
    repeat = zeros.compress(bytes(block)) + zeros.flush(zlib.Z_FULL_FLUSH)
    left = total - len(head)
    crc = zlib.crc32(head)
    chunk = bytes(block)
    while left >= block:
        body.append(repeat)
        crc = zlib.crc32(chunk, crc)
        left -= block
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    body.append(tail.compress(bytes(left)) + tail.flush())
    crc = zlib.crc32(bytes(left), crc)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + b"".join(body)
            + struct.pack("<II", crc & 0xFFFFFFFF, total & 0xFFFFFFFF))


def tar_header(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(format=tarfile.GNU_FORMAT)


def _request(url: str, method: str, data: bytes = b"", headers: dict[str, str] | None = None) -> Any:
    req = urllib.request.Request(url, data=data if method in ("POST", "PUT") else None, method=method,
                                 headers=headers or {})
    return urllib.request.urlopen(req, timeout=60)


def push_blob(host: str, repo: str, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with _request(f"http://{host}/v2/{repo}/blobs/uploads/", "POST") as resp:
        location = resp.headers["Location"]
    if location.startswith("/"):
        location = f"http://{host}{location}"
    sep = "&" if "?" in location else "?"
    with _request(f"{location}{sep}digest={digest}", "PUT", data,
                  {"Content-Type": "application/octet-stream"}) as resp:
        assert resp.status == 201
    return digest


def push_bundle_by_hand(host: str, repo: str, tag: str, blob: bytes, declared: int | None = None) -> str:
    """A one-layer Tekton bundle whose layer is ``blob`` and whose manifest says it is
    ``declared`` bytes (its real size by default)."""
    config = b'{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}'
    manifest = {
        "schemaVersion": 2, "mediaType": registry.MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": bundle.CONFIG_MEDIA_TYPE, "digest": push_blob(host, repo, config),
                   "size": len(config)},
        "layers": [{"mediaType": bundle.LAYER_MEDIA_TYPE, "digest": push_blob(host, repo, blob),
                    "size": len(blob) if declared is None else declared,
                    "annotations": {bundle.ANNOTATION_API_VERSION: "tekton.dev/v1",
                                    bundle.ANNOTATION_KIND: "task", bundle.ANNOTATION_NAME: "yq-update"}}],
    }
    body = json.dumps(manifest).encode()
    with _request(f"http://{host}/v2/{repo}/manifests/{tag}", "PUT", body,
                  {"Content-Type": registry.MANIFEST_MEDIA_TYPE}) as resp:
        assert resp.status == 201
    return f"{host}/{repo}:{tag}"


def peak_of_pull(ref: str) -> tuple[int, CatalogError | None]:
    """Peak Python allocations while pulling ``ref``, and the error it gave."""
    tracemalloc.start()
    error = None
    try:
        bundle.pull(ref)
    except CatalogError as exc:
        error = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, error


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked parent (here the
# test process, holding the attack's blobs); VmHWM belongs to the new process image.
RSS_RUNNER = ("import atexit, os, re\n"
              "def peak():\n"
              "    status = open('/proc/self/status').read()\n"
              "    open(os.environ['RSS_OUT'], 'w').write(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
              "atexit.register(peak)\n"
              "from catalog_cli.cli.main import run\n"
              "run()\n")


def peak_rss_of_cli(tmp_path: Path, *args: str) -> tuple[int, subprocess.CompletedProcess[str]]:
    """Peak resident memory (bytes) of ``catalog ARGS`` in its own process."""
    if not Path("/proc/self/status").is_file():
        pytest.fail("peak memory is read from /proc/self/status (Linux)", pytrace=False)
    out = tmp_path / "rss"
    proc = subprocess.run([sys.executable, "-c", RSS_RUNNER, *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "RSS_OUT": str(out), "KUBECONFIG": "/nonexistent"},
                          timeout=300, check=False)
    return int(out.read_text()) * 1024, proc


def test_a_gzip_bomb_layer_is_refused_within_the_layer_limit(registry_server: dict[str, Any],
                                                             tmp_path: Path) -> None:
    host = registry_server["host"]
    blob = gzip_of_zeros(tar_header("yq-update", BOMB - 512), BOMB)
    assert len(blob) < bundle.MAX_LAYER_BYTES  # small enough for the compressed-size check
    ref = push_bundle_by_hand(host, "attack/bomb", "1", blob)

    peak, error = peak_of_pull(ref)
    assert peak < MAX_PEAK, f"peak {peak / MiB:.0f} MiB"
    assert error is not None and "decompresses to over" in str(error), error

    r = run_cli("install", f"oci://{ref}", "-n", "default", env={"KUBECONFIG": "/nonexistent"})
    assert_one_line_error(r, "attack/bomb:1 layer 0", "decompresses to over")

    normal_ref = push_bundle_by_hand(host, "attack/normal", "1", bundle.layer_bytes(
        "yq-update", task())[0])
    normal, proc = peak_rss_of_cli(tmp_path, "render", "--catalog", str(BUILTIN), "yq-update")
    assert proc.returncode == 0, proc.stderr
    bombed, proc = peak_rss_of_cli(tmp_path, "install", f"oci://{ref}", "-n", "default")
    assert proc.returncode != 0 and "decompresses to over" in proc.stderr
    print(f"layer bomb ({BOMB / GiB:.1f} GiB from {len(blob) / MiB:.1f} MiB): tracemalloc peak "
          f"{peak / MiB:.1f} MiB; CLI peak RSS {bombed / MiB:.0f} MiB (render: {normal / MiB:.0f} MiB)")
    assert bombed < normal + MAX_PEAK
    assert bundle.pull(normal_ref).layers[0].name == "yq-update"  # the path still works


def test_a_blob_larger_than_its_manifest_says_is_not_read_past_that(registry_server: dict[str, Any],
                                                                   tmp_path: Path) -> None:
    host = registry_server["host"]
    real = bundle.layer_bytes("yq-update", task())[0]
    blob = real + bytes(OVERSIZED)  # the manifest says len(real); the registry serves it all
    ref = push_bundle_by_hand(host, "attack/oversized", "1", blob, declared=len(real))

    peak, error = peak_of_pull(ref)
    assert peak < MAX_PEAK, f"peak {peak / MiB:.0f} MiB"
    assert error is not None and "larger than the manifest says" in str(error), error

    r = run_cli("install", f"oci://{ref}", "-n", "default", env={"KUBECONFIG": "/nonexistent"})
    assert_one_line_error(r, "attack/oversized:1 layer 0", "larger than the manifest says")
    normal, _ = peak_rss_of_cli(tmp_path, "render", "--catalog", str(BUILTIN), "yq-update")
    bombed, proc = peak_rss_of_cli(tmp_path, "install", f"oci://{ref}", "-n", "default")
    assert proc.returncode != 0 and "larger than the manifest says" in proc.stderr
    assert bombed < normal + MAX_PEAK
    print(f"oversized blob ({len(blob) / MiB:.0f} MiB, declared {len(real)} bytes): tracemalloc peak "
          f"{peak / MiB:.1f} MiB; CLI peak RSS {bombed / MiB:.0f} MiB (render: {normal / MiB:.0f} MiB)")


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME])
def test_a_huge_extended_header_in_a_layer_is_refused(registry_server: dict[str, Any], kind: bytes) -> None:
    host = registry_server["host"]
    blob = gzip_of_zeros(tar_header("././@LongLink", 3 * MiB, kind), 3 * MiB + 1024)
    ref = push_bundle_by_hand(host, "attack/header", kind.decode(), blob)
    peak, error = peak_of_pull(ref)
    assert error is not None and "extended" in str(error), error
    assert peak < MAX_PEAK

"""Mirror archives: headers checked before tarfile reads them, the decompressed
stream capped, and nothing written when refused.

tarfile reads a PAX (``x``, ``g``) or GNU long-name/long-link (``L``, ``K``)
header's whole payload into memory before the member it describes, and follows a
chain of them recursively: a 3 MB gzip claiming a 3.5 GiB header took as much
memory, and a few thousand tiny headers in a row crashed with RecursionError.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from catalog_cli import archives, mirror
from catalog_cli.errors import CatalogError, InputError
from catalog_cli.sources import open_catalog

from ..conftest import BUILTIN, assert_one_line_error, run_cli
from .test_archives_oci import GiB, MAX_PEAK, MiB, gzip_of_zeros, peak_rss_of_cli, tar_header

BOMB = 3 * GiB + 512 * MiB


def peak_of_import(archive: Path, dest: Path, limits: mirror.Limits = mirror.Limits()) -> tuple[int, CatalogError]:
    tracemalloc.start()
    try:
        mirror.import_archive(archive, dest, limits)
    except CatalogError as exc:
        error = exc
    else:
        pytest.fail("the archive was imported")
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, error


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME,
                                  tarfile.GNUTYPE_LONGLINK], ids=["pax-x", "pax-g", "gnu-L", "gnu-K"])
def test_a_huge_extended_header_is_refused_before_it_is_read(tmp_path: Path, kind: bytes) -> None:
    archive = tmp_path / "bomb.tar.gz"
    archive.write_bytes(gzip_of_zeros(tar_header("././@LongLink", BOMB - 512, kind), BOMB))
    peak, error = peak_of_import(archive, tmp_path / "site")
    assert peak < MAX_PEAK, f"peak {peak / MiB:.0f} MiB"
    assert "extended (PAX or GNU long name) header" in str(error), error
    assert not (tmp_path / "site").exists() and not list(tmp_path.glob(".site*"))

    rss, proc = peak_rss_of_cli(tmp_path, "mirror", "import", str(archive), str(tmp_path / "site"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "bomb.tar.gz" in proc.stderr
    assert rss < 200 * MiB, f"peak RSS {rss / MiB:.0f} MiB"
    print(f"{kind.decode()} header bomb ({BOMB / GiB:.1f} GiB from {archive.stat().st_size / MiB:.1f} MiB): "
          f"tracemalloc peak {peak / MiB:.1f} MiB, CLI peak RSS {rss / MiB:.0f} MiB")


def test_a_chain_of_extended_headers_is_refused(tmp_path: Path) -> None:
    one = tarfile.TarInfo("x")
    one.type = tarfile.XHDTYPE
    record = b"20 comment=abcdefgh\n"
    one.size = len(record)
    block = one.tobuf(format=tarfile.USTAR_FORMAT) + record.ljust(512, b"\0")
    archive = tmp_path / "chain.tar.gz"
    archive.write_bytes(gzip.compress(block * 5000 + bytes(1024)))
    r = run_cli("mirror", "import", str(archive), str(tmp_path / "site"))
    assert_one_line_error(r, "chain.tar.gz", "too many extended")
    assert not (tmp_path / "site").exists()


def test_a_sparse_member_is_refused(tmp_path: Path) -> None:
    sparse = tarfile.TarInfo("index.yaml")
    sparse.type = tarfile.GNUTYPE_SPARSE
    archive = tmp_path / "sparse.tar.gz"
    archive.write_bytes(gzip.compress(sparse.tobuf(format=tarfile.GNU_FORMAT) + bytes(1024)))
    with pytest.raises(InputError, match="archive holds a sparse member"):
        mirror.import_archive(archive, tmp_path / "site")


@pytest.mark.parametrize("bomb", [
    pytest.param(lambda: gzip_of_zeros(b"", GiB), id="gzip"),
    pytest.param(lambda: gzip.compress(bytes(MiB)) * 64, id="gzip-members"),
    pytest.param(lambda: bz2.compress(bytes(64 * MiB), 1), id="bzip2"),
    pytest.param(lambda: lzma.compress(bytes(64 * MiB), preset=0), id="xz"),
])
def test_decompression_stops_at_its_limit(bomb: object) -> None:
    """What the mirror stream (Limits.stream) and bundle layers rely on, for every
    compression import accepts: output is produced a chunk at a time and refused
    as soon as it passes the limit."""
    data = bomb()  # type: ignore[operator]
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="decompresses to over 8,388,608 bytes"):
            archives.inflate(data, 8 * MiB, "bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * 8 * MiB, f"peak {peak / MiB:.0f} MiB"


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress, lambda b: b],
                         ids=["gzip", "bzip2", "xz", "plain"])
def test_every_compression_still_imports(tmp_path: Path, compress: object) -> None:
    exported = tmp_path / "site.tar.gz"
    mirror.export(open_catalog(str(BUILTIN)), ["kubectl-deploy"], exported)
    archive = tmp_path / "site.tar.any"
    archive.write_bytes(compress(gzip.decompress(exported.read_bytes())))  # type: ignore[operator]
    result = mirror.import_archive(archive, tmp_path / "site")
    assert result.entries > 0 and (tmp_path / "site" / "index.yaml").is_file()

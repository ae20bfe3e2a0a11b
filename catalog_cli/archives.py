"""Reading archives nobody vouches for: bundle layers and mirror archives.

Compressed input is measured after decompression, as it streams, never by its
compressed size alone: a few megabytes of gzip can expand to gigabytes. So

- :class:`Inflating` decompresses gzip (several members too), bzip2 or xz in chunks
  (``max_length``: never more than one chunk at a time comes out of the
  decompressor), and refuses as soon as more than ``limit`` bytes came out;
- :func:`open_tar_stream` reads a tar stream whose extended headers are checked
  before tarfile reads them: a PAX (``x``, ``g``) or GNU long-name (``L``, ``K``)
  header is read whole into memory by tarfile, so one claiming gigabytes is
  refused from its 512-byte header, as are sparse members and endless chains of
  extended headers (tarfile follows those recursively).

Both raise :class:`InputError` naming the archive.
"""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO, Protocol

from .errors import InputError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer  # exists for type checkers only

CHUNK = 64 * 1024
#: An extended header holds a long name or a few PAX records: kilobytes, never more.
MAX_EXTENDED_HEADER = 64 * 1024
#: All extended headers of one archive together ('g' headers accumulate).
MAX_EXTENDED_TOTAL = 16 * 1024 * 1024
#: Extended headers in a row before a member (tarfile recurses once per header).
MAX_EXTENDED_CHAIN = 8

_GZIP, _BZIP2, _XZ = b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"


def _gzip_chunks(first: bytes, raw: BinaryIO, where: str) -> Iterator[bytes]:
    data = first
    d = zlib.decompressobj(zlib.MAX_WBITS | 16)  # gzip header and trailer (CRC) checked
    while True:
        if not data:
            data = raw.read(CHUNK)
            if not data:
                if not d.eof:
                    raise InputError("gzip data ends early (truncated?)", where)
                return
        if d.eof:  # one member ended: another may follow (as gzip itself allows)
            if data[:2] != _GZIP:
                if data.strip(b"\0"):  # zeros are padding, as gzip allows; the rest is not
                    raise InputError("unexpected data after the end of the gzip stream", where)
                return
            d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            out = d.decompress(data, CHUNK)
        except zlib.error as exc:
            raise InputError(f"not valid gzip: {exc}", where) from None
        data = d.unconsumed_tail or d.unused_data
        if out:
            yield out


class _Decompressor(Protocol):
    """What bz2's and lzma's decompressors have in common."""

    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    @property
    def needs_input(self) -> bool: ...
    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


def _stream_chunks(first: bytes, raw: BinaryIO, where: str, make: Callable[[], _Decompressor]) -> Iterator[bytes]:
    """bzip2 and xz: their decompressors keep unconsumed input themselves."""
    d, feed = make(), first
    while True:
        if d.eof:
            feed = d.unused_data or raw.read(CHUNK)
            if not feed:
                return
            d = make()  # a further stream (pbzip2, xz -T writes several)
        elif d.needs_input and not feed:
            feed = raw.read(CHUNK)
            if not feed:
                raise InputError("compressed data ends early (truncated?)", where)
        try:
            out = d.decompress(feed, CHUNK)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise InputError(f"not valid compressed data: {exc}", where) from None
        feed = b""
        if out:
            yield out


def _plain_chunks(first: bytes, raw: BinaryIO) -> Iterator[bytes]:
    data = first
    while data:
        yield data
        data = raw.read(CHUNK)


class Inflating(io.RawIOBase):
    """The decompressed bytes of ``raw`` (gzip, bzip2, xz, or as they are: told apart by
    their first bytes), refused once more than ``limit`` of them came out."""

    def __init__(self, raw: BinaryIO, limit: int, where: str) -> None:
        super().__init__()
        self.limit, self.where, self.total = limit, where, 0
        first = raw.read(CHUNK)
        if first.startswith(_GZIP):
            self._chunks = _gzip_chunks(first, raw, where)
        elif first.startswith(_BZIP2):
            self._chunks = _stream_chunks(first, raw, where, bz2.BZ2Decompressor)
        elif first.startswith(_XZ):
            self._chunks = _stream_chunks(first, raw, where, lzma.LZMADecompressor)
        else:
            self._chunks = _plain_chunks(first, raw)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        # RawIOBase's read may return None, for a non-blocking stream with nothing yet;
        # this one blocks, so it is always bytes, as tarfile's file type wants.
        return super().read(size) or b""

    def readinto(self, b: WriteableBuffer, /) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self.total += len(chunk)
            if self.total > self.limit:
                raise InputError(f"decompresses to over {self.limit:,} bytes: refused", self.where)
            self._buffer = chunk
        with memoryview(b) as view:  # released on return: the caller resizes ``b`` next
            n = min(len(view), len(self._buffer))
            view[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def inflate(data: bytes, limit: int, where: str) -> bytes:
    """``data`` decompressed (or as it is), at most ``limit`` bytes of it."""
    return Inflating(io.BytesIO(data), limit, where).read()


_EXTENDED = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
             tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)


class _CheckedInfo(tarfile.TarInfo):
    """A member header checked before tarfile acts on it: tarfile calls ``_proc_member``
    right after parsing the 512-byte header, before reading any data it announces."""

    def _proc_member(self, tar: _CheckedTar) -> tarfile.TarInfo:
        where = tar.where
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise InputError("archive holds a sparse member: refused", self.name or where)
        if self.type in _EXTENDED:
            tar.chain += 1
            tar.extended += self.size
            if self.size > MAX_EXTENDED_HEADER:
                raise InputError(f"archive has an extended (PAX or GNU long name) header of {self.size:,} "
                                 f"bytes, over the limit of {MAX_EXTENDED_HEADER:,}: refused", where)
            if tar.extended > MAX_EXTENDED_TOTAL or tar.chain > MAX_EXTENDED_CHAIN:
                raise InputError("archive has too many extended (PAX or GNU long name) headers: refused", where)
        else:
            tar.chain = 0
        # tarfile's private hook, which typeshed does not declare.
        return super()._proc_member(tar)  # type: ignore[misc, no-any-return]


class _CheckedTar(tarfile.TarFile):
    tarinfo = _CheckedInfo
    where = "archive"  # set per archive (by a subclass: TarFile reads a member in __init__)
    chain = 0  # extended headers since the last member
    extended = 0  # bytes of extended headers so far


def open_tar_stream(stream: Inflating, where: str) -> tarfile.TarFile:
    """A tar read front to back from ``stream`` (decompressed within a limit), its
    headers checked as above. Iterate it once; read each member's data
    (``extractfile``) while on it."""
    archive = where

    class Named(_CheckedTar):
        where = archive

    try:
        return Named.open(fileobj=stream, mode="r|")
    except tarfile.TarError as exc:
        raise InputError(f"not a readable tar archive: {exc}", where) from exc

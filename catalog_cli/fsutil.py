"""Writing files: the one place that knows how to replace a file whole, how to keep the
tool's own state (cache, config, journal) private, and how to stay inside a folder.

- :func:`atomic_write` replaces a file so that readers see the old bytes or the new,
  never half (a temporary file beside it, renamed into place).
- :func:`replacing` is the same for a writer that needs a file name (SQLite, tarfile):
  it hands out the temporary file and renames it into place when the block succeeds.
- :func:`private_dir` makes (or checks) a folder only its owner may enter (0700),
  refusing a symlink or a folder someone else owns where it should be; with ``base``
  (the cache or config folder), every folder from ``base`` down is held to that.
- ``private=True`` on the writers: a 0600 file inside such a folder.
- :func:`read_private` reads a file of the tool's own state, never through a link.
- :func:`create_new` writes a file that must not exist yet (a key pair): it never
  replaces one, nor writes through a link planted where it goes.
- :func:`inside` joins a relative path under a folder, refusing ``..``, absolute
  paths and any link on the way (for folders the user owns but a template,
  archive or commit filled).

A rename replaces a symlink at the target rather than following it, and the temporary
file is created with ``O_EXCL | O_NOFOLLOW`` under a random name, so a link planted in
a cache folder never redirects a write.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .errors import InputError, UnsafePath, Unwritable

__all__ = ["UnsafePath", "Unwritable", "atomic_write", "create_new", "inside", "open_inside", "private_dir",
           "read_fd", "read_private", "replacing"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _private_folder(path: Path) -> None:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise Unwritable(f"cannot make the folder: {exc.strerror}", str(path)) from exc
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise UnsafePath("expected a folder, found a link or a file: refusing to write through it", str(path))
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise UnsafePath("the folder belongs to another user: refusing to write into it", str(path))
    if stat.S_IMODE(st.st_mode) & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError as exc:
            raise Unwritable(f"cannot make the folder private: {exc.strerror}", str(path)) from exc


def private_dir(path: Path, *, base: Path | None = None) -> Path:
    """``path`` as a folder of the current user's, mode 0700, made when missing. A symlink,
    a non-folder or a folder owned by another user is refused (:class:`UnsafePath`); a
    folder that cannot be made is :class:`Unwritable`.

    With ``base`` (an ancestor of ``path``), every folder from ``base`` down to ``path`` is
    made and checked so: a link in the middle would otherwise carry the writes elsewhere.
    Folders above ``base`` are the user's own business and made as usual."""
    chain = [path]
    if base is not None:
        parts = path.relative_to(base).parts  # a ValueError here is a caller's mistake
        chain = [base, *(base.joinpath(*parts[:i]) for i in range(1, len(parts) + 1))]
    try:
        chain[0].parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Unwritable(f"cannot make the folder: {exc.strerror}", str(chain[0].parent)) from exc
    for folder in chain:
        _private_folder(folder)
    return path


def _new_file(folder: Path, name: str, private: bool) -> tuple[Path, int]:
    import secrets  # here: it loads OpenSSL (through hmac), which reading needs not

    tmp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600 if private else 0o666)
    return tmp, fd


def _prepare(path: Path, private: bool, base: Path | None) -> None:
    if private:
        private_dir(path.parent, base=base)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)


@contextmanager
def replacing(path: Path, *, private: bool = False, base: Path | None = None) -> Iterator[Path]:
    """A new, empty temporary file beside ``path`` for a writer that wants a name; renamed
    over ``path`` (a link there is replaced, not followed) when the block ends, removed
    when it raises. ``private`` and ``base`` as for :func:`atomic_write`."""
    _prepare(path, private, base)
    tmp, fd = _new_file(path.parent, path.name, private)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes | str, *, private: bool = False, base: Path | None = None) -> None:
    """Replace ``path`` with ``data`` whole. ``private``: the folder is made 0700 (see
    :func:`private_dir`, with ``base``) and the file 0600; otherwise the file gets the
    usual 0666 less the umask, like any file the user writes."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    _prepare(path, private, base)
    tmp, fd = _new_file(path.parent, path.name, private)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create_new(path: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Write ``data`` to ``path``, which must not exist (``FileExistsError`` otherwise,
    a dangling link included), created with ``mode`` less the umask; a failed write
    removes the half-written file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def read_private(path: Path) -> bytes:
    """The bytes of a file of the tool's own state, never through a symlink (a link
    raises OSError, as a missing file does: callers treat both as absent)."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise IsADirectoryError(f"not a regular file: {path}")
        return f.read()


def inside(root: Path, rel: str) -> Path:
    """``root / rel`` for a relative POSIX path that stays inside ``root``: no absolute
    path, no ``..``, and no existing link anywhere from ``root`` down (``root`` itself
    included), so that neither a read nor a write nor a delete can land outside."""
    parts = PurePosixPath(rel).parts
    if not parts or rel.startswith("/") or "\\" in rel or ".." in parts:
        raise UnsafePath("not a relative path inside the folder", rel)
    for at in (root, *(root.joinpath(*parts[:i]) for i in range(1, len(parts) + 1))):
        try:
            st = os.lstat(at)
        except FileNotFoundError:
            break  # nothing further down exists yet: no link either
        except OSError as exc:
            raise UnsafePath(f"cannot inspect: {exc.strerror}", str(at)) from exc
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePath("is a symbolic link: refusing to read, write or delete through it", str(at))
    return root.joinpath(*parts)


def open_inside(root: Path, path: str, rel: str) -> int:
    """``path`` (a file under the resolved folder ``root``) opened for reading, refused
    unless it is a regular file inside ``root``: a link is followed only when where it
    leads stays inside. ``rel`` names the file in errors. The caller closes the fd."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise InputError(f"cannot read: {exc.strerror}", rel) from None
        real = Path(path).resolve()
        if root not in real.parents:
            raise InputError("path leaves the catalog (a link to a file outside it)", rel) from None
        try:
            fd = os.open(real, flags)
        except OSError as again:
            raise InputError(f"cannot read: {again.strerror}", rel) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError("not a regular file", rel)
    return fd


def read_fd(fd: int) -> bytes:
    """Every byte of the regular file open as ``fd``, to its end."""
    size = os.fstat(fd).st_size
    data = os.read(fd, size + 1)  # fewer bytes than asked: the end of the file
    if len(data) <= size:
        return data
    chunks = [data]
    while chunks[-1]:  # it grew since fstat: read on to its end
        chunks.append(os.read(fd, 1 << 20))
    return b"".join(chunks)


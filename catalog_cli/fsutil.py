"""Writing files: the one place that knows how to replace a file whole, and how to keep
the tool's own state (cache, config, journal) private.

- :func:`atomic_write` replaces a file so that readers see the old bytes or the new,
  never half (a temporary file beside it, renamed into place).
- :func:`private_dir` makes (or checks) a folder only its owner may enter (0700),
  refusing a symlink or a folder someone else owns where it should be.
- :func:`atomic_write` with ``private=True`` writes a 0600 file inside such a folder.

A rename replaces a symlink at the target rather than following it, and the temporary
file is created with ``O_EXCL | O_NOFOLLOW``, so a link planted in a cache folder
never redirects a write.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from .errors import CatalogError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class UnsafePath(CatalogError):
    """A folder or file of the tool's own state that someone else could control."""

    exit_code = 2


def private_dir(path: Path) -> Path:
    """``path`` as a folder of the current user's, mode 0700, made with its parents when
    missing. A symlink, a non-folder or a folder owned by another user is refused."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError as exc:
        raise UnsafePath(f"cannot make the folder: {exc.strerror}", str(path)) from exc
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise UnsafePath("expected a folder, found a link or a file: refusing to write through it", str(path))
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise UnsafePath("the folder belongs to another user: refusing to write into it", str(path))
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path


def atomic_write(path: Path, data: bytes | str, *, private: bool = False) -> None:
    """Replace ``path`` with ``data`` whole. ``private``: the folder is made 0700 (see
    :func:`private_dir`) and the file 0600; otherwise the file gets the usual 0644 less
    the umask, like any file the user writes."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent
    if private:
        private_dir(folder)
    else:
        folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    mode = 0o600 if private else 0o666
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_private(path: Path) -> bytes:
    """The bytes of a file of the tool's own state, never through a symlink."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return f.read()

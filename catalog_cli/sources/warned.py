"""Which catalogs' index warnings were already shown.

A catalog with oddities (files skipped, labels that differ from folders) warns about
them when it is read; repeated on every ``search`` they become noise people learn to
skip. So they are news once: the CLI shows a catalog's warnings when this catalog
(its location) has not given these warnings before, and not again until either
changes. What was shown is kept as hashes, a bounded list, in one private file of the
cache folder. Anything wrong with that file (unreadable, unwritable, garbage) only
means the warnings are shown again: this never fails a command.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from ..errors import CatalogError
from ..fsutil import atomic_write, read_private
from ..settings import Settings

FILE_NAME = "warnings-shown.json"
#: How many catalogs' warnings are remembered; the oldest are forgotten first.
KEEP = 256


def _key(location: str, warnings: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps([location, list(warnings)]).encode()).hexdigest()


def _shown(settings: Settings) -> list[str]:
    try:
        data = json.loads(read_private(settings.cache_home / FILE_NAME))
    except (OSError, ValueError, CatalogError):
        return []
    return [k for k in data if isinstance(k, str)] if isinstance(data, list) else []


def news(settings: Settings, location: str, warnings: Sequence[str]) -> bool:
    """True the first time ``location`` gives ``warnings`` (which then count as shown):
    the caller shows them then, and stays quiet about them afterwards."""
    key = _key(location, warnings)
    shown = _shown(settings)
    if key in shown:
        return False
    try:
        kept = [k for k in shown if k != key][-(KEEP - 1):] + [key]
        atomic_write(settings.cache_home / FILE_NAME, json.dumps(kept), private=True)
    except (OSError, CatalogError):
        pass  # shown again next time: better than not at all
    return True

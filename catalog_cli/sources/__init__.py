"""Where catalogs come from: folders with an index (and its SQLite cache), HTTP repos,
OCI bundles, several repos layered in precedence order, and catalogs in memory.

``base`` holds the ``Catalog`` protocol every one of them implements; ``open`` is the
only module that knows them all (``open_catalog``)."""

from .base import Catalog, SearchHit
from .open import open_catalog, open_origin

__all__ = ["Catalog", "SearchHit", "open_catalog", "open_origin"]

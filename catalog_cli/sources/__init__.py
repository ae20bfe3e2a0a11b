"""Where catalogs come from: folders with an index (and its SQLite cache), HTTP repos,
OCI bundles, several repos layered in precedence order, and catalogs in memory."""

from .open import open_catalog

__all__ = ["open_catalog"]

"""The settings every verb runs with, read from the environment once, at the edge.

Like Helm's ``action.Configuration``: the CLI builds one :class:`Settings` (from the
environment and its global options) and hands it down; nothing deeper in the library
reads environment variables. Tests build their own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

TIMEOUT_ENV = "CATALOG_HTTP_TIMEOUT"
RETRIES_ENV = "CATALOG_HTTP_RETRIES"
OFFLINE_ENV = "CATALOG_OFFLINE"
PATIENCE_ENV = "CATALOG_UNDO_PATIENCE"


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        return float(env.get(name, "") or default)
    except ValueError:
        return default


def _home(env: Mapping[str, str], var: str, *default: str) -> Path:
    base = env.get(var) or os.path.join(os.path.expanduser("~"), *default)
    return Path(base) / "catalog"


@dataclass(frozen=True)
class Settings:
    """Where the tool keeps its state, and how patient it is with servers."""

    #: Index caches and fetched files (``$XDG_CACHE_HOME/catalog``).
    cache_home: Path
    #: ``repos.yaml`` (``$XDG_CONFIG_HOME/catalog``).
    config_home: Path
    #: The undo journal (``$XDG_STATE_HOME/catalog``).
    state_home: Path
    #: Work from cached indexes and files only.
    offline: bool = False
    #: Seconds to wait for a catalog server or registry to connect and to answer.
    http_timeout: float = 10.0
    #: Retries of a failed connection, 5xx or 429, with exponential backoff.
    http_retries: int = 2
    #: Seconds an undo keeps retrying an API server that went away, before it is
    #: left in the journal for the next command.
    undo_patience: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            cache_home=_home(env, "XDG_CACHE_HOME", ".cache"),
            config_home=_home(env, "XDG_CONFIG_HOME", ".config"),
            state_home=_home(env, "XDG_STATE_HOME", ".local", "state"),
            offline=env.get(OFFLINE_ENV, "").lower() not in ("", "0", "false", "no"),
            http_timeout=_number(env, TIMEOUT_ENV, 10.0),
            http_retries=int(_number(env, RETRIES_ENV, 2)),
            undo_patience=_number(env, PATIENCE_ENV, 20.0),
        )

    def but(self, **changes: object) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

"""The settings every verb runs with, read from the environment once, at the edge.

Like Helm's ``action.Configuration``: the CLI builds one :class:`Settings` (from the
environment and its global options, in ``cli/root.py``) and hands it down; nothing
deeper in the library reads environment variables or the home folder. Tests build
their own. Library entry points that people call directly (``open_catalog``, the
verbs) fall back to :meth:`Settings.from_env` when given none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

TIMEOUT_ENV = "CATALOG_HTTP_TIMEOUT"
RETRIES_ENV = "CATALOG_HTTP_RETRIES"
OFFLINE_ENV = "CATALOG_OFFLINE"
PATIENCE_ENV = "CATALOG_UNDO_PATIENCE"
#: Defaults of the HTTP fields below, also for clients built without a Settings.
HTTP_TIMEOUT = 10.0
HTTP_RETRIES = 2
#: Seconds before the first retry of a failed request, doubled each time: not a
#: setting, but shared by every client that retries (catalog servers, registries).
HTTP_BACKOFF = 0.2


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
    http_timeout: float = HTTP_TIMEOUT
    #: Retries of a failed connection, 5xx or 429, with exponential backoff.
    http_retries: int = HTTP_RETRIES
    #: Seconds an undo keeps retrying an API server that went away, before it is
    #: left in the journal for the next command.
    undo_patience: float = 20.0
    #: The environment the CLI started in, where a repo's credentials are read from
    #: (``token_env``, ``username_env``, ``password_env`` name variables in it). Never
    #: shown: it may hold secrets.
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            cache_home=_home(env, "XDG_CACHE_HOME", ".cache"),
            config_home=_home(env, "XDG_CONFIG_HOME", ".config"),
            state_home=_home(env, "XDG_STATE_HOME", ".local", "state"),
            offline=env.get(OFFLINE_ENV, "").lower() not in ("", "0", "false", "no"),
            http_timeout=_number(env, TIMEOUT_ENV, HTTP_TIMEOUT),
            http_retries=int(_number(env, RETRIES_ENV, HTTP_RETRIES)),
            undo_patience=_number(env, PATIENCE_ENV, 20.0),
            env=dict(env),  # a copy: what a run sees does not change under it
        )

    def but(self, **changes: Any) -> Settings:
        """A copy with some fields changed (``replace`` refuses a name that is not one)."""
        return replace(self, **changes)

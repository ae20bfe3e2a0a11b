"""JSON Schema validation of index files, with errors that name the entry and field."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from .errors import InputError


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema  # heavy: only loaded when an index is (re)validated

    schema = json.loads(resources.files("catalog_cli").joinpath("data/index.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def check_index(data: Any, where: str) -> None:
    """Raise InputError naming the first offending field (``entries.git-clone[0].digest``)."""
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is None:
        return
    field = ""
    for part in error.absolute_path:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    raise InputError(f"{field or 'index'}: {error.message}", where)

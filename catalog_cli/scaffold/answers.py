"""Answers: from command-line text to checked values, and the answers file.

Values are checked here, once, before anything is rendered: against the
template's JSON Schema (types, patterns, lengths), as DNS-1123 labels for
``name`` and ``namespace`` (and any parameter with ``format: dns-label``), for
control characters (a newline is never part of an answer), and for Tekton's and
Pipelines-as-Code's own expansion syntax: a value holding ``$(`` or ``{{`` would
be evaluated by Tekton, Triggers or Pipelines-as-Code wherever it lands (a param
default, a script, a TriggerTemplate), so it is refused everywhere. Every error
is one line naming the option at fault. (The renderer is safe on its own too:
these checks keep values meaningful, the renderer keeps them data.)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import PREFIX, yamlio
from ..errors import InputError, NotFound
from .template import ANSWERS_FILE, REQUIRED_PARAMETERS, Parameter, Template, out_path_ok

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

ANSWERS_KIND = "ScaffoldAnswers"
API_VERSION = f"{PREFIX}/v1"
#: Parameters with an option of their own; the rest are given with --set KEY=VALUE.
FLAGS = {"name": "--name", "git-url": "--git-url", "image": "--image", "namespace": "--namespace"}

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_FORMATS: dict[str, tuple[Callable[[object], bool], str]] = {
    "dns-label": (lambda s: not isinstance(s, str) or (len(s) <= 63 and bool(DNS_LABEL.fullmatch(s))),
                  "is not a DNS-1123 label (lower case letters, digits and '-', starting and "
                  "ending with a letter or digit, at most 63 characters)"),
    "dns-subdomain": (lambda s: not isinstance(s, str) or (len(s) <= 253 and bool(DNS_SUBDOMAIN.fullmatch(s))),
                      "is not a DNS-1123 subdomain (lower case letters, digits, '-' and '.', "
                      "at most 253 characters)"),
}
#: Text that Tekton (``$(params.x)``) or Pipelines-as-Code (``{{ revision }}``) would expand.
_EXPANSIONS = (("$(", "Tekton would evaluate it as a $(...) variable"),
               ("{{", "Pipelines-as-Code would evaluate it as a {{ }} variable"))

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Asker = Callable[[Parameter, str | None], str]
#: An answer, of one of the types a template's parameter may have (see ``template``):
#: string, integer, boolean, or array of strings.
Answer = str | int | bool | list[str]


def option(name: str) -> str:
    """How a user gives parameter ``name``: ``--name`` or ``--set key``."""
    return FLAGS.get(name, f"--set {name}")


def parse_sets(items: Iterable[str]) -> list[tuple[str, str]]:
    """``KEY=VALUE`` strings as pairs, in order; the value is kept as text."""
    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise InputError("expected KEY=VALUE", f"--set {item}")
        out.append((key.strip(), value))
    return out


def coerce(param: Parameter, text: str, current: Answer | None = None) -> Answer:
    """Text from the command line (or a prompt) as the parameter's type. An array
    parameter takes one item per --set (repeat it); an empty value means no items."""
    where = option(param.name)
    kind = param.type
    if kind == "integer":
        try:
            return int(text.strip())
        except ValueError:
            raise InputError(f"{text!r} is not a whole number", where) from None
    if kind == "boolean":
        low = text.strip().lower()
        if low not in ("true", "false"):
            raise InputError(f"{text!r} is not true or false", where)
        return low == "true"
    if kind == "array":
        items = list(current) if isinstance(current, list) else []
        return [*items, text] if text != "" else []
    return text


def collect(template: Template, given: Mapping[str, str | None], sets: Iterable[tuple[str, str]],
            base: Mapping[str, Answer] | None = None) -> dict[str, Answer]:
    """Answers from options (``given``, None when absent) and ``--set`` pairs over ``base``
    (the recorded answers, on update). Unknown keys are refused; nothing is validated yet."""
    out: dict[str, Answer] = dict(base or {})
    array_set: set[str] = set()
    for key, value in given.items():
        if value is not None:
            out[key] = _one(template, key, value, option(key))
    for key, value in sets:
        param = template.parameter(key)
        if param is None:
            known = ", ".join(p.name for p in template.parameters)
            raise InputError(f"{template.name} has no parameter {key!r} (parameters: {known})", f"--set {key}")
        if key in FLAGS and key in given and given[key] is not None:
            raise InputError(f"given twice, as {FLAGS[key]} and as --set {key}", f"--set {key}")
        # The first --set of an array replaces what the answers file recorded.
        current = out.get(key) if key in array_set else None
        out[key] = coerce(param, value, current)
        array_set.add(key)
    return out


def _one(template: Template, key: str, value: str, where: str) -> Answer:
    param = template.parameter(key)
    if param is None:
        raise InputError(f"template {template.name} has no parameter {key!r}", where)
    return coerce(param, value)


def missing(template: Template, answers: Mapping[str, object]) -> list[Parameter]:
    """Required parameters with no answer and no default."""
    return [p for p in template.parameters if p.required and p.name not in answers and not p.has_default]


def complete(template: Template, answers: Mapping[str, Answer], ask: Asker | None = None) -> dict[str, Answer]:
    """Every answer: given ones, then asked ones (``ask``, when stdin is a terminal),
    then defaults; validated. Answers the template no longer has are dropped."""
    out = {k: v for k, v in answers.items() if template.parameter(k) is not None}
    lacking = missing(template, out)
    if lacking:
        if ask is None:
            names = ", ".join(option(p.name) for p in lacking)
            raise InputError(f"missing required parameters of {template.name}: {names}")
        for param in lacking:
            out[param.name] = _ask(template, param, ask)
    for param in template.parameters:
        if param.name not in out and param.has_default:
            out[param.name] = param.schema["default"]
    validate(template, out)
    return {p.name: out[p.name] for p in template.parameters if p.name in out}


def _ask(template: Template, param: Parameter, ask: Asker) -> Answer:
    error = None
    for _ in range(3):
        value = coerce(param, ask(param, error))
        try:
            validate(template, {param.name: value}, only=param.name)
            return value
        except InputError as exc:
            error = exc.message
    raise InputError(f"no valid value after three tries: {error}", option(param.name))


def validate(template: Template, answers: Mapping[str, object], only: str | None = None) -> None:
    """Raise InputError (one line naming the option) for the first bad answer."""
    import jsonschema

    for key, value in answers.items():
        if only is None or key == only:
            _check_expansions(key, value)
    for key in REQUIRED_PARAMETERS:
        value = answers.get(key)
        if isinstance(value, str) and (only is None or key == only):
            ok, _ = _FORMATS["dns-label"]
            limit = _max_length(template.schema.get("properties", {}).get(key))
            if not ok(value):  # a label too long for the template: its maxLength says so below
                raise InputError(f"{value!r} {_why('dns-label', limit)}", option(key))
    schema = dict(template.schema)
    if only is not None:
        schema = {"type": "object", "properties": {only: template.schema["properties"][only]}}
    checker = jsonschema.FormatChecker(formats=())
    for name, (test, _) in _FORMATS.items():
        checker.checks(name)(test)
    validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
    errors = sorted(validator.iter_errors(dict(answers)), key=lambda e: [str(p) for p in e.path])
    if errors:
        raise _translate(errors[0])


def _max_length(schema: object) -> int | None:
    limit = schema.get("maxLength") if isinstance(schema, dict) else None
    return limit if isinstance(limit, int) else None


def _why(format_name: str, limit: int | None) -> str:
    """What is wrong with a value not of ``format_name``, naming the limit that holds here:
    a template may allow fewer characters than the format does (names get suffixes)."""
    why = _FORMATS.get(format_name, (None, f"is not a {format_name}"))[1]
    if limit is not None:
        why = re.sub(r"at most (\d+) characters", lambda m: f"at most {min(limit, int(m.group(1)))} characters", why)
    return why


def _check_expansions(key: str, value: object) -> None:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            bad = _CONTROL.search(item)
            if bad:
                raise InputError(f"{item!r} contains the control character {bad.group()!r} "
                                 "(newlines and the like are never part of an answer)", option(key))
            for marker, why in _EXPANSIONS:
                if marker in item:
                    raise InputError(f"{item!r} contains {marker!r}: {why}", option(key))


def _translate(error: ValidationError) -> InputError:
    path = list(error.path)
    key = str(path[0]) if path else ""
    where = option(key) if key else "answers"
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    if error.validator == "format":
        return InputError(f"{value!r} {_why(str(error.validator_value), _max_length(schema))}", where)
    custom = schema.get("errorMessage")
    if isinstance(custom, str):
        return InputError(f"{value!r}: {custom}", where)
    if error.validator == "pattern":
        return InputError(f"{value!r} does not match the pattern {error.validator_value}", where)
    if error.validator == "type":
        return InputError(f"{value!r} is not of type {error.validator_value}", where)
    if error.validator == "enum" and isinstance(error.validator_value, list):  # an enum is a list
        return InputError(f"{value!r} is not one of {', '.join(map(str, error.validator_value))}", where)
    limits = {"maxLength": "is longer than {} characters", "minLength": "is shorter than {} characters",
              "maximum": "is over {}", "minimum": "is under {}", "maxItems": "has more than {} items",
              "minItems": "has fewer than {} items"}
    if error.validator in limits:
        return InputError(f"{value!r} {limits[error.validator].format(error.validator_value)}", where)
    if error.validator == "additionalProperties":
        return InputError(f"unknown parameter: {error.message}", where)
    return InputError(error.message, where)


# -- the answers file ---------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """What ``.catalog-answers.yaml`` keeps: enough to regenerate exactly what was
    generated (template version, answers, variant and the dependency versions the
    run RBAC came from) and the sha256 of each generated file as generated."""

    template: str
    version: str
    variant: str
    answers: dict[str, Answer]
    dependencies: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)
    catalog: str | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "apiVersion": API_VERSION,
            "kind": ANSWERS_KIND,
            "template": self.template,
            "version": self.version,
            "variant": self.variant,
        }
        if self.catalog:
            data["catalog"] = self.catalog
        data["answers"] = self.answers
        data["dependencies"] = self.dependencies
        data["files"] = self.files
        return data


HEADER = ("# Written by `catalog scaffold`: the template, version and answers this folder was\n"
          "# generated from, and each file's sha256 as generated. `catalog scaffold --update`\n"
          "# reads it to merge the newest template with your edits. Do not edit by hand.\n")


def render_record(record: Record) -> str:
    return HEADER + yamlio.dump(record.to_data())


def read_record(folder: Path) -> Record:
    path = folder / ANSWERS_FILE
    if not path.is_file():
        raise NotFound(f"no {ANSWERS_FILE}: scaffold this folder first (catalog scaffold TEMPLATE ...)",
                       str(folder))
    data = yamlio.load_one(path)
    where = str(path)
    if not isinstance(data, dict) or data.get("kind") != ANSWERS_KIND:
        raise InputError(f"not a {ANSWERS_KIND} file", where)
    for key, kind in (("template", str), ("version", str), ("variant", str), ("answers", dict),
                      ("dependencies", dict), ("files", dict)):
        if not isinstance(data.get(key), kind):
            raise InputError(f"{key} is missing or not a {kind.__name__}", where)
    for name in data["files"]:
        if not out_path_ok(str(name)):
            raise InputError(f"files: {name!r} is not a path inside this folder", where)
    return Record(data["template"], data["version"], data["variant"], dict(data["answers"]),
                  {str(k): str(v) for k, v in data["dependencies"].items()},
                  {str(k): str(v) for k, v in data["files"].items()}, data.get("catalog"))


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()

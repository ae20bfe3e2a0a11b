"""What Go's ``encoding/json`` writes, for the values Tekton and cosign serialise.

Signatures made by Go programs are over ``json.Marshal``'s bytes, so reproducing them
means writing the same bytes: strings escaped as Go escapes them, map keys sorted,
and the few Kubernetes types with a ``MarshalJSON`` of their own
(``metav1.Duration``, ``resource.Quantity``) normalised as theirs are. Struct field
order and ``omitempty`` are the caller's (:mod:`.tekton_types`).

Facts from Go's sources (encoding/json, time, and k8s.io/apimachinery's resource
package), re-stated here, not copied:

- strings: ``"`` and ``\\`` escaped; ``\\b \\f \\n \\r \\t`` short (Go 1.22 and later;
  earlier releases wrote ``\\u0008`` and ``\\u000c``); other bytes below 0x20 as
  ``\\u00XX`` (lower-case hex); ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\uXXXX``
  (HTML-safe escaping, which ``json.Marshal`` always applies); everything else as UTF-8;
- a duration is ``time.Duration.String()`` of ``time.ParseDuration`` of the text:
  ``1h`` becomes ``1h0m0s``, ``90s`` becomes ``1m30s``;
- a quantity keeps its text when ``ParseQuantity`` deems it canonical, and is otherwise
  rewritten in canonical form (``1000m`` becomes ``1``, ``0.5`` becomes ``500m``,
  ``1024Mi`` becomes ``1Gi``). Only the integer forms Kubernetes handles without
  arbitrary precision are reproduced; others are refused, not guessed.

Every refusal is a ``ValueError`` whose message the caller puts after a field's path.
"""

from __future__ import annotations

from typing import Any

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
          "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_INT64_MAX = (1 << 63) - 1


def string(text: str) -> str:
    """``text`` as Go's ``json.Marshal`` writes a string."""
    out = ['"']
    for ch in text:
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        elif "\ud800" <= ch <= "\udfff":
            raise ValueError("holds a lone surrogate, which is not text")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def value(data: Any) -> str:
    """Untyped data (what a Go ``map[string]any`` holds) as ``json.Marshal`` writes it:
    maps with their keys sorted, no spaces. Floats are refused: Go's float formatting
    is not reproduced here."""
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, int):
        return str(data)
    if isinstance(data, str):
        return string(data)
    if isinstance(data, dict):
        if not all(isinstance(k, str) for k in data):
            raise ValueError("has a key that is not a string")
        return "{" + ",".join(f"{string(k)}:{value(data[k])}" for k in sorted(data)) + "}"
    if isinstance(data, (list, tuple)):
        return "[" + ",".join(value(v) for v in data) + "]"
    raise ValueError(f"a {type(data).__name__} is not serialised here (use a string)")


# -- metav1.Duration: time.ParseDuration, then time.Duration.String() -----------------

_UNITS = {"ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000, "ms": 1_000_000,
          "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}


def _leading_digits(text: str) -> tuple[str, str]:
    i = 0
    while i < len(text) and "0" <= text[i] <= "9":
        i += 1
    return text[:i], text[i:]


def parse_duration(text: str) -> int:
    """Nanoseconds, as Go's ``time.ParseDuration`` reads ``text``."""
    rest, negative = text, False
    if rest[:1] in ("-", "+"):
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise ValueError(f"invalid duration {text!r}")
    total = 0
    while rest:
        if not (rest[0] == "." or "0" <= rest[0] <= "9"):
            raise ValueError(f"invalid duration {text!r}")
        whole, rest = _leading_digits(rest)
        frac = ""
        if rest[:1] == ".":
            frac, rest = _leading_digits(rest[1:])
            if not whole and not frac:
                raise ValueError(f"invalid duration {text!r}")
        elif not whole:
            raise ValueError(f"invalid duration {text!r}")
        i = 0
        while i < len(rest) and not (rest[i] == "." or "0" <= rest[i] <= "9"):
            i += 1
        unit_name, rest = rest[:i], rest[i:]
        if unit_name not in _UNITS:
            raise ValueError(f"invalid duration {text!r}: {'missing' if not unit_name else 'unknown'} unit")
        unit = _UNITS[unit_name]
        v = int(whole or "0")
        if v > (1 << 63) // unit:
            raise ValueError(f"invalid duration {text!r}: too long")
        v *= unit
        f, scale = 0, 1.0
        for d in frac:
            if f > _INT64_MAX // 10:  # as Go does, digits past int64's precision are dropped
                break
            f, scale = f * 10 + int(d), scale * 10
        if f:
            # As Go does, in float64: nanosecond-exact for fractions of hours.
            v += int(float(f) * (float(unit) / scale))
        total += v
        if total > 1 << 63:
            raise ValueError(f"invalid duration {text!r}: too long")
    if not negative and total > _INT64_MAX:
        raise ValueError(f"invalid duration {text!r}: too long")
    return -total if negative else total


def _frac(v: int, prec: int) -> tuple[str, int]:
    digits, shown = [], False
    for _ in range(prec):
        digit, v = v % 10, v // 10
        shown = shown or digit != 0
        if shown:
            digits.append(str(digit))
    return ("." + "".join(reversed(digits)) if shown else ""), v


def format_duration(ns: int) -> str:
    """Go's ``time.Duration.String()``: ``1h0m0s``, ``1m30s``, ``1.5s``, ``500ms``, ``0s``."""
    sign, u = ("-" if ns < 0 else ""), abs(ns)
    if u == 0:
        return "0s"
    if u < 1_000_000_000:
        prec, unit = (0, "ns") if u < 1_000 else (3, "\u00b5s") if u < 1_000_000 else (6, "ms")
        frac, whole = _frac(u, prec)
        return f"{sign}{whole}{frac}{unit}"
    frac, secs = _frac(u, 9)
    out = f"{secs % 60}{frac}s"
    mins = secs // 60
    if mins:
        out = f"{mins % 60}m{out}"
        if mins // 60:
            out = f"{mins // 60}h{out}"
    return sign + out


def duration(text: str) -> str:
    """A ``metav1.Duration`` as Go writes it back."""
    return string(format_duration(parse_duration(text)))


# -- resource.Quantity: ParseQuantity, then MarshalJSON ---------------------------------

_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIX = {e: s for s, e in _DECIMAL.items()}
_BINARY_SUFFIX = {0: "", **{e // 10: s for s, e in _BINARY.items()}}


def _go_mod(a: int, b: int) -> int:
    """Go's ``%``: the remainder takes the dividend's sign."""
    r = abs(a) % b
    return -r if a < 0 else r


def _canonical_decimal(amount: int, exponent: int) -> str:
    while amount % 10 == 0:
        amount, exponent = amount // 10, exponent + 1
    if _go_mod(exponent, 3) in (1, -2):
        amount, exponent = amount * 10, exponent - 1
    elif _go_mod(exponent, 3) in (2, -1):
        amount, exponent = amount * 100, exponent - 2
    if amount > _INT64_MAX or exponent not in _DECIMAL_SUFFIX:
        raise ValueError("is too large or too precise to be reproduced here; write it in canonical form")
    return f"{amount}{_DECIMAL_SUFFIX[exponent]}"


def quantity(text: str) -> str:
    """A ``resource.Quantity`` as Go writes it back, for the forms Kubernetes keeps in
    an int64 (a ``ValueError`` for the others: exponents, signs, a fraction of a binary
    unit, over 18 digits)."""
    if text == "0":
        return '"0"'
    i = 0
    while i < len(text) and text[i] in "0123456789.":
        i += 1
    number, suffix = text[:i], text[i:]
    whole, _, denom = number.partition(".")
    if not number or number.count(".") > 1 or not (whole or denom):
        raise ValueError(f"{text!r} is not a quantity this tool can reproduce (digits, an optional "
                         "fraction, then n, u, m, k, M, G, T, P, E or Ki, Mi, Gi, Ti, Pi, Ei)")
    num = whole.lstrip("0") or "0"
    if suffix in _DECIMAL:
        scale = _DECIMAL[suffix] - len(denom)
        if 18 - (len(num) + len(denom)) < 0 or scale < -9:
            raise ValueError(f"{text!r} has more digits than this tool reproduces; write it in canonical form")
        shifted = num + denom
        amount = int(shifted)
        if _go_mod(scale, 3) == 0 and not shifted.endswith("000") and shifted[0] != "0":
            return string(text)  # Go keeps a canonical text as it was written
        return string("0" if amount == 0 else _canonical_decimal(amount, scale))
    if suffix in _BINARY:
        exponent = _BINARY[suffix]
        if denom or 15 - len(num) - int(exponent * 3 / 10) - 1 < 0:
            raise ValueError(f"{text!r}: a fraction of a binary unit is not reproduced here; "
                             "write it in canonical form")
        amount = int(num) << exponent
        if amount > _INT64_MAX:
            raise ValueError(f"{text!r} is too large")
        if int(num) & 7:
            return string(text)
        if amount == 0:
            return '"0"'
        power = 0
        while amount % 1024 == 0 and power < 6:
            amount, power = amount // 1024, power + 1
        return string(f"{amount}{_BINARY_SUFFIX[power]}")
    raise ValueError(f"{text!r}: unit {suffix!r} is not one this tool reproduces (n u m k M G T P E, Ki Mi Gi Ti Pi Ei)")

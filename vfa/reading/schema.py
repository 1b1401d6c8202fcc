"""Checking a vfa-reading document: limits first, then the JSON Schema, in one-line messages.

The format is described once, by ``reading-format.schema.json`` (JSON Schema draft 2020-12,
shipped in this package; docs/reading-format.schema.json is the same file). Loading a reading
runs, in order:

1. :func:`parse_json`: strict JSON with the limits of :mod:`vfa.limits` (number literals of
   at most ``NUMBER_CHARS`` characters, nesting at most ``JSON_DEPTH``), never Python's own
   int-conversion or recursion errors;
2. :func:`check_limits`: a walk of the whole document (unknown keys included) refusing
   non-finite numbers (``NaN``, ``Infinity``), numbers beyond ``ABS_NUMBER``, strings longer
   than ``TEXT_CHARS`` or holding lone surrogates, nesting beyond ``JSON_DEPTH``;
3. :func:`validate`: the schema, its first error turned into one line: the path in the
   document and what was expected.

Every refusal is a :class:`vfa.errors.ReadingFormatError`. What the schema cannot say (a level
given twice, a proposal whose point is missing, impossible six-point geometry, an impossible
calendar date, settings thresholds not ascending) is checked by the mapping in
:mod:`vfa.reading.reading`.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Iterator

from vfa import limits
from vfa.errors import ReadingFormatError

if TYPE_CHECKING:  # pragma: no cover
    from jsonschema import ValidationError  # type: ignore[import-untyped]

#: The schema file inside the package (docs/reading-format.schema.json is the same file).
SCHEMA_RESOURCE = "reading-format.schema.json"

#: The two items of ``pixel_spacing_mm`` may be any number: an unusable spacing is not an
#: error but a warning, and the reading is then uncalibrated (domain.md §5).
_SPACING_KEY = "pixel_spacing_mm"
_SURROGATE = re.compile("[\ud800-\udfff]")
_REPR_CHARS = 60
_LEVEL = re.compile(r"^\s*([Tt]([4-9]|1[0-2])|[Ll][1-4])\s*$")


class _LongNumber:
    """A number literal longer than ``limits.NUMBER_CHARS`` (kept as text, never converted)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"<a number of {len(self.text)} characters>"


def _parse_int(text: str) -> Any:
    return _LongNumber(text) if len(text) > limits.NUMBER_CHARS else int(text)


def _parse_float(text: str) -> Any:
    return _LongNumber(text) if len(text) > limits.NUMBER_CHARS else float(text)


def parse_json(text: str, source: str = "reading") -> Any:
    """``json.loads`` with the number and nesting limits; ReadingFormatError otherwise."""
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=_parse_float)
    except json.JSONDecodeError as exc:
        raise ReadingFormatError(f"{source} is not valid JSON (line {exc.lineno}, column "
                                 f"{exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise ReadingFormatError(f"{source}: arrays or objects nested deeper than "
                                 f"{limits.JSON_DEPTH} levels: the limit of a reading file") from None


# --------------------------------------------------------------------------------------
# Paths and values in messages
# --------------------------------------------------------------------------------------
def short(value: Any, limit: int = _REPR_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters (a hostile value can be megabytes)."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"... ({len(value)} characters)"
    if isinstance(value, (list, dict)) and len(value) > 8:
        kind = "list" if isinstance(value, list) else "object"
        return f"<a {kind} of {len(value)} items>"
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # ints beyond the conversion limit, deep nesting
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def where(data: Any, path: tuple[Any, ...] | list[Any]) -> str:
    """``field 'patient_id'``, ``vertebrae[3] (L1).reader_grade``: a path in the document."""
    path = list(path)
    if not path:
        return "the reading"
    out = ""
    node = data
    for i, part in enumerate(path):
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
        if i == 1 and path[0] == "vertebrae" and isinstance(node, dict):
            lv = node.get("level")
            if isinstance(lv, str) and _LEVEL.match(lv):
                out += f" ({lv.strip().upper()})"
    return out if path[0] == "vertebrae" and len(path) > 1 else f"field {out!r}"


# --------------------------------------------------------------------------------------
# Limits (before any schema work)
# --------------------------------------------------------------------------------------
def check_limits(data: Any) -> None:
    """Refuse values beyond :mod:`vfa.limits` anywhere in ``data`` (unknown keys included),
    iteratively (no recursion, whatever the nesting)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > limits.JSON_DEPTH:
            raise ReadingFormatError(f"{where(data, path[:limits.JSON_DEPTH])}: nested deeper than "
                                     f"{limits.JSON_DEPTH} levels, the limit of a reading file")
        if isinstance(node, dict):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise ReadingFormatError(f"{where(data, path)}: key {short(k)} is not text")
                _check_text(data, path + (k,), k, "key")
                stack.append((v, path + (k,)))
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                stack.append((v, path + (i,)))
        elif isinstance(node, str):
            _check_text(data, path, node, "text")
        elif isinstance(node, _LongNumber):
            raise ReadingFormatError(f"{where(data, path)}: a number written with {len(node.text)} "
                                     f"characters; the limit is {limits.NUMBER_CHARS}")
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, (int, float)):
            if len(path) == 2 and path[0] == _SPACING_KEY:
                continue  # range-checked by the mapping: a warning, not an error
            _check_number(data, path, node, points=len(path) == 5 and path[2] in ("points", "proposals"))


def _field_limit(path: tuple[Any, ...]) -> tuple[int, str]:
    """The schema's maxLength of the text at ``path`` (a top-level or a vertebra field), else
    the general limit ``TEXT_CHARS``; with the field's description."""
    props: dict[str, Any] = {}
    if len(path) == 1:
        props = schema()["properties"]
    elif len(path) == 3 and path[0] == "vertebrae":
        props = schema()["$defs"]["vertebra"]["properties"]
    field = props.get(str(path[-1])) if props else None
    if isinstance(field, dict) and "maxLength" in field:
        return int(field["maxLength"]), str(field.get("description", ""))
    return limits.TEXT_CHARS, ""


def _check_text(data: Any, path: tuple[Any, ...], text: str, what: str) -> None:
    if len(text) > limits.PN_CHARS:  # cheap first test: every field limit but TEXT/PATH is below
        limit, desc = (limits.TEXT_CHARS, "") if what == "key" else _field_limit(path)
        if len(text) > limit:
            raise ReadingFormatError(f"{where(data, path)} is {len(text)} characters long: the limit is "
                                     f"{limit}" + (f" ({desc})" if desc else ""))
    if not text.isascii() and _SURROGATE.search(text):
        raise ReadingFormatError(f"{where(data, path)}: {what} holds a lone UTF-16 surrogate "
                                 "(e.g. \\ud800), which is not text: the file is damaged")


def _check_number(data: Any, path: tuple[Any, ...], x: int | float, points: bool = False) -> None:
    if isinstance(x, float) and not math.isfinite(x):
        token = "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
        raise ReadingFormatError(f"{where(data, path)} is {token}: non-finite numbers (NaN, Infinity) "
                                 "are not allowed in a reading file")
    if points and abs(x) > limits.COORDINATE_PX:
        raise ReadingFormatError(f"{where(data, path)} is {short(x)}: a coordinate beyond "
                                 f"{limits.COORDINATE_PX:g} pixels (no film is that large; the file is damaged)")
    if abs(x) > limits.ABS_NUMBER:
        raise ReadingFormatError(f"{where(data, path)} is {short(x)}: numbers in a reading file are at "
                                 f"most {limits.ABS_NUMBER:g} in absolute value")


# --------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------
def schema_text() -> str:
    """The JSON Schema of the format, as shipped in the package."""
    return resources.files("vfa.reading").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_text())
    return data


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with every local ``{"$ref": "#/$defs/x"}`` replaced by the definition itself.
    The same schema; jsonschema validates it about 40 % faster (no reference lookups)."""
    if isinstance(node, list):
        return [_inlined(x, defs) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inlined(v, defs) for k, v in node.items() if k not in ("$ref", "$defs")}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = _inlined(defs[ref[len("#/$defs/"):]], defs)
        out = {**target, **out}
    return out


@lru_cache(maxsize=1)
def _validator() -> Any:
    """The compiled validator (built once per process; jsonschema is imported here only)."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
    full = schema()
    return Draft202012Validator(_inlined(full, full.get("$defs", {})))


def validate(data: Any) -> None:
    """Raise ReadingFormatError for the first way ``data`` departs from the schema."""
    validator = _validator()
    if validator.is_valid(data):
        return
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]
    errors = list(itertools.islice(validator.iter_errors(data), 100))
    # An error of a conditional (if/then/else) only when nothing plainer is wrong: a bad
    # 'spacing_source' is the error, not the spacing that its 'else' then asks for.
    plain = [e for e in errors if not {"if", "then", "else"} & set(map(str, e.absolute_schema_path))]
    error = best_match(plain or errors)
    if error is None:  # pragma: no cover - is_valid said otherwise
        return
    raise ReadingFormatError(message(data, error))


_TYPE_WORDS = {"string": "a string", "number": "a number", "integer": "an integer",
               "boolean": "true or false", "null": "null", "array": "an array", "object": "an object"}


def _expected(schema: dict[str, Any]) -> str | None:
    exp = schema.get("x-expected")
    return str(exp) if exp else None


def message(data: Any, error: "ValidationError") -> str:
    """One line: the path in the document and what was expected."""
    path = tuple(error.absolute_path)
    at = where(data, path)
    kw = error.validator
    val = error.validator_value
    sch = error.schema if isinstance(error.schema, dict) else {}
    inst = error.instance
    if sch.get("x-message"):
        head = f"{at}: " if path else ""
        if kw == "required":
            return f"{head}{sch['x-message']}"
        return f"{head}{sch['x-message']}, got {short(inst)}"
    if "propertyNames" in map(str, error.absolute_schema_path):
        names = ", ".join(str(v) for v in (val if kw == "enum" else []))
        return f"{at}: unknown key {short(inst)}" + (f": expected one of {names}" if names else "")
    if kw == "required":
        missing = [k for k in val if isinstance(inst, dict) and k not in inst]
        name = missing[0] if missing else "?"
        return f"field {name!r} is missing" if not path else f"{at}: {name!r} is missing"
    if kw == "type":
        kinds = [val] if isinstance(val, str) else list(val)
        words = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
        exp = _expected(sch)
        return f"{at} must be {exp + ' (' + words + ')' if exp else words}, got {short(inst)}"
    if kw in ("enum", "const"):
        if kw == "const":
            return f"{at} must be {short(val)}, got {short(inst)}"
        exp = _expected(sch) or "one of " + ", ".join(
            "null" if v is None else (repr(v) if isinstance(v, str) else str(v)) for v in val)
        return f"{at} is {short(inst)}: expected {exp}"
    if kw in ("maxLength", "minLength"):
        desc = sch.get("description")
        return (f"{at} is {len(inst)} characters long: the limit is {val}"
                + (f" ({desc})" if desc else ""))
    if kw == "pattern":
        return f"{at} is {short(inst)}: expected {_expected(sch) or 'text matching ' + repr(val)}"
    if kw in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
              "exclusiveMaximum": "less than"}[kw]
        return f"{at} is {short(inst)}: expected a number {op} {val:g}"
    if kw in ("minItems", "maxItems"):
        exp = _expected(sch) or f"between {sch.get('minItems', 0)} and {sch.get('maxItems', 'any')} items"
        return f"{at} must be {exp}, got {short(inst)}"
    return f"{at}: {error.message[:200]}"


def iter_errors(data: Any) -> Iterator[str]:
    """Every schema error of ``data`` as a one-line message (for tools and tests)."""
    for err in _validator().iter_errors(data):
        yield message(data, err)

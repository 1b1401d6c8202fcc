"""Helpers shared by the command modules."""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable, Iterator, TypeVar

T = TypeVar("T")


def _default(o: Any) -> Any:
    import datetime
    import enum
    if isinstance(o, enum.Enum):
        return o.value
    if isinstance(o, (datetime.date, datetime.datetime)):
        return o.isoformat()
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=_default, ensure_ascii=False)
    sys.stdout.write("\n")


def fmt(value: Any, digits: int = 2, none: str = "–") -> str:
    if value is None:
        return none
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def progress(items: Iterable[T], total: int, label: str, enabled: bool = True) -> Iterator[T]:
    """Yield items, printing ``label: i/total`` on stderr (only on a terminal, or when forced)."""
    show = enabled and total > 1 and sys.stderr.isatty()
    for i, item in enumerate(items, 1):
        if show:
            sys.stderr.write(f"\r{label}: {i}/{total}")
            sys.stderr.flush()
        yield item
    if show:
        sys.stderr.write("\n")

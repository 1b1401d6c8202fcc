"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
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


def strict_json(data: Any) -> str:
    """``data`` as strict JSON (RFC 8259): a non-finite number (NaN, Infinity), which strict
    parsers refuse, is written as ``null`` and named in the added top-level key
    ``"non_finite"`` (a list of JSON paths, e.g. ``"$.settings.compare_borderline_as"``) when
    ``data`` is an object; never as ``NaN``/``Infinity`` (docs/exports.md)."""
    try:
        return json.dumps(data, indent=2, default=_default, ensure_ascii=False, allow_nan=False)
    except ValueError:
        pass
    paths: list[str] = []
    clean = _finite(data, "$", paths)
    if isinstance(clean, dict) and paths:
        clean = dict(clean, non_finite=paths)
    return json.dumps(clean, indent=2, default=_default, ensure_ascii=False, allow_nan=False)


def _finite(value: Any, path: str, paths: list[str]) -> Any:
    import math
    if isinstance(value, dict):
        return {k: _finite(v, f"{path}.{k}", paths) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v, f"{path}[{i}]", paths) for i, v in enumerate(value)]
    if isinstance(value, float) or (hasattr(value, "dtype") and hasattr(value, "item")
                                    and getattr(value, "ndim", 1) == 0):
        x = value.item() if hasattr(value, "item") else value
        if isinstance(x, float) and not math.isfinite(x):
            paths.append(path)
            return None
        return x
    if hasattr(value, "tolist"):
        return _finite(value.tolist(), path, paths)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        try:
            return _finite(_default(value), path, paths)
        except TypeError:
            return value
    return value


def print_json(data: Any) -> None:
    """Print ``data`` as strict JSON (:func:`strict_json`)."""
    sys.stdout.write(strict_json(data))
    sys.stdout.write("\n")


def fmt(value: Any, digits: int = 2, none: str = "–") -> str:
    if value is None:
        return none
    if isinstance(value, float):
        text = f"{value:.{digits}f}"
        return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # no "-0.0"
    return str(value)


class Progress:
    """``label: i/total`` on stderr: redrawn in place on a terminal; elsewhere (logs, pipes,
    ``force``) one line at each tenth of the way. Silent for a single item."""

    def __init__(self, label: str, force: bool = False) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.enabled = self.tty or force
        self._last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 1:
            return
        if self.tty:
            sys.stderr.write(f"\r{self.label}: {done}/{total}")
            if done >= total:
                sys.stderr.write("\n")
        else:
            tenth = done * 10 // total
            if tenth != self._last_tenth:
                self._last_tenth = tenth
                sys.stderr.write(f"{self.label}: {done}/{total}\n")
        sys.stderr.flush()


def progress(items: Iterable[T], total: int, label: str, force: bool = False) -> Iterator[T]:
    """Yield items while reporting progress with :class:`Progress`."""
    report = Progress(label, force)
    for i, item in enumerate(items, 1):
        yield item
        report(i, total)


def add_allow_proposed(p: "argparse.ArgumentParser") -> None:
    """The exports' override of the rule that unaccepted proposed points are not exported."""
    p.add_argument("--allow-proposed", action="store_true",
                   help="export points proposed by 'vfa propose' that no reader accepted yet")


def pending_levels(reading: Any) -> list[str]:
    """Levels holding proposed points that no reader accepted yet ('T12', ...): their
    measurements and grades are unconfirmed (docs/semi-automatic.md)."""
    return [v.level.value for v in reading if v.pending_proposals]


def unconfirmed_note(levels: list[str], which: str = "") -> str:
    """The warning line printed under a table with unconfirmed levels."""
    return (f"UNCONFIRMED: {', '.join(levels)}{which} hold proposed points that no reader "
            "accepted: their heights and grades are the proposal's, not a reader's (accept or "
            "move the points in the viewer)")


def add_workspace_for_precision(p: "argparse.ArgumentParser") -> None:
    """``--workspace DIR``: where the reader's saved precision study is looked up."""
    p.add_argument("--workspace", metavar="DIR",
                   help="workspace whose saved precision study of the reader gives the "
                        "measurement SD (default: $VFA_WORKSPACE or the user's workspace; "
                        "none saved: the setting precision_sd_pct)")


def precision_workspace(args: argparse.Namespace) -> str:
    """The workspace folder to look a precision study up in (nothing is created)."""
    if getattr(args, "workspace", None):
        return str(args.workspace)
    from vfa.storage.workspace import default_workspace_dir
    return str(default_workspace_dir())

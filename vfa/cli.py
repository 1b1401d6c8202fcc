"""The ``vfa`` command line.

Each sub-command is a module in :mod:`vfa.commands` with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; modules are discovered, so adding a
command never edits this file. Errors: one clear line on stderr and a non-zero exit status,
never a traceback (set ``VFA_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import sys
from typing import Any, Sequence

from vfa import __version__
from vfa.errors import VfaError, is_native_panic, one_line, printable, quiet_third_party_logs

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "build_parser", "main", "printable", "quiet_third_party_logs"]

#: Exit statuses: 0 ok, 1 the input is bad (VfaError), 2 usage, 3 unexpected error.
EXIT_BAD_INPUT = 1
EXIT_INTERNAL = 3


def _commands() -> list:
    from vfa import commands
    mods = []
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return mods


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vfa", description="Vertebral fracture assessment on lateral spine radiographs.")
    parser.add_argument("--version", action="version", version=f"vfa {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in _commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def show_vfa_warnings(command: str) -> list[str]:
    """A :class:`vfa.errors.VfaWarning` (something refused without refusing the input) becomes
    one ``vfa COMMAND: warning: ...`` line, never Python's two-line form. The lines are kept in
    the list returned and printed when the command has done its job: a command that fails says
    one line, its error, and nothing before it."""
    import warnings
    from vfa.errors import VfaWarning
    previous = getattr(warnings.showwarning, "vfa_previous", warnings.showwarning)
    lines: list[str] = []

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if issubclass(category, VfaWarning):
            lines.append(f"vfa {command}: warning: {' '.join(printable(str(message)).split())}")
        else:
            previous(message, category, filename, lineno, file, line)
    show.vfa_previous = previous  # type: ignore[attr-defined]  # a second main() replaces, not stacks
    warnings.showwarning = show
    warnings.simplefilter("always", VfaWarning)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    quiet_third_party_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
    warned = show_vfa_warnings(args.command)
    try:
        code = int(args._run(args) or 0)
        for line in warned:
            print(line, file=sys.stderr)
        return code
    except VfaError as exc:
        print(f"vfa {args.command}: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print(f"vfa {args.command}: interrupted", file=sys.stderr)
        return 130
    except BaseException as exc:  # noqa: BLE001 - the last line of defence: no traceback
        if os.environ.get("VFA_DEBUG"):
            raise
        if not isinstance(exc, Exception):
            if not is_native_panic(exc):
                raise  # SystemExit, GeneratorExit
            # a native decoder panicked outside the loader: a bad file, not our bug
            print(f"vfa {args.command}: error: a native decoder failed on the input "
                  f"({one_line(exc)}): the file may be damaged; re-export it", file=sys.stderr)
            return EXIT_BAD_INPUT
        bad = bad_input_message(exc)
        if bad is not None:
            print(f"vfa {args.command}: error: {bad}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"vfa {args.command}: unexpected error ({exc.__class__.__name__}: {one_line(exc)}); "
              "run with VFA_DEBUG=1 for details and report it", file=sys.stderr)
        return EXIT_INTERNAL


#: Libraries that parse outside data: an exception raised inside them (the innermost frame of
#: its traceback is theirs) is the input's fault, not ours.
PARSER_MODULES = ("pydicom", "highdicom", "cv2", "PIL", "pylibjpeg", "libjpeg", "openjpeg", "rle")

_OS_ERRORS = {
    errno.ENOENT: "does not exist: check the path",
    errno.ENAMETOOLONG: "has a name too long for the file system: rename or move it",
    errno.EISDIR: "is a folder, not a file: pass a file",
    errno.ENOTDIR: "is not under a folder (a part of the path is a file): check the path",
    errno.EACCES: "cannot be read or written (permission denied): ask for access or choose another place",
    errno.EPERM: "cannot be read or written (operation not permitted): choose another place",
    errno.ELOOP: "is a loop of symbolic links: fix the link",
    errno.ENOSPC: "cannot be written: the disk is full; free space and run again",
    errno.EROFS: "cannot be written: the file system is read-only; choose another place",
    errno.EMFILE: "cannot be opened: too many open files; close some programs and run again",
    errno.ENXIO: "is a device or pipe with nothing behind it: pass a regular file",
}


def bad_input_message(exc: BaseException) -> str | None:
    """The one error line for an exception that a hostile or damaged input raises from a
    parser (the central error policy, README "Errors"), or None for a real bug of ours.

    Mapped to exit 1: nesting too deep (RecursionError), a number too long to convert
    (ValueError of the integer-digit limit), an operating-system error on a path (missing,
    name too long, a folder, permission...), invalid JSON or CSV, and any exception raised
    inside a parsing library (pydicom, highdicom, OpenCV, Pillow: see :data:`PARSER_MODULES`).
    The message never quotes the input's values (they may hold patient names)."""
    import csv
    import json
    if isinstance(exc, RecursionError):
        return ("the input is nested too deeply to be read (a damaged or hostile file): "
                "check the file or export it again")
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        return ("the input holds a number with thousands of digits (a damaged or hostile file): "
                "check the file or export it again")
    if isinstance(exc, json.JSONDecodeError):
        return (f"the input is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): "
                "check the file or export it again")
    if isinstance(exc, UnicodeError):
        return "the input is not valid text in its encoding (UTF-8 expected): save it as UTF-8 and try again"
    if isinstance(exc, csv.Error):
        return f"the input is not valid CSV ({one_line(exc)}): check the file and try again"
    if isinstance(exc, OSError) and exc.errno in _OS_ERRORS:
        name = exc.filename if exc.filename is not None else "a file"
        shown = printable(str(name))
        if len(shown) > 120:
            shown = shown[:60] + "…" + shown[-40:]
        return f"{shown} {_OS_ERRORS[exc.errno]}"
    if isinstance(exc, MemoryError):
        return ("not enough memory for this input (a damaged header claiming a huge size?): check "
                "the file, or close other programs and try again")
    module = _raising_module(exc)
    if module is not None:
        return (f"the input could not be read by {module.split('.')[0]} ({exc.__class__.__name__}: "
                f"{one_line(exc)[:120]}): the file is damaged or not what the command expects; "
                "check it or export it again")
    return None


def _raising_module(exc: BaseException) -> str | None:
    """The parsing library (:data:`PARSER_MODULES`) an exception was raised in, if any: the
    exception's own class (``cv2.error``, ``pydicom.errors.InvalidDicomError``), or a frame of
    that library deeper in the traceback than our own last frame (highdicom raising through
    the standard library's ``enum``: still highdicom's refusal of the input). An exception
    raised in our own code after the library returned is ours: a bug."""
    mod = type(exc).__module__ or ""
    if _is_parser(mod):
        return mod
    names = []
    tb = exc.__traceback__
    while tb is not None:
        names.append(str(tb.tb_frame.f_globals.get("__name__", "") or ""))
        tb = tb.tb_next
    ours = [i for i, n in enumerate(names) if n == "vfa" or n.startswith("vfa.")]
    for name in names[(ours[-1] + 1) if ours else 0:]:
        if _is_parser(name):
            return name
    return None


def _is_parser(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in PARSER_MODULES)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

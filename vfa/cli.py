"""The ``vfa`` command line.

Each sub-command is a module in :mod:`vfa.commands` with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; modules are discovered, so adding a
command never edits this file. Errors: one clear line on stderr and a non-zero exit status,
never a traceback (set ``VFA_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from typing import Any, Sequence

from vfa import __version__
from vfa.errors import VfaError, is_native_panic

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


def quiet_third_party_logs() -> None:
    """pydicom's own warnings can quote values of damaged files (names, birth dates): keep
    them out of logs and terminals. Our loader reports problems in its own words."""
    import logging
    import warnings
    logging.getLogger("pydicom").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"pydicom(\..*)?")


def show_vfa_warnings(command: str) -> None:
    """A :class:`vfa.errors.VfaWarning` (something refused without refusing the input) is one
    ``vfa COMMAND: warning: ...`` line on stderr, every time, never Python's two-line form."""
    import warnings
    from vfa.errors import VfaWarning
    previous = getattr(warnings.showwarning, "vfa_previous", warnings.showwarning)

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if issubclass(category, VfaWarning):
            print(f"vfa {command}: warning: {printable(str(message))}", file=sys.stderr)
        else:
            previous(message, category, filename, lineno, file, line)
    show.vfa_previous = previous  # type: ignore[attr-defined]  # a second main() replaces, not stacks
    warnings.showwarning = show
    warnings.simplefilter("always", VfaWarning)


def main(argv: Sequence[str] | None = None) -> int:
    quiet_third_party_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
    show_vfa_warnings(args.command)
    try:
        return int(args._run(args) or 0)
    except VfaError as exc:
        print(f"vfa {args.command}: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"vfa {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except BaseException as exc:  # noqa: BLE001 - the last line of defence: no traceback
        if os.environ.get("VFA_DEBUG"):
            raise
        if not isinstance(exc, Exception):
            if not is_native_panic(exc):
                raise  # SystemExit, GeneratorExit
            # a native decoder panicked outside the loader: a bad file, not our bug
            print(f"vfa {args.command}: error: a native decoder failed on the input "
                  f"({_one_line(exc)}): the file may be damaged; re-export it", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"vfa {args.command}: unexpected error ({exc.__class__.__name__}: {_one_line(exc)}); "
              "run with VFA_DEBUG=1 for details and report it", file=sys.stderr)
        return EXIT_INTERNAL


def printable(text: str) -> str:
    """``text`` on one line: line breaks and other control characters (a damaged file's
    values can hold any byte) are shown escaped, e.g. ``\\x0b``, never as a new line."""
    import unicodedata
    out = []
    for ch in text:
        if ch == "\n":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _one_line(exc: BaseException) -> str:
    text = " ".join(printable(str(exc)).split())
    return text[:200] or exc.__class__.__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

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
from typing import Sequence

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


def main(argv: Sequence[str] | None = None) -> int:
    quiet_third_party_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
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
                  f"({one_line(exc)}): the file may be damaged; re-export it", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"vfa {args.command}: unexpected error ({exc.__class__.__name__}: {one_line(exc)}); "
              "run with VFA_DEBUG=1 for details and report it", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

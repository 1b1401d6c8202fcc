"""``vfa import READINGS... --workspace DIR [--films DIR]``: register finished readings (JSON
or DICOM SR) and their films into a workspace (vfa/importing.py)."""

from __future__ import annotations

import argparse
import sys

NAME = "import"
HELP = "register reading files (JSON or SR) and their films into a workspace"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="READINGS",
                   help="reading files (vfa-reading JSON or VFA DICOM SR) or folders of them")
    p.add_argument("--workspace", required=True, metavar="DIR",
                   help="the workspace to import into (created if needed)")
    p.add_argument("--films", action="append", default=[], metavar="DIR",
                   help="where to look for films the readings do not locate (e.g. for SR, "
                        "which name their film only by UID); repeatable")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from vfa.commands._common import print_json
    from vfa.errors import WorkspaceError
    from vfa.importing import import_readings
    from vfa.storage.workspace import Workspace

    ws = Workspace(args.workspace)
    try:
        report = import_readings(ws, args.inputs, films=args.films)
    finally:
        ws.close()
    if args.json:
        print_json({"imported": [{"from": str(a), "to": str(b)} for a, b in report.imported],
                    "problems": [{"file": str(a), "problem": why} for a, why in report.problems]})
    else:
        for a, b in report.imported:
            print(f"imported {a} -> {b}")
    for a, why in report.problems:
        print(f"{a}: {why}", file=sys.stderr)
    if not report.imported:
        raise WorkspaceError("nothing was imported" + (": see the problems above"
                                                      if report.problems else ": no reading files found"))
    print(f"{len(report.imported)} reading(s) imported into {args.workspace}"
          + (f", {len(report.problems)} not imported" if report.problems else ""), file=sys.stderr)
    return 1 if report.problems else 0

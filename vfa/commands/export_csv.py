"""``vfa export-csv WORKSPACE|READINGS... -o readings.csv [--summary PATH]``.

One row per vertebra per visit per reader (12 point coordinates, heights, ratios, grades,
change against the reader's baseline, SDI), plus a per-visit summary CSV
(``readings-summary.csv`` unless ``--summary`` says otherwise). Columns: docs/exports.md.
"""

from __future__ import annotations

import argparse
import sys

from vfa.commands._common import add_allow_proposed

NAME = "export-csv"
HELP = "export readings (a workspace, folders or files) as CSV for R/pandas, with a per-visit summary"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="WORKSPACE|READING.json",
                   help="a workspace folder, a folder of reading files, or reading files")
    p.add_argument("-o", "--output", required=True, metavar="readings.csv")
    p.add_argument("--summary", metavar="PATH",
                   help="per-visit summary CSV (default: OUTPUT with a -summary suffix)")
    add_allow_proposed(p)


def run(args: argparse.Namespace) -> int:
    from vfa.outputs.export_csv import collect_readings, export_csv

    readings = collect_readings(args.inputs)
    p1, p2, rows, visits = export_csv(readings, args.output, args.summary,
                                         allow_proposed=args.allow_proposed)
    print(f"wrote {p1} ({rows} rows, {visits} visit(s)) and {p2}", file=sys.stderr)
    return 0

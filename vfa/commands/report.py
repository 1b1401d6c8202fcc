"""``vfa report PATIENT_ID|READING.json... -o report.pdf [--workspace DIR] [--deidentify]``.

A PDF for the patient's file: per visit the annotated film, the level table, SDI and counts;
for follow-ups the change table against the earliest visit and trend plots. Arguments that
are existing files are readings; anything else is a patient ID looked up in the workspace.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vfa.errors import ReadingFormatError
from vfa.commands._common import add_allow_proposed

NAME = "report"
HELP = "write a PDF report of one patient's readings (per visit, change vs baseline, trends)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="PATIENT_ID|READING.json",
                   help="reading files, or a patient ID to take every reading from the workspace")
    p.add_argument("-o", "--output", required=True, metavar="report.pdf")
    p.add_argument("--workspace", metavar="DIR",
                   help="workspace folder for patient IDs (default: $VFA_WORKSPACE or the user's)")
    p.add_argument("--reader", help="with a patient ID: only this reader's readings")
    p.add_argument("--deidentify", action="store_true",
                   help="no name, patient ID or birth date in the report (age only)")
    add_allow_proposed(p)
    p.add_argument("--allow-missing-images", action="store_true",
                   help="write the report even when some films cannot be found (those visits "
                        "are shown without image); without it a missing film is an error")


def run(args: argparse.Namespace) -> int:
    from vfa.reading.reading import load_reading
    from vfa.outputs.report_pdf import VisitInput, film_for, patient_inputs, write_report

    visits: list[VisitInput] = []
    ws = None
    try:
        for item in args.inputs:
            p = Path(item)
            if p.is_file():
                r = load_reading(p)
                visits.append(VisitInput(r, film_for(r, p), p))
                continue
            if p.suffix.lower() == ".json" or "/" in item or "\\" in item:
                raise ReadingFormatError(f"reading file {item} does not exist")
            if ws is None:
                from vfa.storage.workspace import Workspace
                ws = Workspace(args.workspace)
            visits += patient_inputs(ws, item, reader=args.reader)
    finally:
        if ws is not None:
            ws.close()
    out = write_report(visits, args.output, deidentify=args.deidentify,
                       allow_proposed=args.allow_proposed,
                       allow_missing_images=args.allow_missing_images)
    missing = sum(1 for v in visits if v.film is None)
    note = f"; {missing} film(s) not found, shown without image" if missing else ""
    print(f"wrote {out} ({len(visits)} visit(s){note})", file=sys.stderr)
    return 0


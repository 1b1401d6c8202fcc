"""``vfa cohort READINGS...|--workspace DIR [--clinical FILE.csv] [--reader R] [--json]
[-o FILE.pdf|FILE.csv]``: the case-series table of study outcomes (domain.md §8).

One row per patient: age at baseline, visits, months of follow-up, prevalent fractures and
SDI at baseline, incident / worsened / reshaped levels at the last visit (and between
consecutive visits), SDI at the last visit on the levels evaluable at both, unconfirmed grades,
BMD Z-scores near the first and last visit, diagnosis and treatment; a summary over the cohort.
Per film the consensus reading when there is one, else ``--reader``'s.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from vfa.reading.reading import Reading
    from vfa.study.clinical import ClinicalContext

NAME = "cohort"
HELP = "case-series table of study outcomes over patients and visits (text, JSON, PDF, CSV)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="*", metavar="READINGS",
                   help="reading files or folders of them (or a workspace folder)")
    p.add_argument("--workspace", metavar="DIR",
                   help="take every reading and the clinical context from this workspace")
    p.add_argument("--clinical", metavar="FILE.csv",
                   help="clinical context CSV (patient_id,date,kind,value,detail), added to the "
                        "workspace's")
    p.add_argument("--reader", metavar="R",
                   help="whose readings to use where a film has no consensus reading")
    p.add_argument("--deidentify", action="store_true",
                   help="for publication: patients as 'Case 1', 'Case 2'... (by baseline date), "
                        "dates as months from each patient's baseline, no free notes")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-o", "--output", metavar="FILE.pdf|FILE.csv",
                   help="write the case-series page (PDF) or the table for statistics (CSV)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vfa.study.clinical import group_by_patient, load_csv, merge_events
    from vfa.outputs.cohort_csv import write_csv
    from vfa.storage.workspace import workspace_inputs
    from vfa.study.cohort import build_cohort, text_lines
    from vfa.errors import ClinicalDataError, CohortError

    if not args.inputs and not args.workspace:
        raise CohortError("no readings: pass reading files or folders, or --workspace DIR")
    out = Path(args.output) if args.output else None
    if out is not None and out.suffix.lower() not in (".pdf", ".csv"):
        raise CohortError(f"{out}: the output must end in .pdf (case-series page) or .csv")
    readings: list[Reading] = []
    clinical: dict[str, ClinicalContext] = {}
    sexes: dict[str, str | None] = {}
    if args.workspace:
        readings, clinical, sexes = workspace_inputs(args.workspace)
    if args.inputs:
        from vfa.outputs.export_csv import collect_readings
        readings += collect_readings(args.inputs)
    if args.clinical:
        try:
            events = load_csv(args.clinical)
        except ClinicalDataError as exc:
            for prob in exc.problems:
                print(f"{args.clinical}: {prob}", file=sys.stderr)
            if exc.problems:
                raise ClinicalDataError(f"{len(exc.problems)} bad row(s) in {args.clinical}: fix "
                                        "the rows above") from None
            raise
        for pid, ctx in group_by_patient(events).items():
            if pid in clinical:
                new, _ = merge_events(clinical[pid].events, ctx.events)
                clinical[pid].events.extend(new)
            else:
                clinical[pid] = ctx
    cohort = build_cohort(readings, clinical, reader=args.reader, sexes=sexes,
                          deidentify=args.deidentify)
    if out is not None:
        if out.suffix.lower() == ".pdf":
            from vfa.outputs.cohort_pdf import write_cohort_pdf
            path = write_cohort_pdf(cohort, out)
        else:
            path = write_csv(cohort, out)
        print(f"wrote {path} ({len(cohort.patients)} patient(s); {cohort.selection.description()})",
              file=sys.stderr)
    if args.json:
        from vfa.commands._common import print_json
        print_json(cohort.to_dict())
    elif out is None:
        print("\n".join(text_lines(cohort)))
    return 0

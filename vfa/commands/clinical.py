"""``vfa clinical import FILE.csv | show [PATIENT_ID] | export -o FILE.csv [--workspace DIR]``.

The clinical context of patients (diagnosis, glucocorticoids and other drugs, bisphosphonate
infusions with dose, lumbar spine BMD Z-scores, notes), kept in the workspace index beside
the readings and reported by ``vfa cohort``. The CSV has the columns
``patient_id,date,kind,value,detail`` (docs/study-outcomes.md); a file with a bad row is
refused as a whole, with one message per bad row (row number, column, what was expected).
"""

from __future__ import annotations

import argparse
import sys

NAME = "clinical"
HELP = "import, show or export patients' clinical context (diagnosis, drugs, infusions, BMD Z)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    imp = sub.add_parser("import", help="import a CSV patient_id,date,kind,value,detail")
    imp.add_argument("csv", metavar="FILE.csv")
    imp.add_argument("--replace", action="store_true",
                     help="the file replaces the whole context of each patient it names "
                          "(default: add new rows, skip rows already there)")
    show = sub.add_parser("show", help="show the clinical context (one patient or all)")
    show.add_argument("patient_id", nargs="?", metavar="PATIENT_ID")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    exp = sub.add_parser("export", help="write the clinical context as the import CSV")
    exp.add_argument("-o", "--output", required=True, metavar="FILE.csv")
    for sp in (imp, show, exp):
        sp.add_argument("--workspace", metavar="DIR",
                        help="workspace folder (default: $VFA_WORKSPACE or the user's)")


def run(args: argparse.Namespace) -> int:
    from vfa.study.clinical import ClinicalContext, group_by_patient, load_csv
    from vfa.errors import ClinicalDataError
    from vfa.storage.workspace import Workspace

    if args.action == "import":
        try:
            events = load_csv(args.csv)
        except ClinicalDataError as exc:
            if exc.problems:
                from vfa.study.clinical import MAX_PROBLEMS_SHOWN
                for prob in exc.problems[:MAX_PROBLEMS_SHOWN]:
                    print(f"{args.csv}: {prob}", file=sys.stderr)
                if len(exc.problems) > MAX_PROBLEMS_SHOWN:
                    print(f"{args.csv}: ... and {len(exc.problems) - MAX_PROBLEMS_SHOWN} more bad "
                          "row(s)", file=sys.stderr)
                n = len(exc.problems)
                raise ClinicalDataError(f"{n} bad row{'s' if n > 1 else ''} in {args.csv}; nothing "
                                        "was imported: fix the rows above and import again") from None
            raise
        ws = Workspace(args.workspace)
        try:
            added, skipped = ws.import_clinical(events, replace=args.replace)
        finally:
            ws.close()
        pts = len({e.patient_id for e in events})
        extra = f", {skipped} already there" if skipped else ""
        print(f"imported {added} clinical event(s) for {pts} patient(s){extra} into {ws.root}",
              file=sys.stderr)
        return 0

    ws = Workspace(args.workspace)
    try:
        events = ws.clinical_events(getattr(args, "patient_id", None))
    finally:
        ws.close()
    if args.action == "export":
        from vfa.atomic import atomic_write_text
        from vfa.outputs.cohort_csv import clinical_csv_text
        out = atomic_write_text(args.output, clinical_csv_text(events))
        print(f"wrote {out} ({len(events)} event(s))", file=sys.stderr)
        return 0
    ctxs = group_by_patient(events)
    if args.patient_id and args.patient_id not in ctxs:
        ctxs[args.patient_id] = ClinicalContext(args.patient_id)
    if args.json:
        from vfa.commands._common import print_json
        print_json({pid: c.to_dict() for pid, c in sorted(ctxs.items())})
        return 0
    if not ctxs:
        print("no clinical context in this workspace (import one with 'vfa clinical import FILE.csv')")
        return 0
    for pid in sorted(ctxs):
        print("\n".join(ctxs[pid].lines()))
    return 0

"""``vfa precision READINGS... [--json]``: precision of repeated readings of the same films.

Readings with the same SOP Instance UID are repeated readings of one film (the same reader
again, or a second reader). Per level and overall: RMS-SD and rmsCV (%) of Ha, Hm, Hp and the
RMS-SD of the percent reduction in percentage points (Glüer 1995; docs/beyond-the-grade.md).
"""

from __future__ import annotations

import argparse

from vfa.commands._common import fmt, print_json

NAME = "precision"
HELP = "precision (RMS-SD, rmsCV) of films read two or more times (same or different readers)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="READING.json|FOLDER",
                   help="reading files or folders of reading files (two or more readings of "
                        "the same film are repeated readings)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--allow-proposed", action="store_true",
                   help="count proposed points nobody accepted (e.g. `vfa propose` output "
                        "against a reader's reading: the precision of the proposals)")


def _cells(st: dict, key: str) -> str:
    s = st.get(key)
    if s is None:
        return f"{'–':>8}{'–':>7}"
    cv = s.rms_cv_pct
    return f"{fmt(s.rms_sd, 2):>8}{fmt(cv, 1) if cv is not None else '–':>7}"


def run(args: argparse.Namespace) -> int:
    from vfa.outputs.export_csv import collect_readings
    from vfa.method.precision import precision

    res = precision(collect_readings(args.inputs), allow_proposed=args.allow_proposed)
    if args.json:
        print_json(res.to_dict())
        return 0
    units = {s.to_dict()["unit"] for k, s in res.per_height.items() if k != "reduction"}
    unit = units.pop() if len(units) == 1 else "mixed units"
    unit = unit or "–"
    readers = {"intra-reader": "the same reader", "inter-reader": "two readers",
               "mixed": "the same reader (some films) and two readers (others)"}[res.design]
    print(f"Precision of repeated readings ({res.design}: films read again by {readers})")
    print(f"{len(res.pairs)} film(s) read more than once, {res.vertebrae} vertebra(e) measured "
          f"in every reading; heights in {unit}, reduction in percentage points")
    if not res.vertebrae:
        print("no vertebra was measured in every reading of its film: nothing to compute")
        for s in res.skipped:
            print(f"skipped: {s}")
        return 0
    head = (f"{'level':<10}{'n':>4}  {'Ha SD':>8}{'CV%':>7}{'Hm SD':>8}{'CV%':>7}{'Hp SD':>8}"
            f"{'CV%':>7}  {'red. SD pp':>10}")
    print(head)
    print("-" * len(head))
    rows = [(lv.value, st) for lv, st in res.per_level.items()] + [("all", res.per_height)]
    for name, st in rows:
        red = st.get("reduction")
        print(f"{name:<10}{st['ha'].n:>4}  {_cells(st, 'ha')}{_cells(st, 'hm')}{_cells(st, 'hp')}"
              f"  {fmt(red.rms_sd if red else None, 2):>10}")
    for g, st in res.by_grade.items():
        print(f"{g:<10}{st['ha'].n:>4}  {_cells(st, 'ha')}{_cells(st, 'hm')}{_cells(st, 'hp')}"
              f"  {fmt(st['reduction'].rms_sd, 2):>10}")
    for s in res.skipped:
        print(f"skipped: {s}")
    return 0

"""``vfa precision READINGS... [--json]``: precision of repeated readings of the same films.

Readings with the same SOP Instance UID are repeated readings of one film (the same reader
again, or a second reader). Per level and overall: RMS-SD and rmsCV (%) of Ha, Hm, Hp and the
RMS-SD of the percent reduction in percentage points (Glüer 1995; docs/beyond-the-grade.md).

``--save --workspace DIR --reader NAME`` keeps the RMS-SD of the reduction over the films NAME
read twice (at least 10) as that reader's measurement SD: NAME's comparisons (``vfa compare``,
``vfa grade``) then use it instead of the setting ``precision_sd_pct`` (docs/clinical-method.md §4).
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
    p.add_argument("--reader", metavar="NAME",
                   help="only the readings by NAME (the films NAME read twice)")
    p.add_argument("--save", action="store_true",
                   help="save the RMS-SD of the reduction as NAME's measurement SD in the "
                        "workspace (needs --reader and at least 10 films read twice)")
    p.add_argument("--workspace", metavar="DIR",
                   help="with --save: the workspace (default: $VFA_WORKSPACE or the user's)")


def _cells(st: dict, key: str) -> str:
    s = st.get(key)
    if s is None:
        return f"{'–':>8}{'–':>7}"
    cv = s.rms_cv_pct
    return f"{fmt(s.rms_sd, 2):>8}{fmt(cv, 1) if cv is not None else '–':>7}"


def run(args: argparse.Namespace) -> int:
    from vfa.outputs.export_csv import collect_readings
    from vfa.method.precision import precision

    from vfa.method.precision import PrecisionError

    import sys
    if args.save and not args.reader:
        print("vfa precision: error: --save needs --reader NAME (whose precision study it is)",
              file=sys.stderr)
        return 2
    if args.save and args.allow_proposed:
        print("vfa precision: error: --save cannot count unaccepted proposed points "
              "(--allow-proposed): a reader's study is of the reader's own points", file=sys.stderr)
        return 2
    readings = collect_readings(args.inputs)
    if args.reader:
        readings = [r for r in readings if (r.reader or "") == args.reader]
        if not readings:
            raise PrecisionError(f"no reading by {args.reader!r} among the inputs; check the name "
                                 "(the 'reader' of the reading files)")
    res = precision(readings, allow_proposed=args.allow_proposed)
    saved = _save(args, res) if args.save else None
    if args.json:
        out = res.to_dict()
        out["saved"] = saved
        print_json(out)
        return 0 if not args.save or saved else 1
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
    sd = res.reduction_sd_pct
    if sd is not None:
        print(f"RMS-SD of the reduction: {sd:.2f} percentage points over {res.films} film(s) "
              f"(least significant change 2.77 x SD = {2.77 * sd:.1f} points)")
    if args.save:
        if saved:
            print(f"saved as the measurement SD of {args.reader}: {saved}")
        return 0 if saved else 1
    return 0


def _save(args: argparse.Namespace, res) -> str | None:  # type: ignore[no-untyped-def]
    """Save the study for ``args.reader``; None (and a line on stderr) when it is too small."""
    import datetime as dt
    import sys

    from vfa.method.noise import MIN_STUDY_FILMS
    from vfa.storage.precision_studies import save_precision_study
    if res.design != "intra-reader":
        print(f"vfa precision: not saved: the films were read by several readers ({res.design}); "
              "a reader's study needs that reader's own repeated readings", file=sys.stderr)
        return None
    if res.films < MIN_STUDY_FILMS:
        print(f"vfa precision: not saved: {res.films} film(s) read twice by {args.reader}; a "
              f"precision study needs at least {MIN_STUDY_FILMS} (the figures above are reported, "
              "not used)", file=sys.stderr)
        return None
    from vfa.commands._common import precision_workspace
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    return str(save_precision_study(precision_workspace(args), res.study(args.reader, now)))

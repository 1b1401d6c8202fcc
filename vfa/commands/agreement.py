"""``vfa agreement READINGS... [--workspace DIR] [--readers A,B] [--json] [-o report.pdf]``.

Pairs readings of the same film (SOP Instance UID) by reader and reports agreement
(domain.md §7): percent agreement, kappa on fractured / not with 95 % CI, linearly weighted
kappa on grades, per level and per patient, Bland-Altman of heights and ratios, the
confusion matrix, and the discordant levels to adjudicate. See docs/reading-centre.md.
"""

from __future__ import annotations

import argparse
import sys

NAME = "agreement"
HELP = "agreement between two readers of the same films: kappa, Bland-Altman, discordant levels"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="*", metavar="READINGS",
                   help="reading files, folders of reading files or workspace folders "
                        "(none: every reading in --workspace)")
    p.add_argument("--workspace", metavar="DIR",
                   help="take every saved reading of this workspace (with its index)")
    p.add_argument("--readers", metavar="A,B",
                   help="the two readers to compare (default: the only two readers found; "
                        "'consensus' is never a default reader)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-o", "--output", metavar="report.pdf", help="also write a PDF report")


def run(args: argparse.Namespace) -> int:
    from vfa.method.agreement import agreement, pair_by_sop
    from vfa.errors import ReadingFormatError, VfaError
    from vfa.outputs.export_csv import collect_readings, readings_from_workspace
    from vfa.commands._common import print_json

    readings = []
    if args.workspace:
        from vfa.storage.workspace import Workspace
        ws = Workspace(args.workspace)
        try:
            readings += readings_from_workspace(ws)
        finally:
            ws.close()
    if args.inputs:
        readings += collect_readings(args.inputs)
    if not readings:
        raise ReadingFormatError("no readings: pass reading files or folders, or --workspace DIR")
    names = None
    if args.readers:
        names = [n.strip() for n in args.readers.split(",")]
    try:
        readers, pairs, unpaired = pair_by_sop(_dedupe(readings), names)
    except ValueError as exc:
        raise VfaError(str(exc)) from None
    if not pairs:
        raise VfaError(f"no film was read by both {readers[0]} and {readers[1]}: nothing to compare")
    rep = agreement(pairs, readers, unpaired)
    if args.output:
        from vfa.outputs.agreement_pdf import write_agreement_pdf
        out = write_agreement_pdf(rep, args.output)
        print(f"wrote {out}", file=sys.stderr)
    if args.json:
        print_json(rep.to_dict())
        return 0
    _print_text(rep)
    return 0


def _dedupe(readings):  # type: ignore[no-untyped-def]
    """The same file given twice (a folder and its workspace) counts once."""
    seen, out = set(), []
    for r in readings:
        key = (r.sop_instance_uid, r.reader)
        if key in seen:
            continue
        seen.add(key)
        out.append(r)
    return out


def _print_text(rep) -> None:  # type: ignore[no-untyped-def]
    o = rep.overall
    a, b = rep.readers
    print(f"Readers {a} (A) and {b} (B): {rep.n_films} film(s), {o.n} level(s) graded by both, "
          f"{rep.n_patients} patient(s)")
    if rep.unpaired:
        print(f"{len(rep.unpaired)} film(s) read by one reader only are left out")
    if rep.n_unconfirmed:
        print(f"{rep.n_unconfirmed} level(s) have a grade a reader did not confirm (the "
              "suggestion stands in): confirm them for a final agreement figure")
    pa = "–" if o.percent_agreement is None else f"{o.percent_agreement:.1f} %"
    print(f"Agreement fractured/not: {pa}; kappa {o.kappa_fracture.text()}")
    print(f"Weighted kappa (linear, grades 0-3): {o.weighted_kappa_grade.text()}")
    if rep.abq is not None:
        aa = "–" if rep.abq.percent_agreement is None else f"{rep.abq.percent_agreement:.1f} %"
        print(f"ABQ fracture/not ({rep.abq.n} level(s) with an ABQ call by both): {aa}; "
              f"kappa {rep.abq.kappa.text()}")
    pp = rep.per_patient
    ppa = "–" if pp.percent_agreement is None else f"{pp.percent_agreement:.1f} %"
    print(f"Per patient (any fracture): {ppa}; kappa {pp.kappa_fracture.text()}")
    print(f"{'level':<6}{'n':>4}{'agree %':>9}  kappa fractured (95 % CI)")
    for lv, s in rep.per_level.items():
        pct = "–" if s.percent_agreement is None else f"{s.percent_agreement:.1f}"
        k = s.kappa_fracture
        kt = "–" if not s.n else ("undefined (one category only)" if k.value is None else k.text())
        print(f"{lv.value:<6}{s.n:>4}{pct:>9}  {kt}")
    for ba in rep.bland_altman:
        if ba.n == 0:
            continue
        loa = "–" if ba.loa_low is None else f"{ba.loa_low:.2f} to {ba.loa_high:.2f}"
        print(f"Bland-Altman {ba.measure} ({ba.unit}, n={ba.n}): mean A-B {ba.mean_diff:.2f}, "
              f"limits of agreement {loa}")
    disc = rep.discordant
    print(f"Discordant levels: {len(disc)}")
    for p in disc:
        ga = p.grade_a if p.grade_a is not None else p.status_a
        gb = p.grade_b if p.grade_b is not None else p.status_b
        print(f"  {p.patient_id or '?'} {p.study_date or '?'} {p.level.value}: {a} {ga}, {b} {gb} "
              f"({p.discordance})")

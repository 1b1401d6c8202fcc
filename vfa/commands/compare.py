"""``vfa compare BASELINE.json FOLLOWUP.json [--json]``: what changed between two visits."""

from __future__ import annotations

import argparse

from ..comparison import compare
from ..errors import ReadingFormatError
from ..reading import load_reading
from ._common import fmt, print_json

NAME = "compare"
HELP = "compare a follow-up reading with its baseline: incident, worsened, improved levels, SDI"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("baseline", metavar="BASELINE.json")
    p.add_argument("followup", metavar="FOLLOWUP.json")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--allow-different-patients", action="store_true",
                   help="compare readings whose patient IDs differ (normally refused)")


def run(args: argparse.Namespace) -> int:
    b = load_reading(args.baseline)
    f = load_reading(args.followup)
    if b.patient_id and f.patient_id and b.patient_id != f.patient_id and not args.allow_different_patients:
        raise ReadingFormatError("the two readings belong to different patients; check the files "
                                 "(or pass --allow-different-patients)")
    if b.study_date and f.study_date and f.study_date < b.study_date:
        b, f = f, b  # baseline is the earlier visit
    c = compare(b, f)
    from ..angles import REGIONS, change, describe_change, spine_angle
    angle_change = {name: change(spine_angle(b, name), spine_angle(f, name)) for name in REGIONS}
    if args.json:
        out = c.to_dict()
        out.update({"baseline_date": b.study_date, "followup_date": f.study_date,
                    "patient_id": f.patient_id})
        out.update({f"{name}_change": ch for name, ch in angle_change.items()})
        print_json(out)
        return 0
    print(f"Baseline {b.study_date or '?'}  ->  follow-up {f.study_date or '?'}")
    if c.mm_rule_note:
        print(f"FIT 20 % + 4 mm rule {c.mm_rule_note}")
    head = f"{'level':<6}{'base':>6}{'follow':>8}  {'change':<15}{'max loss %':>11} {'height':<7}{'loss mm':>8}  FIT"
    print(head)
    print("-" * len(head))
    for ch in c.changes:
        mark = " <<" if ch.highlighted else ""
        fit = {True: "yes", False: "no", None: "n/a"}[ch.fit_rule]
        print(f"{ch.level.value:<6}{fmt(ch.baseline_grade):>6}{fmt(ch.followup_grade):>8}  "
              f"{ch.change.value:<15}{fmt(ch.max_loss.loss_pct if ch.max_loss else None, 1):>11} "
              f"{(ch.max_loss.height if ch.max_loss else '–'):<7}{fmt(ch.loss_mm, 1):>8}  {fit}{mark}")
    print(f"SDI {c.baseline.sdi} -> {c.followup.sdi}; incident: {', '.join(map(str, c.incident)) or 'none'}; "
          f"worsened: {', '.join(map(str, c.worsened)) or 'none'}; "
          f"improved: {', '.join(map(str, c.improved)) or 'none'}")
    for name, label in (("kyphosis", "Kyphosis"), ("lordosis_l1_l4", "Lordosis")):
        print(describe_change(spine_angle(b, name), spine_angle(f, name), label))
    return 0

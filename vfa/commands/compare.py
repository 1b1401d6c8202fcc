"""``vfa compare BASELINE.json FOLLOWUP.json [--json]``: what changed between two visits."""

from __future__ import annotations

import argparse

from vfa.commands._common import (add_workspace_for_precision, fmt, pending_levels, print_json,
                                  precision_workspace, unconfirmed_note)

NAME = "compare"
HELP = "compare a follow-up reading with its baseline: incident, worsened, improved levels, SDI"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("baseline", metavar="BASELINE.json")
    p.add_argument("followup", metavar="FOLLOWUP.json")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--allow-different-patients", action="store_true",
                   help="compare readings whose patient IDs differ (normally refused)")
    add_workspace_for_precision(p)


def run(args: argparse.Namespace) -> int:
    from vfa.method.comparison import compare
    from vfa.errors import ReadingFormatError
    from vfa.reading.reading import load_reading

    b = load_reading(args.baseline)
    f = load_reading(args.followup)
    if b.patient_id and f.patient_id and b.patient_id != f.patient_id and not args.allow_different_patients:
        raise ReadingFormatError("the two readings belong to different patients; check the files "
                                 "(or pass --allow-different-patients)")
    if b.study_date and f.study_date and f.study_date < b.study_date:
        b, f = f, b  # baseline is the earlier visit
    from vfa.storage.precision_studies import noise_for_readers
    noise = noise_for_readers(precision_workspace(args), f.settings, b.reader, f.reader)
    c = compare(b, f, noise=noise)
    pend_b, pend_f = pending_levels(b), pending_levels(f)
    from vfa.method.angles import REGIONS, change, describe_change, spine_angle
    angle_change = {name: change(spine_angle(b, name), spine_angle(f, name)) for name in REGIONS}
    if args.json:
        out = c.to_dict()
        for row in out.get("changes", []):
            flags = [w for w, p in (("baseline", pend_b), ("followup", pend_f)) if row["level"] in p]
            row["proposed_pending"] = flags
            if flags:
                row["confirmed"] = False  # proposed points nobody accepted
        out.update({"baseline_date": b.study_date, "followup_date": f.study_date,
                    "patient_id": f.patient_id,
                    "proposed_pending": {"baseline": pend_b, "followup": pend_f}})
        out.update({f"{name}_change": ch for name, ch in angle_change.items()})
        print_json(out)
        return 0
    from vfa.commands.grade import age_line
    print(f"Baseline {b.study_date or '?'}  ->  follow-up {f.study_date or '?'}")
    print(f"Baseline:  {age_line(c.baseline)}")
    print(f"Follow-up: {age_line(c.followup)}")
    if c.mm_rule_note:
        print(f"FIT 20 % + 4 mm rule {c.mm_rule_note}")
    print(f"Measurement noise: {c.measurement_noise.describe()}")
    if c.measurement_noise.note:
        print(f"  ({c.measurement_noise.note})")
    head = (f"{'level':<6}{'base':>6}{'follow':>8}  {'change':<22}{'max loss %':>11} {'height':<7}"
            f"{'loss mm':>8}  {'FIT':<5}{'wedge':>7}{'bicon':>7}{'crush':>7}{'P worse':>8}  reshaping")
    print(head)
    print("-" * len(head))
    for ch in c.changes:
        mark = " <<" if ch.highlighted else ""
        if ch.level.value in pend_b or ch.level.value in pend_f:
            mark += " PROPOSED, unconfirmed"
        fit = {True: "yes", False: "no", None: "n/a"}[ch.fit_rule]
        change_text = ch.change.value
        if ch.tentative_change is not None:
            change_text += f" ({ch.tentative_change.value}?)"
        if ch.within_noise:
            change_text += " (noise)"
        if na := [w for w, res in (("b", c.baseline), ("f", c.followup))
                  if res.results[ch.level.index].crush_na]:
            mark += f" crush n/a ({'+'.join(na)})"
        pp = ch.ratio_change_pp or {}
        print(f"{ch.level.value:<6}{grade_mark(ch.baseline_grade, ch.baseline_confirmed):>6}"
              f"{grade_mark(ch.followup_grade, ch.followup_confirmed):>8}  "
              f"{change_text:<22}{fmt(ch.max_loss.loss_pct if ch.max_loss else None, 1):>11} "
              f"{(ch.max_loss.height if ch.max_loss else '–'):<7}{fmt(ch.loss_mm, 1):>8}  {fit:<5}"
              f"{signed(pp.get('wedge')):>7}{signed(pp.get('biconcave')):>7}"
              f"{signed(pp.get('crush')):>7}{fmt(ch.p_change, 2):>8}  {ch.reshaping or ''}{mark}")
    unconfirmed = any(not (ch.baseline_confirmed and ch.followup_confirmed) for ch in c.changes
                      if ch.baseline_grade is not None and ch.followup_grade is not None)
    print(("? = grade not confirmed by the reader; " if unconfirmed else "")
          + "wedge/bicon/crush = ratio change, percentage points (follow-up minus baseline); "
          "P worse = probability that the level truly got worse"
          + ("; crush n/a (b/f) = crush not assessable at baseline/follow-up (too few reference "
             "levels): the grade rests on wedge and biconcave" if c.baseline.crush_na or c.followup.crush_na
             else ""))
    print(f"SDI {c.baseline.sdi} -> {c.followup.sdi}; over the {len(c.common_levels)} levels "
          f"evaluable at both visits {c.sdi_baseline_common} -> {c.sdi_followup_common}")
    print(f"incident: {', '.join(map(str, c.incident)) or 'none'}; "
          f"worsened: {', '.join(map(str, c.worsened)) or 'none'}; "
          f"improved: {', '.join(map(str, c.improved)) or 'none'}; "
          f"uncertain: {', '.join(map(str, c.uncertain)) or 'none'}; "
          f"within noise: {', '.join(map(str, c.within_noise)) or 'none'}")
    for ch in c.changes:
        text = ch.describe()
        if text:
            print(text)
    if c.within_noise:
        print("within noise = confirmed change within measurement noise: the two confirmed grades "
              f"differ, the measurement moved less than the LSC ({c.lsc_pct:.1f} points)")
    if not c.reshaping_assessed:
        print("reshaping: not assessed (age unknown)")
    for ch in c.changes:
        if ch.reshaping:
            print(ch.reshaping_text())
    for name, label in (("kyphosis", "Kyphosis"), ("lordosis_l1_l4", "Lordosis")):
        print(describe_change(spine_angle(b, name), spine_angle(f, name), label))
    if pend_b:
        print(unconfirmed_note(pend_b, " (baseline)"))
    if pend_f:
        print(unconfirmed_note(pend_f, " (follow-up)"))
    return 0


def grade_mark(grade, confirmed: bool) -> str:
    if grade is None:
        return "–"
    g = "0.5" if grade == 0.5 else str(int(grade))
    return g if confirmed else g + "?"


def signed(value) -> str:
    return "–" if value is None else f"{value:+.1f}".replace("-0.0", "+0.0")

"""``vfa grade READING.json [--json]``: heights, ratios and grades of every level."""

from __future__ import annotations

import argparse

from vfa.commands._common import (add_workspace_for_precision, fmt, pending_levels, print_json,
                                  precision_workspace, unconfirmed_note)

NAME = "grade"
HELP = "heights, ratios, suggested and final Genant grade of each level of a reading"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("reading", metavar="READING.json")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_workspace_for_precision(p)


def crush_text(r) -> str:
    """The crush ratio, or ``n/a`` when it is not assessable on a measured level."""
    if r.crush is None and r.heights is not None and not r.crush_assessable:
        return "n/a"
    return fmt(r.crush)


def age_line(s) -> str:
    """"Age 11.2 y (Patient's Age): paediatric study, suggested grades are advisory" etc."""
    if s.age_years is None:
        return ("Age unknown: adult rules apply (enter the age in the viewer, or give the "
                "reading an age_years)")
    text = f"Age {s.age_years:.1f} y ({s.age_source})"
    if s.paediatric:
        return text + ": paediatric study, suggested grades are advisory, mm rule off"
    return text + ": adult"


def legend(s) -> str:
    """One line under every grade table: what ``2?`` and ``n/a`` mean."""
    n = len(s.unconfirmed)
    which = (": " + ", ".join(lv.value for lv in s.unconfirmed)) if n <= 4 else f" of {s.graded}"
    text = (f"? = suggested grade not confirmed by the reader ({n} level{'s' if n != 1 else ''}"
            f"{which})" if n else "all grades confirmed by the reader")
    if any(r.heights is not None and not r.crush_assessable for r in s.results):
        text += ("; crush n/a = too few reference levels for the reference line: the grade "
                 "rests on wedge and biconcave")
    text += "; P fx = probability that the level is truly at or above 20 %"
    return text


def run(args: argparse.Namespace) -> int:
    from vfa.method.morphometry import summarize
    from vfa.reading.reading import load_reading

    from vfa.storage.precision_studies import noise_for_readers
    reading = load_reading(args.reading)
    noise = noise_for_readers(precision_workspace(args), reading.settings, reading.reader)
    s = summarize(reading, noise=noise)
    from vfa.method.angles import angles_dict, describe, kyphosis, lordosis_l1_l4
    from vfa.method.qualitative import KEYS as QUALITATIVE_KEYS, short_text
    pending = pending_levels(reading)
    if args.json:
        out = s.to_dict()
        for row in out["vertebrae"]:
            row["proposed_pending"] = row["level"] in pending
            if row["proposed_pending"]:
                row["confirmed"] = False  # proposed points nobody accepted
        out.update({
            "proposed_pending": pending,
            "patient_id": reading.patient_id,
            "study_date": reading.study_date,
            "sop_instance_uid": reading.sop_instance_uid,
            "reader": reading.reader,
            "pixel_spacing_mm": reading.spacing.as_list(),
            "spacing_source": reading.spacing.source.value,
        })
        out.update(angles_dict(reading))
        for row in out["vertebrae"]:  # the reader's qualitative fields (never the grade's)
            v = reading.vertebrae.get(row["level"])
            for key in QUALITATIVE_KEYS:
                val = getattr(v, key, None) if v is not None else None
                row[key] = None if val is None else str(val)
        print_json(out)
        return 0
    u = s.unit
    print(f"Reading of {reading.study_date or 'unknown date'} by {reading.reader or 'unknown reader'}")
    print(f"Spacing: {reading.spacing.description}")
    if not s.calibrated:
        print("WARNING: film uncalibrated: heights in pixels, millimetre rules off")
    print(age_line(s))
    head = (f"{'level':<6}{'Ha':>8}{'Hm':>8}{'Hp':>8}  {'wedge':>6}{'bicon':>7}{'crush':>7}{'%':>7}"
            f"{'P fx':>6}  {'sugg':<13}{'final':<25}status")
    print(f"heights in {u}")
    print(head)
    print("-" * len(head))
    for r in s.results:
        h = r.heights
        sug = "" if r.suggested_grade is None else f"{r.suggested_grade} {r.suggested_type or ''}".strip()
        fin = "" if r.grade is None else f"{r.grade_text()} {r.type or ''}".strip()
        if r.grade is not None and r.crush_na:
            fin += " (crush n/a)"
        status = r.status.value + (f" ({r.reason})" if r.reason else "")
        if not r.annotated and r.grade is None and r.status.value == "evaluable":
            status = "not annotated"
        if r.level.value in pending:
            status += " PROPOSED, unconfirmed"
        print(f"{r.level.value:<6}{fmt(h.ha if h else None, 1):>8}{fmt(h.hm if h else None, 1):>8}"
              f"{fmt(h.hp if h else None, 1):>8}  {fmt(r.wedge):>6}{fmt(r.biconcave):>7}"
              f"{crush_text(r):>7}{fmt(r.percent, 1):>7}{fmt(r.p_fracture, 2):>6}  {sug:<13}{fin:<25}{status}")
    qual = [(v.level.value, short_text(v)) for v in reading if v.has_qualitative]
    if qual:
        print("reader's qualitative observations (not used by the grade):")
        for lv, text in qual:
            print(f"  {lv:<5} {text}")
    print(f"SDI {s.sdi}   fractured levels {s.fractured}   not evaluable {s.not_evaluable}")
    if s.noise is not None:
        print(f"Measurement noise: {s.noise.describe()}")
    print(describe(kyphosis(reading), "Kyphosis"))
    print(describe(lordosis_l1_l4(reading), "Lordosis"))
    print(legend(s))
    if pending:
        print(unconfirmed_note(pending))
    return 0



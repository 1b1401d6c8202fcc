"""The case-series PDF (reportlab): the table a clinician puts in a paper or a clinic letter,
one strip per patient (visits × levels coloured by final grade, infusions and BMD Z-scores on
the same time axis), and the method and settings. Entry point: :func:`write_cohort_pdf`.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import (KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from vfa import METHOD_VERSION, __version__
from vfa.atomic import atomic_write_bytes
from vfa.study.cohort import Cohort, PatientOutcome
from vfa.errors import ExportError
from vfa.method.levels import LEVELS
from vfa.outputs.report_pdf import markup_text as _e
from vfa.outputs.report_pdf import pdf_fonts as _fonts
from vfa.outputs.report_pdf import pdf_styles as _styles
from vfa.outputs.report_pdf import settings_text as _settings_text

#: Fill of a strip cell by final grade (print-friendly: grade 0 pale).
GRADE_FILL = {
    0: colors.Color(0.86, 0.95, 0.87),
    0.5: colors.Color(1.0, 0.95, 0.55),
    1: colors.Color(1.0, 0.88, 0.25),
    2: colors.Color(1.0, 0.60, 0.15),
    3: colors.Color(0.90, 0.18, 0.15),
}
NE_FILL = colors.Color(0.72, 0.72, 0.72)
HEAD_BG = colors.Color(0.85, 0.89, 0.95)
INFUSION = colors.Color(0.10, 0.35, 0.75)
BMD = colors.Color(0.45, 0.15, 0.55)


def _f(x: Any, digits: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{round(x, digits) + 0.0:.{digits}f}"
    return str(x)


def _z(x: float | None) -> str:
    return "–" if x is None else f"{x + 0.0:+.1f}".replace("-", "−")


def _span(lo: float, hi: float, fmt: Any) -> str:
    return fmt(lo) if lo == hi else f"{fmt(lo)} to {fmt(hi)}"


def _lv(n: Any, levels: list[str]) -> str:
    if n is None:
        return "–"
    return f"{n}" + (f" ({', '.join(levels)})" if levels else "")


def _noise_note(d: dict[str, Any]) -> str:
    """Grey lines under the worsened count: confirmed changes within measurement noise and
    uncertain changes (domain.md §4), so a study can report them both ways."""
    bits = [f"{w}: {', '.join(d[k])}" for k, w in (("within_noise_levels", "within noise"),
                                                      ("uncertain_levels", "uncertain")) if d.get(k)]
    return "".join(f"<br/><font color='#555555'>{_e(b)}</font>" for b in bits)


def _table(cohort: Cohort, st: dict, width: float) -> Table:
    cell, cellb = st["cell"], st["cellb"]
    head = ["Patient", "Sex, age (y)", "Diagnosis", "Bisphosphonate (dose; infusions)",
            "Visits (months)", "Prevalent fractures (SDI)", "Incident", "Worsened", "Reshaped",
            "SDI last*", "BMD Z first → last", "Unconf."]
    rows: list[list[Any]] = [[Paragraph(h, cellb) for h in head]]
    for d in cohort.patient_dicts():
        rs = "; ".join(t.replace(" reshaped", "").replace(" ratio", "")
                       for t in d["reshaping_text"]) or ", ".join(
            f"{lv} {k}" for lv, k in d["reshaping"].items())
        age = _f(d["age_at_baseline"]) if d["age_at_baseline"] is not None else "age unknown"
        tr = _e(d["treatment"] or "–")  # clinical CSV text: escaped, never reportlab markup
        if d["glucocorticoids"]:
            tr += f"<br/><font color='#555555'>glucocorticoid: {_e(d['glucocorticoids'])}</font>"
        rows.append([
            Paragraph(_e(d["patient_id"]), cell),
            Paragraph(f"{_e(d['sex'] or '–')}, {_e(age)}", cell),
            Paragraph(_e(d["diagnosis"] or "–"), cell),
            Paragraph(tr if tr == "–" else tr.replace("\n", " "), cell),
            Paragraph(f"{d['visits']} ({_f(d['months_followup'])})", cell),
            Paragraph(f"{_e(_lv(d['prevalent_fractures'], d['prevalent_levels']))} "
                      f"({d['sdi_baseline']})", cell),
            Paragraph(_e(_lv(d["incident_fractures"], d["incident_levels"])), cell),
            Paragraph(_e(_lv(d["worsened"], d["worsened_levels"])) + _noise_note(d), cell),
            Paragraph(_e(f"{d['reshaped']}" + (f" ({rs})" if rs else "")
                         if d["reshaped"] is not None
                         else "not assessed (age unknown)" if d["reshaping_assessed"] is False else "–"), cell),
            Paragraph(_e(_f(d["sdi_last_common"])) + (
                f" <font color='#555555'>({d['common_levels']} lv)</font>"
                if d["common_levels"] not in (None, len(LEVELS)) else ""), cell),
            Paragraph(f"{_z(d['bmd_z_baseline'])} → {_z(d['bmd_z_last'])}", cell),
            Paragraph(str(d["unconfirmed"]), cell),
        ])
    fr = [0.085, 0.065, 0.12, 0.175, 0.055, 0.10, 0.065, 0.06, 0.095, 0.055, 0.07, 0.045]
    t = Table(rows, colWidths=[f * width for f in fr], repeatRows=1)
    t.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.Color(.6, .6, .6)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return t


def _summary_text(cohort: Cohort) -> str:
    s = cohort.summary()
    age = s["age_at_baseline"]
    mo = s["months_followup"]
    bz = s["bmd_z_baseline_with_prevalent_fracture"]
    parts = [f"{s['patients']} patient(s): {s['children']} child(ren), {s['adults']} adult(s)"
             + (f", {s['age_unknown']} of unknown age" if s["age_unknown"] else "")
             + (f"; age at baseline {_f(age['min'])}–{_f(age['max'])} y (median {_f(age['median'])})"
                if age["n"] else "") + "."]
    if mo["n"]:
        parts.append(f"Follow-up {_f(mo['min'])}–{_f(mo['max'])} months (median {_f(mo['median'])}); "
                     f"{s['visits']['total']} visits.")
    parts.append(f"Prevalent fractures in {s['patients_with_prevalent_fracture']} patient(s) "
                 f"({s['prevalent_fractures']} level(s))"
                 + (f"; lumbar spine BMD Z in those {_span(bz['min'], bz['max'], _z)}" if bz["n"] else "")
                 + ".")
    parts.append(f"At the last visit: incident fracture in {s['patients_with_incident_fracture']} of "
                 f"{s['patients_followed']} followed ({s['incident_fractures']} level(s); "
                 f"{s['patients_with_incident_fracture_any_interval']} with a new fracture at any "
                 f"visit), worsened in {s['patients_with_worsened']}, reshaping in "
                 f"{s['patients_with_reshaping']} ({s['reshaped']} level(s))"
                 + (f"; reshaping not assessed in {s['patients_reshaping_not_assessed']} (age unknown)"
                    if s["patients_reshaping_not_assessed"] else "")
                 + (f"; a confirmed change within measurement noise in {s['patients_with_within_noise']} "
                    f"({s['within_noise']} level(s), counted as graded)" if s["patients_with_within_noise"] else "")
                 + (f"; an uncertain change (the reader decides) in {s['patients_with_uncertain']} "
                    f"({s['uncertain']} level(s))" if s["patients_with_uncertain"] else "")
                 + ".")
    ch = s["bmd_z_change"]
    if ch["n"]:
        parts.append(f"BMD Z change first → last visit {_span(ch['min'], ch['max'], _z)} "
                     f"(median {_z(ch['median'])}, n = {ch['n']}).")
    if s["unconfirmed"]:
        parts.append(f"<b>{s['unconfirmed']} grade(s) behind these figures are unconfirmed</b> "
                     "(suggested by measurement, not given or confirmed by a reader).")
    return " ".join(parts)


# --------------------------------------------------------------------------------------
# The per-patient strip
# --------------------------------------------------------------------------------------
ROW_H = 3.1 * mm
LABEL_W = 20 * mm


def _strip(cohort: Cohort, p: PatientOutcome, width: float) -> Drawing:
    reg, bold = _fonts()
    c = p.course
    ctx = p.clinical
    n_lv = len(LEVELS)
    top_pad, axis_h, events_h = 10 * mm, 7 * mm, 9 * mm
    grid_h = n_lv * ROW_H + ROW_H  # + the SDI row
    height = top_pad + grid_h + events_h + axis_h
    d = Drawing(width, height)
    dates = [v.date for v in c.visits]
    if ctx is not None:
        dates += [e.date for e in ctx.infusions if e.date is not None] + [dt for dt, _, _ in ctx.bmd_z]
    lo = min(c.months(x) for x in dates)
    hi = max(c.months(x) for x in dates)
    lo, hi = min(lo, 0.0), max(hi, 1.0)
    step = 3 if hi - lo <= 24 else 6 if hi - lo <= 60 else 12
    hi = max(hi, math.ceil(hi / step - 0.1) * step)  # the last tick at the end of the axis
    span = hi - lo
    cell_w = 11 * mm
    x0 = LABEL_W + cell_w / 2
    x1 = width - cell_w / 2 - 2 * mm
    visits_m = [c.months(v.date) for v in c.visits]
    if len(visits_m) > 1:
        gap = min(b - a for a, b in zip(visits_m, visits_m[1:]))
        if gap > 0:
            cell_w = min(cell_w, 0.92 * gap / span * (x1 - x0))

    def X(months: float) -> float:
        return x0 + (months - lo) / span * (x1 - x0)

    y_grid_top = height - top_pad
    # title
    d_ = cohort.patient_dict(p)
    age = f"{d_['age_at_baseline']:.1f} y" if d_["age_at_baseline"] is not None else "age unknown"
    title = f"{d_['patient_id']} — {d_['sex'] or '?'}, {age} at baseline"
    if d_["diagnosis"]:
        title += f" — {d_['diagnosis']}"
    d.add(String(0, height - 5 * mm, title, fontName=bold, fontSize=8.5))
    d.add(String(width, height - 5 * mm, f"reader(s): {', '.join(dict.fromkeys(d_['readers']))}",
                 fontName=reg, fontSize=6.5, textAnchor="end", fillColor=colors.grey))
    # level labels and grid
    for i, lv in enumerate(LEVELS):
        y = y_grid_top - (i + 1) * ROW_H
        d.add(String(LABEL_W - 2 * mm, y + 0.9 * mm, lv.value, fontName=reg, fontSize=6.5,
                     textAnchor="end"))
        for v in c.visits:
            cell = c.cell(lv, v.index)
            cx = X(c.months(v.date))
            if cell.state == "graded":
                fill = GRADE_FILL.get(cell.grade, colors.white) if cell.grade is not None else colors.white
            elif cell.state == "not_evaluable":
                fill = NE_FILL
            else:
                fill = colors.white
            d.add(Rect(cx - cell_w / 2, y, cell_w, ROW_H, fillColor=fill,
                       strokeColor=colors.Color(.55, .55, .55), strokeWidth=0.3))
            if cell.state == "graded" and cell.grade is not None:
                g = "0.5" if cell.grade == 0.5 else str(int(cell.grade))
                txt = g + (" " + cell.mark if cell.mark else "") + ("" if cell.confirmed else "?")
                emph = bool(cell.mark)
                d.add(String(cx, y + 0.9 * mm, txt, fontName=bold if emph else reg,
                             fontSize=6.2, textAnchor="middle",
                             fillColor=colors.black if cell.confirmed or emph else colors.Color(.35, .35, .35)))
                if cell.change in ("incident", "worsened"):
                    d.add(Rect(cx - cell_w / 2 + 0.4, y + 0.4, cell_w - 0.8, ROW_H - 0.8,
                               fillColor=None, strokeColor=colors.Color(.75, 0, .6), strokeWidth=1.1))
                elif cell.reshaping:
                    d.add(Rect(cx - cell_w / 2 + 0.4, y + 0.4, cell_w - 0.8, ROW_H - 0.8,
                               fillColor=None, strokeColor=colors.Color(0, .55, .25), strokeWidth=1.1,
                               strokeDashArray=[1.5, 1]))
            elif cell.state == "not_evaluable":
                d.add(String(cx, y + 0.9 * mm, "NE", fontName=reg, fontSize=5.8, textAnchor="middle"))
    # SDI row (levels read at every visit)
    y_sdi = y_grid_top - (n_lv + 1) * ROW_H
    d.add(String(LABEL_W - 2 * mm, y_sdi + 0.9 * mm, f"SDI ({len(c.common_levels)} lv)",
                 fontName=bold, fontSize=6.2, textAnchor="end"))
    for v in c.visits:
        cx = X(c.months(v.date))
        d.add(String(cx, y_sdi + 0.9 * mm, str(v.sdi_all_visits), fontName=bold, fontSize=6.8,
                     textAnchor="middle"))
    # events band: infusions (triangles) and BMD Z (diamonds with the value)
    y_ev = y_sdi - events_h
    d.add(String(LABEL_W - 2 * mm, y_ev + events_h - 3.2 * mm, "BMD Z", fontName=reg, fontSize=6,
                 textAnchor="end", fillColor=BMD))
    d.add(String(LABEL_W - 2 * mm, y_ev + 1.2 * mm, "infusion", fontName=reg, fontSize=6,
                 textAnchor="end", fillColor=INFUSION))
    if ctx is not None:
        for dt, z, _ in ctx.bmd_z:
            x = X(c.months(dt))
            yy = y_ev + events_h - 3.2 * mm
            s = 1.1 * mm
            d.add(Polygon([x, yy - s + 1, x + s, yy + 1, x, yy + s + 1, x - s, yy + 1],
                          fillColor=BMD, strokeColor=None))
            d.add(String(x + 1.5 * mm, yy, _z(z), fontName=bold, fontSize=6.2, fillColor=BMD))
        for e in ctx.infusions:
            if e.date is None:    # (infusions are dated)
                continue
            x = X(c.months(e.date))
            yy = y_ev + 1.0 * mm
            s = 1.2 * mm
            d.add(Polygon([x - s, yy, x + s, yy, x, yy + 2 * s], fillColor=INFUSION, strokeColor=None))
    # time axis (months from baseline) with the visit dates
    y_ax = y_ev - 0.5 * mm
    d.add(Line(X(lo), y_ax, X(hi), y_ax, strokeColor=colors.black, strokeWidth=0.5))
    m = int(lo // step) * step
    while m <= hi + 1e-9:
        if m >= lo - 1e-9:
            d.add(Line(X(m), y_ax, X(m), y_ax - 1 * mm, strokeColor=colors.black, strokeWidth=0.4))
            d.add(String(X(m), y_ax - 3.3 * mm, f"{m:g}", fontName=reg, fontSize=5.8,
                         textAnchor="middle", fillColor=colors.Color(.3, .3, .3)))
        m += step
    d.add(String(X(hi), y_ax - 6.3 * mm, "months from baseline", fontName=reg, fontSize=5.8,
                 textAnchor="end", fillColor=colors.Color(.3, .3, .3)))
    for v in c.visits:
        head = (("baseline" if v.index == 0 else f"month {c.months(v.date):.1f}")
                if cohort.deidentify else v.date.isoformat())
        d.add(String(X(c.months(v.date)), y_grid_top + 1.0 * mm, head,
                     fontName=reg, fontSize=6, textAnchor="middle"))
    return d


# --------------------------------------------------------------------------------------
def _method_text(cohort: Cohort) -> str:
    cs = cohort.cohort_settings
    return (
        "Visits in date order; baseline = first visit. Prevalent fractures: levels "
        "with final Genant grade ≥ 1 at baseline (0.5 counted as 0). Incident (grade 0 → ≥ 1), "
        "worsened (grade rises) and reshaped levels compare the last visit with baseline; the "
        "strip marks the changes between consecutive visits (N new, W worsened, R/r reshaped "
        "completely/partially, ~ uncertain). Reshaping (children): a level graded ≥ 1 at baseline "
        "whose reduction fell by at least the least significant change (2.77 × the measurement "
        "SD); not assessed when the age is unknown. Within noise: a change between two confirmed "
        "grades smaller than the least significant change (it stands as graded). SDI last*: the "
        "last visit's SDI over "
        "the levels evaluable at both baseline and last visit (a level unreadable at follow-up "
        "never lowers it); the strip's SDI row uses the levels read at every visit. A grade with "
        "“?” is unconfirmed (a measurement suggestion no reader gave or confirmed); “Unconf.” "
        "counts those at the baseline and last visit. BMD Z: at baseline the last lumbar spine "
        "value on or before the first bisphosphonate dose (with no dose recorded, the nearest the "
        f"first visit within {cs.bmd_max_days} days); last: the nearest the last visit within "
        f"{cs.bmd_max_days} days. Clinical context is entered by the "
        "user and reported beside the outcomes, never inferred from images. "
        f"<b>Readings used:</b> {_e(cohort.selection.description())}. "
        f"<b>Settings:</b> {_e(_settings_text(cohort.settings))}. Method {_e(METHOD_VERSION)}, "
        f"vfa {_e(__version__)}.")


def write_cohort_pdf(cohort: Cohort, out: str | os.PathLike[str]) -> Path:
    st = _styles()
    page = landscape(A4)
    margin = 12 * mm
    width = page[0] - 2 * margin
    buf = io.BytesIO()
    title = "Vertebral fracture outcomes — case series" + (
        " (de-identified)" if cohort.deidentify else "")
    doc = SimpleDocTemplate(buf, pagesize=page, leftMargin=margin, rightMargin=margin,
                            topMargin=11 * mm, bottomMargin=12 * mm, title=title,
                            author=f"vfa {__version__}", creator=f"vfa {__version__}")
    generated = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")

    def on_page(canvas: Any, doc_: Any) -> None:
        canvas.saveState()
        canvas.setFont(_fonts()[0], 6.5)
        canvas.setFillColor(colors.Color(.3, .3, .3))
        canvas.drawString(margin, 7 * mm, f"vfa {__version__} – method {METHOD_VERSION} – "
                                          f"readings used: {cohort.selection.description()}")
        canvas.drawRightString(page[0] - margin, 7 * mm, f"generated {generated} – page {doc_.page}")
        canvas.restoreState()

    story: list[Any] = [Paragraph(title, st["title"]),
                        Paragraph(_summary_text(cohort), st["body"]), Spacer(1, 3 * mm),
                        _table(cohort, st, width), Spacer(1, 1.5 * mm),
                        Paragraph("* SDI at the last visit over the levels evaluable at baseline "
                                  "and last visit (lv: how many when fewer than 13). Levels in "
                                  "brackets. – not applicable (one visit) or not recorded.",
                                  st["small"]),
                        ]
    story += [Spacer(1, 2 * mm), Paragraph("Each patient's course", st["h2"]),
              Paragraph("Cells: final grade at each visit (pale green 0, yellow 1, orange 2, red 3, "
                        "grey NE not evaluable, white not read); magenta frame new or worsened since "
                        "the previous visit; green dashed frame reshaped; ? unconfirmed. Triangles: "
                        "bisphosphonate infusions; diamonds: lumbar spine BMD Z-scores.", st["small"]),
              Spacer(1, 2 * mm)]
    for p in cohort.patients:
        story.append(KeepTogether([_strip(cohort, p, width), Spacer(1, 4 * mm)]))
    story.append(KeepTogether([Paragraph("Method and settings", st["h3"]),
                               Paragraph(_method_text(cohort), st["small"])]))
    notes = cohort.selection.notes + cohort.notes
    if notes:
        story.append(Paragraph("<b>Notes:</b> " + _e("; ".join(notes)), st["small"]))
    try:
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    except Exception as exc:  # noqa: BLE001 - reportlab layout errors are not the user's fault
        raise ExportError(f"the case-series PDF could not be laid out ({exc.__class__.__name__}: "
                          f"{exc})") from exc
    return atomic_write_bytes(out, buf.getvalue())


__all__ = ["write_cohort_pdf", "GRADE_FILL"]

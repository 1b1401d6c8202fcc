"""The PDF of an agreement report (``vfa agreement -o report.pdf``), with reportlab.

Page 1: readers, films, overall percent agreement and kappas with 95 % CI, the per-patient
figures, the ABQ fracture/not kappa (when both readers gave ABQ calls), the confusion matrix
and the per-level table. Page 2: Bland-Altman table and plots
(mean of the two readers against their difference, with the mean difference and the 95 %
limits of agreement), then the discordant levels to adjudicate. No patient names: the
discordant list names the film by patient ID, study date and SOP Instance UID tail.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.lineplots import ScatterPlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from vfa import METHOD_VERSION, __version__
from vfa.method.agreement import GRADES, AgreementReport, AgreementStats, BlandAltman, Kappa
from vfa.atomic import atomic_write_bytes
from vfa.errors import ExportError
from vfa.outputs.report_pdf import HEAD_BG, HIGHLIGHT_BG
from vfa.outputs.report_pdf import markup_text as _e
from vfa.outputs.report_pdf import pdf_fonts as _fonts
from vfa.outputs.report_pdf import pdf_styles as _styles


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f} %"


def _k(k: Kappa) -> str:
    if k.value is None:
        return "undefined" if k.n else "–"
    if k.ci_low is None or k.ci_high is None:
        return f"{_f(k.value)} (CI not estimable)"
    return f"{_f(k.value)} ({_f(k.ci_low)} to {_f(k.ci_high)})"


def _g(g: float | None) -> str:
    if g is None:
        return "–"
    return "0.5" if g == 0.5 else str(int(g))


def _f(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{round(v, digits) + 0.0:.{digits}f}"


def _table(rows: list[list[Any]], widths: list[float], extra: list[tuple] | None = None) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), _fonts()[0]),
        ("FONTNAME", (0, 0), (-1, 0), _fonts()[1]),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("LEADING", (0, 0), (-1, -1), 9),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        *(extra or []),
    ]))
    return t


def _stats_row(label: str, s: AgreementStats) -> list[str]:
    return [label, str(s.n), _pct(s.percent_agreement), _k(s.kappa_fracture),
            _pct(s.percent_agreement_grade), _k(s.weighted_kappa_grade)]


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``raw``."""
    raw = max(raw, 1e-6)
    p = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * p >= raw:
            return m * p
    return 10 * p


def _ba_plot(ba: BlandAltman, width: float, height: float) -> Drawing:
    reg, bold = _fonts()
    d = Drawing(width, height)
    sp = ScatterPlot()
    sp.x, sp.y = 34, 24
    sp.width, sp.height = width - 44, height - 42
    pts = list(zip(ba.means, ba.diffs))
    sp.data = [pts]
    xs = [p[0] for p in pts]
    ys = list(ba.diffs) + [v for v in (ba.loa_low, ba.loa_high, ba.mean_diff, 0.0) if v is not None]
    lo_x, hi_x = min(xs), max(xs)
    if hi_x - lo_x < 1e-9:
        lo_x, hi_x = lo_x - 1, hi_x + 1
    lo_y, hi_y = min(ys), max(ys)
    pad = max((hi_y - lo_y) * 0.1, 0.25)
    # Explicit "nice" bounds and step: reportlab then keeps exactly this range, so the
    # reference lines drawn below sit at the right height.
    for ax, lo, hi in ((sp.xValueAxis, lo_x, hi_x), (sp.yValueAxis, lo_y - pad, hi_y + pad)):
        step = _nice_step((hi - lo) / 5.0)
        ax.valueMin = math.floor(lo / step) * step
        ax.valueMax = math.ceil(hi / step) * step
        ax.valueStep = step
    for ax in (sp.xValueAxis, sp.yValueAxis):
        ax.labels.fontName = reg
        ax.labels.fontSize = 6
        ax.labelTextFormat = "%.1f"
    sp.leftPadding = sp.rightPadding = sp.topPadding = sp.bottomPadding = 0
    sp.xLabel = "mean of A and B"
    sp.yLabel = "A − B"
    sp.lineLabelFormat = None
    sp.joinedLines = 0
    sp.lines[0].strokeColor = None
    sp.lines[0].symbol = makeMarker("FilledCircle", size=2.6, fillColor=colors.Color(.1, .3, .7),
                                    strokeColor=colors.Color(.1, .3, .7))
    d.add(sp)

    def y_of(v: float) -> float:
        a, b = sp.yValueAxis.valueMin, sp.yValueAxis.valueMax
        return sp.y + (v - a) / (b - a) * sp.height

    lines = [(ba.mean_diff, colors.Color(.1, .5, .1), "mean")]
    if ba.loa_low is not None and ba.loa_high is not None:
        lines += [(ba.loa_low, colors.red, "-1.96 SD"), (ba.loa_high, colors.red, "+1.96 SD")]
    for v, c, name in lines:
        if v is None:
            continue
        y = y_of(v)
        ln = Line(sp.x, y, sp.x + sp.width, y, strokeColor=c, strokeWidth=0.8)
        ln.strokeDashArray = [3, 2] if name != "mean" else None
        d.add(ln)
        d.add(String(sp.x + sp.width - 2, y + 2, f"{name} {v:.2f}", fontName=reg, fontSize=5.5,
                     fillColor=c, textAnchor="end"))
    unit = "mm" if ba.unit == "mm" else "percentage points"
    d.add(String(sp.x, height - 11, f"{ba.measure} ({unit})",
                 fontName=bold, fontSize=7.5))
    return d


def write_agreement_pdf(rep: AgreementReport, out: str | os.PathLike[str]) -> Path:
    st = _styles()
    page_w, _ = A4
    margin = 15 * mm
    width = page_w - 2 * margin
    buf = io.BytesIO()
    ra, rb = rep.readers
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=margin, rightMargin=margin,
                            topMargin=14 * mm, bottomMargin=18 * mm,
                            title="Inter-reader agreement", author=f"vfa {__version__}",
                            creator=f"vfa {__version__}")
    generated = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")

    def on_page(canvas: Any, doc_: Any) -> None:
        canvas.saveState()
        canvas.setFont(_fonts()[0], 6.5)
        canvas.drawString(margin, 11 * mm,
                          f"Method {METHOD_VERSION} (vfa {__version__}); kappa 95 % CI from the "
                          "asymptotic SE (Fleiss, Cohen & Everitt 1969); limits of agreement: "
                          "Bland & Altman 1986.")
        canvas.drawString(margin, 8 * mm, f"Generated {generated} – page {doc_.page}")
        canvas.restoreState()

    o = rep.overall
    story: list[Any] = [Paragraph("Inter-reader agreement", st["title"])]
    story.append(Paragraph(
        f"Reader A <b>{_e(ra)}</b>, reader B <b>{_e(rb)}</b>: {rep.n_films} film(s) read by both, "
        f"{o.n} level(s) graded by both (T4–L4), {rep.n_patients} patient(s)"
        + (f"; {len(rep.unpaired)} film(s) read by one reader only (left out)" if rep.unpaired else "")
        + ". Fractured: final grade ≥ 1 (0.5 counts as 0). Weighted kappa: linear weights on "
        "grades 0–3 (0.5 counts as 0).", st["body"]))
    if rep.n_unconfirmed:
        story.append(Paragraph(f"{rep.n_unconfirmed} level(s) carry a grade that a reader did not "
                               "confirm (the measured suggestion stands in).", st["small"]))
    story.append(Spacer(1, 3 * mm))
    head = ["", "n", "Agreement\n(fractured)", "Kappa fractured\n(95 % CI)",
            "Agreement\n(grade)", "Weighted kappa\ngrade (95 % CI)"]
    rows = [[Paragraph(_e(h).replace("\n", "<br/>"), st["cellb"]) for h in head],
            _stats_row("All levels", o), _stats_row("Per patient (any fracture)", rep.per_patient)]
    kappas = [("kappa fractured", o.kappa_fracture), ("weighted kappa", o.weighted_kappa_grade),
              ("per-patient kappa", rep.per_patient.kappa_fracture)]
    if rep.abq is not None:   # ABQ fracture / not, over the levels both readers called (issue 14)
        rows.append(["ABQ fracture/not", str(rep.abq.n),
                     _pct(rep.abq.percent_agreement), _k(rep.abq.kappa), "–", "–"])
        kappas.append(("ABQ kappa", rep.abq.kappa))
    fr = [0.22, 0.07, 0.13, 0.22, 0.13, 0.23]
    story.append(_table(rows, [width * f for f in fr]))
    notes = [f"{name}: undefined – {k.reason}" for name, k in kappas if k.value is None and k.n]
    if rep.abq is not None:
        notes.append("ABQ fracture/not: ABQ ‘fracture’ against ‘normal’ or ‘non-fracture "
                     "deformity’, over the levels where both readers gave an ABQ call, whatever "
                     "their grades.")
    for n in notes:
        story.append(Paragraph(_e(n), st["small"]))

    story.append(Paragraph("Confusion matrix of final grades (rows: A, columns: B)", st["h3"]))
    cm = [["A \\ B"] + [str(g) for g in GRADES] + ["total"]]
    for i, g in enumerate(GRADES):
        cm.append([str(g)] + [str(c) for c in rep.confusion_grade[i]] + [str(sum(rep.confusion_grade[i]))])
    cm.append(["total"] + [str(sum(r[j] for r in rep.confusion_grade)) for j in range(len(GRADES))]
              + [str(o.n)])
    diag = [("BACKGROUND", (i + 1, i + 1), (i + 1, i + 1), colors.Color(.88, .95, .88))
            for i in range(len(GRADES))]
    story.append(_table(cm, [18 * mm] * 6, diag))

    story.append(Paragraph("Per level", st["h3"]))
    rows = [[Paragraph(_e(h).replace("\n", "<br/>"), st["cellb"]) for h in ["Level"] + head[1:]]]
    rows += [_stats_row(lv.value, s) for lv, s in rep.per_level.items()]
    story.append(_table(rows, [width * f for f in fr]))
    story.append(Paragraph("“undefined”: both readers put every unit of that row in one category "
                           "(expected agreement 1); kappa says nothing there, see the percent.",
                           st["small"]))

    story.append(PageBreak())
    story.append(Paragraph("Bland–Altman: heights and ratios between readers", st["h2"]))
    rows = [["Measure", "Unit", "n", "Mean difference A − B", "SD", "95 % limits of agreement"]]
    for b in rep.bland_altman:
        loa = "–" if b.loa_low is None else f"{_f(b.loa_low)} to {_f(b.loa_high)}"
        rows.append([b.measure, "mm" if b.unit == "mm" else "pp", str(b.n), _f(b.mean_diff),
                     _f(b.sd_diff), loa])
    story.append(_table(rows, [width * f for f in (0.16, 0.08, 0.08, 0.26, 0.14, 0.28)]))
    story.append(Paragraph("Heights in mm on films calibrated in both readings only; ratios "
                           "(wedge Ha/Hp, biconcave Hm/Hp, crush Hp/Hp_ref) in percentage points on "
                           "any film.", st["small"]))
    plots = [b for b in rep.bland_altman if b.n >= 2]
    if plots:
        pw, ph = width / 2 - 2 * mm, 62 * mm
        cells = [_ba_plot(b, pw, ph) for b in plots]
        grid = [cells[i:i + 2] + [""] * (2 - len(cells[i:i + 2])) for i in range(0, len(cells), 2)]
        g = Table(grid, colWidths=[width / 2] * 2)
        g.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(Spacer(1, 2 * mm))
        story.append(g)
    else:
        story.append(Paragraph("No Bland–Altman plot: fewer than two levels measured by both readers.",
                               st["small"]))

    story.append(PageBreak())
    disc = rep.discordant
    story.append(Paragraph(f"Discordant levels to adjudicate ({len(disc)})", st["h2"]))
    story.append(Paragraph("Discordant (domain §7): one reader calls the level fractured "
                           "(grade ≥ 1) and the other does not, or the grades differ by one or "
                           "more; ‘evaluability’: graded by one reader, not evaluated by the other.",
                           st["small"]))
    rows = [["Patient ID", "Study date", "Film (SOP UID end)", "Level", f"{ra}", f"{rb}", "Reason"]]
    for p in disc:
        rows.append([p.patient_id or "–", p.study_date.isoformat() if p.study_date else "–",
                     "…" + p.sop_instance_uid[-14:], p.level.value,
                     _g(p.grade_a) if p.grade_a is not None else p.status_a.replace("_", " "),
                     _g(p.grade_b) if p.grade_b is not None else p.status_b.replace("_", " "),
                     p.discordance or ""])
    hl = [("BACKGROUND", (0, i), (-1, i), HIGHLIGHT_BG)
          for i, p in enumerate(disc, start=1) if p.discordance == "fracture"]
    story.append(_table(rows, [width * f for f in (0.16, 0.12, 0.2, 0.08, 0.13, 0.13, 0.18)], hl))
    if not disc:
        story.append(Paragraph("None: the readers agree on every level.", st["body"]))
    try:
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    except Exception as exc:  # noqa: BLE001 - reportlab layout errors are not the user's fault
        raise ExportError(f"the PDF could not be laid out ({exc.__class__.__name__}: {exc})") from exc
    return atomic_write_bytes(out, buf.getvalue())

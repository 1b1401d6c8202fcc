"""The PDF report a clinician files: identity, per visit the annotated spine, the level table,
SDI and counts, the change table against baseline, trend plots. Uses reportlab.

Every page carries a footer with the spacing source of each visit, METHOD_VERSION and the
method settings (domain.md §5: "printed on every report"). With ``deidentify`` the report holds
no name, patient ID or birth date (only the age at each study), and a film whose header says
it has burned-in annotation is not shown.

Entry point: :func:`write_report` (list of :class:`VisitInput`) -> Path.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from vfa import METHOD_VERSION, __version__
from vfa.atomic import atomic_write_bytes
from vfa.method.comparison import RATIO_NAMES, Change, Comparison, compare, ratio_trend
from vfa.errors import DicomLoadError, ExportError
from vfa.method.levels import LEVELS, Status
from vfa.method.morphometry import LevelResult, ReadingSummary, summarize
from vfa.reading.reading import Reading, film_for, require_no_pending_proposals
from vfa.method.settings import MethodSettings

from reportlab.graphics.charts.legends import Legend  # noqa: E402
from reportlab.graphics.charts.lineplots import LinePlot  # noqa: E402
from reportlab.graphics.shapes import Drawing, String  # noqa: E402
from reportlab.graphics.widgets.markers import makeMarker  # noqa: E402
from reportlab.lib import colors  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.platypus import (Image, KeepTogether, PageBreak, Paragraph,  # noqa: E402
                                SimpleDocTemplate, Spacer, Table, TableStyle)
from xml.sax.saxutils import escape  # noqa: E402

#: Longest side of the rendered film, in pixels (domain of the brief: ~1000 px).
IMAGE_PX = 1000

HIGHLIGHT_BG = colors.Color(1.0, 0.85, 0.85)
#: A confirmed change smaller than the least significant change (domain.md §4).
NOISE_BG = colors.Color(1.0, 0.95, 0.80)
NE_BG = colors.Color(0.92, 0.92, 0.92)
HEAD_BG = colors.Color(0.85, 0.89, 0.95)


# --------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------
@dataclass
class VisitInput:
    """One reading to report, with where its film is (None: not available)."""

    reading: Reading
    film: Path | None = None
    reading_path: Path | None = None


@dataclass
class _Visit:
    reading: Reading
    film: Path | None
    summary: ReadingSummary
    comparison: Comparison | None = None
    label: str = ""
    notes: list[str] = field(default_factory=list)


def patient_inputs(workspace: Any, patient_id: str, reader: str | None = None) -> list[VisitInput]:
    """The report's input for a patient ID: every saved reading of the patient in
    ``workspace`` (one per film: ``reader``'s, else the newest), each with its film (the
    reading's ``image_path`` or the path the workspace indexed). Used by ``vfa report`` and
    the viewer's File > Export > PDF report."""
    found = workspace.readings_for_patient(patient_id, reader=reader)
    if not found:
        raise ExportError(f"no saved readings for patient {patient_id!r} in workspace "
                          f"{workspace.root}" + (f" by reader {reader!r}" if reader else "")
                          + ": check the ID, or pass reading files")
    out = []
    for r in found:
        rec = workspace.index.image(r.sop_instance_uid) if r.sop_instance_uid else None
        out.append(VisitInput(r, film_for(r, None, rec.path if rec else None)))
    return out


# --------------------------------------------------------------------------------------
# Fonts and styles
# --------------------------------------------------------------------------------------
_FONTS: tuple[str, str] | None = None


def _fonts() -> tuple[str, str]:
    """DejaVu Sans (Unicode names) when installed, else the built-in Helvetica."""
    global _FONTS
    if _FONTS is not None:
        return _FONTS
    regular, bold = "Helvetica", "Helvetica-Bold"
    for d in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
              "/Library/Fonts", "C:/Windows/Fonts"):
        r, b = Path(d) / "DejaVuSans.ttf", Path(d) / "DejaVuSans-Bold.ttf"
        if r.is_file() and b.is_file():
            try:
                from reportlab.pdfbase import pdfmetrics
                from reportlab.pdfbase.ttfonts import TTFont
                pdfmetrics.registerFont(TTFont("VfaSans", str(r)))
                pdfmetrics.registerFont(TTFont("VfaSans-Bold", str(b)))
                from reportlab.lib.fonts import addMapping
                addMapping("VfaSans", 0, 0, "VfaSans")
                addMapping("VfaSans", 1, 0, "VfaSans-Bold")
                addMapping("VfaSans", 0, 1, "VfaSans")
                addMapping("VfaSans", 1, 1, "VfaSans-Bold")
                regular, bold = "VfaSans", "VfaSans-Bold"
            except Exception:  # noqa: BLE001 - a broken font file: fall back to Helvetica
                pass
            break
    _FONTS = (regular, bold)
    return _FONTS


def _styles() -> dict[str, ParagraphStyle]:
    reg, bold = _fonts()
    ss = getSampleStyleSheet()
    base = ParagraphStyle("vfa", parent=ss["Normal"], fontName=reg, fontSize=9, leading=11.5)
    return {
        "title": ParagraphStyle("t", parent=base, fontName=bold, fontSize=16, leading=20,
                                spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=12.5, leading=16,
                             spaceBefore=4, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base, fontName=bold, fontSize=10, leading=13,
                             spaceBefore=6, spaceAfter=3),
        "body": base,
        "small": ParagraphStyle("s", parent=base, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("c", parent=base, fontSize=7, leading=8.5),
        "cellb": ParagraphStyle("cb", parent=base, fontName=bold, fontSize=7, leading=8.5),
        "cellc": ParagraphStyle("cc", parent=base, fontSize=7, leading=8.5, alignment=1),
        "note": ParagraphStyle("n", parent=base, fontSize=8.5, leading=11, borderColor=colors.orange,
                               borderWidth=0.8, borderPadding=4, backColor=colors.Color(1, .96, .88),
                               spaceBefore=6, spaceAfter=6),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text, style)


#: Longest text (characters) of one value drawn in a PDF; longer text (a damaged or hostile
#: reading's 10 MB patient ID) is cut with "…": reportlab's line breaking of one long word
#: grows faster than linearly, and no real name, ID or note comes near this.
MAX_PDF_TEXT = 2000


def _e(value: Any) -> str:
    """``value`` as text for a reportlab Paragraph: markup characters escaped (``<img>``,
    ``<font>``, ``<a href>`` or an unbalanced ``<b>`` from outside are shown, never obeyed) and
    cut at :data:`MAX_PDF_TEXT` characters. Every outside text reaches a Paragraph through this."""
    text = str(value)
    if len(text) > MAX_PDF_TEXT:
        text = text[:MAX_PDF_TEXT] + "…"
    return escape(text)


def _clip(value: Any, limit: int = 128) -> str:
    """A name, ID or reader cut at ``limit`` characters (the index keeps 128) for display."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


# --------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------
def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{round(value, digits) + 0.0:.{digits}f}"  # + 0.0: no "-0.0"


def _grade(g: float | None) -> str:
    if g is None:
        return "–"
    return "0.5" if g == 0.5 else str(int(g))


def _grade_type(g: float | None, t: Any) -> str:
    if g is None:
        return "–"
    return _grade(g) + (f" {t.value}" if t is not None else "")


def _date(d: _dt.date | None) -> str:
    return d.isoformat() if d else "date unknown"


def _age(r: Reading) -> str:
    a, source = r.age_and_source()
    if a is None:
        return "age unknown (adult rules apply)"
    text = f"{a * 12:.0f} months" if a < 2 else (f"{a:.1f} years" if a < 18 else f"{int(a)} years")
    return text + ("" if source == "birth date" else f" ({source})")


def _settings_text(s: MethodSettings) -> str:
    return (f"neighbour limit {s.neighbour_max_reduction_pct:g} %, borderline counted as "
            f"{s.compare_borderline_as:g}, FIT rule {s.fit_loss_pct:g} % and {s.fit_loss_mm:g} mm, "
            f"paediatric under {s.paediatric_age_years:g} y, mm rule in children "
            f"{'on' if s.mm_rule_in_children else 'off'}, grade thresholds "
            f"{'/'.join(f'{x:g}' for x in s.grade_thresholds_pct)} %, measurement SD "
            f"{s.precision_sd_pct:g} points (unless a precision study), reference-line exclusion "
            f"{s.reference_exclusion_pct:g} %")


# --------------------------------------------------------------------------------------
# The film picture
# --------------------------------------------------------------------------------------
def _film_image(visit: _Visit, deidentify: bool, max_w: float, max_h: float,
                tags: dict) -> tuple[Any, str | None]:
    """(flowable, note) – the annotated film, or a note why it is not shown."""
    if visit.film is None:
        return None, "film not available (image_path not found): markers not shown"
    try:
        from vfa.films.radiograph import load_radiograph
        rg = load_radiograph(visit.film)
    except DicomLoadError as exc:
        return None, f"film could not be loaded: {exc}"
    from vfa.reading.reading import check_film
    check_film(visit.reading, rg, visit.film)  # refuses another patient's film (never drawn)
    if deidentify and rg.dataset is not None and \
            str(rg.dataset.get("BurnedInAnnotation", "") or "").upper() == "YES":
        return None, "film not shown: its header says it has burned-in annotation (de-identified report)"
    try:
        from vfa.films.display import render
        gray = render(rg, None, IMAGE_PX)
    except ImportError:  # pragma: no cover - display module missing in a partial install
        import numpy as np
        st = rg.stored.astype(float)
        lo, hi = np.percentile(st, (1, 99))
        gray = (np.clip((st - lo) / max(hi - lo, 1), 0, 1) * 255).astype("uint8")
    import cv2

    from vfa.outputs.annotate import draw_reading
    img = draw_reading(gray, visit.reading, visit.summary.results, stored_shape=rg.shape, tags=tags)
    ok, png = cv2.imencode(".png", img)
    if not ok:  # pragma: no cover
        return None, "film could not be rendered"
    h, w = img.shape[:2]
    scale = min(max_w / w, max_h / h)
    return Image(io.BytesIO(png.tobytes()), width=w * scale, height=h * scale), None


def _angle_lines(r: Reading, baseline: Reading | None) -> list[str]:
    """Kyphosis and L1–L4 angle of a visit, and their change versus baseline (vfa/method/angles.py)."""
    from vfa.method.angles import describe, describe_change, spine_angle
    out = []
    for name, label in (("kyphosis", "Kyphosis"), ("lordosis_l1_l4", "Lordosis")):
        a = spine_angle(r, name)
        text = describe(a, label)
        head, _, rest = text.partition(":")
        out.append(f"<b>{_e(head)}</b>:{_e(rest)}")
        if baseline is not None:
            ch = describe_change(spine_angle(baseline, name), a, label)
            head, _, rest = ch.partition(":")
            out.append(f"<b>{_e(head)}</b>:{_e(rest)}")
    return out


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------
def _level_table(summary: ReadingSummary, st: dict[str, ParagraphStyle], width: float,
                 reading: Reading | None = None) -> Table:
    decided = _decided_by(reading) if reading is not None else {}
    unit = summary.unit
    head = ["Level", "Status", f"Ha\n({unit})", f"Hm\n({unit})", f"Hp\n({unit})", "Wedge\nHa/Hp",
            "Bicon.\nHm/Hp", "Crush\nHp/ref", "Max\nred. %", "P\nfx", "Suggested\ngrade, type",
            "Final\ngrade, type", "Reason / note"]
    rows: list[list[Any]] = [[_p(_e(h).replace("\n", "<br/>"), st["cellb"]) for h in head]]
    styles: list[tuple] = []
    for i, r in enumerate(summary.results, start=1):
        h = r.heights
        if r.status is Status.NOT_EVALUABLE:
            status = "not evaluable"
            styles.append(("BACKGROUND", (0, i), (-1, i), NE_BG))
        elif not r.annotated:
            status = "not annotated" if r.reader_grade is None else "graded only"
        else:
            status = "evaluable"
        note = r.reason if r.status is Status.NOT_EVALUABLE else (r.note or "")
        who = decided.get(r.level)
        if who:  # consensus reading (docs/reading-centre.md)
            note = (f"{note}; " if note else "") + ("agreed" if who == "agreement" else f"decided by {who}")
        vert = reading.vertebrae.get(r.level) if reading is not None else None
        if vert is not None and vert.has_qualitative:  # the reader's observations (§9)
            from vfa.method.qualitative import short_text
            note = "; ".join(x for x in (note, short_text(vert)) if x)
        if r.fractured:
            styles.append(("FONTNAME", (0, i), (0, i), _fonts()[1]))
        sugg = _grade_type(r.suggested_grade, r.suggested_type)
        if summary.paediatric and r.suggested_grade is not None:
            sugg += " (advisory)"
        rows.append([
            r.level.value, _p(_e(status), st["cell"]), _f(h.ha if h else None), _f(h.hm if h else None),
            _f(h.hp if h else None), _f(r.wedge, 2), _f(r.biconcave, 2),
            ("n/a" if h is not None and not r.crush_assessable else _f(r.crush, 2)),
            _f(r.percent), _f(r.p_fracture, 2), _p(_e(sugg), st["cell"]),
            _p(_e(_grade_type(r.grade, r.type) + ("?" if r.unconfirmed else ""))
               + (" <font color='#8a5a00'>crush n/a</font>" if r.crush_na and r.grade is not None else ""),
               st["cell"]),
            _p(_e(note or ""), st["cell"]),
        ])
    fr = [0.055, 0.09, 0.056, 0.056, 0.056, 0.064, 0.064, 0.064, 0.058, 0.045, 0.13, 0.13, 0.132]
    t = Table(rows, colWidths=[width * f for f in fr], repeatRows=1)
    t.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), _fonts()[0]),
        ("FONTSIZE", (0, 0), (-1, -1), 7),
        ("LEADING", (0, 0), (-1, -1), 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (2, 1), (9, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        *styles,
    ]))
    return t


def _decided_by(r: Reading) -> dict:
    """Level -> who decided it, for a consensus reading (empty otherwise)."""
    return {v.level: v.extra["decided_by"] for v in r
            if isinstance(v.extra.get("decided_by"), str) and v.extra["decided_by"]}


def _grade_cell(text: str, r: LevelResult, grade: float | None, st: dict[str, ParagraphStyle]) -> Any:
    """A grade, with "crush n/a" (small, brown) beside it when its crush could not be assessed."""
    if not (r.crush_na and grade is not None):
        return text
    return _p(f"{_e(text)} <font size='6' color='#8a5a00'>crush n/a</font>", st["cellc"])


def change_lines(c: Comparison) -> list[str]:
    """The words a clinician reads for each change (domain.md §4): "T9 incident (P = 0.99 that
    it truly worsened)", "L1 worsened 1→2, within measurement noise (change 0.2 points, LSC 8.3)"."""
    return [t for t in (ch.describe() for ch in c.changes) if t]


def _change_table(c: Comparison, st: dict[str, ParagraphStyle], width: float) -> Table:
    head = ["Level", "Baseline\ngrade", "Follow-up\ngrade", "Change", "Largest height\nloss %",
            "Ht.", "Loss (mm)", "FIT rule\n(20 % + 4 mm)", "Ratio change, points\nwedge / bicon. / crush",
            "Reshaping"]
    rows: list[list[Any]] = [[_p(_e(h).replace("\n", "<br/>"), st["cellb"]) for h in head]]
    styles: list[tuple] = []
    for i, ch in enumerate(c.changes, start=1):
        if ch.highlighted:
            styles += [("BACKGROUND", (0, i), (-1, i), HIGHLIGHT_BG),
                       ("FONTNAME", (0, i), (-1, i), _fonts()[1])]
        change = ch.change.value.replace("_", " ")
        if ch.tentative_change is not None:
            change += f" ({ch.tentative_change.value}?)"
        change = _e(change.upper() if ch.highlighted else change)
        if ch.within_noise:
            styles.append(("BACKGROUND", (0, i), (-1, i), NOISE_BG))
            change += "<br/><font color='#8a5a00'>within noise</font>"
        if ch.p_change is not None and ch.change not in (Change.UNCHANGED, Change.NOT_COMPARABLE):
            change += f"<br/>P = {ch.p_change:.2f} worse"
        fit = {True: "met", False: "not met", None: "n/a"}[ch.fit_rule]
        pp = ch.ratio_change_pp
        ratio = ("–" if pp is None else " / ".join(
            "–" if pp[k] is None else f"{pp[k]:+.1f}" for k in ("wedge", "biconcave", "crush")))
        rows.append([ch.level.value,
                     _grade_cell(_grade(ch.baseline_grade)
                                 + ("" if ch.baseline_confirmed or ch.baseline_grade is None else "?"),
                                 c.baseline.results[ch.level.index], ch.baseline_grade, st),
                     _grade_cell(_grade(ch.followup_grade)
                                 + ("" if ch.followup_confirmed or ch.followup_grade is None else "?"),
                                 c.followup.results[ch.level.index], ch.followup_grade, st),
                     _p(change, st["cell"]),
                     _f(ch.max_loss.loss_pct if ch.max_loss else None),
                     {"ha": "Ha", "hm": "Hm", "hp": "Hp"}.get(ch.max_loss.height, "") if ch.max_loss else "–",
                     _f(ch.loss_mm), fit, ratio, ch.reshaping or ""])
    fr = [0.06, 0.095, 0.095, 0.15, 0.085, 0.05, 0.065, 0.085, 0.195, 0.12]
    t = Table(rows, colWidths=[width * f for f in fr], repeatRows=1)
    t.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), _fonts()[0]),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 1), (2, -1), "CENTER"),
        ("ALIGN", (4, 1), (6, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        *styles,
    ]))
    return t


# --------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------
_SERIES_COLOURS = [colors.HexColor(c) for c in (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#843c39")]


def _line_chart(series: list[tuple[str, list[tuple[float, float]]]], title: str, ylabel: str,
                x0: _dt.date, width: float, height: float = 62 * mm,
                integer_y: bool = False, min_span: float = 1.0) -> Drawing:
    reg, bold = _fonts()
    d = Drawing(width, height)
    lp = LinePlot()
    lp.x, lp.y = 40, 28
    lp.width = width - (120 if len(series) > 1 else 60)
    lp.height = height - 50
    lp.data = [pts for _, pts in series]
    xs = [p[0] for _, pts in series for p in pts] or [0]
    ys = [p[1] for _, pts in series for p in pts] or [0]
    lo_x, hi_x = min(xs), max(xs)
    if hi_x == lo_x:
        hi_x = lo_x + 1
    lp.xValueAxis.valueMin, lp.xValueAxis.valueMax = lo_x, hi_x
    lp.xValueAxis.valueSteps = sorted(set(xs))
    lp.xValueAxis.labelTextFormat = lambda v: (x0 + _dt.timedelta(days=int(round(v)))).strftime("%Y-%m-%d")
    lp.xValueAxis.labels.fontName = reg
    lp.xValueAxis.labels.fontSize = 6.5
    lp.xValueAxis.labels.angle = 20
    lp.xValueAxis.labels.dy = -4
    lo_y, hi_y = min(ys), max(ys)
    pad = max((hi_y - lo_y) * 0.15, min_span)
    lp.yValueAxis.valueMin = max(0.0, lo_y - pad) if lo_y >= 0 else lo_y - pad
    lp.yValueAxis.valueMax = hi_y + pad
    if integer_y:
        lp.yValueAxis.valueMin = max(0.0, float(int(lo_y) - 1))
        lp.yValueAxis.valueMax = float(int(hi_y) + 1)
        span = lp.yValueAxis.valueMax - lp.yValueAxis.valueMin
        lp.yValueAxis.valueStep = max(1.0, float(int(span // 8) or 1))
        lp.yValueAxis.labelTextFormat = "%d"
    lp.yValueAxis.labels.fontName = reg
    lp.yValueAxis.labels.fontSize = 7
    for i in range(len(series)):
        c = _SERIES_COLOURS[i % len(_SERIES_COLOURS)]
        lp.lines[i].strokeColor = c
        lp.lines[i].strokeWidth = 1.4
        lp.lines[i].symbol = makeMarker("FilledCircle", size=3.5, fillColor=c, strokeColor=c)
    d.add(lp)
    d.add(String(lp.x, height - 12, title, fontName=bold, fontSize=9))
    d.add(String(4, lp.y + lp.height / 2, ylabel, fontName=reg, fontSize=7))
    if len(series) > 1:
        lg = Legend()
        lg.x, lg.y = lp.x + lp.width + 12, lp.y + lp.height
        lg.fontName, lg.fontSize = reg, 6.5
        lg.deltay, lg.columnMaximum = 8, 14
        lg.dx = lg.dy = 6
        lg.alignment = "right"
        lg.colorNamePairs = [(_SERIES_COLOURS[i % len(_SERIES_COLOURS)], name)
                             for i, (name, _) in enumerate(series)]
        d.add(lg)
    return d


def _trend_section(visits: list[_Visit], st: dict[str, ParagraphStyle], width: float) -> list[Any]:
    dated = [v for v in visits if v.reading.study_date is not None]
    if len(dated) < 2:
        return [_p("Trend plots need at least two dated visits.", st["small"])]
    x0 = dated[0].reading.study_date
    assert x0 is not None

    def x(v: _Visit) -> float:
        return float((v.reading.study_date - x0).days)  # type: ignore[operator]

    out: list[Any] = [_p("Trends over time", st["h2"])]
    out.append(_line_chart([("SDI", [(x(v), float(v.summary.sdi)) for v in dated])],
                           "Spinal Deformity Index (SDI)", "SDI", x0, width, integer_y=True))
    from vfa.method.angles import kyphosis
    kyph = [(x(v), a) for v in dated if (a := kyphosis(v.reading)) is not None]
    if len(kyph) >= 2:
        series_k = [("Cobb", [(t, a.cobb_deg) for t, a in kyph])]
        cen = [(t, a.centroid_deg) for t, a in kyph if a.centroid_deg is not None]
        if len(cen) >= 2:
            series_k.append(("centroid", cen))
        out.append(Spacer(1, 4 * mm))
        out.append(_line_chart(series_k, "Thoracic kyphosis (degrees; end levels: "
                               + ", ".join(sorted({a.levels for _, a in kyph})) + ")",
                               "degrees", x0, width))
    # Ratios, not millimetres: unit-free, so growth and a change of calibration do not show as
    # height loss, and a reshaping vertebra shows its gain (docs/clinical-method.md, "Trends").
    trend = ratio_trend([v.reading for v in dated], dated[-1].reading.settings)
    titles = {"wedge": "Wedge ratio Ha/Hp per level", "biconcave": "Biconcave ratio Hm/Hp per level",
              "crush": "Crush ratio Hp/Hp_ref per level"}
    any_series = False
    for name in RATIO_NAMES:
        series = []
        for lv in LEVELS:
            pts = [(float((tv.study_date - x0).days), y) for tv in trend if lv in tv.ratios
                   for y in [tv.ratios[lv][name]] if y is not None]
            if len(pts) >= 2:
                series.append((lv.value, pts))
        if series:
            any_series = True
            out.append(Spacer(1, 4 * mm))
            out.append(_line_chart(series, titles[name] + " (1.00 = no reduction; 0.80 = 20 %)",
                                   "ratio", x0, width, height=70 * mm, min_span=0.1))
    if not any_series:
        out.append(_p("No level has ratios on two or more visits.", st["small"]))
    return out


# --------------------------------------------------------------------------------------
# Document
# --------------------------------------------------------------------------------------
def _prepare(inputs: Sequence[VisitInput]) -> list[_Visit]:
    if not inputs:
        raise ExportError("no readings to report")
    ids = {vi.reading.patient_id for vi in inputs if vi.reading.patient_id}
    if len(ids) > 1:
        raise ExportError("the readings belong to different patients "
                          f"({len(ids)} patient IDs): a report is for one patient")
    ordered = sorted(inputs, key=lambda vi: (vi.reading.study_date is None,
                                             vi.reading.study_date or _dt.date.min))
    visits = [_Visit(vi.reading, vi.film or film_for(vi.reading, vi.reading_path),
                     summarize(vi.reading)) for vi in ordered]
    base = visits[0]
    for i, v in enumerate(visits):
        if i == 0:
            v.label = "baseline" if len(visits) > 1 else "single visit"
        else:
            v.label = f"follow-up {i}"
            v.comparison = compare(base.reading, v.reading)
    return visits


def write_report(inputs: Sequence[VisitInput], out: str | os.PathLike[str], *,
                 deidentify: bool = False, allow_proposed: bool = False,
                 allow_missing_images: bool = True) -> Path:
    """Write the PDF report of one patient's readings (any order; baseline = earliest).

    Refuses readings with pending proposed points unless ``allow_proposed``, and visits whose
    film cannot be found when ``allow_missing_images`` is False (``vfa report``'s default)."""
    if not allow_proposed:
        require_no_pending_proposals([i.reading for i in inputs])
    visits = _prepare(inputs)
    lost = [i for i in inputs if i.film is None]
    if lost and not allow_missing_images:
        names = ", ".join(str(i.reading.image_path or i.reading_path or i.reading.study_date
                              or i.reading.sop_instance_uid) for i in lost[:3])
        raise ExportError(f"{len(lost)} film(s) not found ({names}{' ...' if len(lost) > 3 else ''}): "
                          "move them back, fix the readings' image_path, or pass "
                          "--allow-missing-images to write the report without those images")
    st = _styles()
    page_w, page_h = A4
    margin = 15 * mm
    width = page_w - 2 * margin
    buf = io.BytesIO()
    latest = visits[-1].reading
    title = "Vertebral fracture assessment report"
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=margin, rightMargin=margin,
                            topMargin=14 * mm, bottomMargin=24 * mm, title=title,
                            author=f"vfa {__version__}", creator=f"vfa {__version__}",
                            subject="de-identified" if deidentify else "")

    # footer: spacing source of every visit, method version and settings
    spacing = "; ".join(f"{_date(v.reading.study_date)}: {v.reading.spacing.description}"
                        for v in visits)
    settings_all = {v.reading.settings for v in visits}
    settings_txt = _settings_text(latest.settings)
    if len(settings_all) > 1:
        settings_txt += " (settings differ between visits: see each visit)"
    footer_style = ParagraphStyle("f", parent=st["small"], fontSize=6.5, leading=8,
                                  textColor=colors.Color(.25, .25, .25))
    generated = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")

    def on_page(canvas: Any, doc_: Any) -> None:
        canvas.saveState()
        text = (f"<b>Spacing source</b> – {_e(spacing)}<br/>"
                f"<b>Method</b> {_e(METHOD_VERSION)} (vfa {_e(__version__)}); settings: "
                f"{_e(settings_txt)}. Suggested grades are measurement suggestions; the reader's "
                f"grade is final.<br/>Generated {generated}"
                f"{' – de-identified' if deidentify else ''} – page {doc_.page}")
        para = Paragraph(text, footer_style)
        _w, h = para.wrap(width, 22 * mm)
        canvas.setStrokeColor(colors.grey)
        canvas.setLineWidth(0.4)
        canvas.line(margin, 20 * mm, page_w - margin, 20 * mm)
        para.drawOn(canvas, margin, 19 * mm - h)
        canvas.restoreState()

    story: list[Any] = [_p(title, st["title"])]
    # identity
    r0 = latest
    if deidentify:
        ident = [["Patient", "de-identified"],
                 ["Sex", r0.patient_sex or "–"],
                 ["Age at studies", ", ".join(f"{_date(v.reading.study_date)}: {_age(v.reading)}"
                                              for v in visits)]]
    else:
        ident = [["Patient name", _clip(r0.patient_name or "–")],
                 ["Patient ID", _clip(r0.patient_id or "–")],
                 ["Birth date", r0.birth_date.isoformat() if r0.birth_date else "–"],
                 ["Sex", _clip(r0.patient_sex or "–")],
                 ["Age at studies", ", ".join(f"{_date(v.reading.study_date)}: {_age(v.reading)}"
                                              for v in visits)]]
    ident.append(["Visits", ", ".join(f"{_date(v.reading.study_date)} ({v.label}, reader "
                                      f"{_clip(v.reading.reader or 'unknown')})" for v in visits)])
    it = Table([[_p(f"<b>{_e(k)}</b>", st["body"]), _p(_e(v), st["body"])] for k, v in ident],
               colWidths=[35 * mm, width - 35 * mm])
    it.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                            ("TOPPADDING", (0, 0), (-1, -1), 1)]))
    story += [it, Spacer(1, 3 * mm)]
    if any(v.summary.paediatric for v in visits):
        story.append(_p("<b>Paediatric patient</b> (under "
                        f"{latest.settings.paediatric_age_years:g} years at a study): suggested "
                        "grades are advisory only (developmental shapes can mimic fractures and "
                        "vertebrae reshape after fracture); the millimetre half of the FIT rule is "
                        f"{'ON by setting' if latest.settings.mm_rule_in_children else 'off'} because "
                        "vertebrae grow between visits; adult normative tables do not apply.",
                        st["note"]))

    unknown = [v for v in visits if v.summary.paediatric is None]
    if unknown:
        story.append(_p("<b>Age unknown</b> at "
                        f"{_e(', '.join(_date(v.reading.study_date) for v in unknown))}: adult rules "
                        "were applied (no advisory label, millimetre rule on). Enter the patient's "
                        "age in the viewer if this may be a child.", st["note"]))

    for n, v in enumerate(visits):
        if n > 0:
            story.append(PageBreak())
        r, s = v.reading, v.summary
        story.append(_p(f"Visit {_e(_date(r.study_date))} – {_e(v.label)}", st["h2"]))
        tags = {}
        if v.comparison is not None:
            tags = {ch.level: ch.change.value for ch in v.comparison.changes if ch.highlighted}
        img, img_note = _film_image(v, deidentify, width * 0.52, 100 * mm, tags)
        fractured = [res.level.value for res in s.results if res.fractured]
        ne = [f"{res.level.value} ({res.reason})" for res in s.results
              if res.status is Status.NOT_EVALUABLE]
        lines = [
            f"<b>SDI</b> {s.sdi} (sum of final grades T4–L4, 0.5 counted as 0)",
            f"<b>Fractured levels</b> ({s.fractured}): {_e(', '.join(fractured) or 'none')}",
            f"<b>Graded levels</b>: {s.graded} of {len(LEVELS)}",
            f"<b>Not evaluable</b> ({s.not_evaluable}): {_e('; '.join(ne) or 'none')}",
            f"<b>Reader</b>: {_e(_clip(r.reader or 'unknown'))}",
            f"<b>Age at study</b>: {_e(_age(r))}",
            f"<b>Spacing source</b>: {_e(r.spacing.description)}",
            "<b>Heights in</b> "
            + ('millimetres' if s.calibrated else 'PIXELS (uncalibrated film: millimetre rules off)'),
        ]
        lines += _angle_lines(r, visits[0].reading if v.comparison is not None else None)
        if v.comparison is not None:
            c = v.comparison
            lines.append(f"<b>Versus baseline {_e(_date(visits[0].reading.study_date))}</b>: SDI "
                         f"{c.baseline.sdi} → {c.followup.sdi} (over the {len(c.common_levels)} "
                         f"levels evaluable at both: {c.sdi_baseline_common} → "
                         f"{c.sdi_followup_common}); incident: "
                         f"{_e(', '.join(map(str, c.incident)) or 'none')}; worsened: "
                         f"{_e(', '.join(map(str, c.worsened)) or 'none')}; uncertain (reader to "
                         f"decide): {_e(', '.join(map(str, c.uncertain)) or 'none')}; within "
                         f"measurement noise: {_e(', '.join(map(str, c.within_noise)) or 'none')}"
                         + ("" if c.reshaping_assessed else "; reshaping not assessed (age unknown)"))
            for ch in c.changes:
                if ch.reshaping:
                    lines.append(f"<b>{_e(ch.reshaping_text() or '')}</b>")
        if s.unconfirmed:
            lines.append(f"<b>Unconfirmed grades</b> ({len(s.unconfirmed)}, marked ?): "
                         f"{_e(', '.join(lv.value for lv in s.unconfirmed))}")
        adj = r.extra.get("adjudication")
        if isinstance(adj, dict):  # consensus reading (docs/reading-centre.md)
            lines.append(f"<b>Consensus</b> of {_e(' and '.join(map(str, adj.get('readers') or [])))}"
                         f", adjudicated by {_e(adj.get('adjudicator') or '?')} "
                         f"({len(adj.get('discordant_levels') or [])} discordant level(s))")
        if s.paediatric:
            lines.append("<b>Paediatric study</b>: suggested grades advisory; mm rule "
                         f"{'on' if r.settings.mm_rule_in_children else 'off'}")
        elif s.paediatric is None:
            lines.append("<b>Age unknown</b>: adult rules applied until the reader gives the age")
        if r.settings != latest.settings:
            lines.append(f"<b>Settings</b>: {_e(_settings_text(r.settings))}")
        legend = ("Markers: green grade 0, yellow 0.5/1, orange 2, red 3, grey not evaluable; "
                  "magenta ring: incident or worsened.")
        right = [_p(line, st["body"]) for line in lines] + [Spacer(1, 2 * mm), _p(legend, st["small"])]
        if img_note:
            right.append(_p(f"<i>{_e(img_note)}</i>", st["small"]))
        left: Any = img if img is not None else _p(f"<i>{_e(img_note or '')}</i>", st["small"])
        top = Table([[left, right]], colWidths=[width * 0.54, width * 0.46])
        top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        story.append(top)
        story.append(KeepTogether([_p("Per-level measurements", st["h3"]),
                                   _level_table(s, st, width, r),
                                   _p("? = suggested grade not confirmed by the reader; crush n/a = "
                                      "too few reference levels for the reference line; P fx = "
                                      "probability that the true reduction is at or above the grade-1 "
                                      f"threshold (measurement SD {r.settings.precision_sd_pct:g} points).",
                                      st["small"])]))
        if v.comparison is not None:
            c = v.comparison
            head = [_p(f"Change versus baseline ({_e(_date(visits[0].reading.study_date))})", st["h3"])]
            if c.mm_rule_note:
                head.append(_p(f"FIT 20 % + 4 mm rule {_e(c.mm_rule_note)}.", st["small"]))
            story.append(KeepTogether(head + [_change_table(c, st, width)]))
            words = change_lines(c)
            if words:
                story.append(_p("<br/>".join(_e(w) for w in words), st["body"]))
            story.append(_p("Highlighted rows: INCIDENT (new fracture) or WORSENED. ? = grade not "
                            "confirmed by the reader; UNCERTAIN = a grade change with less than "
                            f"the least significant change ({c.lsc_pct:.1f} points) of measured change "
                            "behind an unconfirmed grade (the reader decides); within noise (shaded) = a "
                            "change between two confirmed grades smaller than the LSC: it stands as "
                            "graded. P = probability that the level truly got worse. crush n/a = too few "
                            "reference levels for the reference line. Ratio change = follow-up "
                            "minus baseline ratio × 100. Measurement noise: "
                            f"{_e(c.measurement_noise.describe())}"
                            + (f" ({_e(c.measurement_noise.note)})" if c.measurement_noise.note else "")
                            + ".", st["small"]))

    if len(visits) > 1:
        story.append(PageBreak())
        story += _trend_section(visits, st, width)

    try:
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    except Exception as exc:  # noqa: BLE001 - reportlab layout errors are not the user's fault
        raise ExportError(f"the PDF could not be laid out ({exc.__class__.__name__}: {exc})") from exc
    return atomic_write_bytes(out, buf.getvalue())


#: The report's building blocks, shared by the other PDFs (agreement, cohort).
pdf_fonts = _fonts                  # (regular, bold) font names
pdf_styles = _styles                # the paragraph styles by name
markup_text = _e                    # any value as text safe in reportlab markup
settings_text = _settings_text      # a MethodSettings in one line

__all__ = ["VisitInput", "write_report", "film_for", "patient_inputs", "IMAGE_PX",
           "pdf_fonts", "pdf_styles", "markup_text", "settings_text"]

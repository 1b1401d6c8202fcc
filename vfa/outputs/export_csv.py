"""CSV exports for statistics (R, pandas): one row per vertebra per visit per reader, and a
per-visit summary.

Conventions (docs/exports.md): UTF-8 without BOM, comma-separated, header row, ``\\r\\n`` line
ends (csv module default), empty cell = no value, booleans ``true``/``false``, dates
``YYYY-MM-DD``, floats in full precision (Python ``repr``), grades ``0``, ``0.5``, ``1``...
Every level T4..L4 has a row for every visit (``annotated`` says whether it was measured), so
row count = 13 x visits. "Baseline" is the patient's earliest visit read by the same reader.
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
import io
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from vfa import METHOD_VERSION
from vfa.method.angles import angles_dict
from vfa.method.qualitative import KEYS as QUALITATIVE_KEYS
from vfa.atomic import atomic_write_text
from vfa.method.comparison import Comparison, compare
from vfa.errors import ExportError, ReadingFormatError
from vfa.method.levels import POINT_SLOTS
from vfa.method.morphometry import ReadingSummary, summarize
from vfa.reading.reading import Reading, load_reading, require_no_pending_proposals

POINT_COLUMNS = [f"{s.value}_{axis}" for s in POINT_SLOTS for axis in ("x", "y")]

LEVEL_COLUMNS = [
    "patient_id", "study_date", "reader", "study_instance_uid", "sop_instance_uid", "level",
    "annotated", "status", "reason",
    *POINT_COLUMNS,
    "ha", "hm", "hp", "unit", "wedge", "biconcave", "crush", "hp_ref", "percent",
    "suggested_grade", "suggested_type", "reader_grade", "reader_type", "final_grade", "final_type",
    *QUALITATIVE_KEYS,
    "baseline_date", "baseline_grade", "change", "max_loss_pct", "max_loss_height", "loss_mm",
    "fit_rule", "sdi", "spacing_source", "paediatric", "method_version",
    # clinical method v2 (docs/clinical-method.md)
    "confirmed", "crush_assessable", "crush_reason", "age_years", "reshaping",
    "wedge_change_pp", "biconcave_change_pp", "crush_change_pp", "tentative_change",
    "decided_by",
    # clinical method v3: probabilities and measurement noise (docs/clinical-method.md)
    "p_fracture", "p_change", "within_noise",
]

#: Sagittal angles per visit (vfa/method/angles.py): degrees, and the end levels used.
ANGLE_COLUMNS = [f"{name}_{k}" for name in ("kyphosis", "lordosis_l1_l4")
                 for k in ("cobb_deg", "centroid_deg", "levels")]

SUMMARY_COLUMNS = [
    "patient_id", "study_date", "reader", "study_instance_uid", "sop_instance_uid", "sdi",
    "fractured", "fractured_levels", "not_evaluable", "not_evaluable_levels", "graded",
    "baseline_date", "incident", "incident_levels", "worsened", "worsened_levels",
    "spacing_source", "unit", "paediatric", "method_version",
    # clinical method v2 (docs/clinical-method.md)
    "age_years", "unconfirmed", "unconfirmed_levels", "improved", "improved_levels",
    "uncertain", "uncertain_levels", "reshaped_levels", "sdi_baseline_common",
    "sdi_followup_common",
    *ANGLE_COLUMNS,
    # clinical method v3: measurement noise of the comparison (docs/clinical-method.md)
    "within_noise", "within_noise_levels", "sd_pct", "sd_source", "lsc_pct",
]


@dataclass
class _Visit:
    reading: Reading
    summary: ReadingSummary
    baseline: Reading | None = None
    comparison: Comparison | None = None


#: Floats closer to zero than this are floating-point noise of a computation (a height
#: difference of 1e-13 mm): written as 0.0, as is -0.0.
FLOAT_NOISE = 1e-9
#: First characters that make a spreadsheet read a cell as a formula (CSV injection, OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def safe_text(text: str) -> str:
    """A text cell that no spreadsheet runs as a formula: a cell whose first character after
    any leading spaces is ``=``, ``+``, ``-``, ``@``, tab or carriage return and that is not a
    number gets a leading ``'`` (docs/exports.md; OWASP: spreadsheets skip leading spaces
    before a formula). Numbers such as ``-2.5`` or ``+1e3`` are left as they are."""
    head = text.lstrip(" \n\x0b\x0c\u00a0")
    if head.startswith(FORMULA_TRIGGERS) and not _NUMBER.fullmatch(text.strip()):
        return "'" + text
    return text


def csv_cell(value: Any) -> str:
    """A CSV cell by the rules of every CSV of VFA (docs/exports.md): text whose first character
    after leading spaces is ``=``, ``+``, ``-``, ``@``, tab or carriage return and that is not a
    number gets a leading ``'`` (:func:`safe_text`); numbers stay numbers (``-2.8``); ``-0.0``
    and float noise are ``0.0``; a non-finite number is an empty cell; enums give their value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return "0.0" if abs(value) < FLOAT_NOISE else repr(value)  # -0.0 and 1e-13 alike
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return safe_text(str(value.value))
    return safe_text(str(value))


def _p(value: float | None) -> float | None:
    """A probability as the JSON outputs give it (four decimals)."""
    return round(value, 4) if value is not None else None


def _grade(g: Any) -> str:
    if g is None:
        return ""
    return "0.5" if g == 0.5 else str(int(g))


# --------------------------------------------------------------------------------------
# Collecting readings
# --------------------------------------------------------------------------------------
def readings_from_workspace(root: Any, patient_id: str | None = None) -> list[Reading]:
    """Every saved reading of every reader in a workspace (newest per film and reader);
    only ``patient_id``'s when given. ``root`` is the workspace folder or an open
    :class:`vfa.storage.workspace.Workspace` (the viewer's; it is left open)."""
    from vfa.storage.workspace import Workspace
    own = not isinstance(root, Workspace)
    ws = Workspace(root) if own else root
    try:
        skipped: list[tuple[str, str]] = []
        out = ws.saved_readings(patient_id, skipped=skipped)
        for path, why in skipped:
            print(f"vfa export-csv: skipped {path}: {why}", file=sys.stderr)
        return out
    finally:
        if own:
            ws.close()


def collect_readings(inputs: Sequence[str | os.PathLike[str]]) -> list[Reading]:
    """Readings from workspace folders (with an index), plain folders of reading files
    (searched recursively; non-reading JSON skipped) and reading files."""
    out: list[Reading] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            if (p / "index.sqlite").is_file():
                out += readings_from_workspace(p)
                continue
            found = 0
            for f in sorted(p.rglob("*.json")):
                if "autosave" in f.parts:
                    continue
                try:
                    out.append(load_reading(f))
                    found += 1
                except ReadingFormatError:
                    continue
            if not found:
                raise ExportError(f"{p} holds no reading files (and is not a workspace)")
        elif p.is_file():
            out.append(load_reading(p))
        else:
            raise ExportError(f"{p} does not exist: pass a workspace folder or reading files")
    if not out:
        raise ExportError("no readings to export")
    return out


def _visits(readings: Iterable[Reading]) -> list[_Visit]:
    """Per patient and reader, oldest first; each follow-up compared with that baseline."""
    groups: dict[tuple[str, str], list[Reading]] = {}
    for r in readings:
        groups.setdefault((r.patient_id or "", r.reader or ""), []).append(r)
    out: list[_Visit] = []
    for key in sorted(groups):
        rs = sorted(groups[key], key=lambda r: (r.study_date is None, r.study_date or _dt.date.min,
                                                r.sop_instance_uid))
        base = rs[0]
        for i, r in enumerate(rs):
            v = _Visit(r, summarize(r))
            if i > 0:
                v.baseline = base
                v.comparison = compare(base, r)
            out.append(v)
    return out


# --------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------
def level_rows(visits: Sequence[_Visit]) -> list[dict[str, str]]:
    rows = []
    for v in visits:
        r, s = v.reading, v.summary
        changes = {c.level: c for c in v.comparison.changes} if v.comparison else {}
        for res in s.results:
            vert = r.vertebrae.get(res.level)
            pts = vert.points if vert is not None else {}
            row: dict[str, Any] = {
                "patient_id": r.patient_id, "study_date": r.study_date, "reader": r.reader,
                "study_instance_uid": r.study_instance_uid,
                "sop_instance_uid": r.sop_instance_uid, "level": res.level.value,
                "annotated": res.annotated, "status": res.status.value, "reason": res.reason,
            }
            for slot in POINT_SLOTS:
                p = pts.get(slot)
                row[f"{slot.value}_x"] = p[0] if p else None
                row[f"{slot.value}_y"] = p[1] if p else None
            h = res.heights
            row.update({
                "ha": h.ha if h else None, "hm": h.hm if h else None, "hp": h.hp if h else None,
                "unit": res.unit, "wedge": res.wedge, "biconcave": res.biconcave,
                "crush": res.crush, "hp_ref": res.hp_ref, "percent": res.percent,
                "suggested_grade": _grade(res.suggested_grade), "suggested_type": res.suggested_type,
                "reader_grade": _grade(res.reader_grade), "reader_type": res.reader_type,
                "final_grade": _grade(res.grade), "final_type": res.type,
                "sdi": s.sdi, "spacing_source": r.spacing.source.value,
                "paediatric": s.paediatric, "method_version": METHOD_VERSION,
                "confirmed": res.confirmed if res.graded else None,
                "crush_assessable": res.crush_assessable if res.heights is not None else None,
                "crush_reason": res.crush_reason if res.heights is not None else None,
                "age_years": s.age_years,
                "decided_by": (vert.extra.get("decided_by") if vert is not None else None),
                "p_fracture": _p(res.p_fracture),
            })
            for key in QUALITATIVE_KEYS:
                row[key] = getattr(vert, key, None) if vert is not None else None
            ch = changes.get(res.level)
            if v.baseline is not None and ch is not None:
                row.update({
                    "baseline_date": v.baseline.study_date,
                    "baseline_grade": _grade(ch.baseline_grade),
                    "change": ch.change.value,
                    "max_loss_pct": ch.max_loss.loss_pct if ch.max_loss else None,
                    "max_loss_height": ch.max_loss.height if ch.max_loss else None,
                    "loss_mm": ch.loss_mm, "fit_rule": ch.fit_rule,
                    "reshaping": ch.reshaping,
                    "tentative_change": ch.tentative_change.value if ch.tentative_change else None,
                    "p_change": _p(ch.p_change), "within_noise": ch.within_noise,
                })
                for k, val in (ch.ratio_change_pp or {}).items():
                    row[f"{k}_change_pp"] = val
            rows.append({k: csv_cell(row.get(k)) for k in LEVEL_COLUMNS})
    return rows


def summary_rows(visits: Sequence[_Visit]) -> list[dict[str, str]]:
    rows = []
    for v in visits:
        r, s = v.reading, v.summary
        fr = [x.level.value for x in s.results if x.fractured]
        ne = [x.level.value for x in s.results if x.status.value == "not_evaluable"]
        row: dict[str, Any] = {
            "patient_id": r.patient_id, "study_date": r.study_date, "reader": r.reader,
            "study_instance_uid": r.study_instance_uid, "sop_instance_uid": r.sop_instance_uid,
            "sdi": s.sdi, "fractured": s.fractured, "fractured_levels": ";".join(fr),
            "not_evaluable": s.not_evaluable, "not_evaluable_levels": ";".join(ne),
            "graded": s.graded, "spacing_source": r.spacing.source.value, "unit": s.unit,
            "paediatric": s.paediatric, "method_version": METHOD_VERSION,
            "age_years": s.age_years, "unconfirmed": len(s.unconfirmed),
            "unconfirmed_levels": ";".join(lv.value for lv in s.unconfirmed),
        }
        for name, a in angles_dict(r).items():
            for k in ("cobb_deg", "centroid_deg", "levels"):
                row[f"{name}_{k}"] = a[k] if a else None
        if v.comparison is not None and v.baseline is not None:
            c = v.comparison
            row.update({
                "baseline_date": v.baseline.study_date,
                "incident": len(c.incident), "incident_levels": ";".join(map(str, c.incident)),
                "worsened": len(c.worsened), "worsened_levels": ";".join(map(str, c.worsened)),
                "improved": len(c.improved), "improved_levels": ";".join(map(str, c.improved)),
                "uncertain": len(c.uncertain), "uncertain_levels": ";".join(map(str, c.uncertain)),
                "reshaped_levels": (";".join(map(str, c.reshaped)) if c.reshaping_assessed
                                    else "not assessed"),   # age unknown (domain.md §4)
                "sdi_baseline_common": c.sdi_baseline_common,
                "sdi_followup_common": c.sdi_followup_common,
                "within_noise": len(c.within_noise),
                "within_noise_levels": ";".join(map(str, c.within_noise)),
                "sd_pct": c.sd_pct, "sd_source": c.measurement_noise.source, "lsc_pct": c.lsc_pct,
            })
        rows.append({k: csv_cell(row.get(k)) for k in SUMMARY_COLUMNS})
    return rows


def table_csv_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=columns)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def summary_path_for(out: str | os.PathLike[str]) -> Path:
    """``readings.csv`` -> ``readings-summary.csv``."""
    p = Path(out)
    suffix = p.suffix or ".csv"
    return p.with_name(f"{p.stem if p.suffix else p.name}-summary{suffix}")


def export_csv(readings: Sequence[Reading], out: str | os.PathLike[str],
               summary: str | os.PathLike[str] | None = None,
               allow_proposed: bool = False) -> tuple[Path, Path, int, int]:
    """Write both CSV files atomically. Returns (levels path, summary path, rows, visits).

    Refuses readings with pending proposed points unless ``allow_proposed``."""
    if not allow_proposed:
        require_no_pending_proposals(readings)
    visits = _visits(readings)
    lrows = level_rows(visits)
    srows = summary_rows(visits)
    spath = Path(summary) if summary is not None else summary_path_for(out)
    if spath.resolve() == Path(out).resolve():
        raise ExportError("the summary CSV would overwrite the per-level CSV: choose another --summary")
    p1 = atomic_write_text(out, table_csv_text(LEVEL_COLUMNS, lrows))
    p2 = atomic_write_text(spath, table_csv_text(SUMMARY_COLUMNS, srows))
    return p1, p2, len(lrows), len(visits)


__all__ = ["LEVEL_COLUMNS", "SUMMARY_COLUMNS", "POINT_COLUMNS", "collect_readings",
           "readings_from_workspace",
           "export_csv", "summary_path_for", "level_rows", "summary_rows"]


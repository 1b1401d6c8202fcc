"""The cohort table as CSV (``vfa cohort -o x.csv``) and clinical events as the import CSV
(``vfa clinical export``), by the cell rules of every CSV of VFA (:mod:`vfa.outputs.export_csv`)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Iterable

from vfa import METHOD_VERSION
from vfa.atomic import atomic_write_text
from vfa.outputs.export_csv import csv_cell, table_csv_text
from vfa.study.clinical import COLUMNS, ClinicalEvent
from vfa.study.cohort import Cohort

__all__ = ["csv_cell", "CSV_COLUMNS", "csv_rows", "csv_text", "write_csv", "clinical_csv_text"]


def clinical_csv_text(events: Iterable["ClinicalEvent"]) -> str:
    """Clinical events as the import CSV (``vfa clinical export``), with the same cell safety."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    for e in events:
        w.writerow([csv_cell(e.patient_id), e.date.isoformat() if e.date else "", e.kind,
                    csv_cell(e.value), csv_cell(e.detail or "")])
    return buf.getvalue()


CSV_COLUMNS = [
    "patient_id", "sex", "age_at_baseline", "paediatric", "visits", "first_visit", "last_visit",
    "months_followup", "readers", "prevalent_fractures", "prevalent_levels", "sdi_baseline",
    "incident_fractures", "incident_levels", "worsened", "worsened_levels", "reshaped",
    "reshaped_levels", "improved_levels", "uncertain_levels", "within_noise_levels",
    "not_comparable_levels", "sdi_last",
    "sdi_baseline_common", "sdi_last_common", "common_levels", "unconfirmed",
    "incident_levels_any_interval", "bmd_z_baseline", "bmd_z_baseline_date", "bmd_z_last",
    "bmd_z_last_date", "bmd_z_baseline_rule", "diagnosis", "treatment", "glucocorticoids",
    "other_drugs", "method_version",
]


def csv_rows(cohort: Cohort) -> list[dict[str, str]]:
    out = []
    for d in cohort.patient_dicts():
        d["first_visit"], d["last_visit"] = d["visit_dates"][0], d["visit_dates"][-1]
        d["readers"] = ";".join(dict.fromkeys(d["readers"]))
        for k in ("prevalent_levels", "incident_levels", "worsened_levels", "reshaped_levels",
                  "improved_levels", "uncertain_levels", "within_noise_levels",
                  "not_comparable_levels", "incident_levels_any_interval"):
            d[k] = ";".join(d[k]) if d[k] is not None else "not assessed"   # reshaping, age unknown
        d["method_version"] = METHOD_VERSION
        out.append({k: csv_cell(d.get(k)) for k in CSV_COLUMNS})
    return out


def csv_text(cohort: Cohort) -> str:
    return table_csv_text(CSV_COLUMNS, csv_rows(cohort))


def write_csv(cohort: Cohort, out: str | os.PathLike[str]) -> Path:
    return atomic_write_text(out, csv_text(cohort))

"""Clinical context of a patient, entered by the user (domain.md §8).

Diagnosis, glucocorticoids and other relevant drugs, bisphosphonate courses (drug, dose in
mg/kg, infusion dates), lumbar spine BMD Z-scores with their dates, and free notes. It is
kept with the patient in the workspace index (table ``clinical_events``, vfa/storage/index.py) and
reported beside the outcomes; nothing here is ever inferred from images.

One fact is one :class:`ClinicalEvent`, the same shape as a row of the import CSV::

    patient_id,date,kind,value,detail
    VFA-CHILD-01,2024-03-19,bisphosphonate,pamidronate,1 mg/kg/day x 3 days
    VFA-CHILD-01,2024-03-05,bmd_z,-3.4,lumbar spine L1-L4

``kind`` is one of :data:`KINDS`; ``value`` the diagnosis, the drug or the number; ``detail``
free text (a dose such as ``0.05 mg/kg``, a site such as ``lumbar spine``). The date is required
for infusions and BMD Z-scores and optional for the rest (a diagnosis may have none).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from vfa.errors import ClinicalDataError

COLUMNS = ("patient_id", "date", "kind", "value", "detail")

#: The kinds of clinical event, with what ``value`` holds.
KINDS: dict[str, str] = {
    "diagnosis": "the diagnosis (e.g. acute lymphoblastic leukaemia)",
    "glucocorticoid": "the glucocorticoid (e.g. prednisolone)",
    "drug": "another relevant drug (e.g. methotrexate)",
    "bisphosphonate": "the bisphosphonate given on that date (e.g. zoledronic acid)",
    "bmd_z": "a BMD Z-score (a number, e.g. -2.8)",
    "note": "a free note",
}
#: Kinds whose date is required.
DATED_KINDS = ("bisphosphonate", "bmd_z")
#: A Z-score outside this range is a typing error (a T-score in g/cm², a missing minus...).
BMD_Z_RANGE = (-10.0, 10.0)

#: Limits of the import CSV, checked before any row is parsed (file) or stored (cells):
#: a patient ID as DICOM's LO (64 characters), value and detail as the index columns (512).
MAX_CSV_BYTES = 64 * 2**20
MAX_CSV_ROWS = 1_000_000
CELL_LIMITS = {"patient_id": 64, "date": 32, "kind": 32, "value": 512, "detail": 512}
#: Bad rows named one by one in an error message (the rest are counted).
MAX_PROBLEMS_SHOWN = 50

_DOSE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?|\.\d+)\s*mg\s*/\s*kg", re.IGNORECASE)


@dataclass(frozen=True)
class ClinicalEvent:
    patient_id: str
    date: _dt.date | None
    kind: str
    value: str
    detail: str = ""
    #: The row in the index (None until stored).
    id: int | None = field(default=None, compare=False)

    @property
    def number(self) -> float | None:
        """The value as a number (BMD Z-scores), else None."""
        try:
            x = float(self.value)
        except (TypeError, ValueError):
            return None
        return x if math.isfinite(x) else None

    @property
    def dose_mg_per_kg(self) -> float | None:
        """The dose in mg/kg written in ``detail`` (``0.05 mg/kg``), else None."""
        m = _DOSE.search(self.detail or "")
        return float(m.group(1)) if m else None

    @property
    def dose_text(self) -> str | None:
        """The dose as the user wrote it: from the mg/kg number to the end of its phrase
        (``1 mg/kg/day x 3 days``), else None."""
        m = _DOSE.search(self.detail or "")
        if not m:
            return None
        rest = (self.detail or "")[m.start():]
        return re.split(r"[;,](?![^()]*\))", rest, maxsplit=1)[0].strip()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"date": self.date.isoformat() if self.date else None,
                             "kind": self.kind, "value": self.value, "detail": self.detail or ""}
        if self.kind == "bmd_z":
            d["z"] = self.number
        if self.kind == "bisphosphonate":
            # The number parsed from the text, and the text as the user wrote it ("1 mg/kg/day x
            # 3 days" is not a single 1 mg/kg dose): both are kept (domain §8).
            d["dose_mg_per_kg"] = self.dose_mg_per_kg
            d["dose_text"] = self.dose_text
        return d

    def key(self) -> tuple[Any, ...]:
        """Identity for de-duplication (the same fact imported twice)."""
        return (self.patient_id, self.date, self.kind, self.value.strip(), (self.detail or "").strip())


def validate_event(patient_id: Any, date: Any, kind: Any, value: Any, detail: Any = "") -> tuple[
        ClinicalEvent | None, list[tuple[str, str]]]:
    """A :class:`ClinicalEvent` from raw cells, or the problems as (column, what was expected)."""
    problems: list[tuple[str, str]] = []
    for col, cell in zip(COLUMNS, (patient_id, date, kind, value, detail)):
        if isinstance(cell, str) and len(cell) > CELL_LIMITS[col]:
            problems.append((col, f"at most {CELL_LIMITS[col]} characters, got {len(cell)}"))
    if problems:
        return None, problems
    pid = (patient_id or "").strip() if isinstance(patient_id, str) else ""
    if not pid:
        problems.append(("patient_id", "a patient ID (it is empty)"))
    k = (kind or "").strip().lower() if isinstance(kind, str) else ""
    if k not in KINDS:
        problems.append(("kind", f"one of {', '.join(KINDS)}, got {kind!r}"))
    d: _dt.date | None = None
    if isinstance(date, _dt.date):
        d = date
    elif isinstance(date, str) and date.strip():
        try:
            d = _dt.date.fromisoformat(date.strip())
        except ValueError:
            problems.append(("date", f"a date YYYY-MM-DD, got {date.strip()!r}"))
        else:
            if not (_dt.date(1900, 1, 1) <= d <= _dt.date(2200, 1, 1)):
                problems.append(("date", f"a date between 1900 and 2200, got {date.strip()!r}"))
                d = None
    elif k in DATED_KINDS:
        problems.append(("date", f"a date YYYY-MM-DD (required for {k})"))
    v = (value or "").strip() if isinstance(value, str) else ""
    if not v:
        problems.append(("value", KINDS.get(k, "a value") + " (it is empty)"))
    elif k == "bmd_z":
        try:
            z = float(v.replace("\u2212", "-"))  # a typographic minus from a word processor
        except ValueError:
            problems.append(("value", f"a BMD Z-score as a number (e.g. -2.8), got {v!r}"))
        else:
            lo, hi = BMD_Z_RANGE
            if not math.isfinite(z) or not lo <= z <= hi:
                problems.append(("value", f"a BMD Z-score between {lo:g} and {hi:g}, got {v!r}"))
            else:
                v = repr(z) if z != int(z) else f"{z:.1f}"
    det = (detail or "").strip() if isinstance(detail, str) else ""
    if problems:
        return None, problems
    return ClinicalEvent(pid, d, k, v, det), []


def parse_csv_text(text: str, source: str = "clinical CSV") -> tuple[list[ClinicalEvent], list[str]]:
    """Events and problems (one message per bad row: row number, column, what was expected).

    Row numbers are those a spreadsheet shows: the header is row 1."""
    if text.startswith("\ufeff"):
        text = text[1:]
    rd = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(rd)
    except StopIteration:
        raise ClinicalDataError(f"{source} is empty: expected the header "
                                f"{','.join(COLUMNS)}") from None
    except csv.Error as exc:
        raise ClinicalDataError(f"{source} is not a CSV file ({exc})") from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise ClinicalDataError(
            f"{source}: row 1 (header) lacks the column(s) {', '.join(missing)}; expected the "
            f"header {','.join(COLUMNS)}")
    col = {c: names.index(c) for c in COLUMNS}
    events: list[ClinicalEvent] = []
    problems: list[str] = []
    row_no = 1
    while True:
        try:
            cells = next(rd)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"row {rd.line_num}: not valid CSV ({exc})")
            break
        row_no += 1
        if row_no > MAX_CSV_ROWS + 1:
            raise ClinicalDataError(f"{source} has more than {MAX_CSV_ROWS:,} rows: split it into "
                                    "several files and import them one after the other")
        if not any(c.strip() for c in cells):
            continue  # blank lines are allowed
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names):]):
            problems.append(f"row {row_no}: {len(cells)} cells, expected {len(names)} "
                            f"(a comma inside a value must be quoted)")
            continue
        raw = {c: (cells[i] if i < len(cells) else "") for c, i in col.items()}
        ev, bad = validate_event(raw["patient_id"], raw["date"], raw["kind"], raw["value"],
                                 raw["detail"])
        if bad:
            problems.append(f"row {row_no}: " + "; ".join(f"column {c}: expected {w}" for c, w in bad))
        else:
            assert ev is not None
            events.append(ev)
    return events, problems


def load_csv(path: str | os.PathLike[str]) -> list[ClinicalEvent]:
    """Every event of a clinical CSV; refuses the whole file if any row is bad
    (:class:`ClinicalDataError` with one problem per bad row)."""
    p = Path(path)
    try:
        st = p.stat()
        if p.is_dir():
            raise ClinicalDataError(f"{p} is a folder: pass the clinical CSV file")
        if not p.is_file():
            raise ClinicalDataError(f"{p} is not a regular file (a pipe or device): pass the "
                                    "clinical CSV file")
        if st.st_size > MAX_CSV_BYTES:
            raise ClinicalDataError(f"{p} is {st.st_size / 2**20:.0f} MB, more than the "
                                    f"{MAX_CSV_BYTES // 2**20} MB a clinical CSV may hold: split it "
                                    "into several files and import them one after the other")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ClinicalDataError(f"{p} does not exist: pass the clinical CSV "
                                f"({','.join(COLUMNS)})") from None
    except UnicodeDecodeError:
        raise ClinicalDataError(f"{p} is not UTF-8 text: save it as CSV UTF-8") from None
    except OSError as exc:
        raise ClinicalDataError(f"cannot read {p}: {exc.strerror}") from None
    events, problems = parse_csv_text(text, str(p))
    if problems:
        n = len(problems)
        shown = " | ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = f" | and {n - MAX_PROBLEMS_SHOWN} more" if n > MAX_PROBLEMS_SHOWN else ""
        raise ClinicalDataError(
            f"{p}: {n} bad row{'s' if n > 1 else ''}, nothing imported; fix "
            f"{'them' if n > 1 else 'it'} and import again: " + shown + more, problems)
    return events


def _d(d: _dt.date | None) -> str:
    return d.isoformat() if d else "undated"


@dataclass
class ClinicalContext:
    """All clinical events of one patient, with the views a report needs."""

    patient_id: str
    events: list[ClinicalEvent] = field(default_factory=list)

    def of(self, kind: str) -> list[ClinicalEvent]:
        return sorted((e for e in self.events if e.kind == kind),
                      key=lambda e: (e.date is None, e.date or _dt.date.min, e.value))

    @property
    def empty(self) -> bool:
        return not self.events

    @property
    def diagnosis(self) -> str | None:
        vals = _unique(e.value for e in self.of("diagnosis"))
        return "; ".join(vals) or None

    @property
    def infusions(self) -> list[ClinicalEvent]:
        return [e for e in self.of("bisphosphonate") if e.date is not None]

    @property
    def bmd_z(self) -> list[tuple[_dt.date, float, str]]:
        return [(e.date, e.number, e.detail) for e in self.of("bmd_z")
                if e.date is not None and e.number is not None]  # type: ignore[misc]

    def first_infusion_date(self) -> _dt.date | None:
        """The date of the first recorded bisphosphonate dose, or None."""
        dates = [e.date for e in self.infusions if e.date is not None]
        return min(dates) if dates else None

    def bmd_z_on_or_before(self, day: _dt.date) -> tuple[_dt.date, float] | None:
        """The last BMD Z-score measured on or before ``day`` (any distance), or None."""
        before = [(d, z) for d, z, _ in self.bmd_z if d <= day]
        return max(before, key=lambda t: t[0]) if before else None

    def bmd_z_nearest(self, on: _dt.date | None, max_days: int | None = None
                      ) -> tuple[_dt.date, float] | None:
        """The BMD Z-score measured nearest ``on`` (the earlier on a tie), within ``max_days``."""
        if on is None:
            return None
        best = None
        for d, z, _ in self.bmd_z:
            gap = abs((d - on).days)
            if max_days is not None and gap > max_days:
                continue
            if best is None or gap < best[0]:
                best = (gap, d, z)
        return (best[1], best[2]) if best else None

    def treatment_text(self) -> str | None:
        """Bisphosphonate courses: drug, dose and infusion dates, one course per drug and dose,
        e.g. ``zoledronic acid 0.05 mg/kg: 2024-03-19, 2024-09-17``."""
        courses: dict[tuple[str, str], list[str]] = {}
        for e in self.of("bisphosphonate"):
            courses.setdefault((e.value, e.detail or ""), []).append(_d(e.date))
        parts = [f"{drug}{' ' + det if det else ''}: {', '.join(dates)}"
                 for (drug, det), dates in courses.items()]
        return "; ".join(parts) or None

    def drugs_text(self, kind: str) -> str | None:
        """Glucocorticoids (``kind="glucocorticoid"``) or other drugs (``"drug"``)."""
        parts = []
        for e in self.of(kind):
            bits = [e.value]
            if e.detail:
                bits.append(e.detail)
            if e.date:
                bits.append(f"from {e.date.isoformat()}")
            parts.append(" ".join(bits[:1]) + (f" ({', '.join(bits[1:])})" if len(bits) > 1 else ""))
        return "; ".join(_unique(parts)) or None

    @property
    def notes(self) -> list[str]:
        return [(f"{e.date.isoformat()}: " if e.date else "") + e.value
                + (f" ({e.detail})" if e.detail else "") for e in self.of("note")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "diagnosis": self.diagnosis,
            "glucocorticoids": self.drugs_text("glucocorticoid"),
            "other_drugs": self.drugs_text("drug"),
            "treatment": self.treatment_text(),
            "infusions": [e.to_dict() for e in self.infusions],
            "bmd_z": [{"date": d.isoformat(), "z": z, "detail": det} for d, z, det in self.bmd_z],
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        """Readable lines for ``vfa clinical show``."""
        d = self.to_dict()
        out = [f"Patient {self.patient_id}"]
        for label, key in (("Diagnosis", "diagnosis"), ("Glucocorticoids", "glucocorticoids"),
                           ("Other drugs", "other_drugs"), ("Bisphosphonate", "treatment")):
            out.append(f"  {label + ':':<17}{d[key] or '–'}")
        if self.bmd_z:
            out.append("  BMD Z-scores:    " + ", ".join(
                f"{dt.isoformat()} {z:+.1f}" + (f" ({det})" if det else "") for dt, z, det in self.bmd_z))
        else:
            out.append("  BMD Z-scores:    –")
        for n in self.notes:
            out.append(f"  Note: {n}")
        return out


def _unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen


def group_by_patient(events: Iterable[ClinicalEvent]) -> dict[str, ClinicalContext]:
    out: dict[str, ClinicalContext] = {}
    for e in events:
        out.setdefault(e.patient_id, ClinicalContext(e.patient_id)).events.append(e)
    return out


def merge_events(existing: Iterable[ClinicalEvent], new: Iterable[ClinicalEvent]
                 ) -> tuple[list[ClinicalEvent], int]:
    """``new`` events not already in ``existing`` (same patient, date, kind, value, detail),
    and how many were duplicates."""
    seen = {e.key() for e in existing}
    out, dup = [], 0
    for e in new:
        if e.key() in seen:
            dup += 1
            continue
        seen.add(e.key())
        out.append(e)
    return out, dup


__all__ = ["COLUMNS", "KINDS", "DATED_KINDS", "ClinicalDataError", "ClinicalEvent",
           "ClinicalContext", "validate_event", "parse_csv_text", "load_csv",
           "group_by_patient", "merge_events"]

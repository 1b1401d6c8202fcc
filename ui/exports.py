"""File ▸ Open from PACS and File ▸ Export: the viewer's front of :mod:`vfa.films.pacs`,
:mod:`vfa.outputs.sr`, :mod:`vfa.outputs.report_pdf` and :mod:`vfa.outputs.export_csv`.

No export logic lives here: each action asks where to write (``ui.dialogs``), makes sure the
open reading is saved, calls the same ``vfa`` function as the matching ``vfa`` command, and
shows ``str(error)`` if it fails. Work that can take more than a moment (PDF, CSV of a
workspace, anything on the network) runs in a worker thread behind a busy dialog
(:func:`ui.tasks.run_busy`).

Unsaved changes: exports contain the *saved* reading. If the open reading has unsaved
changes the reader is asked to save first (Save / Cancel), so that a file that leaves the
workstation always matches what the workspace holds and what the screen shows. Pending
proposed points (semi-automatic placement) must be accepted or rejected first.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from PyQt6.QtCore import QObject
from PyQt6.QtWidgets import QDialog

from vfa.errors import VfaError
from vfa.reading.reading import require_no_pending_proposals

from . import dialogs, pacs_dialog
from .tasks import busy_cursor, run_busy

if TYPE_CHECKING:  # pragma: no cover
    from .film_view import FilmView
    from .host import DocumentHost
    from .shell import Shell

log = logging.getLogger(__name__)
T = TypeVar("T")

SR_FILTER = "DICOM files (*.dcm);;All files (*)"
PDF_FILTER = "PDF files (*.pdf);;All files (*)"
CSV_FILTER = "CSV files (*.csv);;All files (*)"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text or "").strip("._") or "film"


check_no_pending = require_no_pending_proposals  # the core's rule, one place


def describe_error(exc: BaseException) -> str:
    """One line for the user: ``str(error)`` for ours, the OS reason for file errors."""
    if isinstance(exc, VfaError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        return f"cannot write{where}: {exc.strerror or exc}"
    return f"unexpected error ({exc.__class__.__name__}: {exc})"


class Exports(QObject):
    """Export and PACS actions of one main window (the window owns the QActions).

    It exports the open document of ``host`` with the window and inversion of ``view``; the
    window (a :class:`ui.shell.Shell`) saves first, names the film, opens what the PACS
    retrieved and gives the workspace, settings, status bar and dialogs' parent."""

    def __init__(self, host: "DocumentHost", view: "FilmView", window: "Shell") -> None:
        super().__init__(window.widget())
        self.host = host
        self.view = view
        self.w = window

    # ------------------------------------------------------------------ helpers
    @property
    def doc(self):
        return self.host.doc

    def _status(self, text: str, ms: int = 8000) -> None:
        self.w.statusBar().showMessage(text, ms)

    def _guard(self, title: str, fn: Callable[[], T]) -> T | None:
        """Run an export step; errors go to a message box as one line, never a traceback."""
        try:
            return fn()
        except (VfaError, OSError) as exc:
            dialogs.show_error(self.w.widget(), describe_error(exc), title)
        except Exception as exc:  # noqa: BLE001 - a bug must not take the reading with it
            log.exception("%s failed", title)
            dialogs.show_error(self.w.widget(), describe_error(exc), title)
        return None

    def _ready(self, title: str) -> bool:
        """A film is open, its proposals are decided and its changes are saved."""
        doc = self.doc
        if doc is None:
            self._status("Open a film first", 4000)
            return False
        pending = [v.level for v in doc.reading
                   if getattr(v, "pending_proposals", None)]
        if pending:
            dialogs.show_error(
                self.w.widget(), "Proposed points are not yet accepted on "
                + ", ".join(str(lv) for lv in pending)
                + ": accept them (Enter) or reject them before exporting.", title)
            return False
        if self.w.workspace is None:
            return True     # nothing to save into: the open reading is exported as it is
        if doc.modified:
            if not dialogs.ask_save_first(self.w.widget(), self.w.film_name()):
                return False
            return self.w.save()
        return True

    def _start_dir(self) -> Path:
        d = self.w.settings.value("export_dir", "")
        return Path(d) if d and Path(d).is_dir() else Path.home()

    def _ask_path(self, title: str, name: str, file_filter: str, suffix: str) -> Path | None:
        path = dialogs.ask_save_path(self.w.widget(), title, self._start_dir() / name, file_filter)
        if path is None:
            return None
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(suffix)
        self.w.settings.setValue("export_dir", str(path.parent))
        return path

    def _stem(self) -> str:
        r = self.doc.reading
        parts = [r.patient_id or "", r.study_date.isoformat() if r.study_date else ""]
        return _safe("_".join(p for p in parts if p) or Path(self.w.film_name()).stem)

    # ------------------------------------------------------------------ PACS
    def open_from_pacs(self) -> bool:
        """File ▸ Open from PACS: the dialog retrieves into the cache; the films open like a
        folder (browser filled, first film shown; unsaved changes are asked about when the
        first film opens, as for Open folder)."""
        paths = pacs_dialog.open_from_pacs(self.w.widget())
        if not paths:
            return False
        return self.w.open_folder([Path(p) for p in paths])

    @staticmethod
    def pacs_settings():
        """The configured PACS, or None (not configured or unreadable)."""
        from vfa.films import pacs
        try:
            return pacs.load_settings()
        except VfaError:
            return None

    def edit_pacs_settings(self) -> bool:
        """Tools ▸ PACS server settings… (the dialog saves with :func:`vfa.films.pacs.save_settings`)."""
        from vfa.films import pacs
        try:
            current = pacs.load_settings()
        except VfaError:
            current = None
        dlg = pacs_dialog.PacsSettingsDialog(self.w.widget(), current)
        try:
            ok = dlg.exec() == QDialog.DialogCode.Accepted and dlg.saved is not None
        finally:
            dlg.deleteLater()
        if ok and dlg.saved is not None:
            self._status(f"PACS: {dlg.saved.describe()}")
        self.w.update_pacs_state()
        return ok

    # ------------------------------------------------------------------ DICOM SR
    def _time_point(self) -> str | None:
        ws = self.w.workspace
        if ws is None:
            return None
        try:
            return ws.time_point(self.doc.reading)
        except VfaError:
            return None

    def export_sr(self) -> Path | None:
        """File ▸ Export ▸ DICOM SR…: :func:`vfa.outputs.sr.export_sr` (as ``vfa export-sr``), with the
        time point from the patient's visits."""
        title = "Export DICOM SR"
        if not self._ready(title):
            return None
        path = self._ask_path("Export reading as DICOM SR", f"{self._stem()}.sr.dcm",
                              SR_FILTER, ".dcm")
        if path is None:
            return None
        rg = self.doc.radiograph
        tp = self._time_point()

        def do():
            from vfa.outputs.sr import export_sr
            with busy_cursor():
                return export_sr(self.doc.reading, path,
                                 image=rg.path if rg is not None else None, time_point=tp)
        out = self._guard(title, do)
        if out is not None:
            self._status(f"DICOM SR written ({tp or 'no time point'}): {out}")
        return out

    def _store_on_pacs(self, title: str, what: str,
                       build: Callable[[object, object], object]) -> str | None:
        """Build a dataset of the open reading with ``build(reading, image_path)`` and send it
        to the configured PACS with STOW-RS (``what`` names it in the messages). Returns the
        stored SOP Instance UID."""
        settings = self.pacs_settings()
        if settings is None:
            dialogs.show_error(self.w.widget(), "No PACS is configured: set it in Tools ▸ PACS server "
                                                "settings…", title)
            return None
        if not self._ready(title):
            return None
        rg = self.doc.radiograph
        reading = self.doc.reading

        def do():
            from vfa.films.pacs import PacsClient
            with busy_cursor():
                ds = build(reading, rg.path if rg else None)
            return run_busy(self.w.widget(), f"Storing the {what} on {settings.url}…",
                            lambda: PacsClient(settings).store_dataset(ds))
        res = self._guard(title, do)
        if res is None:
            return None
        self._status(f"{what.capitalize()} stored on the PACS ({settings.url})")
        return res.sop_instance_uid

    def store_sr(self) -> str | None:
        """File ▸ Export ▸ Store SR to PACS: build the same SR and send it with STOW-RS.
        Returns the stored SOP Instance UID."""
        def build(reading, image):
            from vfa.outputs.sr import build_sr, find_film, read_film_header
            tp = self._time_point()
            film = read_film_header(find_film(reading, image), reading)
            return build_sr(reading, film, time_point=tp)
        return self._store_on_pacs("Store SR to PACS", "report", build)

    # ------------------------------------------------------------------ GSPS / capture
    def _presentation(self) -> tuple:
        """The window and inversion on screen (a VOI LUT table in use: None, the film's)."""
        s = self.view.settings
        if s is None:
            return None, None
        window = s.window if s.voi_lut_index is None else None
        return window, s.invert

    def export_presentation(self, kind: str = "gsps") -> Path | None:
        """File ▸ Export ▸ Presentation state… (``kind='gsps'``, as ``vfa export-gsps``) or
        Secondary capture… (``'capture'``, as ``vfa export-capture``), with the window and
        inversion on screen."""
        title = "Presentation state" if kind == "gsps" else "Secondary capture"
        if not self._ready(title):
            return None
        suffix = ".pr.dcm" if kind == "gsps" else ".sc.dcm"
        path = self._ask_path(f"Export {title.lower()}", f"{self._stem()}{suffix}", SR_FILTER, ".dcm")
        if path is None:
            return None
        rg = self.doc.radiograph
        window, invert = self._presentation()

        def do():
            from vfa.outputs import presentation
            fn = presentation.export_gsps if kind == "gsps" else presentation.export_capture
            with busy_cursor():
                return fn(self.doc.reading, path, image=rg.path if rg is not None else None,
                          window=window, invert=invert)
        out = self._guard(title, do)
        if out is not None:
            self._status(f"{title} written: {out}")
        return out

    def store_presentation(self) -> str | None:
        """File ▸ Export ▸ Store presentation state to PACS: the GSPS of the open reading,
        sent with STOW-RS. Returns the stored SOP Instance UID."""
        def build(reading, image):
            import pydicom

            from vfa.outputs.presentation import build_gsps
            from vfa.outputs.sr import find_film
            window, invert = self._presentation()
            film = pydicom.dcmread(find_film(reading, image))
            return build_gsps(reading, film, window=window, invert=invert)
        return self._store_on_pacs("Store presentation state to PACS", "presentation state",
                                   build)

    # ------------------------------------------------------------------ PDF
    def deidentify_toggled(self) -> None:
        """File ▸ Export ▸ De-identify PDF report: remembered in the viewer's settings."""
        self.w.settings.setValue("export/deidentify",
                                 "true" if self.w.a_deidentify.isChecked() else "false")

    def export_pdf(self, deidentify: bool | None = None) -> Path | None:
        """File ▸ Export ▸ PDF report…: every saved reading of the patient in the workspace
        (:func:`vfa.outputs.report_pdf.patient_inputs`, as ``vfa report PATIENT_ID``)."""
        title = "PDF report"
        if not self._ready(title):
            return None
        if deidentify is None:
            deidentify = self.w.a_deidentify.isChecked()
        r = self.doc.reading
        name = (f"vfa-report-deidentified_{r.study_date or 'undated'}.pdf" if deidentify
                else f"{self._stem()}_report.pdf")
        path = self._ask_path("Save PDF report" + (" (de-identified)" if deidentify else ""),
                              name, PDF_FILTER, ".pdf")
        if path is None:
            return None
        from vfa.outputs.report_pdf import VisitInput, patient_inputs, write_report
        ws = self.w.workspace

        def inputs():
            if ws is not None and r.patient_id:
                return patient_inputs(ws, r.patient_id)
            rg = self.doc.radiograph
            return [VisitInput(r, Path(rg.path) if rg is not None and rg.path else None)]

        def do():
            ins = inputs()
            check_no_pending([vi.reading for vi in ins])
            return run_busy(self.w.widget(), f"Writing the report ({len(ins)} visit(s))…",
                            lambda: write_report(ins, path, deidentify=deidentify))
        out = self._guard(title, do)
        if out is not None:
            self._status(f"PDF report written{' (de-identified)' if deidentify else ''}: {out}")
        return out

    # ------------------------------------------------------------------ CSV
    def export_csv(self, scope: str = "patient") -> Path | None:
        """File ▸ Export ▸ CSV: :func:`vfa.outputs.export_csv.export_csv` of the patient's readings
        (``scope='patient'``) or of the whole workspace (``'workspace'``), every reader's
        newest reading per film (as ``vfa export-csv WORKSPACE``)."""
        title = "CSV export"
        ws = self.w.workspace
        if scope == "workspace":
            if ws is None:
                dialogs.show_error(self.w.widget(), "No workspace is open.", title)
                return None
            if self.doc is not None and not self._ready(title):
                return None
            name = "vfa-readings.csv"
        else:
            if not self._ready(title):
                return None
            name = f"{self._stem()}_readings.csv"
        path = self._ask_path("Export readings as CSV" + (" (whole workspace)" if scope == "workspace" else ""),
                              name, CSV_FILTER, ".csv")
        if path is None:
            return None
        from vfa.outputs.export_csv import export_csv, readings_from_workspace
        pid = self.doc.reading.patient_id if scope == "patient" and self.doc else None

        def collect():
            if ws is None or (scope == "patient" and not pid):
                return [self.doc.reading]
            found = readings_from_workspace(ws, pid)
            if not found:
                raise VfaError("there are no saved readings to export"
                               + (f" for patient {pid}" if pid else " in the workspace"))
            return found

        def do():
            readings = collect()
            check_no_pending(readings)
            return run_busy(self.w.widget(), "Writing the CSV files…",
                            lambda: export_csv(readings, path))
        res = self._guard(title, do)
        if res is None:
            return None
        p1, p2, rows, visits = res
        self._status(f"CSV written: {p1} ({rows} rows, {visits} visit(s)) and {p2.name}")
        return p1


__all__ = ["Exports", "check_no_pending", "describe_error"]

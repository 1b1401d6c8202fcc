"""Opening films: File ▸ Open file / Open folder / Open recent, drag and drop, the command
line, and the recovery of autosaved readings.

A film opens with its reading: the reader's saved reading (by SOP Instance UID), its
autosave if the reader chooses to recover it, or a new :class:`vfa.reading.reading.Reading`. A folder
(or DICOMDIR) is scanned by :func:`vfa.films.scan.scan_paths` behind a progress dialog; its films
are registered in the workspace index (the browser lists them), files that are not films are
listed in a separate window, and the first film opens. Nothing is decided here that the
workspace does not decide: this is the viewer's front of :mod:`vfa.films.scan` and
:class:`vfa.storage.workspace.Workspace`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, Qt, QTimer
from PyQt6.QtWidgets import QApplication, QFileDialog, QProgressDialog

from vfa.errors import VfaError
from vfa.reading.guide import Direction
from vfa.method.levels import Level
from vfa.films.radiograph import Radiograph, load_radiograph
from vfa.reading.reading import Reading, check_film, resolve_image_path
from vfa.films.scan import scan_paths
from vfa.reading.session import autosave_extent, describe_autosave, recovery_state
from vfa.storage.workspace import default_reader

from . import dialogs
from .document import Document

if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable

    from PyQt6.QtWidgets import QMenu

    from .browser import Browser
    from .host import DocumentHost
    from .shell import Shell

MAX_RECENT = 10


class Opening(QObject):
    """Opening films into one main window.

    It reads the open document from ``host``, refreshes the patient ``browser`` after a scan,
    starts a new film's guide in ``guide_direction()`` (the guide bar's), and asks the window
    (a :class:`ui.shell.Shell`) for the rest: show the document, keep or discard changes,
    the workspace, settings, status bar and dialogs' parent."""

    def __init__(self, host: DocumentHost, browser: Browser,
                 guide_direction: Callable[[], Direction], window: Shell) -> None:
        super().__init__(window.widget())
        self.host = host
        self.browser = browser
        self.guide_direction = guide_direction
        self.w = window
        #: the window listing the files of the last scan that are not films
        self.problems_dialog: dialogs.ProblemsDialog | None = None

    def _status(self, text: str, ms: int) -> None:
        self.w.statusBar().showMessage(text, ms)

    # ------------------------------------------------------------------ films
    def open_path(self, path: str | os.PathLike, open_first: bool = True) -> bool:
        """A file opens as a film, a reading file (JSON or SR) as its film with its marks; a
        folder is scanned (its first film opens)."""
        p = Path(path)
        if p.is_dir() or p.name.upper() == "DICOMDIR":
            return self.open_folder([p], open_first=open_first)
        from vfa.importing import is_reading_file
        if p.is_file() and is_reading_file(p):
            return self.open_reading(p)
        return self.open_file(p)

    # ------------------------------------------------------------------ reading files
    def open_reading_dialog(self) -> None:
        start = self.start_folder()
        path, _ = QFileDialog.getOpenFileName(
            self.w.widget(), "Open reading", start,
            "Readings (*.json *.dcm *.DCM);;Reading files (*.json);;DICOM SR (*.dcm *.DCM);;"
            "All files (*)")
        if path:
            self.w.settings.setValue("last_dir", str(Path(path).parent))
            self.open_reading(path)

    def open_reading(self, path: str | os.PathLike) -> bool:
        """A finished reading (vfa-reading JSON or VFA SR): the film it names opens with its
        marks (vfa/importing.py finds the film). Refused in a blinded session: a reading file
        holds another reader's marks and the patient's identity."""
        from vfa.importing import find_film_of, load_any_reading
        if self.w.blinded is not None:
            dialogs.show_error(self.w.widget(), "Blinded reading: reading files cannot be opened (they hold "
                                       "another reader's marks); open the cases of your list",
                               "Blinded reading")
            return False
        try:
            reading = load_any_reading(path)
            film = find_film_of(reading, self.w.workspace)
            rg = load_radiograph(film)
        except VfaError as exc:
            dialogs.show_error(self.w.widget(), exc, "Cannot open reading")
            return False
        if not self.w.maybe_keep_changes():
            return False
        ok = self._show_radiograph(rg, reading)
        if ok:
            self._status(f"Opened the reading {Path(path).name} (reader {reading.reader or '?'}); "
                         "Ctrl+S saves it into the workspace", 8000)
        return ok

    def import_readings_dialog(self) -> None:
        """File ▸ Import readings: reading files (JSON or SR) into the workspace, with films."""
        ws = self.w.workspace
        if ws is None:
            dialogs.show_error(self.w.widget(), "No workspace is open: readings cannot be imported",
                               "Import readings")
            return
        paths, _ = QFileDialog.getOpenFileNames(
            self.w.widget(), "Import readings", self.start_folder(),
            "Readings (*.json *.dcm *.DCM);;All files (*)")
        if paths:
            self.import_readings(paths)

    def import_readings(self, paths: list[str]) -> int:
        from vfa.importing import import_readings
        ws = self.w.workspace
        if ws is None:
            return 0
        report = import_readings(ws, paths)
        self.browser.refresh()
        if report.problems:
            self.problems_dialog = dialogs.ProblemsDialog(
                self.w.widget(), [(p, why) for p, why in report.problems], len(report.imported))
            self.problems_dialog.show()
        self._status(f"{len(report.imported)} reading(s) imported into the workspace", 6000)
        return len(report.imported)

    def start_folder(self) -> str:
        """Where File ▸ Open starts: the open film's folder, else the last folder opened
        from, else the home folder."""
        doc = self.host.doc
        if doc is not None and doc.radiograph is not None and doc.radiograph.path is not None:
            folder = Path(doc.radiograph.path).resolve().parent
            if folder.is_dir():
                return str(folder)
        last = self.w.settings.value("last_dir", "")
        return str(last) if last and Path(str(last)).is_dir() else str(Path.home())

    def open_file_dialog(self) -> None:
        settings = self.w.settings
        start = self.start_folder()
        path, _ = QFileDialog.getOpenFileName(self.w.widget(), "Open radiograph", start,
                                              "DICOM files (*.dcm *.DCM *.dicom *);;All files (*)")
        if path:
            settings.setValue("last_dir", str(Path(path).parent))
            self.open_file(path)

    def open_folder_dialog(self) -> None:
        settings = self.w.settings
        start = self.start_folder()
        path = QFileDialog.getExistingDirectory(self.w.widget(), "Open folder of radiographs", start)
        if path:
            settings.setValue("last_dir", path)
            self.open_folder([path])

    def open_file(self, path: str | os.PathLike) -> bool:
        """Open one film and its reading (saved one, recovered autosave, or a new one)."""
        path = Path(path)
        doc = self.host.doc
        if doc is not None and doc.radiograph is not None and \
                doc.radiograph.path is not None and \
                Path(doc.radiograph.path).resolve() == path.resolve():
            return True
        if not self.w.maybe_keep_changes():
            return False
        try:
            rg = load_radiograph(path)
        except VfaError as exc:
            dialogs.show_error(self.w.widget(), exc, "Cannot open film")
            return False
        return self._show_radiograph(rg)

    def show_radiograph(self, rg: Radiograph, reading: Reading | None = None) -> bool:
        """Open a film already loaded (the start-up's first paint, the self-test) with its
        reading (``reading``, else the workspace's or a new one)."""
        if not self.w.maybe_keep_changes():
            return False
        return self._show_radiograph(rg, reading)

    def _show_radiograph(self, rg: Radiograph, reading: Reading | None = None,
                         recovered: bool = False) -> bool:
        ws = self.w.workspace
        if ws is not None:
            try:
                ws.register_radiograph(rg)
            except VfaError as exc:
                self._status(str(exc), 8000)
        if reading is None:
            reading, recovered = self._reading_for(rg)
            if reading is None:
                return False
        else:
            try:
                check_film(reading, rg, rg.path)
            except VfaError as exc:
                dialogs.show_error(self.w.widget(), str(exc))
                return False
        self.w.set_document(Document(rg, reading, ws, *self._guide_prefs()), recovered)
        if rg.path is not None:
            self._add_recent(str(Path(rg.path).resolve()))
        for w in rg.warnings:
            self._status(f"Note: {w}", 8000)
        self.w.filmOpened.emit(str(rg.path or ""))
        return True

    def _guide_prefs(self) -> tuple[Level, Direction]:
        """Start level and direction of a new document's guide, from the guide bar."""
        d = self.guide_direction()
        start = Level.L4 if d is Direction.UP else Level.T4
        return start, d

    def _reading_for(self, rg: Radiograph) -> tuple[Reading | None, bool]:
        """The reader's saved reading of this film, or its autosave, or a new reading."""
        me = default_reader()
        fresh = Reading.for_radiograph(rg, reader=me)
        ws = self.w.workspace
        if ws is None or not fresh.sop_instance_uid:
            return fresh, False
        try:
            auto = ws.autosave_path(fresh)
        except VfaError:
            auto = None
        if auto is not None and auto.exists() and not recovery_state(ws, auto)[0]:
            auto.unlink(missing_ok=True)      # nothing the saved reading does not hold
        if auto is not None and auto.exists():
            ans = dialogs.ask_recover(self.w.widget(), [self._describe_autosave(auto)])
            if ans == dialogs.RECOVER:
                try:
                    return ws.recover(auto), True
                except VfaError as exc:
                    dialogs.show_error(self.w.widget(), f"The autosave could not be read: {exc}. It was "
                                                        f"kept at {auto}.")
            elif ans == dialogs.DISCARD:
                auto.unlink(missing_ok=True)
        try:
            saved = ws.load(fresh.sop_instance_uid, reader=me)
        except VfaError as exc:
            dialogs.show_error(self.w.widget(), f"The saved reading of this film could not be read: "
                                                f"{exc}\nThe film opens without it; the file is left "
                                                "untouched until you save.")
            saved = None
        if saved is None and fresh.age_at_study() is None and fresh.patient_id:
            # age entered once per patient: carried from another visit (docs/clinical-method.md)
            from vfa.method.age import age_from_other_visits
            try:
                others = ws.readings_for_patient(fresh.patient_id)
            except VfaError:
                others = []
            fresh.age_years = age_from_other_visits(fresh.study_date, others)
        return (saved or fresh), False

    # ------------------------------------------------------------------ folders
    def open_folder(self, paths, open_first: bool = True) -> bool:
        """Scan files/folders for films (progress, cancel), list them in the browser, show
        the files that are not films, and open the first film."""
        paths = [Path(p) for p in paths]
        dlg = QProgressDialog("Looking for radiographs…", "Cancel", 0, 0, self.w.widget())
        dlg.setWindowTitle("Open folder")
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(400)

        def progress(done: int, total: int) -> None:
            if dlg.maximum() != total:
                dlg.setMaximum(total)
            dlg.setValue(done)
            QApplication.processEvents()

        try:
            result = scan_paths(paths, progress=progress, cancel=dlg.wasCanceled,
                                with_identity=True)
        finally:
            dlg.reset()
            dlg.close()
            dlg.deleteLater()
        films = result.sorted_films()
        ws = self.w.workspace
        if ws is not None:
            # from the headers the scan read, one transaction per batch of films
            result.problems.extend(ws.register_films(films))
            self.browser.refresh()
        if result.problems:
            self.problems_dialog = dialogs.ProblemsDialog(self.w.widget(), result.problems, len(films))
            self.problems_dialog.show()
        msg = f"{len(films)} film(s) found" + (" (scan cancelled)" if result.cancelled else "")
        self._status(msg, 6000)
        if not films:
            if not result.cancelled:
                dialogs.show_error(self.w.widget(), "No radiographs were found in "
                                   + ", ".join(str(p) for p in paths), "Open folder")
            return False
        if open_first:
            return self.open_file(films[0].path)
        return True

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        v = self.w.settings.value("recent", [])
        if isinstance(v, str):
            v = [v]
        return [str(x) for x in (v or [])]

    def _add_recent(self, path: str) -> None:
        rec = [p for p in self.recent_files() if p != path]
        rec.insert(0, path)
        self.w.settings.setValue("recent", rec[:MAX_RECENT])
        self.w.settings.sync()

    def fill_recent(self, menu: QMenu) -> None:
        """File ▸ Open recent (``menu``), filled each time it opens."""
        menu.clear()
        rec = self.recent_files()
        if not rec:
            a = menu.addAction("(none)")
            if a is not None:
                a.setEnabled(False)
        for p in rec:
            menu.addAction(p, lambda p=p: self.open_file(p))

    # ------------------------------------------------------------------ drag and drop
    def drop(self, event) -> None:
        """Files or folders dropped on the window open once the drop has finished."""
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        if not paths:
            return
        QTimer.singleShot(0, lambda: self.open_dropped(paths))

    def open_dropped(self, paths: list[str]) -> bool:
        if len(paths) == 1:
            return self.open_path(paths[0])
        return self.open_folder(paths)

    # ------------------------------------------------------------------ recovery
    def _describe_autosave(self, path) -> str:  # noqa: ANN001
        """The recovery question's line, with what differs from the saved reading: no
        patient, film or date in a blinded session."""
        ws = self.w.workspace
        differs = recovery_state(ws, path)[1] if ws is not None else ""
        tail = f" — {differs}" if differs else ""
        blinded = getattr(self.w, "blinded", None)
        if blinded is not None:      # the blinding policy's words (vfa/reading/blinding.py)
            return blinded.session.recovery_text(*autosave_extent(path), differs)
        return describe_autosave(path) + tail

    def check_recoveries(self) -> bool:
        """At start: offer the autosaves of a session that did not close cleanly.
        Returns True when a reading was recovered and opened."""
        ws = self.w.workspace
        if ws is None:
            return False
        pending = []
        for p in ws.pending_recoveries(default_reader()):  # never another reader's work
            if recovery_state(ws, p)[0]:
                pending.append(p)
            else:   # equal to the saved reading (e.g. the edit was undone): nothing to offer
                p.unlink(missing_ok=True)
        if not pending:
            return False
        ans = dialogs.ask_recover(self.w.widget(), [self._describe_autosave(p) for p in pending])
        if ans == dialogs.DISCARD:
            for p in pending:
                p.unlink(missing_ok=True)
            return False
        if ans != dialogs.RECOVER:
            return False
        newest = max(pending, key=lambda p: p.stat().st_mtime)
        try:
            reading = ws.recover(newest)
        except VfaError as exc:
            dialogs.show_error(self.w.widget(), f"The autosave {newest.name} could not be read: {exc}. "
                                                "It was kept in the workspace's autosave folder.")
            return False
        found = resolve_image_path(reading)  # relative to the reading file (or older forms)
        paths = [str(found) if found else reading.image_path]
        try:
            rec = ws.index.image(reading.sop_instance_uid)
            if rec is not None:
                paths.append(rec.path)
        except VfaError:
            pass
        for film_path in paths:
            if film_path and Path(film_path).is_file():
                try:
                    rg = load_radiograph(film_path)
                    check_film(reading, rg, film_path)  # another patient's film is never shown under it
                except VfaError:
                    continue
                if not self.w.maybe_keep_changes():
                    return False
                self._show_radiograph(rg, reading, recovered=True)
                self._status("Recovered reading: not yet saved (Ctrl+S)", 8000)
                return True
        # the film is gone: keep the work in the workspace all the same
        try:
            path = ws.save(reading)
        except VfaError as exc:
            dialogs.show_error(self.w.widget(), f"The recovered reading could not be saved: {exc}")
            return False
        dialogs.show_error(self.w.widget(), f"The film of the recovered reading could not be found; the "
                                            f"reading was saved in the workspace ({path}).", "Recovered")
        self.browser.refresh()
        return False

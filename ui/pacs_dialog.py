"""File ▸ Open from PACS: search a DICOMweb PACS for studies and retrieve them into the cache.

Only widgets live here: searching, retrieving, caching and settings are :mod:`vfa.films.pacs`.
Network calls run in a worker thread, so the window stays responsive and a retrieve can be
cancelled. The entry point for the main window is :func:`open_from_pacs`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from PyQt6.QtCore import QDate, Qt, QThread, pyqtSignal
from PyQt6.QtWidgets import (QAbstractItemView, QCheckBox, QDateEdit, QDialog,
                             QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGridLayout,
                             QHBoxLayout, QHeaderView, QLabel, QLineEdit, QProgressBar,
                             QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from vfa.films import pacs
from vfa.errors import VfaError

COLUMNS = ("Date", "Patient ID", "Name", "Description", "Modalities", "Files", "Study UID")


class _Task(QThread):
    """Runs ``fn(progress, cancelled)`` off the GUI thread; reports through signals."""

    progressed = pyqtSignal(int, int, str)
    succeeded = pyqtSignal(object)
    failed = pyqtSignal(str)

    def __init__(self, fn: Callable[[Callable[..., None], Callable[[], bool]], Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:  # noqa: D401 - QThread API
        try:
            result = self._fn(lambda d, t, label="": self.progressed.emit(d, t, str(label)),
                              self._cancel.is_set)
        except VfaError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - never a traceback in the viewer
            self.failed.emit(f"unexpected error ({exc.__class__.__name__}: {exc})")
        else:
            self.succeeded.emit(result)


class PacsSettingsDialog(QDialog):
    """Server URL, user, password and timeout; saved with :func:`vfa.films.pacs.save_settings`."""

    def __init__(self, parent: QWidget | None = None,
                 settings: pacs.PacsSettings | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("PACS server")
        self._old = settings
        self.saved: pacs.PacsSettings | None = None
        self.url = QLineEdit(settings.url if settings else "")
        self.url.setPlaceholderText("http://pacs.example.org:8042/dicom-web")
        self.user = QLineEdit((settings.username or "") if settings else "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        if settings and settings.has_password:
            self.password.setPlaceholderText("(stored; type to replace)")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(1, 600)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(settings.timeout_s if settings else pacs.DEFAULT_TIMEOUT_S)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("DICOMweb URL", self.url)
        form.addRow("User (optional)", self.user)
        form.addRow("Password", self.password)
        form.addRow("Timeout", self.timeout)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(QLabel(f"Saved in {pacs.settings_path()} (readable by you only)."))
        lay.addWidget(self.error)
        lay.addWidget(buttons)

    def _save(self) -> None:
        user = self.user.text().strip() or None
        password = self.password.text() or None
        if user and password is None and self._old and self._old.username == user:
            password = self._old.password  # keep the stored one
        try:
            s = pacs.PacsSettings(url=self.url.text(), username=user,
                                  password=password if user else None,
                                  timeout_s=self.timeout.value(),
                                  verify_tls=self._old.verify_tls if self._old else True)
            pacs.save_settings(s)
        except VfaError as exc:
            self.error.setText(str(exc))
            return
        self.saved = s
        self.accept()


class PacsDialog(QDialog):
    """Search form, list of studies, Retrieve (with progress and Cancel).

    After ``exec()`` returns Accepted, :attr:`paths` holds the retrieved image files.
    """

    def __init__(self, parent: QWidget | None = None, settings: pacs.PacsSettings | None = None,
                 cache_dir: str | Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open from PACS")
        self.resize(900, 520)
        self.paths: list[Path] = []
        self._matches: list[pacs.StudyMatch] = []
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._task: _Task | None = None
        self._settings: pacs.PacsSettings | None = settings

        self.server = QLabel()
        self.server.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.server_button = QPushButton("Server…")
        self.server_button.clicked.connect(self.edit_server)

        self.patient_id = QLineEdit()
        self.patient_id.setPlaceholderText("e.g. 12345 or 123*")
        self.patient_name = QLineEdit()
        self.patient_name.setPlaceholderText("Family^Given, wildcards * ?  (e.g. DOE*)")
        today = QDate.currentDate()
        self.use_from, self.use_to = QCheckBox("from"), QCheckBox("to")
        self.date_from = QDateEdit(today.addYears(-5))
        self.date_to = QDateEdit(today)
        for check, edit in ((self.use_from, self.date_from), (self.use_to, self.date_to)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        for line_edit in (self.patient_id, self.patient_name):
            line_edit.returnPressed.connect(self.search)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        vh, hh = self.table.verticalHeader(), self.table.horizontalHeader()
        assert vh is not None and hh is not None      # (PyQt6's stubs: Optional)
        vh.setVisible(False)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.cellDoubleClicked.connect(lambda *_: self.retrieve())

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.retrieve_button = QPushButton("Retrieve")
        self.retrieve_button.clicked.connect(self.retrieve)
        self.cancel_button = QPushButton("Cancel retrieve")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(QLabel("PACS:"))
        top.addWidget(self.server, 1)
        top.addWidget(self.server_button)
        grid = QGridLayout()
        grid.addWidget(QLabel("Patient ID"), 0, 0)
        grid.addWidget(self.patient_id, 0, 1)
        grid.addWidget(QLabel("Name"), 0, 2)
        grid.addWidget(self.patient_name, 0, 3)
        grid.addWidget(QLabel("Study date"), 1, 0)
        dates = QHBoxLayout()
        for w in (self.use_from, self.date_from, self.use_to, self.date_to):
            dates.addWidget(w)
        dates.addStretch(1)
        grid.addLayout(dates, 1, 1, 1, 3)
        grid.addWidget(self.search_button, 0, 4, 2, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.retrieve_button)
        bottom.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(grid)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.status)
        lay.addLayout(bottom)

        if self._settings is None:
            try:
                self._settings = pacs.load_settings()
            except VfaError as exc:
                self._show_error(f"{exc}. Use “Server…” to set it.")
        self._show_server()
        self._update_buttons()

    # ------------------------------------------------------------------ state
    @property
    def busy(self) -> bool:
        return self._task is not None

    def _show_server(self) -> None:
        self.server.setText(self._settings.describe() if self._settings else "not configured")

    def _show_error(self, text: str) -> None:
        self.status.setStyleSheet("color: #b00020")
        self.status.setText(text)

    def _show_info(self, text: str) -> None:
        self.status.setStyleSheet("")
        self.status.setText(text)

    def _update_buttons(self) -> None:
        ready = self._settings is not None and not self.busy
        self.search_button.setEnabled(ready)
        self.server_button.setEnabled(not self.busy)
        self.retrieve_button.setEnabled(ready and bool(self.selected_studies()))
        self.cancel_button.setVisible(self.busy)

    def selected_studies(self) -> list[pacs.StudyMatch]:
        sel = self.table.selectionModel()
        rows = sorted({i.row() for i in sel.selectedRows()}) if sel is not None else []
        return [self._matches[r] for r in rows if r < len(self._matches)]

    def _start(self, fn, on_success) -> None:
        task = _Task(fn, self)
        task.succeeded.connect(on_success)
        task.failed.connect(self._show_error)
        task.progressed.connect(self._on_progress)
        task.finished.connect(self._finished)
        self._task = task
        self._update_buttons()
        task.start()

    def _finished(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.deleteLater()
        self.progress.setVisible(False)
        self._update_buttons()

    def _on_progress(self, done: int, total: int, label: str) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if label:
            self._show_info(label)

    # ------------------------------------------------------------------ actions
    def edit_server(self) -> None:
        dlg = PacsSettingsDialog(self, self._settings)
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.saved is not None:
            self._settings = dlg.saved
            self._show_server()
            self._show_info("PACS settings saved.")
            self._update_buttons()

    def criteria(self) -> dict[str, Any]:
        """The search form as keyword arguments of :meth:`vfa.films.pacs.PacsClient.search_studies`."""
        return {
            "patient_id": self.patient_id.text().strip() or None,
            "patient_name": self.patient_name.text().strip() or None,
            "date_from": self.date_from.date().toPyDate() if self.use_from.isChecked() else None,
            "date_to": self.date_to.date().toPyDate() if self.use_to.isChecked() else None,
        }

    def search(self) -> None:
        if self.busy or self._settings is None:
            return
        client, criteria = pacs.PacsClient(self._settings), self.criteria()
        self._show_info("Searching…")
        self._start(lambda progress, cancelled: client.search_studies(**criteria), self._show_results)

    def _show_results(self, matches: list[pacs.StudyMatch]) -> None:
        self._matches = list(matches)
        self.table.setRowCount(len(self._matches))
        for row, m in enumerate(self._matches):
            values = (m.study_date.isoformat() if m.study_date else "", m.patient_id or "",
                      (m.patient_name or "").replace("^", " "), m.study_description or "",
                      ", ".join(m.modalities), "" if m.n_instances is None else str(m.n_instances),
                      m.study_instance_uid)
            for col, text in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(text))
        if self._matches:
            self.table.selectRow(0)
        n = len(self._matches)
        self._show_info(f"{n} stud{'y' if n == 1 else 'ies'} found." if n else "No study found.")
        self._update_buttons()

    def retrieve(self) -> None:
        studies = self.selected_studies()
        if self.busy or self._settings is None or not studies:
            return
        client, cache = pacs.PacsClient(self._settings), self._cache_dir
        uids = [s.study_instance_uid for s in studies]

        def fetch(progress, cancelled):
            paths: list[Path] = []
            for i, uid in enumerate(uids, 1):
                head = f"Study {i} of {len(uids)}: " if len(uids) > 1 else ""
                paths += client.retrieve(
                    uid, cache_dir=cache, images_only=True, cancelled=cancelled,
                    progress=lambda d, t, p: progress(d, t, f"{head}retrieved {d} of {t} files"))
            return paths

        self._show_info("Retrieving…")
        self._start(fetch, self._retrieved)

    def _retrieved(self, paths: list[Path]) -> None:
        self.paths = list(paths)
        self.accept()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._show_info("Cancelling after the current file…")

    def done(self, result: int) -> None:  # closing (Close, Esc, window X) stops the worker
        if self._task is not None:
            self._task.cancel()
            self._task.wait()
        super().done(result)


def open_from_pacs(parent: QWidget | None = None) -> list[Path]:
    """Show the dialog; return the retrieved image files (empty if the user closed it)."""
    dlg = PacsDialog(parent)
    try:
        if dlg.exec() == QDialog.DialogCode.Accepted:
            return list(dlg.paths)
        return []
    finally:
        dlg.deleteLater()

"""The patient panel: edit the clinical context of the patient in view (Patient ▸ Clinical
context…). One row per fact, as in the import CSV (docs/study-outcomes.md): date, kind, value,
detail. Rows are checked by :func:`vfa.study.clinical.validate_event` on saving (one message per bad
row, nothing saved until all are right) and saved with :meth:`Workspace.set_clinical`.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                             QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from vfa.study.clinical import KINDS, ClinicalEvent, load_csv, merge_events, validate_event
from vfa.errors import VfaError

COLUMNS = ("date", "kind", "value", "detail")
BAD = QColor(255, 215, 215)


class ClinicalDialog(QDialog):
    def __init__(self, workspace: Any, patient_id: str, parent=None) -> None:
        super().__init__(parent)
        self.ws = workspace
        self.patient_id = patient_id
        self.setWindowTitle(f"Clinical context — {patient_id}")
        self.resize(820, 460)
        intro = QLabel(
            "One row per fact. <b>kind</b>: diagnosis, glucocorticoid, drug (other relevant "
            "drugs), bisphosphonate (one row per infusion; dose in <b>detail</b>, e.g. "
            "<i>0.05 mg/kg</i>), bmd_z (lumbar spine Z-score in <b>value</b>), note. Dates "
            "YYYY-MM-DD, required for infusions and BMD Z. Entered by you; never taken from the "
            "films.")
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(["Date", "Kind", "Value", "Detail"])
        hh = self.table.horizontalHeader()
        assert hh is not None     # (PyQt6's stubs: Optional; a table always has its header)
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.errors = QLabel("")
        self.errors.setStyleSheet("color: #b00000;")
        self.errors.setWordWrap(True)
        self.add_button = QPushButton("Add row")
        self.remove_button = QPushButton("Remove row")
        self.import_button = QPushButton("Import CSV…")
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        row = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.import_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.save_button)
        row.addWidget(self.cancel_button)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.errors)
        lay.addLayout(row)
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button.clicked.connect(self.remove_row)
        self.import_button.clicked.connect(self.import_csv_dialog)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        for e in workspace.clinical(patient_id).events:
            self.add_row(e)

    # ------------------------------------------------------------------ rows
    def add_row(self, e: ClinicalEvent | None = None) -> int:
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setItem(r, 0, QTableWidgetItem(e.date.isoformat() if e and e.date else ""))
        box = QComboBox()
        box.addItems(list(KINDS))
        box.setCurrentText(e.kind if e else "note")
        self.table.setCellWidget(r, 1, box)
        self.table.setItem(r, 2, QTableWidgetItem(e.value if e else ""))
        self.table.setItem(r, 3, QTableWidgetItem(e.detail if e else ""))
        self.table.setCurrentCell(r, 0)
        return r

    def remove_row(self) -> None:
        r = self.table.currentRow()
        if r >= 0:
            self.table.removeRow(r)

    def kind_box(self, row: int) -> QComboBox:
        return self.table.cellWidget(row, 1)  # type: ignore[return-value]

    def _cells(self, r: int) -> tuple[str, str, str, str]:
        def t(c: int) -> str:
            it = self.table.item(r, c)
            return it.text() if it is not None else ""
        return t(0), self.kind_box(r).currentText(), t(2), t(3)

    def events(self) -> tuple[list[ClinicalEvent], list[str]]:
        """The rows as events, and one message per bad row (numbered as shown, from 1)."""
        out: list[ClinicalEvent] = []
        problems: list[str] = []
        for r in range(self.table.rowCount()):
            date, kind, value, detail = self._cells(r)
            ev, bad = validate_event(self.patient_id, date, kind, value, detail)
            for c in (0, 2, 3):
                it = self.table.item(r, c)
                if it is not None:
                    it.setBackground(QColor(255, 255, 255))
            if bad:
                problems.append(f"row {r + 1}: " + "; ".join(f"{c}: expected {w}" for c, w in bad))
                for col, _ in bad:
                    bad_item = self.table.item(r, COLUMNS.index(col)) if col in COLUMNS and col != "kind" else None
                    if bad_item is not None:
                        bad_item.setBackground(BAD)
            elif ev is not None:
                out.append(ev)
        return out, problems

    # ------------------------------------------------------------------ actions
    def save(self) -> bool:
        events, problems = self.events()
        if problems:
            self.errors.setText("Not saved — " + " | ".join(problems))
            return False
        try:
            self.ws.set_clinical(self.patient_id, events)
        except VfaError as exc:
            self.errors.setText(f"Not saved — {exc}")
            return False
        self.accept()
        return True

    def import_csv(self, path: str) -> int:
        """Add the file's rows of this patient (rows already in the table are skipped)."""
        try:
            found = [e for e in load_csv(path) if e.patient_id == self.patient_id]
        except VfaError as exc:
            self.errors.setText(str(exc))
            return 0
        current, _ = self.events()
        new, _dup = merge_events(current, found)
        for e in new:
            self.add_row(e)
        self.errors.setText("" if found else f"{path} has no rows for {self.patient_id}")
        return len(new)

    def import_csv_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import clinical CSV", "",
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.import_csv(path)


__all__ = ["ClinicalDialog"]

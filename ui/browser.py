"""The patient/study browser: patients → visits by date → films, from the workspace index.

Each film shows whether it has a saved reading and its SDI (:class:`vfa.storage.index.ReadingRecord`,
written by :meth:`vfa.storage.workspace.Workspace.save`). Activating a film asks to open it.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFont
from PyQt6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from vfa.errors import VfaError
from vfa.storage.workspace import Workspace

ROLE_PATH = Qt.ItemDataRole.UserRole
ROLE_SOP = Qt.ItemDataRole.UserRole + 1
ROLE_PATIENT = Qt.ItemDataRole.UserRole + 2


class Browser(QWidget):
    openRequested = pyqtSignal(str)    # image path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.info = QLabel("Workspace")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Patient / visit / film", "Reading"])
        from PyQt6.QtWidgets import QHeaderView
        hh = self.tree.header()
        assert hh is not None     # (PyQt6's stubs: Optional; a tree always has its header)
        hh.setStretchLastSection(False)
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setUniformRowHeights(True)
        self.tree.itemActivated.connect(self._activated)
        lay.addWidget(self.tree, 1)
        self.workspace: Workspace | None = None
        self.current_sop: str | None = None

    def set_workspace(self, workspace: Workspace | None) -> None:
        self.workspace = workspace
        self.refresh()

    def refresh(self, current_sop: str | None = None) -> None:
        if current_sop is not None:
            self.current_sop = current_sop
        self.tree.clear()
        ws = self.workspace
        if ws is None:
            self.info.setText("No workspace")
            return
        self.info.setText(f"Workspace: {ws.root}")
        bold = QFont()
        bold.setBold(True)
        try:
            patients = ws.patients()
        except VfaError as exc:
            self.info.setText(str(exc))
            return
        current_item = None
        for p in patients:
            label = p.patient_id + (f" — {p.patient_name}" if p.patient_name else "")
            pit = QTreeWidgetItem([label, ""])
            pit.setData(0, ROLE_PATIENT, p.patient_id)
            pit.setFont(0, bold)
            self.tree.addTopLevelItem(pit)
            n_read = 0
            try:
                visits = ws.visits(p.patient_id)
            except VfaError:
                visits = []
            for v in visits:
                date = v.study.study_date.isoformat() if v.study.study_date else "no date"
                vit = QTreeWidgetItem([date, ""])
                vit.setData(0, ROLE_PATIENT, p.patient_id)
                pit.addChild(vit)
                by_sop: dict[str, list] = {}
                for rec in v.readings:
                    by_sop.setdefault(rec.sop_instance_uid, []).append(rec)
                for im in v.images:
                    name = Path(im.path).name if im.path else im.sop_instance_uid[-12:]
                    recs = by_sop.get(im.sop_instance_uid, [])
                    if recs:
                        rec = max(recs, key=lambda r: r.saved_at or 0)
                        text = f"SDI {rec.sdi}"
                        if rec.not_evaluable:
                            text += f" · {rec.not_evaluable} NE"
                        n_read += 1
                    else:
                        text = "not read"
                    fit = QTreeWidgetItem([name, text])
                    fit.setData(0, ROLE_PATH, im.path)
                    fit.setData(0, ROLE_SOP, im.sop_instance_uid)
                    fit.setData(0, ROLE_PATIENT, p.patient_id)
                    tip = (im.path or "file location unknown") + (
                        f"\nview {im.view_position}" if im.view_position else "")
                    if recs:
                        tip += (f"\nread by {rec.reader}: SDI {rec.sdi}, {rec.fractured} "
                                f"fractured, {rec.not_evaluable} not evaluable")
                    fit.setToolTip(0, tip)
                    fit.setToolTip(1, tip)
                    if not recs:
                        fit.setForeground(1, QBrush(QColor(130, 130, 130)))
                    vit.addChild(fit)
                    if im.sop_instance_uid == self.current_sop:
                        current_item = fit
                vit.setText(1, f"{len(v.images)} film" + ("s" if len(v.images) != 1 else ""))
            pit.setText(1, f"{n_read}/{sum(len(v.images) for v in visits)} read")
        if current_item is not None:
            current_item.setFont(0, bold)
            self.tree.setCurrentItem(current_item)
            parent = current_item.parent()
            while parent is not None:
                parent.setExpanded(True)
                parent = parent.parent()
        elif self.tree.topLevelItemCount() <= 3:
            self.tree.expandAll()

    def film_items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        for i in range(self.tree.topLevelItemCount()):
            p = self.tree.topLevelItem(i)
            for j in range(p.childCount() if p is not None else 0):
                v = p.child(j) if p is not None else None
                for k in range(v.childCount() if v is not None else 0):
                    film = v.child(k) if v is not None else None
                    if film is not None:
                        out.append(film)
        return out

    def _activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        path = item.data(0, ROLE_PATH)
        if path:
            self.openRequested.emit(str(path))

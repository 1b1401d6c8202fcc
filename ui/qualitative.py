"""The reader's qualitative observations per level, entered with single keys
(docs/viewer.md): B cycles the ABQ call, D the endplate depression, V the downgrade reason
(normal variant; "other" asks for a few words). They act on the selected level (else the
guide's), are one undo step each, and never change a grade (vfa/method/qualitative.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PyQt6.QtCore import QObject
from PyQt6.QtWidgets import QInputDialog, QWidget

from vfa.method.qualitative import (ABQ_CYCLE, DOWNGRADE_CYCLE, ENDPLATE_CYCLE, DowngradeReason,
                             next_in)

if TYPE_CHECKING:  # pragma: no cover
    from vfa.method.levels import Level

    from .host import DocumentHost

CYCLES = {"abq": ABQ_CYCLE, "endplate_depression": ENDPLATE_CYCLE,
          "downgrade_reason": DOWNGRADE_CYCLE}
NAMES = {"abq": "ABQ", "endplate_depression": "endplate depression",
         "downgrade_reason": "downgrade reason"}

#: Short forms for the table's Observations column.
SHORT = {"normal": "ABQ normal", "non_fracture_deformity": "ABQ non-fx deformity",
         "fracture": "ABQ fracture"}


def observations(v) -> str:
    """Compact text of a vertebra's observations: ``ABQ fracture · EP sup · Schmorl node``."""
    if v is None:
        return ""
    parts = []
    if v.abq is not None:
        parts.append(SHORT[v.abq.value])
    if v.endplate_depression is not None:
        parts.append(f"EP {v.endplate_depression.value[:3] if v.endplate_depression.value != 'both' else 'both'}")
    if v.downgrade_reason is not None:
        parts.append(v.downgrade_reason.label + (f": {v.downgrade_text}" if v.downgrade_text else ""))
    return " · ".join(parts)


class QualitativeKeys(QObject):
    """B / D / V on the open document of ``host``; ``status(text, ms)`` says what changed,
    ``parent`` is the parent of the "other reason" question."""

    def __init__(self, host: "DocumentHost", *, status: Callable[[str, int], None],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.host = host
        self.status = status
        self.parent_widget = parent

    def _level(self) -> Level | None:
        doc = self.host.doc
        if doc is None:
            return None
        return doc.selected_level or doc.guide.level

    def cycle(self, key: str) -> bool:
        """Next value of ``key`` on the selected level; returns True when it changed."""
        doc = self.host.doc
        lv = self._level()
        if doc is None or lv is None:
            self.status("Select a level first (a table row or a point)", 4000)
            return False
        v = doc.reading.get(lv)
        value = next_in(CYCLES[key], getattr(v, key, None) if v is not None else None)
        text = None
        if value is DowngradeReason.OTHER:
            text, ok = QInputDialog.getText(self.parent_widget, "Downgrade reason",
                                            f"{lv}: other reason (a few words)")
            if not ok:
                return False
        ok = doc.set_qualitative(lv, key, value, text)
        if ok:
            shown = "not recorded" if value is None else value.label
            self.status(f"{lv}: {NAMES[key]} {shown}", 4000)
        return ok


__all__ = ["QualitativeKeys", "observations"]

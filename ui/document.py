"""One open film and its reading: the editing front of the viewer.

:class:`Document` holds the :class:`~vfa.radiograph.Radiograph`, the
:class:`~vfa.reading.Reading`, its :class:`~vfa.history.History` and
:class:`~vfa.guide.Guide`. Every edit from a widget goes through one of its methods, which
changes the reading through the reading's own methods and commits one undo step. Errors
are not shown here: they are emitted on :attr:`Document.error` (``str(error)``) for the
window to show, so a bad edit never crashes the viewer and never loses the reading.

Autosave: a change (re)starts a single-shot timer; when it fires the reading is written with
:meth:`vfa.workspace.Workspace.autosave`. A crash therefore loses at most the timer's delay.
"""

from __future__ import annotations

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from vfa.calibration import Spacing
from vfa.errors import GeometryError, VfaError
from vfa.guide import Direction, Guide
from vfa.history import History
from vfa.levels import DeformityType, Level, PointSlot, Status
from vfa.morphometry import ReadingSummary, summarize
from vfa.radiograph import Radiograph
from vfa.reading import Reading, ReadingEvent
from vfa.workspace import Workspace

AUTOSAVE_DELAY_MS = 1500


class Document(QObject):
    changed = pyqtSignal(object)        # ReadingEvent (also during a drag)
    modifiedChanged = pyqtSignal(bool)
    guideChanged = pyqtSignal(str)
    error = pyqtSignal(str)
    saved = pyqtSignal(str)             # path
    autosaved = pyqtSignal(str)
    historyChanged = pyqtSignal()       # an undo step was added, undone or redone

    def __init__(self, radiograph: Radiograph | None, reading: Reading,
                 workspace: Workspace | None, start: Level | str = Level.T4,
                 direction: Direction | str = Direction.DOWN) -> None:
        super().__init__()
        self.radiograph = radiograph
        self.reading = reading
        self.workspace = workspace
        self.history = History(reading)
        self.guide = Guide(reading, start, direction)
        self._summary: ReadingSummary | None = None
        self._errors: dict[Level, str] | None = None
        self._modified = False
        self._drag: tuple[Level, PointSlot] | None = None
        self._drag_start = None          # the dragged point where the drag began
        self._autosave_warned = False
        self._film_image = None          # vfa.autoplace.FilmImage, made on first proposal
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        reading.events.connect(self._on_event)

    def close(self) -> None:
        """Stop listening (the document is being replaced)."""
        self.autosave_timer.stop()
        try:
            self.reading.events.disconnect(self._on_event)
        except ValueError:
            pass

    # ------------------------------------------------------------------ derived data
    def summary(self) -> ReadingSummary:
        if self._summary is None:
            self._summary = summarize(self.reading)
        return self._summary

    def geometry_errors(self) -> dict[Level, str]:
        """{level: message} for complete evaluable vertebrae whose points are impossible."""
        if self._errors is None:
            errs: dict[Level, str] = {}
            for v in self.reading:
                if v.status is Status.EVALUABLE and v.complete:
                    try:
                        v.check()
                    except GeometryError as exc:
                        errs[v.level] = str(exc)
            self._errors = errs
        return self._errors

    @property
    def modified(self) -> bool:
        return self.history.modified

    @property
    def dragging(self) -> bool:
        return self._drag is not None

    def _on_event(self, event: ReadingEvent) -> None:
        self._summary = None
        self._errors = None
        self.changed.emit(event)
        self._update_modified()
        if self.workspace is not None:
            self.autosave_timer.start()

    def _update_modified(self) -> None:
        m = self.history.modified
        if m != self._modified:
            self._modified = m
            self.modifiedChanged.emit(m)

    def mark_recovered(self) -> None:
        """The reading came from an autosave: it differs from what is saved."""
        self.history.mark_unsaved()
        self._update_modified()

    # ------------------------------------------------------------------ edit helper
    def _edit(self, label: str, fn, *args) -> bool:
        try:
            fn(*args)
        except (VfaError, ValueError) as exc:
            self.history.revert()
            self.error.emit(str(exc))
            return False
        self.history.commit(label)
        self._update_modified()
        self.guideChanged.emit(self.guide.text)
        self.historyChanged.emit()
        return True

    # ------------------------------------------------------------------ points
    def place(self, x: float, y: float) -> bool:
        """Put the guide's next point at (x, y) in image coordinates."""
        t = self.guide.target
        if t is None:
            self.error.emit(f"{self.guide.text}: choose a level to place points on")
            return False
        return self._edit(f"place {t.level} {t.slot.label}", self.guide.place, (x, y))

    def place_proposal(self, proposal) -> bool:
        """Put the guide's next point where ``proposal`` (a
        :class:`vfa.autoplace.Proposal`, e.g. a click refined onto an edge) says, recorded
        as a pending proposal; the guide moves on as after a click. One undo step."""
        t = self.guide.target
        if t is None:
            self.error.emit(f"{self.guide.text}: choose a level to place points on")
            return False

        def do() -> None:
            self.guide.place((proposal.x, proposal.y))
            self.reading.propose(t.level, {t.slot: proposal}, replace_placed=True)
        return self._edit(f"place {t.level} {t.slot.label} (snapped)", do)

    def begin_drag(self, level: Level, slot: PointSlot) -> None:
        self._drag = (level, slot)
        v = self.reading.get(level)
        self._drag_start = v.points.get(slot) if v is not None else None

    @property
    def drag_moved(self) -> bool:
        """The point of the drag in progress is no longer where the drag began (a click on
        a handle that only selects it is a drag that did not move)."""
        if self._drag is None:
            return False
        v = self.reading.get(self._drag[0])
        return v is not None and v.points.get(self._drag[1]) != self._drag_start

    def drag_point(self, level: Level, slot: PointSlot, x: float, y: float) -> None:
        """A drag step: moves the point, no undo step yet."""
        try:
            self.reading.set_point(level, slot, (x, y))
        except (VfaError, ValueError) as exc:
            self.error.emit(str(exc))

    def end_drag(self, level: Level, slot: PointSlot, proposal=None) -> None:
        """Release: the whole drag becomes one undo step. With ``proposal`` (the drop point
        refined onto an edge) the point goes there as a pending proposal, in the same step."""
        self._drag = None
        label = f"move {level} {slot.label}"
        if proposal is not None:
            try:
                self.reading.propose(level, {slot: proposal}, replace_placed=True)
                label += " (snapped)"
            except (VfaError, ValueError) as exc:
                self.error.emit(str(exc))
        if self.history.commit(label):
            self._update_modified()
            self.historyChanged.emit()

    def cancel_drag(self) -> None:
        self._drag = None
        self._drag_start = None
        self.history.revert()

    def delete_point(self, level: Level, slot: PointSlot) -> bool:
        ok = self._edit(f"delete {level} {slot.label}", self.reading.remove_point, level, slot)
        if ok:
            self.guide.jump(level)
            self.guideChanged.emit(self.guide.text)
        return ok

    def delete_vertebra(self, level: Level) -> bool:
        ok = self._edit(f"delete {level}", self.reading.remove_vertebra, level)
        if ok:
            self.guide.jump(level)
            self.guideChanged.emit(self.guide.text)
        return ok

    # ------------------------------------------------------------------ proposals
    def film_image(self):
        """The film as :mod:`vfa.autoplace` sees it (made once per document, ~20 ms)."""
        if self._film_image is None:
            from vfa.autoplace.film import AutoplaceError, film_from_radiograph
            if self.radiograph is None:
                raise AutoplaceError("no film is open: nothing to propose points on")
            self._film_image = film_from_radiograph(self.radiograph)
        return self._film_image

    def pending_levels(self) -> list[Level]:
        """Levels with proposed points the reader has not accepted yet (top to bottom)."""
        return [v.level for v in self.reading if v.pending_proposals]

    def propose(self, proposals: dict, label: str) -> dict | None:
        """Put proposals ({Level: {PointSlot: Proposal}}) into the reading as one undo step
        (:func:`vfa.autoplace.apply_to_reading`: points the reader placed or accepted are
        kept); the guide then moves on from levels that are now complete. Returns the slots
        set per level ({} when every point was already the reader's), None on error."""
        from vfa.autoplace.apply import apply_to_reading
        done: dict = {}

        def do() -> None:
            done.update(apply_to_reading(self.reading, proposals))
            self.guide.resume()
        return done if self._edit(label, do) else None

    def accept_proposals(self, levels: list[Level] | None = None) -> bool:
        """Accept the pending proposals of ``levels`` (all levels when None): one undo step."""
        todo = self.pending_levels() if levels is None else \
            [lv for lv in levels if lv in self.pending_levels()]
        if not todo:
            return False
        label = "accept all proposals" if levels is None else \
            "accept " + ", ".join(str(lv) for lv in todo)

        def do() -> None:
            for lv in todo:
                self.reading.accept_proposal(lv)
        return self._edit(label, do)

    def reject_proposals(self, levels: list[Level] | None = None) -> bool:
        """Remove the pending proposed points of ``levels`` (all when None): one undo step.
        Points the reader accepted or moved stay."""
        todo = self.pending_levels() if levels is None else \
            [lv for lv in levels if lv in self.pending_levels()]
        if not todo:
            return False
        label = "reject all proposals" if levels is None else \
            "reject " + ", ".join(str(lv) for lv in todo)

        def do() -> None:
            for lv in todo:
                self.reading.reject_proposal(lv)
            if len(todo) == 1:
                self.guide.jump(todo[0])     # that level needs points again
            else:
                self.guide.resume()
        return self._edit(label, do)

    # ------------------------------------------------------------------ grades etc.
    def set_grade(self, level: Level, grade) -> bool:
        return self._edit(f"grade {level}", self.reading.set_reader_grade, level, grade)

    def confirm_level(self, level: Level) -> bool:
        """Confirm the level's grade as it stands (one undo step; docs/clinical-method.md)."""
        r = next(x for x in self.summary().results if x.level is level)
        if not r.graded:
            self.error.emit(f"{level} has no grade to confirm: place its six points or give a grade")
            return False
        v = self.reading.get(level)
        if v is not None and v.pending_proposals:
            self.error.emit(f"{level} has proposed points not yet accepted: accept or reject "
                            "them first (Ctrl+Enter accepts the level)")
            return False
        if r.confirmed:
            return True
        return self._edit(f"confirm {level}", self.reading.set_confirmed, level, True)

    def confirm_all(self) -> list[Level]:
        """Confirm every graded level not yet confirmed (one undo step); returns them."""
        done: list[Level] = []
        self._edit("confirm all graded levels", lambda: done.extend(self.reading.confirm_graded()))
        return done

    def set_age(self, age_years: float | None) -> bool:
        """The reader's entry of the patient's age at this study (years)."""
        return self._edit("age", self.reading.set_age_years, age_years)

    def set_type(self, level: Level, dtype: DeformityType | str | None) -> bool:
        return self._edit(f"type {level}", self.reading.set_reader_type, level, dtype)

    def set_status(self, level: Level, status: Status | str, reason: str | None = None) -> bool:
        ok = self._edit(f"status {level}", self.reading.set_status, level, status, reason)
        if ok:
            self.guide.resume()
            self.guideChanged.emit(self.guide.text)
        return ok

    def set_note(self, level: Level, note: str | None) -> bool:
        v = self.reading.get(level)
        if (v.note if v else None) == (note or None):
            return True
        return self._edit(f"note {level}", self.reading.set_note, level, note)

    def set_qualitative(self, level: Level, key: str, value, text: str | None = None) -> bool:
        """The reader's observation ``key`` (abq, endplate_depression, downgrade_reason) of a
        level; one undo step (vfa/qualitative.py)."""
        setter = {"abq": self.reading.set_abq,
                  "endplate_depression": self.reading.set_endplate_depression}.get(key)
        if key == "downgrade_reason":
            return self._edit(f"downgrade reason {level}", self.reading.set_downgrade_reason,
                              level, value, text)
        return self._edit(f"{key.replace('_', ' ')} {level}", setter, level, value)

    def relabel(self, shift: int) -> bool:
        return self._edit(f"relabel {shift:+d}", self.reading.relabel, shift)

    def calibrate(self, p0: tuple[float, float], p1: tuple[float, float], length_mm: float) -> bool:
        """Manual calibration from a line over a known length (docs/domain.md §5)."""
        def do() -> None:
            aspect = (1.0, 1.0)
            sp = self.reading.spacing
            if not sp.calibrated:
                aspect = (sp.row_mm, sp.col_mm)  # the file's pixel aspect ratio
            self.reading.set_spacing(Spacing.manual(p0, p1, length_mm, aspect))
        return self._edit("calibrate", do)

    # ------------------------------------------------------------------ guide
    def mark_not_evaluable(self, reason: str, level: Level | None = None) -> bool:
        return self._edit(f"not evaluable {level or self.guide.level}",
                          self.guide.mark_not_evaluable, reason, level)

    def skip(self) -> None:
        self.guide.skip()
        self.guideChanged.emit(self.guide.text)

    def jump(self, level: Level | str) -> None:
        self.guide.jump(level)
        self.guideChanged.emit(self.guide.text)

    def start_at(self, level: Level | str) -> None:
        self.guide.start_at(level)
        self.guideChanged.emit(self.guide.text)

    def set_direction(self, direction: Direction | str) -> None:
        self.guide.set_direction(direction)
        self.guideChanged.emit(self.guide.text)

    # ------------------------------------------------------------------ undo
    def undo(self) -> None:
        self._after_history(self.history.undo())

    def redo(self) -> None:
        self._after_history(self.history.redo())

    def _after_history(self, levels: list[Level]) -> None:
        for lv in levels:  # go back to a level that needs points again
            v = self.reading.get(lv)
            if v is None or (not v.complete and v.status is Status.EVALUABLE):
                self.guide.jump(lv)
                break
        else:
            self.guide.resume()
        self._update_modified()
        self.guideChanged.emit(self.guide.text)
        self.historyChanged.emit()

    # ------------------------------------------------------------------ saving
    def save(self) -> str | None:
        """Save into the workspace; returns the path, or None (error emitted)."""
        if self.workspace is None:
            self.error.emit("no workspace is open: readings cannot be saved")
            return None
        try:
            path = self.workspace.save(self.reading)
        except (VfaError, OSError) as exc:
            self.error.emit(f"the reading was not saved: {exc}")
            return None
        self.autosave_timer.stop()
        self.history.mark_saved()
        self._update_modified()
        self.saved.emit(str(path))
        return str(path)

    def autosave(self) -> str | None:
        if self.workspace is None or not self.history.modified:
            return None
        try:
            path = self.workspace.autosave(self.reading)
        except (VfaError, OSError) as exc:
            if not self._autosave_warned:   # say it once, not after every click
                self._autosave_warned = True
                self.error.emit(f"autosave failed: {exc}")
            return None
        self.autosaved.emit(str(path))
        return str(path)

    def discard(self) -> None:
        """Drop unsaved changes' autosave (the user chose Discard)."""
        self.autosave_timer.stop()
        if self.workspace is not None:
            self.workspace.discard_autosave(self.reading)

"""The reading session: everything the viewer edits, without Qt.

A :class:`ReadingSession` is one film open for reading: the film (:class:`Radiograph`), its
:class:`~vfa.reading.reading.Reading`, the undo :class:`~vfa.reading.history.History`, the placement
:class:`~vfa.reading.guide.Guide`, the active :class:`Tool`, the selected level, the drag in
progress, the proposals, the save/autosave decisions and the display state (a
:class:`~vfa.films.windowing.WindowChoice`, relative to the film). Every edit the viewer makes is a
method here, one undo step each; every change is announced on :attr:`ReadingSession.events`
as a :class:`SessionEvent` (plain callbacks, like :attr:`Reading.events`). The viewer's
widgets observe it (``ui/document.py`` turns the events into Qt signals); scripts and tests
drive it directly.

Timers are the caller's business: after each change of the reading the session announces
``"autosave_due"``; the caller waits a little (:data:`AUTOSAVE_DELAY_S`, but never more than
:data:`AUTOSAVE_MAX_WAIT_S` after the first change not yet written: steady work is autosaved
too) and calls :meth:`ReadingSession.autosave`. A grade, type, confirmation or status — one
key that can be a whole level's result — announces ``"autosave_now"``: the caller writes at
once. An autosave never outlives the unsaved state: when the reading is back to what the
workspace holds (undone, saved), :meth:`ReadingSession.autosave` removes the file.

Event kinds (``SessionEvent.kind``, a :class:`SessionEventKind`; ``data`` in brackets):

* ``reading`` (the :class:`~vfa.reading.reading.ReadingEvent`, also during a drag)
* ``modified`` (bool: unsaved changes or not), ``history`` (an undo step was added, undone
  or redone), ``guide`` (the prompt changed: :meth:`ReadingSession.prompt`)
* ``selection`` (the selected level or None), ``tool`` (the :class:`Tool`), ``mode``
* ``display`` (the :class:`~vfa.films.windowing.WindowChoice`)
* ``error`` (a message for the reader), ``saved`` / ``autosaved`` (the path),
  ``autosave_due`` (None), ``autosave_now`` (None: write the autosave at once)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from vfa.films.calibration import Spacing
from vfa.errors import GeometryError, VfaError
from vfa.reading.guide import Direction, Guide
from vfa.reading.history import History
from vfa.method.levels import DeformityType, Level, PointSlot, Status
from vfa.method.morphometry import ReadingSummary, summarize
from vfa.films.radiograph import Radiograph
from vfa.events import EventEmitter
from vfa.reading.confirmation import BulkConfirmation, confirm_graded
from vfa.reading.reading import Reading, ReadingEvent
from vfa.films.windowing import WindowChoice

__all__ = ["AUTOSAVE_DELAY_S", "AUTOSAVE_MAX_WAIT_S", "bulk_accept_split", "Mode", "ReadingSession",
           "SessionEvent", "SessionEventKind", "Tool",
           "describe_autosave", "level_ranges"]

#: Seconds between the last change and its autosave.
AUTOSAVE_DELAY_S = 1.5
#: At most this many seconds between the first unsaved change and its autosave, however
#: steadily the reader works (the delay above restarts at each change; this does not).
AUTOSAVE_MAX_WAIT_S = 2.0
#: Edits that autosave at once (a level's result in one key).
_AUTOSAVE_NOW = ("grade", "type", "confirm", "status")


class Tool(str, enum.Enum):
    """What a left click on the film does."""

    PLACE = "place"          # the guide's next point
    MEASURE = "measure"      # a distance
    CALIBRATE = "calibrate"  # a known length
    PROPOSE = "propose"      # inside a body: its six points are proposed

    def __str__(self) -> str:
        return self.value


class Mode(str, enum.Enum):
    """What the session is for (later modes — blinded reading, adjudication — add here)."""

    READING = "reading"
    COMPARE = "compare"

    def __str__(self) -> str:
        return self.value


class SessionEventKind(str, enum.Enum):
    """What kind of change a :class:`SessionEvent` announces (``data`` in the comment)."""

    READING = "reading"            # the ReadingEvent (also during a drag)
    MODIFIED = "modified"          # bool: unsaved changes or not
    HISTORY = "history"            # an undo step was added, undone or redone (None)
    GUIDE = "guide"                # the prompt (ReadingSession.prompt)
    SELECTION = "selection"        # the selected level or None
    TOOL = "tool"                  # the Tool
    MODE = "mode"                  # the Mode
    DISPLAY = "display"            # the WindowChoice
    ERROR = "error"                # a message for the reader
    SAVED = "saved"                # the path
    AUTOSAVED = "autosaved"        # the path
    AUTOSAVE_DUE = "autosave_due"  # None: autosave after AUTOSAVE_DELAY_S (at most AUTOSAVE_MAX_WAIT_S)
    AUTOSAVE_NOW = "autosave_now"  # None: autosave at once (grade, type, confirm, status, undo)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class SessionEvent:
    kind: SessionEventKind
    data: Any = None


_TOOL_PROMPT = {
    Tool.MEASURE: "Measure: drag a line on the film to measure a distance",
    Tool.CALIBRATE: "Calibrate: draw a line over a known length (a ruler or calibration "
                    "ball), then type its length in mm",
}


class ReadingSession:
    """One film open for reading (see the module text)."""

    def __init__(self, radiograph: Radiograph | None, reading: Reading, workspace=None,
                 start: Level | str = Level.T4,
                 direction: Direction | str = Direction.DOWN) -> None:
        self.radiograph = radiograph
        self.reading = reading
        self.workspace = workspace
        self.history = History(reading)
        self.guide = Guide(reading, start, direction)
        self.events: EventEmitter[SessionEvent] = EventEmitter()
        self.tool = Tool.PLACE
        self.mode = Mode.READING
        self.selected_level: Level | None = None
        self.display = WindowChoice()
        self._prompt_override: str | None = None
        self._summary: ReadingSummary | None = None
        self._errors: dict[Level, str] | None = None
        self._modified = False
        self._drag: tuple[Level, PointSlot] | None = None
        self._drag_start: tuple[float, float] | None = None
        self._autosave_warned = False
        self._film_image = None
        reading.events.connect(self._on_reading)

    def close(self) -> None:
        """Stop listening to the reading (the session is being replaced)."""
        try:
            self.reading.events.disconnect(self._on_reading)
        except ValueError:
            pass

    def _emit(self, kind: SessionEventKind, data: Any = None) -> None:
        self.events.emit(SessionEvent(kind, data))

    def connect(self, callback: Callable[[SessionEvent], None]) -> None:
        self.events.connect(callback)

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

    def pending_levels(self) -> list[Level]:
        """Levels with proposed points the reader has not accepted yet (top to bottom)."""
        return [v.level for v in self.reading if v.pending_proposals]

    @property
    def modified(self) -> bool:
        return self.history.modified

    @property
    def dragging(self) -> bool:
        return self._drag is not None

    @property
    def film_name(self) -> str:
        if self.radiograph is None or self.radiograph.path is None:
            return "film"
        return Path(self.radiograph.path).name

    def _on_reading(self, event: ReadingEvent) -> None:
        self._summary = None
        self._errors = None
        self._emit(SessionEventKind.READING, event)
        self._update_modified()
        if self.workspace is not None and not self.dragging:
            # back to the saved reading (proposals rejected, edit reverted): the autosave goes
            # at once; a level's result in one key is written at once
            now = event.kind in _AUTOSAVE_NOW or not self.history.modified
            self._emit(SessionEventKind.AUTOSAVE_NOW if now else SessionEventKind.AUTOSAVE_DUE)

    def _update_modified(self) -> None:
        m = self.history.modified
        if m != self._modified:
            self._modified = m
            self._emit(SessionEventKind.MODIFIED, m)

    def mark_recovered(self, saved: Reading | None = None) -> None:
        """The reading came from an autosave: it differs from ``saved`` (the reading the
        workspace holds, None when there is none); undoing back to it leaves nothing unsaved."""
        self.history.mark_unsaved(saved if saved is not None else Reading.for_radiograph(
            self.radiograph, reader=self.reading.reader) if self.radiograph is not None else None)
        self._update_modified()
        if self.workspace is not None:
            self._emit(SessionEventKind.AUTOSAVE_DUE)

    # ------------------------------------------------------------------ level, tool, prompt
    @property
    def current_level(self) -> Level | None:
        """The level the guide bar shows: the selected one, else the guide's. Level actions
        (not evaluable, accept / reject proposals of the level, delete vertebra) act on it."""
        return self.selected_level if self.selected_level is not None else self.guide.level

    def select(self, level: Level | None) -> None:
        if level != self.selected_level:
            self.selected_level = level
            self._emit(SessionEventKind.SELECTION, level)
            self._emit(SessionEventKind.GUIDE, self.prompt())

    def set_tool(self, tool: Tool | str) -> None:
        tool = Tool(tool)
        if tool != self.tool:
            self.tool = tool
            self._emit(SessionEventKind.TOOL, tool)
            self._emit(SessionEventKind.GUIDE, self.prompt())

    def set_mode(self, mode: Mode | str) -> None:
        mode = Mode(mode)
        if mode != self.mode:
            self.mode = mode
            self._emit(SessionEventKind.MODE, mode)

    def set_prompt(self, text: str | None) -> None:
        """Show ``text`` instead of the tool's prompt (a multi-click action in progress);
        None: the tool's prompt again."""
        self._prompt_override = text
        self._emit(SessionEventKind.GUIDE, self.prompt())

    @staticmethod
    def tool_hint(tool: Tool | str) -> str:
        """What a click does with ``tool`` when no film is open."""
        return _TOOL_PROMPT.get(Tool(tool), "Open a film (File ▸ Open, or drop it here)")

    def prompt(self) -> str:
        """What the guide bar says: what the next left click on the film does."""
        if self._prompt_override:
            return self._prompt_override
        if self.tool in _TOOL_PROMPT:
            return _TOOL_PROMPT[self.tool]
        g = self.guide
        if self.tool is Tool.PROPOSE:
            lv = g.level
            if lv is None:
                return ("Propose: all levels are done — choose a level (Level box or [ ]), "
                        "then click inside its body")
            return (f"Propose {lv}: click inside the body of {lv} — its six points are "
                    "proposed (Enter accepts all)")
        sel = self.selected_level
        nxt = f"Next: {g.text}" if g.target is not None else g.text
        if sel is not None and sel != g.level:
            v = self.reading.get(sel)
            if v is None or not v.points:
                state = "no points"
            elif v.status is Status.NOT_EVALUABLE:
                state = f"not evaluable ({v.reason})"
            elif v.complete:
                state = "complete"
            else:
                state = f"{len(v.points)}/6 points"
            return f"{sel} selected ({state})   ·   {nxt[0].lower()}{nxt[1:]}"
        return nxt

    def _guide_moved(self) -> None:
        """The guide's level changed by an edit: the selection follows it."""
        if self.guide.level is not None and self.guide.level != self.selected_level:
            self.selected_level = self.guide.level
            self._emit(SessionEventKind.SELECTION, self.selected_level)
        self._emit(SessionEventKind.GUIDE, self.prompt())

    # ------------------------------------------------------------------ edit helper
    def _edit(self, label: str, fn, *args) -> bool:
        try:
            fn(*args)
        except (VfaError, ValueError) as exc:
            self.history.revert()
            self._emit(SessionEventKind.ERROR, str(exc))
            return False
        self.history.commit(label)
        self._update_modified()
        self._emit(SessionEventKind.GUIDE, self.prompt())
        self._emit(SessionEventKind.HISTORY)
        return True

    # ------------------------------------------------------------------ points
    def place(self, x: float, y: float) -> bool:
        """Put the guide's next point at (x, y) in image coordinates."""
        t = self.guide.target
        if t is None:
            self._emit(SessionEventKind.ERROR, f"{self.guide.text}: choose a level to place points on")
            return False
        ok = self._edit(f"place {t.level} {t.slot.label}", self.guide.place, (x, y))
        if ok:
            self._guide_moved()
        return ok

    def place_proposal(self, proposal) -> bool:
        """Put the guide's next point where ``proposal`` (a :class:`vfa.reading.proposal.Proposal`,
        e.g. a click refined onto an edge) says, recorded as a pending proposal; the guide
        moves on as after a click. One undo step."""
        t = self.guide.target
        if t is None:
            self._emit(SessionEventKind.ERROR, f"{self.guide.text}: choose a level to place points on")
            return False

        def do() -> None:
            self.guide.place((proposal.x, proposal.y))
            self.reading.propose(t.level, {t.slot: proposal}, replace_placed=True)
        ok = self._edit(f"place {t.level} {t.slot.label} (snapped)", do)
        if ok:
            self._guide_moved()
        return ok

    def begin_drag(self, level: Level, slot: PointSlot) -> None:
        self._drag = (level, slot)
        v = self.reading.get(level)
        self._drag_start = v.points.get(slot) if v is not None else None
        self.select(level)

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
            self._emit(SessionEventKind.ERROR, str(exc))

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
                self._emit(SessionEventKind.ERROR, str(exc))
        if self.history.commit(label):
            self._update_modified()
            self._emit(SessionEventKind.HISTORY)
        if self.workspace is not None:
            self._emit(SessionEventKind.AUTOSAVE_DUE)

    def cancel_drag(self) -> None:
        self._drag = None
        self._drag_start = None
        self.history.revert()

    def delete_point(self, level: Level, slot: PointSlot) -> bool:
        ok = self._edit(f"delete {level} {slot.label}", self.reading.remove_point, level, slot)
        if ok:
            self.guide.jump(level)
            self._guide_moved()
        return ok

    def delete_vertebra(self, level: Level) -> bool:
        ok = self._edit(f"delete {level}", self.reading.remove_vertebra, level)
        if ok:
            self.guide.jump(level)
            self._guide_moved()
        return ok

    # ------------------------------------------------------------------ proposals
    def film_image(self):
        """The film as :mod:`vfa.reading.autoplace` sees it (made once per session, ~20 ms)."""
        if self._film_image is None:
            from vfa.reading.autoplace.film import AutoplaceError, film_from_radiograph
            if self.radiograph is None:
                raise AutoplaceError("no film is open: nothing to propose points on")
            self._film_image = film_from_radiograph(self.radiograph)
        return self._film_image

    def propose(self, proposals: dict, label: str) -> dict | None:
        """Put proposals ({Level: {PointSlot: Proposal}}) into the reading as one undo step
        (:func:`vfa.reading.autoplace.apply_to_reading`: points the reader placed or accepted are
        kept); the guide then moves on from levels that are now complete. Returns the slots
        set per level ({} when every point was already the reader's), None on error."""
        from vfa.reading.autoplace.apply import apply_to_reading
        done: dict = {}

        def do() -> None:
            done.update(apply_to_reading(self.reading, proposals))
            self.guide.resume()
        if not self._edit(label, do):
            return None
        self._guide_moved()
        return done

    def _pending_of(self, levels: list[Level] | None) -> list[Level]:
        pending = self.pending_levels()
        return pending if levels is None else [lv for lv in levels if lv in pending]

    def accept_proposals(self, levels: list[Level] | None = None) -> bool:
        """Accept the pending proposals of ``levels`` (all levels when None): one undo step."""
        todo = self._pending_of(levels)
        if not todo:
            return False
        label = "accept all proposals" if levels is None else \
            "accept " + ", ".join(str(lv) for lv in todo)

        def do() -> None:
            for lv in todo:
                self.reading.accept_proposal(lv)
        return self._edit(label, do)

    def bulk_accept_split(self) -> tuple[list[Level], dict[Level, str]]:
        """What Accept all takes and what it leaves: :func:`bulk_accept_split` on this reading."""
        return bulk_accept_split(self.reading, self.summary())

    def accept_all_proposals(self) -> tuple[list[Level], dict[Level, str]]:
        """Accept all: the pending proposals of every level that passes
        :func:`bulk_accept_split`, as one undo step. Returns (accepted levels, {skipped level:
        why}); the skipped levels are accepted one by one (:meth:`accept_proposals`)."""
        take, skipped = self.bulk_accept_split()
        if take:
            def do() -> None:
                for lv in take:
                    self.reading.accept_proposal(lv)
            if not self._edit("accept all proposals", do):
                return [], skipped
        return take, skipped

    def reject_proposals(self, levels: list[Level] | None = None) -> bool:
        """Remove the pending proposed points of ``levels`` (all when None): one undo step.
        Points the reader accepted or moved stay."""
        todo = self._pending_of(levels)
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
        ok = self._edit(label, do)
        if ok:
            self._guide_moved()
        return ok

    # ------------------------------------------------------------------ grades etc.
    def set_grade(self, level: Level, grade) -> bool:
        return self._edit(f"grade {level}", self.reading.set_reader_grade, level, grade)

    def confirm_level(self, level: Level) -> bool:
        """Confirm the level's grade as it stands (one undo step; docs/clinical-method.md)."""
        r = next(x for x in self.summary().results if x.level is level)
        if not r.graded:
            self._emit(SessionEventKind.ERROR, f"{level} has no grade to confirm: place its six points or "
                                "give a grade")
            return False
        v = self.reading.get(level)
        if v is not None and v.pending_proposals:
            self._emit(SessionEventKind.ERROR, f"{level} has proposed points not yet accepted: accept or "
                                "reject them first (Ctrl+Enter accepts the level)")
            return False
        if r.confirmed:
            return True
        return self._edit(f"confirm {level}", self.reading.set_confirmed, level, True)

    def confirm_all(self) -> BulkConfirmation:
        """Confirm every graded level not yet confirmed whose suggestion stands on full
        evidence (one undo step); returns what was confirmed and what was skipped, and why
        (vfa.reading.confirmation)."""
        out = BulkConfirmation()

        def run() -> None:
            res = confirm_graded(self.reading)
            out.confirmed, out.skipped = res.confirmed, res.skipped

        self._edit("confirm all graded levels", run)
        return out

    def set_age(self, age_years: float | None) -> bool:
        """The reader's entry of the patient's age at this study (years)."""
        return self._edit("age", self.reading.set_age_years, age_years)

    def set_type(self, level: Level, dtype: DeformityType | str | None) -> bool:
        return self._edit(f"type {level}", self.reading.set_reader_type, level, dtype)

    def set_status(self, level: Level, status: Status | str, reason: str | None = None) -> bool:
        ok = self._edit(f"status {level}", self.reading.set_status, level, status, reason)
        if ok:
            self.guide.resume()
            self._emit(SessionEventKind.GUIDE, self.prompt())
        return ok

    def set_note(self, level: Level, note: str | None) -> bool:
        v = self.reading.get(level)
        if (v.note if v else None) == (note or None):
            return True
        return self._edit(f"note {level}", self.reading.set_note, level, note)

    def set_qualitative(self, level: Level, key: str, value, text: str | None = None) -> bool:
        """The reader's observation ``key`` (abq, endplate_depression, downgrade_reason) of a
        level; one undo step (vfa/method/qualitative.py). Never changes a grade."""
        if key == "downgrade_reason":
            return self._edit(f"downgrade reason {level}", self.reading.set_downgrade_reason,
                              level, value, text)
        setter = {"abq": self.reading.set_abq,
                  "endplate_depression": self.reading.set_endplate_depression}[key]
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
        """Mark ``level`` (default: :attr:`current_level`, the level the bar shows) not
        evaluable; the guide moves on from it."""
        lv = level if level is not None else self.current_level
        if lv is None:
            self._emit(SessionEventKind.ERROR, "Choose a level first")
            return False

        ok = self._edit(f"not evaluable {lv}", self.guide.mark_not_evaluable, reason, lv)
        if ok:
            self.selected_level = None
            self._guide_moved()
        return ok

    def skip(self) -> None:
        self.guide.skip()
        self._guide_moved()

    def jump(self, level: Level | str) -> None:
        self.guide.jump(level)
        self._guide_moved()

    def start_at(self, level: Level | str) -> None:
        self.guide.start_at(level)
        self._guide_moved()

    def set_direction(self, direction: Direction | str) -> None:
        self.guide.set_direction(direction)
        self._emit(SessionEventKind.GUIDE, self.prompt())

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
        self._guide_moved()
        self._emit(SessionEventKind.HISTORY)
        if self.workspace is not None:
            self._emit(SessionEventKind.AUTOSAVE_NOW)   # an undone state must not survive in the autosave

    # ------------------------------------------------------------------ display
    def set_display(self, choice: WindowChoice) -> None:
        """The reader's window/level for this film (relative: see :mod:`vfa.films.windowing`)."""
        if choice != self.display:
            self.display = choice
            self._emit(SessionEventKind.DISPLAY, choice)

    def display_settings(self):
        """The absolute :class:`vfa.films.display.DisplaySettings` of :attr:`display` on the film."""
        return self.display.settings(self.radiograph) if self.radiograph is not None else None

    # ------------------------------------------------------------------ saving
    def save_problem(self) -> str | None:
        """Why the reading cannot be saved now (None: it can)."""
        if self.workspace is None:
            return "no workspace is open: readings cannot be saved"
        errs = self.geometry_errors()
        if errs:
            return ("Some vertebrae have impossible points and the reading cannot be saved "
                    "until they are fixed:\n\n" + "\n".join(errs.values()))
        return None

    @property
    def needs_decision(self) -> bool:
        """Leaving the film needs the reader's word (Save / Discard / Cancel)."""
        return self.modified

    def save(self) -> str | None:
        """Save into the workspace; returns the path, or None (error emitted)."""
        if self.workspace is None:
            self._emit(SessionEventKind.ERROR, "no workspace is open: readings cannot be saved")
            return None
        try:
            path = self.workspace.save(self.reading)
        except (VfaError, OSError) as exc:
            self._emit(SessionEventKind.ERROR, f"the reading was not saved: {exc}")
            return None
        self.history.mark_saved()
        self._update_modified()
        self._emit(SessionEventKind.SAVED, str(path))
        return str(path)

    def autosave(self) -> str | None:
        """Write the unsaved state for crash recovery; None when there is nothing to write
        (or it failed: said once per session, not after every click). When the reading is
        what the workspace holds (nothing unsaved: undone, or saved) the autosave is removed:
        a recovery never offers a state the reader undid."""
        if self.workspace is None:
            return None
        if not self.history.modified:
            self.workspace.discard_autosave(self.reading)
            return None
        try:
            path = self.workspace.autosave(self.reading)
        except (VfaError, OSError) as exc:
            if not self._autosave_warned:
                self._autosave_warned = True
                self._emit(SessionEventKind.ERROR, f"autosave failed: {exc}")
            return None
        self._emit(SessionEventKind.AUTOSAVED, str(path))
        return str(path)

    def discard(self) -> None:
        """Drop the unsaved changes' autosave (the reader chose Discard)."""
        if self.workspace is not None:
            self.workspace.discard_autosave(self.reading)


# --------------------------------------------------------------------------------------
# Recovery: what an autosave holds, in words for the reader
# --------------------------------------------------------------------------------------
def level_ranges(levels) -> str:
    """'T4–T7, T9, L1–L2' for a list of levels (runs of neighbours joined)."""
    from vfa.method.levels import LEVELS
    idx = sorted({Level.parse(lv).index for lv in levels})
    runs: list[list[int]] = []
    for i in idx:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(str(LEVELS[r[0]]) if len(r) == 1 else f"{LEVELS[r[0]]}–{LEVELS[r[-1]]}"
                     for r in runs)


def autosave_extent(path) -> tuple[int, str]:
    """(points, levels 'T4–T7, T9') of the work in an autosave; (0, '') when unreadable.
    Nothing identifying: what a blinded reader's recovery question may show."""
    import json
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        verts = data.get("vertebrae") or []
        levels = [v.get("level") for v in verts if v.get("points") or v.get("status") not in
                  (None, "evaluable")]
        n = sum(len(v.get("points") or {}) for v in verts)
        return n, level_ranges([lv for lv in levels if lv]) if levels else ""
    except (OSError, ValueError, AttributeError):
        return 0, ""


def describe_autosave(path, now=None) -> str:
    """One line identifying the work in an autosave, for the reader deciding whether to
    recover it: patient, film, levels with points, and when it was written (local time).
    Shown on screen only (never logged)."""
    import datetime as _dt
    import json

    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{p.name} (unreadable)"
    name = str(data.get("patient_name") or "").replace("^", " ").strip()
    pid = data.get("patient_id") or ""
    patient = " ".join(x for x in (name, f"(ID {pid})" if pid else "") if x) or "unknown patient"
    film = Path(data["image_path"]).name if data.get("image_path") else "film"
    date = data.get("study_date") or "no study date"
    verts = data.get("vertebrae") or []
    levels = [v.get("level") for v in verts if v.get("points") or v.get("status") not in
              (None, "evaluable")]
    n = sum(len(v.get("points") or {}) for v in verts)
    when = None
    try:
        when = _dt.datetime.fromisoformat(str(data.get("saved_at")))
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        try:
            when = _dt.datetime.fromtimestamp(p.stat().st_mtime, _dt.timezone.utc)
        except OSError:
            pass
    stamp = when.astimezone().strftime("%d %b %Y, %H:%M") if when else "unknown time"
    try:
        what = f"{level_ranges([lv for lv in levels if lv])} ({n} points)" if levels else \
            "no points yet"
    except ValueError:
        what = f"{n} points"
    return f"{patient} — {film} of {date} — {what} — autosaved {stamp}"


def recovery_state(workspace: Any, path: str | Path) -> tuple[bool, str]:
    """(worth offering, what differs) for the autosave at ``path``: compared with the reading
    the workspace holds of the same film by the same reader. An autosave equal to it (work
    undone, or saved by another route) is not worth offering; what differs is named by level
    ("T7, T9–T10 differ from the saved reading", or "no saved reading yet")."""
    from vfa.reading.history import content_key, changed_levels
    try:
        auto = workspace.recover(path)
    except (VfaError, OSError, ValueError):
        return True, "unreadable"
    try:
        saved = workspace.load(auto.sop_instance_uid, reader=auto.reader) \
            if auto.sop_instance_uid else None
    except (VfaError, OSError, ValueError):
        saved = None
    if saved is None:
        if not any(not v.empty for v in auto.vertebrae.values()):
            return False, "nothing placed"
        return True, "no saved reading yet"
    if content_key(auto) == content_key(saved):
        return False, "the same as the saved reading"
    levels = changed_levels(saved, auto)
    if not levels:
        return True, "calibration or details differ from the saved reading"
    return True, f"{level_ranges(levels)} differ from the saved reading"


def bulk_accept_split(reading: Reading, summary: ReadingSummary | None = None
                      ) -> tuple[list[Level], dict[Level, str]]:
    """Split the levels with pending proposals into those a bulk "Accept all" may take and
    those it must leave for the reader to look at and accept one by one (``{level: why}``):
    a pending point below :data:`vfa.reading.proposal.LOW_CONFIDENCE`, or a complete level
    whose crush cannot be assessed (no reference level: a crush fracture would go unseen,
    so the reader judges that level)."""
    from vfa.reading.proposal import LOW_CONFIDENCE
    summary = summary if summary is not None else summarize(reading)
    results = {r.level: r for r in summary.results}
    take: list[Level] = []
    skipped: dict[Level, str] = {}
    for v in reading:
        pend = [p for p in v.proposals.values() if p.pending]
        if not pend:
            continue
        conf = min(p.confidence for p in pend)
        res = results.get(v.level)
        if conf < LOW_CONFIDENCE:
            skipped[v.level] = f"low confidence ({conf:.2f})"
        elif v.complete and v.status is Status.EVALUABLE and res is not None and res.crush_na:
            why = res.crush_reason
            skipped[v.level] = "crush not assessable" + (f" ({why})" if why else "")
        else:
            take.append(v.level)
    return take, skipped

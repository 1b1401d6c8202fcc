"""Semi-automatic placement in the viewer: the front of :mod:`vfa.reading.autoplace`.

* **Propose tool** (G): a click inside a vertebral body proposes the six points of the
  guide's current level (:func:`vfa.reading.autoplace.vertebra.propose_vertebra`, ~20-40 ms, on the
  GUI thread with a busy cursor); the guide then moves on.
* **Propose spine…** (Ctrl+G): the reader names two levels (default: the guide's level and
  L4, or T4 and L4) and clicks inside those two bodies; every level between is proposed
  (:func:`vfa.reading.autoplace.spine.propose_span`, a few hundred ms, in a worker thread).
* **Carry forward from visit…**: an earlier saved reading of the same patient
  (:meth:`vfa.storage.workspace.Workspace.readings_for_patient`) is carried onto the open film
  (:func:`vfa.reading.autoplace.carry.carry_forward`, in a worker thread). The reader first clicks
  inside one carried body (default L1; the Level box or [ ] choose another): this *anchor*
  pins the alignment, which otherwise can land one vertebra off on a periodic spine
  (docs/semi-automatic.md, known failure modes).

Facing: every proposal decides the anterior side of THIS film from the image (a carry-forward
tries the earlier points as they are and mirrored). Only the reader's own points say more:
once vertebrae the reader placed, accepted or moved show the film's facing, it is passed to
every further proposal. Nothing else is remembered, so after undo or reject (or a new
proposal) a wrong facing from an earlier proposal cannot stick to the film.
* **Snap clicks to edges** (E, checkable, remembered): each guided click of the Place tool
  and each drop of a dragged point goes through :func:`vfa.reading.autoplace.refine.refine_point`.
  When it moved the point, the point is recorded as a pending proposal (method ``refine``)
  for the reader to accept or drag; when the evidence is weak it stays exactly where the
  reader put it, as the reader's point. The status bar says which. A point the tool has
  already refined is not refined again when the reader drags it: the drag is the reader's
  correction.
* **Accept all** (Enter on the film) takes every level whose proposals are confident (≥ 0.5)
  and whose crush can be assessed; it leaves the others (the status bar names them and why)
  for **Accept level** one by one (:func:`vfa.reading.session.bulk_accept_split`).
* **Accept level** (Ctrl+Enter), **Reject level** (X),
  **Reject all** (Ctrl+Shift+X): :meth:`ui.document.Document.accept_proposals` /
  :meth:`~ui.document.Document.reject_proposals`. Dragging a proposed point marks it *moved*
  (the reading does that in ``set_point``).

Every proposal, acceptance and rejection is one undo step and is autosaved like any edit. No
image analysis happens here: the widgets collect clicks and show what ``vfa`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject

from vfa.errors import VfaError
from vfa.method.geometry import distance
from vfa.method.levels import LEVELS, POINT_SLOTS, Level, PointSlot

from . import dialogs
from .exports import describe_error
from .tasks import busy_cursor, run_busy

if TYPE_CHECKING:  # pragma: no cover
    from .host import DocumentHost
    from .shell import Shell


@dataclass
class SpanState:
    """Propose spine in progress: the two levels and the clicks so far."""

    levels: tuple[Level, Level]
    clicks: list[tuple[float, float]] = field(default_factory=list)

    @property
    def next_level(self) -> Level:
        return self.levels[len(self.clicks)]

    @property
    def text(self) -> str:
        n = len(self.clicks)
        return (f"Propose spine {self.levels[0]}–{self.levels[1]}: click inside the body of "
                f"{self.next_level} ({n + 1} of 2) — Esc cancels")


@dataclass
class CarryState:
    """Carry forward waiting for the anchor click: the earlier reading, its film, the level
    the reader will click."""

    earlier: object
    film_path: Path
    when: str
    levels: list[Level]
    anchor: Level

    @property
    def text(self) -> str:
        return (f"Carry forward {self.when}: click inside the body of {self.anchor} on this film "
                "(another level: Level box or [ ]) — Esc cancels")


def facing_of(reading, confirmed_only: bool = True) -> str | None:
    """'left' / 'right': the side the anterior wall is on in the complete vertebrae of
    ``reading`` (majority; only points the reader placed, accepted or moved when
    ``confirmed_only``), None if there are none."""
    from vfa.method.levels import PointSlot as S
    votes = 0
    for v in reading:
        if not v.complete or (confirmed_only and v.pending_proposals):
            continue
        p = v.points
        ant = p[S.SUPERIOR_ANTERIOR][0] + p[S.INFERIOR_ANTERIOR][0]
        post = p[S.SUPERIOR_POSTERIOR][0] + p[S.INFERIOR_POSTERIOR][0]
        votes += 1 if ant > post else -1 if ant < post else 0
    return None if votes == 0 else ("right" if votes > 0 else "left")


class Proposer(QObject):
    """The proposal actions of one main window (the window owns the QActions)."""

    def __init__(self, host: "DocumentHost", window: "Shell") -> None:
        super().__init__(window.widget())
        self.host = host
        self.w = window
        self.span: SpanState | None = None
        self.carry: CarryState | None = None
        # another film: stop waiting for span / anchor clicks on the previous one
        host.documentChanged.connect(lambda _doc: self.cancel())

    @property
    def doc(self):
        return self.host.doc

    def _status(self, text: str, ms: int = 8000) -> None:
        self.w.statusBar().showMessage(text, ms)

    def _after(self, levels: list[Level], warnings: list[str], done: dict | None = None) -> None:
        """Show the result: the first proposed level selected, warnings said."""
        if done is not None:
            kept = [lv for lv in levels if lv not in done]
            levels = [lv for lv in levels if lv in done]
            if not levels:
                self._status("Nothing proposed: " + ", ".join(str(lv) for lv in kept)
                             + " already has the reader's points (delete them to propose)", 8000)
                return
        if levels:
            self.w.select_level(levels[0], centre=False)
        low = [lv for lv in levels
               if any(p.low_confidence for p in self.doc.reading.vertebra(lv).proposals.values()
                      if p.pending)]
        msg = f"Proposed {', '.join(str(lv) for lv in levels)}" if len(levels) <= 3 else \
            f"Proposed {len(levels)} levels ({levels[0]}–{levels[-1]})"
        msg += ": Enter accepts all, drag a point to correct it"
        if low:
            msg += f"; low confidence on {', '.join(str(lv) for lv in low)}"
        from vfa.reading.autoplace.film import modality_note
        note = modality_note(self.doc.radiograph)
        if note:
            msg += f". {note}"
        self._status(msg, 12000)
        if warnings:
            dialogs.show_warning(self.w.widget(), "Check the proposals:\n\n" + "\n".join(
                f"• {w}" for w in warnings), "Proposed points")

    @property
    def waiting(self) -> bool:
        """A span or a carry-forward is waiting for clicks."""
        return self.span is not None or self.carry is not None

    def facing(self) -> str | None:
        """The film's facing as the reader's own points (placed, accepted or moved) show it,
        else None (decided from the image by each proposal). Read from the reading every
        time, so that undo and reject take it back with the points."""
        return facing_of(self.doc.reading)

    def _fail(self, exc: BaseException, title: str) -> None:
        text = describe_error(exc)
        self._status(f"⚠ {text}", 10000)
        dialogs.show_error(self.w.widget(), text, title)

    # ------------------------------------------------------------------ one click
    def click(self, x: float, y: float) -> bool:
        """A click on the film with the Propose tool (or during Propose spine)."""
        if self.doc is None:
            return False
        if self.span is not None:
            return self._span_click(x, y)
        if self.carry is not None:
            return self._carry_click(x, y)
        return self.propose_at(x, y)

    def propose_at(self, x: float, y: float, level: Level | None = None) -> bool:
        """Propose the six points of ``level`` (default: the guide's current level) from a
        click inside its body."""
        doc = self.doc
        lv = level or doc.guide.level
        if lv is None:
            self._status("All levels are done: choose a level (Level box, [ or ]) to propose", 6000)
            return False
        from vfa.reading.autoplace.vertebra import propose_vertebra
        try:
            with busy_cursor():
                fit = propose_vertebra(doc.film_image(), (x, y), facing=self.facing())
        except VfaError as exc:
            self._fail(exc, f"Propose {lv}")
            return False
        done = doc.propose({lv: fit.proposals("one-click")}, f"propose {lv}")
        if done is None:
            return False
        self._after([lv], [f"{lv}: {w}" for w in fit.warnings], done)
        return bool(done)

    # ------------------------------------------------------------------ two clicks
    def start_span(self) -> bool:
        """Propose spine…: ask the two levels, then collect two clicks."""
        if self.doc is None:
            self._status("Open a film first", 4000)
            return False
        self.cancel()
        g = self.doc.guide.level
        first = g if g is not None and g != Level.L4 else Level.T4
        levels = dialogs.ask_span_levels(self.w.widget(), first, Level.L4)
        if not levels:
            return False
        a, b = levels
        if a.index > b.index:
            a, b = b, a
        self.span = SpanState((a, b))
        self.w.set_tool("propose")
        self.w.show_guide_text(self.span.text)
        return True

    def cancel(self) -> None:
        """Esc, another tool or another film: stop waiting for span / anchor clicks."""
        if self.span is not None or self.carry is not None:
            what = "Propose spine" if self.span is not None else "Carry forward"
            self.span = self.carry = None
            self.w.show_guide_text(None)
            self._status(f"{what} cancelled", 3000)

    def level_chosen(self, level: Level) -> None:
        """The reader chose a level (Level box, [ ]) while the anchor click is awaited."""
        if self.carry is not None and level in self.carry.levels:
            self.carry.anchor = level
            self.w.show_guide_text(self.carry.text)

    def _span_click(self, x: float, y: float) -> bool:
        sp = self.span
        assert sp is not None     # (click() checked)
        sp.clicks.append((x, y))
        if len(sp.clicks) < 2:
            self.w.show_guide_text(sp.text)
            return True
        self.span = None
        self.w.show_guide_text(None)
        (la, lb), (ca, cb) = sp.levels, sp.clicks
        from vfa.reading.autoplace.spine import propose_span
        doc = self.doc
        try:
            with busy_cursor():
                film = doc.film_image()
            facing = self.facing()
            res = run_busy(self.w.widget(), f"Proposing {la}–{lb}…",
                           lambda: propose_span(film, (la, ca), (lb, cb), facing=facing))
        except VfaError as exc:
            self._fail(exc, "Propose spine")
            return False
        props = {lv: f.proposals("span") for lv, f in res.fits.items()}
        done = doc.propose(props, f"propose {la}–{lb}")
        if done is None:
            return False
        warnings = list(res.warnings)
        if not res.confirmed and not any("confirm" in w for w in warnings):
            warnings.append(f"the number of vertebrae between {la} and {lb} could not be "
                            "confirmed: check the labels")
        levels = [lv for lv in LEVELS if lv in props]
        self._after(levels, warnings, done)
        return bool(done)

    # ------------------------------------------------------------------ carry forward
    def earlier_readings(self) -> list:
        """The patient's saved readings of other films, oldest first."""
        ws, doc = self.w.workspace, self.doc
        if ws is None or doc is None or not doc.reading.patient_id:
            return []
        return [r for r in ws.readings_for_patient(doc.reading.patient_id)
                if r.sop_instance_uid != doc.reading.sop_instance_uid]

    def carry_forward(self) -> bool:
        """Carry forward from visit…: pick an earlier reading, then the anchor click."""
        doc = self.doc
        if doc is None:
            self._status("Open a film first", 4000)
            return False
        self.cancel()
        title = "Carry forward"
        try:
            others = self.earlier_readings()
        except VfaError as exc:
            self._fail(exc, title)
            return False
        others = [r for r in others if any(v.complete for v in r)]
        if not others:
            dialogs.show_error(self.w.widget(), "There is no other saved reading of this patient with "
                               "complete vertebrae to carry forward. Save the reading of an "
                               "earlier visit first.", title)
            return False
        cur = doc.reading.study_date
        items = []
        default = len(others) - 1
        for i, r in enumerate(others):
            n = sum(1 for v in r if v.complete)
            when = r.study_date.isoformat() if r.study_date else "undated"
            items.append(f"{when} — reader {r.reader or 'unknown'} — {n} vertebrae")
            if cur is not None and r.study_date is not None and r.study_date < cur:
                default = i          # the latest visit before this one
        idx = dialogs.ask_item(self.w.widget(), title, "Carry the points of which visit onto this film?",
                               items, default)
        if idx is None:
            return False
        earlier = others[idx]
        when = earlier.study_date.isoformat() if earlier.study_date else "undated visit"
        from vfa.outputs.report_pdf import film_for
        ws = self.w.workspace     # (not None: the earlier readings are its)
        rec = ws.index.image(earlier.sop_instance_uid) if ws is not None else None
        path = film_for(earlier, None, rec.path if rec else None)
        if path is None:
            dialogs.show_error(self.w.widget(), f"The film of the {when} visit was not found "
                               f"({earlier.image_path or 'no path recorded'}): open it once so "
                               "that the workspace knows where it is.", title)
            return False
        levels = [v.level for v in earlier if v.complete]
        anchor = Level.L1 if Level.L1 in levels else levels[len(levels) // 2]
        self.carry = CarryState(earlier, Path(path), when, levels, anchor)
        self.w.set_tool("propose")
        self.w.show_guide_text(self.carry.text)
        return True

    def _carry_click(self, x: float, y: float) -> bool:
        """The anchor click: carry the earlier reading, pinned at (anchor level, click)."""
        st, doc = self.carry, self.doc
        assert st is not None     # (click() checked)
        self.carry = None
        self.w.show_guide_text(None)
        from vfa.reading.autoplace.carry import carry_forward
        from vfa.reading.autoplace.film import film_from_radiograph
        from vfa.films.radiograph import load_radiograph
        facing = self.facing()
        try:
            with busy_cursor():
                film = doc.film_image()

            def work():
                earlier_film = film_from_radiograph(load_radiograph(st.film_path))
                return carry_forward(st.earlier, earlier_film, film, facing=facing,
                                     anchor=(st.anchor, (x, y)))
            res = run_busy(self.w.widget(), f"Carrying forward the {st.when} reading…", work)
        except VfaError as exc:
            self._fail(exc, "Carry forward")
            return False
        done = doc.propose(res.proposals, f"carry forward from {st.when}")
        if done is None:
            return False
        levels = [lv for lv in LEVELS if lv in res.proposals]
        self._after(levels, list(res.warnings), done)
        return bool(done)

    # ------------------------------------------------------------------ snap to edges
    SNAP_SETTING = "propose/snap"

    @property
    def snapping(self) -> bool:
        """Snap clicks to edges is on."""
        return self.w.a_snap.isChecked()

    def snap_toggled(self) -> None:
        on = self.snapping
        self.w.settings.setValue(self.SNAP_SETTING, "true" if on else "false")
        self._status("Snap clicks to edges: on — placed and dropped points move onto the "
                     "nearby corner or endplate edge, as proposals to accept (Enter)" if on else
                     "Snap clicks to edges: off — points stay where they are clicked", 6000)

    def _inward(self, level: Level, slot: PointSlot, xy) -> tuple[float, float] | None:
        """From ``xy`` towards the centre of the level's other points, when they lie on
        both endplates (points of one endplate only would give a direction along it, which
        would mislead the refinement about which side is the body); else None."""
        v = self.doc.reading.get(level)
        if v is None:
            return None
        others = [v.points[s] for s in POINT_SLOTS if s is not slot and s in v.points]
        ends = {s.value.split("_")[0] for s in POINT_SLOTS if s is not slot and s in v.points}
        if len(ends) < 2:
            return None
        cx = sum(p[0] for p in others) / len(others)
        cy = sum(p[1] for p in others) / len(others)
        d = (cx - xy[0], cy - xy[1])
        return d if d != (0.0, 0.0) else None

    def refine(self, level: Level, slot: PointSlot, x: float, y: float):
        """:func:`~vfa.reading.autoplace.refine.refine_point` for ``level``/``slot`` at (x, y): a
        ``RefineResult``, or the reason (str) it could not run."""
        from vfa.reading.autoplace.refine import refine_point
        try:
            with busy_cursor():
                return refine_point(self.doc.film_image(), slot, (x, y),
                                    inward=self._inward(level, slot, (x, y)))
        except VfaError as exc:
            return describe_error(exc)

    def _say(self, level: Level, slot: PointSlot, xy, res) -> None:
        """What snapping did, in the status bar."""
        name = f"{level} {slot.value.replace('_', ' ')}"
        if isinstance(res, str):
            self._status(f"{name}: left where clicked (not snapped: {res})", 8000)
        elif res.moved:
            sp = self.doc.reading.spacing
            d = distance(xy, (res.x, res.y), sp.row_mm, sp.col_mm)
            what = "endplate edge" if slot.value.endswith("middle") else "corner"
            low = " — low, check it" if res.proposal().low_confidence else ""
            self._status(f"{name}: snapped {d:.1f} {sp.unit} to the {what} (confidence "
                         f"{res.confidence:.2f}{low}): Enter accepts, drag to correct", 10000)
        else:
            why = "too close to the film's edge" if "film's edge" in res.reason else "weak edge"
            self._status(f"{name}: left where clicked: {why}", 8000)

    def place_snapped(self, x: float, y: float) -> bool:
        """A guided click of the Place tool with snapping on: the guide's next point is
        refined; moved → a pending 'refine' proposal, else the reader's point at (x, y)."""
        doc = self.doc
        t = doc.guide.target if doc is not None else None
        if t is None:
            return doc.place(x, y) if doc is not None else False
        res = self.refine(t.level, t.slot, x, y)
        if not isinstance(res, str) and res.moved:
            ok = doc.place_proposal(res.proposal())
        else:
            ok = doc.place(x, y)
        if ok:
            self._say(t.level, t.slot, (x, y), res)
        return ok

    def drop(self, level: Level, slot: PointSlot) -> None:
        """The end of a point's drag: one undo step; with snapping on, the drop point is
        refined (not when the drag did not move the point, nor for a point the tool already
        refined: dragging it is the reader's correction)."""
        doc = self.doc
        v = doc.reading.get(level)
        prev = v.proposals.get(slot) if v is not None else None
        if not (self.snapping and doc.drag_moved and v is not None and slot in v.points):
            doc.end_drag(level, slot)
            return
        if prev is not None and prev.method == "refine":
            doc.end_drag(level, slot)
            self._status(f"{level} {slot.value.replace('_', ' ')}: your correction kept "
                         "(a snapped point is not snapped again)", 6000)
            return
        x, y = v.points[slot]
        res = self.refine(level, slot, x, y)
        moved = not isinstance(res, str) and res.moved
        doc.end_drag(level, slot, res.proposal() if moved else None)
        self._say(level, slot, (x, y), res)

    # ------------------------------------------------------------------ accept / reject
    def _level(self) -> Level | None:
        """The level an Accept/Reject level acts on: the selected one, else the guide's,
        else the only level with pending proposals."""
        doc = self.doc
        pending = doc.pending_levels()
        for lv in (doc.current_level, doc.guide.level):
            if lv is not None and lv in pending:
                return lv
        return pending[0] if len(pending) == 1 else None

    def _level_to_decide(self) -> Level | None:
        """:meth:`_level` for Accept/Reject level, telling the reader when there is none."""
        if self.doc is None:
            return None
        lv = self._level()
        if lv is None:
            self._status("Select a level with proposed points first", 4000)
        return lv

    def accept_all(self) -> bool:
        if self.doc is None:
            return False
        n = len(self.doc.pending_levels())
        if not n:
            self._status("No proposed points to accept", 3000)
            return False
        take, skipped = self.doc.accept_all_proposals()
        left = "; ".join(f"{lv} {why}" for lv, why in skipped.items())
        if skipped:
            msg = (f"Accepted {len(take)} level(s); left for you to check and accept one by one "
                   f"(Ctrl+Enter): {left}") if take else \
                f"Nothing accepted: check these levels and accept them one by one (Ctrl+Enter): {left}"
            self.w.select_level(next(iter(skipped)), centre=False)
            self._status(msg, 15000)
        elif take:
            self._status(f"Accepted the proposals of {len(take)} level(s)", 5000)
        return bool(take)

    def accept_level(self) -> bool:
        lv = self._level_to_decide()
        if lv is None:
            return False
        return self.doc.accept_proposals([lv])

    def reject_level(self) -> bool:
        lv = self._level_to_decide()
        if lv is None:
            return False
        ok = self.doc.reject_proposals([lv])
        if ok:
            self.w.select_level(lv, centre=False)
        return ok

    def reject_all(self) -> bool:
        if self.doc is None or not self.doc.pending_levels():
            return False
        return self.doc.reject_proposals(None)


__all__ = ["CarryState", "Proposer", "SpanState", "facing_of"]

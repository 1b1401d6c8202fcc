"""Adjudication of two readers' readings of one film into a consensus reading (domain.md §7).

The consensus is a normal reading (reader :data:`CONSENSUS`) so that every export (SR, PDF,
CSV) takes it unchanged. Each of its vertebrae records who decided it in the optional JSON key
``decided_by``: ``"agreement"`` for a concordant level, else the adjudicator's name.

* Concordant levels (:func:`vfa.method.agreement.LevelPair.discordance` is None) take the FIRST
  reader's vertebra (points, status, type, note) and the agreed grade as the reader grade:
  the common final grade, or the first reader's when the two differ by less than one grade
  without crossing the fracture line (0 against 0.5). Levels both readers left not evaluable
  stay not evaluable (first reader's reason); levels neither read are left out.
* Discordant levels (fracture, grade or evaluability) need a :class:`Decision`: the final
  grade (or not evaluable, with a reason) and whose points to keep (``A`` / ``B`` or the
  reader's name; default the reader whose final grade equals the decision, else the first).
  The adjudicator's decisions are final.

The state of an adjudication in progress (the viewer's adjudication mode) is
:class:`Adjudication`: the discordant levels, the decisions so far, and ``consensus()`` once
every level is decided.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from vfa.method.agreement import LevelPair, pair_levels
from vfa.errors import VfaError
from vfa.method.levels import Level, Status, parse_grade
from vfa.reading.reading import Reading, VertebraReading

CONSENSUS = "consensus"
AGREEMENT = "agreement"
DECIDED_BY = "decided_by"


class AdjudicationError(VfaError):
    """Two readings cannot be adjudicated, or a decision is missing or malformed."""


def decided_by(v: VertebraReading | None) -> str | None:
    """Who decided a consensus vertebra (None on an ordinary reading)."""
    if v is None:
        return None
    val = v.extra.get(DECIDED_BY)
    return val if isinstance(val, str) and val else None


@dataclass(frozen=True)
class Decision:
    """The adjudicator's decision on one level."""

    level: Level
    grade: float | None                 # None with not_evaluable
    points_from: str | None = None      # 'A', 'B' or a reader name; None = automatic
    not_evaluable: bool = False
    reason: str | None = None

    @classmethod
    def parse(cls, level: Any, grade: Any, points_from: Any = None, reason: Any = None) -> "Decision":
        try:
            lv = Level.parse(level)
        except ValueError as exc:
            raise AdjudicationError(f"decision level: {exc}") from None
        if isinstance(grade, str) and grade.strip().lower() in ("ne", "not_evaluable", "not evaluable"):
            return cls(lv, None, points_from or None, True,
                       str(reason) if reason else "not evaluable (adjudication)")
        try:
            g = parse_grade(float(grade) if isinstance(grade, str) else grade)
        except (TypeError, ValueError):
            raise AdjudicationError(f"decision for {lv}: grade must be 0, 0.5, 1, 2, 3 or "
                                    f"'not_evaluable', got {grade!r}") from None
        if g is None:
            raise AdjudicationError(f"decision for {lv}: a grade is needed")
        return cls(lv, float(g), points_from or None, False, None)


def _check_same_film(a: Reading, b: Reading) -> None:
    if not a.sop_instance_uid or a.sop_instance_uid != b.sop_instance_uid:
        raise AdjudicationError("the two readings are not of the same film (SOP Instance UIDs "
                                f"{a.sop_instance_uid or '?'} and {b.sop_instance_uid or '?'}); "
                                "adjudicate two readings of one film")
    if (a.reader or "") == (b.reader or ""):
        raise AdjudicationError(f"both readings are by {a.reader or 'an unnamed reader'}; "
                                "adjudication needs two readers")
    if CONSENSUS in (a.reader, b.reader):
        raise AdjudicationError("one of the readings is already the consensus; give the two "
                                "readers' readings")


@dataclass
class Adjudication:
    """Two readings of one film, their discordant levels and the decisions taken so far."""

    a: Reading
    b: Reading
    adjudicator: str
    decisions: dict[Level, Decision] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_same_film(self.a, self.b)
        if not self.adjudicator or self.adjudicator in (AGREEMENT, CONSENSUS):
            raise AdjudicationError("name the adjudicator (not 'agreement' or 'consensus')")
        self.pairs = pair_levels(self.a, self.b)

    @property
    def discordant(self) -> list[LevelPair]:
        return [p for p in self.pairs if p.discordance is not None]

    @property
    def undecided(self) -> list[LevelPair]:
        return [p for p in self.discordant if p.level not in self.decisions]

    @property
    def complete(self) -> bool:
        return not self.undecided

    def reader_key(self, who: str | None) -> str:
        """'A' or 'B' from 'A', 'B' or a reader's name."""
        if who is None:
            return "A"
        if who in ("A", "a", self.a.reader):
            return "A"
        if who in ("B", "b", self.b.reader):
            return "B"
        raise AdjudicationError(f"points from {who!r}: give A, B, {self.a.reader} or {self.b.reader}")

    def decide(self, decision: Decision) -> None:
        """Record the decision on a discordant level (a concordant level is refused)."""
        if decision.level not in {p.level for p in self.discordant}:
            raise AdjudicationError(f"{decision.level} is not discordant between {self.a.reader} "
                                    f"and {self.b.reader}: it is decided by agreement")
        self.reader_key(decision.points_from)  # validates
        self.decisions[decision.level] = decision

    def points_source(self, level: Level | str) -> str:
        """'A' or 'B': whose points the decided level keeps -- the reader named in the
        decision, else the reader whose final grade the adjudicator chose (A on a tie)."""
        lv = Level.parse(level)
        d = self.decisions[lv]
        if d.points_from:
            return self.reader_key(d.points_from)
        p = next(p for p in self.pairs if p.level is lv)
        return "B" if (d.grade is not None and p.grade_b == d.grade and p.grade_a != d.grade) else "A"

    def undo(self, level: Level | str) -> None:
        self.decisions.pop(Level.parse(level), None)

    def describe_undecided(self) -> str:
        return ", ".join(f"{p.level} ({self.a.reader} {_g(p.grade_a, p.status_a)}, "
                         f"{self.b.reader} {_g(p.grade_b, p.status_b)})" for p in self.undecided)

    def consensus(self) -> Reading:
        """The consensus reading; AdjudicationError names the levels still undecided."""
        if not self.complete:
            raise AdjudicationError(
                f"{len(self.undecided)} discordant level(s) need the adjudicator's decision: "
                f"{self.describe_undecided()}; decide them (--level L --grade G, or a decisions file)")
        a, b = self.a, self.b
        out = a.copy()
        out.reader = CONSENSUS
        out.vertebrae = {}
        out.extra = {k: v for k, v in copy.deepcopy(a.extra).items() if k != "adjudication"}
        out.extra["adjudication"] = {
            "readers": [a.reader, b.reader], "adjudicator": self.adjudicator,
            "discordant_levels": [p.level.value for p in self.discordant],
            "decided_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        for p in self.pairs:
            if p.discordance is None:
                if p.status_a == "not_read" and p.status_b == "not_read":
                    continue
                src = a.get(p.level) if p.status_a != "not_read" else b.get(p.level)
                if src is None:
                    continue
                v = copy.deepcopy(src)
                v.proposals = {}
                if p.grade_a is not None:
                    v.reader_grade = parse_grade(p.grade_a)
                elif p.grade_b is not None:
                    v.reader_grade = parse_grade(p.grade_b)
                v.confirmed = v.reader_grade is not None   # the agreed grade is final
                v.extra[DECIDED_BY] = AGREEMENT
            else:
                d = self.decisions[p.level]
                key = self.points_source(p.level)
                src = (a if key == "A" else b).get(p.level)
                if src is None or (src.status is Status.NOT_EVALUABLE and not d.not_evaluable):
                    other = (b if key == "A" else a).get(p.level)
                    if other is not None and other.status is Status.EVALUABLE:
                        src = other
                v = copy.deepcopy(src) if src is not None else VertebraReading(p.level)
                v.proposals = {}
                if d.not_evaluable:
                    v.status, v.reason, v.reader_grade = Status.NOT_EVALUABLE, d.reason, None
                else:
                    v.status, v.reason = Status.EVALUABLE, None
                    v.reader_grade = parse_grade(d.grade)
                v.confirmed = v.reader_grade is not None   # the adjudicator's grade is final
                v.extra[DECIDED_BY] = self.adjudicator
            v.level = p.level
            out.vertebrae[p.level] = v
        return out


def _g(grade: float | None, status: str) -> str:
    if grade is None:
        return status.replace("_", " ")
    return "0.5" if grade == 0.5 else str(int(grade))


def adjudicate(a: Reading, b: Reading, adjudicator: str,
               decisions: Iterable[Decision] = ()) -> Reading:
    """The consensus reading of ``a`` (first reader) and ``b``; see the module docstring."""
    adj = Adjudication(a, b, adjudicator)
    for d in decisions:
        adj.decide(d)
    return adj.consensus()


def load_decisions(path: str | Path) -> tuple[str | None, dict[str, list[Decision]]]:
    """A decisions file: JSON ``{"adjudicator": NAME, "decisions": [{"sop_instance_uid": UID,
    "level": "T12", "grade": 2, "points_from": "A", "reason": ...}, ...]}`` (a plain list is
    accepted too; ``sop_instance_uid`` may be omitted when one film is adjudicated). Returns
    (adjudicator or None, decisions by SOP Instance UID; key "" = any film)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AdjudicationError(f"cannot read decisions file {p}: {exc.strerror}") from None
    except ValueError as exc:
        raise AdjudicationError(f"decisions file {p} is not valid JSON: {exc}") from None
    adjudicator = None
    if isinstance(data, dict):
        adjudicator = data.get("adjudicator")
        data = data.get("decisions")
    if not isinstance(data, list):
        raise AdjudicationError(f"decisions file {p}: expected a list of decisions "
                                "(or an object with 'decisions')")
    out: dict[str, list[Decision]] = {}
    for i, e in enumerate(data):
        if not isinstance(e, dict) or "level" not in e:
            raise AdjudicationError(f"decisions file {p}: entry {i} needs 'level' and 'grade'")
        grade = e.get("grade", e.get("decision"))
        if grade is None and e.get("status") == "not_evaluable":
            grade = "not_evaluable"
        d = Decision.parse(e["level"], grade, e.get("points_from"), e.get("reason"))
        out.setdefault(str(e.get("sop_instance_uid") or ""), []).append(d)
    return adjudicator, out


def adjudication_queue(workspace: Any, adjudicator: str,
                       readers: "list[str] | None" = None) -> list[Adjudication]:
    """The films of a workspace (an open :class:`vfa.storage.workspace.Workspace`) read by
    both readers that have discordant levels, each as an
    :class:`Adjudication` (the viewer's adjudication mode works through these)."""
    from vfa.method.agreement import pair_by_sop
    readings = [r for r in workspace.saved_readings() if r.reader != CONSENSUS]
    try:
        _, pairs, _ = pair_by_sop(readings, readers)
    except ValueError as exc:
        raise AdjudicationError(str(exc)) from None
    out = [Adjudication(a, b, adjudicator) for a, b in pairs]
    return sorted((x for x in out if x.discordant), key=lambda x: x.a.sop_instance_uid)

"""Bulk confirmation of suggested grades (domain.md §3).

"Confirm all graded levels" confirms only the levels whose suggestion stands on full
evidence. It skips, and says why:

* levels whose crush could not be assessed (too few reference levels: the suggestion rests on
  wedge and biconcave alone);
* levels with proposed points not yet accepted (the points are the software's, not the
  reader's);
* levels whose proposal was flagged low-confidence (a proposed point below
  :data:`vfa.reading.proposal.LOW_CONFIDENCE` that the reader accepted as it stood rather than
  moving it).

Those levels are confirmed one by one (:meth:`vfa.reading.reading.Reading.set_confirmed`).
This module sits above the reading model so that the model does not import the morphometry.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vfa.method.levels import Level
from vfa.method.morphometry import measure_reading
from vfa.method.settings import MethodSettings
from vfa.reading.reading import Reading, ReadingEvent, ReadingEventKind

SKIP_CRUSH_NA = "crush n/a (too few reference levels)"
SKIP_PENDING = "proposed points not yet accepted"
SKIP_LOW_CONFIDENCE = "low-confidence proposal"


@dataclass
class BulkConfirmation:
    """What a bulk confirmation did: the levels confirmed and those skipped, with reasons."""

    confirmed: list[Level] = field(default_factory=list)
    skipped: list[tuple[Level, str]] = field(default_factory=list)

    def summary(self) -> str:
        """"Confirmed 9 levels; skipped 3: 2 crush n/a (too few reference levels) (T4, T5),
        1 proposed points not yet accepted (L2) — confirm those one by one"."""
        n = len(self.confirmed)
        text = f"Confirmed {n} level{'s' if n != 1 else ''}"
        if not self.skipped:
            return text
        by_reason: dict[str, list[str]] = {}
        for lv, why in self.skipped:
            by_reason.setdefault(why, []).append(lv.value)
        counts = Counter(why for _, why in self.skipped)
        parts = [f"{counts[why]} {why} ({', '.join(levels)})" for why, levels in by_reason.items()]
        return f"{text}; skipped {len(self.skipped)}: " + ", ".join(parts) + " — confirm those one by one"


def low_confidence_proposal(reading: Reading, level: Level) -> bool:
    """The level holds a proposed point flagged low-confidence that the reader did not move."""
    v = reading.vertebrae.get(level)
    if v is None:
        return False
    return any(p.low_confidence and p.state != "moved" for p in v.proposals.values())


def confirm_graded(reading: Reading, settings: MethodSettings | None = None) -> BulkConfirmation:
    """Confirm every level with a final grade not yet confirmed whose suggestion stands on
    full evidence; emits a 'confirm' event per level confirmed."""
    out = BulkConfirmation()
    for r in measure_reading(reading, settings):
        v = reading.vertebrae.get(r.level)
        if v is None or not r.graded or v.confirmed:
            continue
        if v.pending_proposals:
            out.skipped.append((r.level, SKIP_PENDING))
        elif low_confidence_proposal(reading, r.level):
            out.skipped.append((r.level, SKIP_LOW_CONFIDENCE))
        elif r.crush_na:
            out.skipped.append((r.level, SKIP_CRUSH_NA))
        else:
            v.confirmed = True
            out.confirmed.append(r.level)
            reading.events.emit(ReadingEvent(ReadingEventKind.CONFIRM, r.level))
    return out


__all__ = ["BulkConfirmation", "confirm_graded", "low_confidence_proposal", "SKIP_CRUSH_NA",
           "SKIP_LOW_CONFIDENCE", "SKIP_PENDING"]

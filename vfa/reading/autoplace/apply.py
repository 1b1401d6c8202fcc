"""Putting proposals into a reading (what the CLI writes and the viewer shows)."""

from __future__ import annotations

from typing import Any, Mapping

from vfa.method.levels import Level, PointSlot
from vfa.reading.reading import Reading
from vfa.reading.proposal import Proposal


def apply_to_reading(reading: Reading, proposals: Mapping[Level | str, Mapping[PointSlot | str, Proposal]],
                     *, replace_placed: bool = False) -> dict[Level, list[PointSlot]]:
    """Add proposals to ``reading`` (state 'proposed'; points the reader placed or moved
    are kept unless ``replace_placed``). Emits the reading's usual 'point' events; returns
    the slots set per level."""
    done: dict[Level, list[PointSlot]] = {}
    for lv, props in proposals.items():
        slots = reading.propose(lv, dict(props), replace_placed=replace_placed)
        if slots:
            done[Level.parse(lv)] = slots
    return done


def proposed_reading(radiograph: Any, proposals: Mapping[Any, Mapping[Any, Proposal]],   # Level/PointSlot or names
                     reader: str | None = None) -> Reading:
    """A new reading of ``radiograph`` (:meth:`Reading.for_radiograph`) holding ``proposals``."""
    r = Reading.for_radiograph(radiograph, reader=reader)
    apply_to_reading(r, proposals)
    return r

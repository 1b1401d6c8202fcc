"""Putting proposals into a reading (what the CLI writes and the viewer shows)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

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


# ------------------------------------------------------------------------------ a film to a file
@dataclass(frozen=True)
class ProposeResult:
    """What :func:`propose_file` wrote: the proposed reading, how it was proposed, the
    warnings for the reader, and the time it took."""

    path: Path
    reading: Reading
    levels: int                 # levels proposed
    how: str
    warnings: tuple[str, ...]
    seconds: float


def _click(*click: str | float) -> tuple[Level, tuple[float, float]]:
    """(LEVEL, X, Y) as given on a command line or in code."""
    from vfa.reading.autoplace.film import AutoplaceError
    level, x, y = click
    try:
        lv = Level.parse(str(level))
    except ValueError as exc:
        raise AutoplaceError(str(exc)) from None
    try:
        xy = (float(x), float(y))
    except ValueError:
        raise AutoplaceError(f"{lv}: coordinates {x!r} {y!r} are not numbers") from None
    if not all(math.isfinite(v) for v in xy):
        raise AutoplaceError(f"{lv}: coordinates must be finite numbers")
    return lv, xy


def _check_inside(rg: Any, lv: Level, xy: tuple[float, float]) -> None:
    from vfa.reading.autoplace.film import AutoplaceError
    if not (0 <= xy[0] <= rg.cols and 0 <= xy[1] <= rg.rows):
        raise AutoplaceError(f"{lv}: the click ({xy[0]:g}, {xy[1]:g}) is outside the film "
                             f"({rg.cols} x {rg.rows} pixels)")


def _earlier_film_path(earlier_path: Path, image_path: str | None, given: str | os.PathLike[str] | None) -> Path:
    from vfa.reading.autoplace.film import AutoplaceError
    if given:
        return Path(given)
    if not image_path:
        raise AutoplaceError(f"{earlier_path} does not say which film it was read on: "
                             "give the earlier film with --earlier-film")
    from vfa.reading.reading import image_path_candidates
    for c in image_path_candidates(image_path, earlier_path):
        if c.is_file():
            return c
    raise AutoplaceError(f"the earlier film {image_path} (from {earlier_path}) was not found: "
                         "give it with --earlier-film")


Click = Sequence[str | float]


def propose_file(film: str | os.PathLike[str], out: str | os.PathLike[str], *,
                 at: Sequence[Click] | None = None, span: Sequence[str | float] | None = None,
                 earlier: str | os.PathLike[str] | None = None,
                 earlier_film: str | os.PathLike[str] | None = None, anchor: Click | None = None,
                 any_patient: bool = False, facing: str | None = None,
                 reader: str | None = None) -> ProposeResult:
    """Propose six points per vertebra on ``film`` and save the proposed reading to ``out``
    (``vfa propose``): from clicks ``at`` (LEVEL, X, Y each), a ``span`` (LEVEL, X, Y,
    LEVEL2, X2, Y2) or an ``earlier`` reading carried forward (its film: ``earlier_film`` or
    its image_path; ``anchor``: a click pinning the alignment). Raises a
    :class:`~vfa.errors.VfaError` for bad input."""
    import time

    from vfa.errors import VfaError
    from vfa.films.radiograph import load_radiograph
    from vfa.reading.autoplace.film import AutoplaceError, film_from_radiograph, modality_note
    from vfa.reading.reading import load_reading, save_reading

    out = Path(out)
    if out.suffix.lower() != ".json":
        raise VfaError(f"output {out} must end in .json")
    if sum(x is not None for x in (at, span, earlier)) != 1:
        raise VfaError("propose from one of: clicks (--at), a span (--span) or an earlier reading (--from)")
    if anchor and earlier is None:
        raise VfaError("--anchor goes with --from (carry-forward)")
    t0 = time.perf_counter()
    rg = load_radiograph(film)
    image = film_from_radiograph(rg)
    warnings: list[str] = []
    note = modality_note(rg)
    if at is not None:
        from vfa.reading.autoplace.spine import propose_clicks
        clicks: list[tuple[Level | str, tuple[float, float]]] = [_click(*a) for a in at]
        for lv, xy in clicks:
            _check_inside(rg, Level.parse(lv), xy)
        fits, used, warnings = propose_clicks(image, clicks, facing=facing)
        proposals = {lv: f.proposals("one-click") for lv, f in fits.items()}
        for lv, f in fits.items():
            warnings += [f"{lv}: {w}" for w in f.warnings]
        how = f"one click per vertebra, facing {used}"
    elif span is not None:
        from vfa.reading.autoplace.spine import propose_span
        a, b = _click(*span[:3]), _click(*span[3:])
        for lv, xy in (a, b):
            _check_inside(rg, lv, xy)
        res = propose_span(image, a, b, facing=facing)
        proposals = {lv: f.proposals("span") for lv, f in res.fits.items()}
        warnings = list(res.warnings)
        how = f"two clicks per spine, facing {res.facing}" + ("" if res.confirmed else ", level count NOT confirmed")
    else:
        from vfa.reading.autoplace.carry import carry_forward
        earlier_path = Path(earlier)  # type: ignore[arg-type]
        before = load_reading(earlier_path, check_geometry=False)
        if (not any_patient and before.patient_id and rg.identity.patient_id
                and before.patient_id != rg.identity.patient_id):
            raise AutoplaceError(f"{earlier_path} is a reading of patient {before.patient_id!r}, the film "
                                 f"is of {rg.identity.patient_id!r}: carry forward only within one "
                                 "patient (or pass --any-patient)")
        ef_path = _earlier_film_path(earlier_path, before.image_path, earlier_film)
        earlier_rg = load_radiograph(ef_path)
        from vfa.reading.reading import check_film
        check_film(before, earlier_rg, ef_path)   # the earlier points belong to that film only
        pin = None
        if anchor:
            pin = _click(*anchor)
            _check_inside(rg, *pin)
        carried = carry_forward(before, film_from_radiograph(earlier_rg), image, facing=facing, anchor=pin)
        proposals = carried.proposals
        warnings = list(carried.warnings)
        how = (f"carried forward from {before.study_date or earlier_path.name} "
               f"(match {carried.registration_score:.2f})")
    reading = proposed_reading(rg, proposals, reader=reader)  # type: ignore[arg-type]
    save_reading(reading, out)
    return ProposeResult(out, reading, len(proposals), how, tuple(warnings + ([note] if note else [])),
                         time.perf_counter() - t0)

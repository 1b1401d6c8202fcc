"""``vfa propose FILM.dcm (--at LEVEL X Y ... | --span L X Y L X Y | --from READING.json) -o OUT.json``:
semi-automatic six-point placement (docs/semi-automatic.md).

The output is an ordinary reading file whose points are all marked as *proposed* (each with
its method and confidence); a reader accepts or moves them in the viewer.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from vfa.errors import VfaError
from vfa.method.levels import Level

NAME = "propose"
HELP = "propose six points per vertebra from one click per body, two clicks per spine, or an earlier reading"
DESCRIPTION = (
    "Propose six points per vertebra on FILM: --at LEVEL X Y (one click inside each body, "
    "repeatable), --span LEVEL X Y LEVEL X Y (two bodies; every level between them is found and "
    "labelled) or --from EARLIER.json (carry forward the reading of an earlier film of the same "
    "patient). X, Y are image coordinates (x = column, y = row, DICOM pixel convention). The "
    "output reading marks every point as proposed, with a confidence; low-confidence points are "
    "flagged.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("film", metavar="FILM.dcm")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--at", nargs=3, action="append", metavar=("LEVEL", "X", "Y"),
                      help="a click inside the body of LEVEL (repeatable)")
    mode.add_argument("--span", nargs=6, metavar=("LEVEL", "X", "Y", "LEVEL2", "X2", "Y2"),
                      help="clicks inside two bodies; all levels between are proposed")
    mode.add_argument("--from", dest="earlier", metavar="EARLIER.json",
                      help="carry forward the reading of an earlier film")
    p.add_argument("--earlier-film", metavar="FILE",
                   help="the earlier film (default: the earlier reading's image_path)")
    p.add_argument("--anchor", nargs=3, metavar=("LEVEL", "X", "Y"),
                   help="with --from: a click inside one body of the new film, to pin the alignment")
    p.add_argument("--any-patient", action="store_true",
                   help="allow --from with a reading of another Patient ID")
    p.add_argument("--facing", choices=("left", "right", "auto"), default="auto",
                   help="side of the film the anterior (belly) side is on (default: from the image)")
    p.add_argument("-o", "--output", required=True, metavar="READING.json")
    p.add_argument("--reader", help="reader name stored in the reading (default $VFA_READER)")


def _click(level: str, x: str, y: str) -> tuple[Level, tuple[float, float]]:
    from vfa.reading.autoplace.film import AutoplaceError
    try:
        lv = Level.parse(level)
    except ValueError as exc:
        raise AutoplaceError(str(exc)) from None
    try:
        xy = (float(x), float(y))
    except ValueError:
        raise AutoplaceError(f"{lv}: coordinates {x!r} {y!r} are not numbers") from None
    if not all(math.isfinite(v) for v in xy):
        raise AutoplaceError(f"{lv}: coordinates must be finite numbers")
    return lv, xy


def _check_inside(rg, lv: Level, xy: tuple[float, float]) -> None:
    from vfa.reading.autoplace.film import AutoplaceError
    if not (0 <= xy[0] <= rg.cols and 0 <= xy[1] <= rg.rows):
        raise AutoplaceError(f"{lv}: the click ({xy[0]:g}, {xy[1]:g}) is outside the film "
                             f"({rg.cols} x {rg.rows} pixels)")


def _earlier_film_path(earlier_path: Path, image_path: str | None, given: str | None) -> Path:
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


def run(args: argparse.Namespace) -> int:
    from vfa.reading.autoplace import LOW_CONFIDENCE
    from vfa.reading.autoplace.apply import proposed_reading
    from vfa.reading.autoplace.film import AutoplaceError, film_from_radiograph
    from vfa.films.radiograph import load_radiograph
    from vfa.reading.reading import load_reading, save_reading
    from vfa.storage.workspace import default_reader

    out = Path(args.output)
    if out.suffix.lower() != ".json":
        raise VfaError(f"output {out} must end in .json")
    facing = None if args.facing == "auto" else args.facing
    if args.anchor and not args.earlier:
        raise VfaError("--anchor goes with --from (carry-forward)")
    t0 = time.perf_counter()
    rg = load_radiograph(args.film)
    film = film_from_radiograph(rg)
    warnings: list[str] = []
    from vfa.reading.autoplace.film import modality_note
    note = modality_note(rg)
    if args.at:
        from vfa.reading.autoplace.spine import propose_clicks
        clicks = [_click(*a) for a in args.at]
        for lv, xy in clicks:
            _check_inside(rg, lv, xy)
        fits, used, warnings = propose_clicks(film, clicks, facing=facing)
        proposals = {lv: f.proposals("one-click") for lv, f in fits.items()}
        for lv, f in fits.items():
            warnings += [f"{lv}: {w}" for w in f.warnings]
        how = f"one click per vertebra, facing {used}"
    elif args.span:
        from vfa.reading.autoplace.spine import propose_span
        a, b = _click(*args.span[:3]), _click(*args.span[3:])
        for lv, xy in (a, b):
            _check_inside(rg, lv, xy)
        res = propose_span(film, a, b, facing=facing)
        proposals = {lv: f.proposals("span") for lv, f in res.fits.items()}
        warnings = list(res.warnings)
        how = f"two clicks per spine, facing {res.facing}" + ("" if res.confirmed else ", level count NOT confirmed")
    else:
        from vfa.reading.autoplace.carry import carry_forward
        earlier_path = Path(args.earlier)
        earlier = load_reading(earlier_path, check_geometry=False)
        if (not args.any_patient and earlier.patient_id and rg.identity.patient_id
                and earlier.patient_id != rg.identity.patient_id):
            raise AutoplaceError(f"{earlier_path} is a reading of patient {earlier.patient_id!r}, the film "
                                 f"is of {rg.identity.patient_id!r}: carry forward only within one "
                                 "patient (or pass --any-patient)")
        ef_path = _earlier_film_path(earlier_path, earlier.image_path, args.earlier_film)
        earlier_rg = load_radiograph(ef_path)
        from vfa.reading.reading import check_film
        check_film(earlier, earlier_rg, ef_path)  # the earlier points belong to that film only
        anchor = None
        if args.anchor:
            anchor = _click(*args.anchor)
            _check_inside(rg, *anchor)
        carried = carry_forward(earlier, film_from_radiograph(earlier_rg), film, facing=facing, anchor=anchor)
        proposals = carried.proposals
        warnings = list(carried.warnings)
        how = (f"carried forward from {earlier.study_date or earlier_path.name} "
               f"(match {carried.registration_score:.2f})")
    reading = proposed_reading(rg, proposals, reader=args.reader or default_reader())
    save_reading(reading, out)
    dt = time.perf_counter() - t0
    print(f"wrote {out}: {len(proposals)} level(s) proposed ({how}) in {dt:.1f} s")
    for v in reading:
        conf = min((p.confidence for p in v.proposals.values()), default=0.0)
        flag = "  LOW: check carefully" if conf < LOW_CONFIDENCE else ""
        print(f"  {v.level.value:<4} confidence {conf:.2f}{flag}")
    for w in warnings + ([note] if note else []):
        print(f"  warning: {w}")
    return 0

"""``vfa propose FILM.dcm (--at LEVEL X Y ... | --span L X Y L X Y | --from READING.json) -o OUT.json``:
semi-automatic six-point placement (docs/semi-automatic.md).

The output is an ordinary reading file whose points are all marked as *proposed* (each with
its method and confidence); a reader accepts or moves them in the viewer.
"""

from __future__ import annotations

import argparse


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


def run(args: argparse.Namespace) -> int:
    from vfa.reading.autoplace import LOW_CONFIDENCE
    from vfa.reading.autoplace.apply import propose_file
    from vfa.storage.workspace import default_reader

    res = propose_file(args.film, args.output, at=args.at, span=args.span, earlier=args.earlier,
                       earlier_film=args.earlier_film, anchor=args.anchor, any_patient=args.any_patient,
                       facing=None if args.facing == "auto" else args.facing,
                       reader=args.reader or default_reader())
    print(f"wrote {res.path}: {res.levels} level(s) proposed ({res.how}) in {res.seconds:.1f} s")
    for v in res.reading:
        conf = min((p.confidence for p in v.proposals.values()), default=0.0)
        flag = "  LOW: check carefully" if conf < LOW_CONFIDENCE else ""
        print(f"  {v.level.value:<4} confidence {conf:.2f}{flag}")
    for w in res.warnings:
        print(f"  warning: {w}")
    return 0

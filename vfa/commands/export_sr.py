"""``vfa export-sr READING.json -o OUT.dcm [--image FILM.dcm] [--time-point baseline|follow-up]
[--baseline BASELINE.json]``.

Writes the reading as a DICOM Comprehensive SR measurement report (TID 1500) that references
the film; the layout and the private ``99VFA`` codes are in docs/exports.md.
"""

from __future__ import annotations

import argparse
import sys

from vfa.commands._common import add_allow_proposed

NAME = "export-sr"
HELP = "write a reading as a DICOM structured report (TID 1500) referencing its film"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("reading", metavar="READING.json")
    p.add_argument("-o", "--output", required=True, metavar="OUT.dcm", help="SR file to write")
    p.add_argument("--image", metavar="FILM.dcm",
                   help="the film (default: the reading's image_path, relative to the reading "
                        "file's folder or the current folder)")
    p.add_argument("--time-point", choices=("baseline", "follow-up"),
                   help="time point context recorded in every measurement group")
    p.add_argument("--baseline", metavar="BASELINE.json",
                   help="the patient's baseline reading: each vertebra also carries the probability "
                        "that it truly worsened (P-CHANGE) and whether a confirmed change is within "
                        "measurement noise (docs/exports.md)")
    add_allow_proposed(p)


def run(args: argparse.Namespace) -> int:
    from vfa.reading.reading import load_reading
    from vfa.outputs.sr import export_sr  # highdicom is imported only when this command runs

    reading = load_reading(args.reading)
    baseline = load_reading(args.baseline) if args.baseline else None
    warnings: list[str] = []
    out = export_sr(reading, args.output, image=args.image, reading_path=args.reading,
                    time_point=args.time_point, allow_proposed=args.allow_proposed,
                    warnings=warnings, baseline=baseline)
    for w in warnings:
        print(f"vfa export-sr: warning: {w}", file=sys.stderr)
    n = sum(1 for v in reading if not v.empty)
    print(f"wrote {out} ({n} vertebrae)", file=sys.stderr)
    return 0

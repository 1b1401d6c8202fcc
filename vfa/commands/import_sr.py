"""``vfa import-sr SR.dcm -o READING.json [--image FILM.dcm]``: rebuild a reading from a VFA SR."""

from __future__ import annotations

import argparse
import os
import sys


NAME = "import-sr"
HELP = "rebuild a reading (JSON) from a structured report written by 'vfa export-sr'"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sr", metavar="SR.dcm")
    p.add_argument("-o", "--output", required=True, metavar="READING.json",
                   help="reading file to write")
    p.add_argument("--image", metavar="FILM.dcm",
                   help="record this film as the reading's image_path (the SR holds only its UIDs)")


def run(args: argparse.Namespace) -> int:
    from vfa.reading.reading import save_reading
    from vfa.outputs.sr import import_sr

    reading = import_sr(args.sr)
    if args.image:
        reading.image_path = os.path.abspath(args.image)
    out = save_reading(reading, args.output)
    n = sum(1 for v in reading if not v.empty)
    print(f"wrote {out} ({n} vertebrae)", file=sys.stderr)
    return 0

"""``vfa export-capture READING.json -o sc.dcm [--image FILM] [--window C,W] [--store]``.

Writes the film with the reading's markers and grades burned in, as an RGB Secondary Capture
in the film's study, for archives and viewers that show only images (docs/exports.md).
"""

from __future__ import annotations

import argparse
import sys

from vfa.commands.export_gsps import add_common, invert_of, store

NAME = "export-capture"
HELP = "write the film with the reading's markers burned in, as a DICOM secondary capture"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p, "secondary capture")
    p.add_argument("--size", type=int, default=2048, metavar="N",
                   help="longest side of the capture in pixels (default 2048; 0 = the film's size)")


def run(args: argparse.Namespace) -> int:
    from vfa.outputs.presentation import export_capture
    from vfa.reading.reading import load_reading
    from vfa.outputs.sr import find_film

    reading = load_reading(args.reading)
    film = find_film(reading, args.image, args.reading)
    out = export_capture(reading, args.output, image=film, window=args.window,
                         invert=invert_of(args, film), allow_proposed=args.allow_proposed,
                         max_size=args.size or None)
    print(f"wrote {out}", file=sys.stderr)
    if args.store:
        store(out)
    return 0

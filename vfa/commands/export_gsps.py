"""``vfa export-gsps READING.json -o pr.dcm [--image FILM] [--window C,W] [--store]``.

Writes a Grayscale Softcopy Presentation State that references the film: per level the
outline, the six points, the label and grade; the kyphosis lines; the window. Any PACS viewer
that applies presentation states shows the markers (docs/exports.md).
"""

from __future__ import annotations

import argparse
import sys

from vfa.commands._common import add_allow_proposed

NAME = "export-gsps"
HELP = "write a reading's markers as a DICOM presentation state (GSPS) on its film"


def window_arg(text: str):
    from vfa.films.radiograph import Window
    try:
        c, w = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"window {text!r} must be CENTER,WIDTH, e.g. 2048,4096") from None
    if not w > 0:
        raise argparse.ArgumentTypeError(f"window width must be positive, got {w:g}")
    return Window(c, w, "command line")


def add_common(p: argparse.ArgumentParser, what: str) -> None:
    """Arguments shared by export-gsps and export-capture."""
    p.add_argument("reading", metavar="READING.json")
    p.add_argument("-o", "--output", required=True, metavar="OUT.dcm", help=f"{what} to write")
    p.add_argument("--image", metavar="FILM.dcm",
                   help="the film (default: the reading's image_path, relative to the reading "
                        "file's folder or the current folder)")
    p.add_argument("--window", type=window_arg, metavar="C,W",
                   help="window centre and width in modality units (default: the film's own "
                        "VOI, else the automatic window; a reading does not store a window)")
    p.add_argument("--invert", action="store_true", help="display inverted (on top of MONOCHROME1)")
    p.add_argument("--store", action="store_true",
                   help="also send the file to the configured PACS (DICOMweb STOW-RS; "
                        "see `vfa pacs configure`)")
    add_allow_proposed(p)


def invert_of(args: argparse.Namespace, film_path) -> bool | None:
    """--invert flips the film's default (MONOCHROME1 is displayed inverted)."""
    if not args.invert:
        return None
    import pydicom
    ds = pydicom.dcmread(film_path, stop_before_pixels=True)
    return str(ds.get("PhotometricInterpretation", "")) != "MONOCHROME1"


def store(path) -> None:
    from vfa.films.pacs import store as stow
    (res,) = stow([path])
    print(f"stored {path} on the PACS: SOP Instance UID {res.sop_instance_uid}", file=sys.stderr)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p, "presentation state")


def run(args: argparse.Namespace) -> int:
    from vfa.outputs.presentation import export_gsps
    from vfa.reading.reading import load_reading
    from vfa.outputs.sr import find_film

    reading = load_reading(args.reading)
    film = find_film(reading, args.image, args.reading)
    out = export_gsps(reading, args.output, image=film, window=args.window,
                      invert=invert_of(args, film), allow_proposed=args.allow_proposed)
    print(f"wrote {out}", file=sys.stderr)
    if args.store:
        store(out)
    return 0

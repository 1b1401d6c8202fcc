"""``vfa render FILE -o OUT.png [--window C,W] [--size N] [--invert]``: the film as a reader sees it."""

from __future__ import annotations

import argparse

NAME = "render"
HELP = "write the display image of a film (window/level, MONOCHROME1 inversion) as PNG"


def _window(text: str) -> tuple[float, float]:
    try:
        c, w = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"window {text!r} must be CENTER,WIDTH, e.g. 2048,4096") from None
    if w <= 0:
        raise argparse.ArgumentTypeError(f"window width must be positive, got {w:g}")
    return c, w


def _size(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r} is not a whole number of pixels") from None
    if not 16 <= n <= 30000:
        raise argparse.ArgumentTypeError(f"size {n} must be between 16 and 30000 pixels")
    return n


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png")
    p.add_argument("--window", type=_window, metavar="C,W", help="window centre and width (modality units)")
    p.add_argument("--auto", action="store_true", help="automatic window from the histogram")
    p.add_argument("--size", type=_size, metavar="N", help="longest side in pixels (default: full size)")
    p.add_argument("--invert", action="store_true", help="invert once more (on top of MONOCHROME1)")
    p.add_argument("--reading", metavar="READING.json", help="draw this reading's markers and grades")


def run(args: argparse.Namespace) -> int:
    from vfa.outputs.render import render_png

    res = render_png(args.file, args.output, window=args.window, auto=args.auto, size=args.size,
                     invert=args.invert, reading=args.reading)
    print(f"wrote {res.path} ({res.width}x{res.height})")
    return 0

"""Benchmark: ``vfa scan --register`` against a plain ``vfa scan`` of the same folder.

    .venv/bin/python bench/bench_register.py [--films 200] [--big 10000] [--repeats 5]

1. A folder of ``--films`` films (512x512 16-bit pixel data each): ``vfa scan DIR`` (the
   baseline: headers only) and ``vfa scan DIR --register`` into a fresh workspace, run as
   real processes in alternation; the CPU time (user + system) of each is compared (target
   <= 3x).
2. ``--big`` synthetic films (headers and an 8x8 image each, generated here): CPU time of
   ``vfa scan --register`` (target: under 60 s for 10,000 films) and its peak memory against
   a tenth as many (target: flat, i.e. not growing with the pixel data of the films).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

import numpy as np  # noqa: E402
from pydicom.dataset import FileDataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

DX = "1.2.840.10008.5.1.4.1.1.1.1"


def write_films(folder: Path, n: int, size: int, patients: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DX
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    pixels = (np.arange(size * size, dtype=np.uint16) % 4096).tobytes()
    for i in range(n):
        meta.MediaStorageSOPInstanceUID = generate_uid()
        ds = FileDataset(str(folder / f"f{i:05d}.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = DX, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
        ds.PatientID, ds.PatientName = f"P{i % patients:05d}", f"SYNTH^{i % patients}"
        ds.PatientBirthDate, ds.PatientSex = "19500101", "F"
        ds.StudyDate, ds.Modality, ds.ViewPosition = f"20{10 + i % 14:02d}0101", "DX", "LL"
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = pixels
        ds.save_as(folder / f"f{i:05d}.dcm", enforce_file_format=True)


_PEAK = ("import resource, sys\nfrom vfa.cli import main\nrc = main(sys.argv[1:])\n"
         "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
         "sys.exit(rc)\n")


def register_peak(folder: Path, ws: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of ``vfa scan FOLDER --register`` in a fresh process."""
    c0, t0 = benchlib.children_cpu(), time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _PEAK, "scan", str(folder), "--register",
                        "--workspace", str(ws), "--json"], env=benchlib.env(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    wall, cpu = time.perf_counter() - t0, benchlib.children_cpu() - c0
    rss = int(p.stderr.split("maxrss")[-1].split()[0]) / 1024
    return wall, cpu, rss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--films", type=int, default=200)
    ap.add_argument("--big", type=int, default=10000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    print(f"vfa scan --register benchmark, {benchlib.load_average()}")
    env = benchlib.env()
    with tempfile.TemporaryDirectory(prefix="vfa-bench-reg-") as tmp:
        tmp = Path(tmp)
        films = tmp / "films"
        write_films(films, args.films, 512, max(1, args.films // 4))
        n = [0]

        def plain():
            return benchlib.run_cpu(benchlib.vfa_cmd("scan", films), env=env)

        def register():
            n[0] += 1
            return benchlib.run_cpu(benchlib.vfa_cmd("scan", films, "--register", "--workspace",
                                                     tmp / f"ws{n[0]}"), env=env)

        cpu = {"plain": [], "register": []}
        plain(), register()  # warm the page cache
        for _ in range(args.repeats):
            cpu["plain"].append(plain()[1])
            cpu["register"].append(register()[1])
        base, proj = benchlib.median(cpu["plain"]), benchlib.median(cpu["register"])
        benchlib.target(f"scan --register ({args.films} films), CPU", proj, base, 3.0,
                        note=f"baseline: plain vfa scan; {(proj - base) / args.films * 1e3:.2f} "
                             "ms CPU per film for indexing")
        if args.big:
            small_n = max(1, args.big // 10)
            write_films(tmp / "big", args.big, 8, max(1, args.big // 3))
            write_films(tmp / "small", small_n, 8, max(1, small_n // 3))
            _, cpu_small, rss_small = register_peak(tmp / "small", tmp / "ws-small")
            _, cpu_big, rss_big = register_peak(tmp / "big", tmp / "ws-big")
            benchlib.target(f"scan --register {args.big} films, CPU", cpu_big, None,
                            60.0 * args.big / 10000, absolute=True,
                            note=f"{cpu_big / args.big * 1e3:.2f} ms per film; "
                                 f"{small_n} films: {cpu_small:.1f} s")
            benchlib.target(f"scan --register peak RSS {args.big} vs {small_n} films",
                            rss_big / rss_small, None, 1.5, unit="x", absolute=True,
                            note=f"{rss_big:.0f} MB vs {rss_small:.0f} MB; the printed figure is "
                                 "the ratio; only the film list grows")
    print(f"(finished with {benchlib.load_average()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: loading and displaying a 3000x3000 16-bit film (run on demand).

    .venv/bin/python bench/bench_display.py [--size 3000] [--screen 1500] [--runs 50]

Writes two test films in a temporary folder (uncompressed Explicit VR Little Endian, and
JPEG 2000 lossless) and prints, for each, the plain pydicom decode time (dcmread +
pixel_array, the baseline), vfa's decode (load_radiograph), the full load-to-display time
(load + render at screen size) and window/level re-render times (median of --runs, a
different window each run so no LUT is cached), beside the targets, and pyqtgraph's image
paths on the same arrays for comparison.

Every baseline is timed INTERLEAVED with the project's code (baseline, project, baseline,
project, ...; medians), so a change of machine load between them does not distort ratios.
The window/level floor is a saturating SIMD window on the same stored array,
``cv2.addWeighted(stored, a, stored, 0, b, dtype=CV_8U)`` (one pass, no table: the least any
linear window can cost); vfa's output is the exact DICOM window (tests/test_display.py
proves it equal to a per-pixel float reference), the floor's only approximately.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pydicom  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, generate_uid  # noqa: E402

from vfa.films.display import DisplaySettings, Renderer, default_settings  # noqa: E402
from vfa.films.radiograph import Window, load_radiograph  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

TARGET_LOAD_RATIO = 1.3
TARGET_WL_SCREEN_MS = 2.0
TARGET_WL_FULL_MS = 12.0
#: vfa's window/level re-render against the saturating SIMD window on the same array.
TARGET_WL_SIMD_RATIO = 1.2


def make_film(n: int) -> np.ndarray:
    """A 12-bit 'lateral spine': smooth anatomy, a collimated border, quantum noise."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) / n
    img = 900 + 1800 * yy + 900 * np.exp(-((xx - 0.55) / 0.12) ** 2)
    img += 250 * np.sin(yy * 60) * np.exp(-((xx - 0.55) / 0.1) ** 2)  # 'vertebrae'
    img += rng.normal(0, 25, (n, n)).astype(np.float32)
    border = n // 20
    img[:border] = img[-border:] = 40
    img[:, :border] = img[:, -border:] = 40
    return np.clip(img, 0, 4095).astype(np.uint16)


def write_film(arr: np.ndarray, path: Path, compress: str | None = None) -> Path:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = pydicom.uid.DigitalXRayImageStorageForPresentation
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.Modality = "DX"
    ds.Rows, ds.Columns = arr.shape
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.WindowCenter, ds.WindowWidth = 2000, 3000
    ds.ImagerPixelSpacing = [0.139, 0.139]
    ds.PixelData = arr.tobytes()
    if compress:
        ds.compress(compress)
    ds.save_as(path, enforce_file_format=True)
    return path


def timed(fn, runs: int) -> tuple[float, object]:
    """Median wall time in ms of ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), result


def load_average() -> str:
    try:
        return "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "load average unknown"


def line(label: str, ms: float, base: float | None = None, target: str = "") -> None:
    ratio = f"{ms / base:5.2f}x baseline" if base else " " * 16
    print(f"  {label:<44} {ms:9.2f} ms  {ratio}  {target}")


def bench_file(path: Path, screen: int, runs: int, decode_runs: int) -> None:
    size_mb = path.stat().st_size / 1e6
    print(f"\n== {path.name} ({size_mb:.1f} MB on disk) ==")

    def plain():
        ds = pydicom.dcmread(path)
        return ds.pixel_array

    def load_to_display():
        r = load_radiograph(path)
        return Renderer(r).render(default_settings(r), screen)

    arr = plain()
    rg = load_radiograph(path)
    assert np.array_equal(rg.stored, arr)
    t = benchlib.interleaved({"plain": plain, "vfa": lambda: load_radiograph(path),
                              "l2d": load_to_display}, decode_runs)
    base = statistics.median(t["plain"]) * 1e3
    vfa_decode = statistics.median(t["vfa"]) * 1e3
    l2d = statistics.median(t["l2d"]) * 1e3
    line("baseline: dcmread + pixel_array", base)
    line("vfa load_radiograph", vfa_decode, base)
    line(f"load-to-display (load + render {screen} px)", l2d, base,
         f"target <= {TARGET_LOAD_RATIO}x  {'OK' if l2d / base <= TARGET_LOAD_RATIO else 'MISSED'}")
    benchlib.target(f"load-to-display {path.stem}", l2d / 1e3, base / 1e3, TARGET_LOAD_RATIO,
                    unit="ms", note="baseline: dcmread + pixel_array")

    t_auto, _ = timed(lambda: (rg._cache.pop("auto_window", None), rg.auto_window()), 5)
    line("auto_window (1 M-pixel sample)", t_auto)


def bench_window_level(rg, screen: int, runs: int) -> None:
    """vfa's W/L re-render and pyqtgraph's image paths, timed interleaved (fair under load)."""
    try:
        import pyqtgraph as pg
        from pyqtgraph import functions as fn
        from pyqtgraph.functions_qimage import try_make_qimage
    except Exception as exc:  # noqa: BLE001
        print(f"(pyqtgraph not available: {exc})")
        pg = None
    print(f"\n== window/level re-render (median of {runs}, a new window each run) ==")
    r = Renderer(rg)
    r.stored_at(screen)  # downsampled once, as after the first display
    lut_ms = []
    for label, size, target in (("screen", screen, TARGET_WL_SCREEN_MS),
                                ("full", None, TARGET_WL_FULL_MS)):
        arr = r.stored_at(size)
        t_vfa, t_qimg, t_argb = [], [], []
        shape = "x".join(map(str, arr.shape))
        for i in range(runs + 1):
            center = 1500.0 + 1000.0 * i / runs
            settings = DisplaySettings(Window(center, 2000.0), None, bool(i % 2))
            t0 = time.perf_counter()
            r.render(settings, size)
            t_vfa.append((time.perf_counter() - t0) * 1e3)
            t0 = time.perf_counter()
            r.lut(DisplaySettings(Window(center + 0.5, 2000.0)))
            lut_ms.append((time.perf_counter() - t0) * 1e3)
            if pg is not None:
                levels = (center - 1000.0, center + 1000.0)
                t0 = time.perf_counter()
                try_make_qimage(arr, levels=levels, lut=None)
                t_qimg.append((time.perf_counter() - t0) * 1e3)
                if i % 5 == 0:
                    t0 = time.perf_counter()
                    fn.makeARGB(arr, levels=levels)
                    t_argb.append((time.perf_counter() - t0) * 1e3)
        vfa = statistics.median(t_vfa[1:])
        line(f"vfa W/L at {label} size ({shape})", vfa, None,
             f"target <= {target:g} ms  {'OK' if vfa <= target else 'MISSED'}")
        if pg is not None:
            q = statistics.median(t_qimg[1:])
            a = statistics.median(t_argb[1:])
            line(f"  pyqtgraph {pg.__version__} functions_qimage grey path", q, None,
                 f"vfa {'faster' if vfa < q else 'SLOWER'} ({q / vfa:.2f}x)")
            line(f"  pyqtgraph {pg.__version__} makeARGB", a, None,
                 f"vfa {'faster' if vfa < a else 'SLOWER'} ({a / vfa:.2f}x)")
    line("LUT rebuild alone (65536 entries)", statistics.median(lut_ms))


def bench_wl_simd(rg, screen: int, runs: int) -> None:
    """vfa's re-render after a window change against the saturating SIMD window on the same
    stored array, interleaved, at screen size and at full size."""
    print(f"\n== window/level vs saturating SIMD window (interleaved, median of {runs}) ==")
    r = Renderer(rg)
    for label, size in (("screen", screen), ("full", None)):
        arr = r.stored_at(size)
        out = np.empty(arr.shape, dtype=np.uint8)
        i = [0]

        def window():
            i[0] += 1
            return 1500.0 + 1000.0 * (i[0] % 97) / 97, 2000.0

        def project():
            c, w = window()
            r.render(DisplaySettings(Window(c, w)), size)

        def simd():
            c, w = window()
            a = 255.0 / (w - 1.0)
            cv2.addWeighted(arr, a, arr, 0.0, (0.5 - (c - 0.5) / (w - 1.0)) * 255.0, dst=out,
                            dtype=cv2.CV_8U)

        t = benchlib.interleaved({"simd": simd, "vfa": project}, runs, warmup=3)
        shape = "x".join(map(str, arr.shape))
        benchlib.target(f"W/L re-render at {label} size ({shape})", statistics.median(t["vfa"]),
                        statistics.median(t["simd"]), TARGET_WL_SIMD_RATIO, unit="ms",
                        note="baseline: cv2.addWeighted(..., dtype=CV_8U) on the same array")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--screen", type=int, default=1500)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--decode-runs", type=int, default=7)
    args = ap.parse_args(argv)
    print(f"vfa display benchmark: {args.size}x{args.size} 16-bit (12 stored), screen "
          f"{args.screen} px, {os.cpu_count()} CPU(s), numpy {np.__version__}, pydicom "
          f"{pydicom.__version__}, {load_average()} (timings are wall clock: run on a quiet "
          "machine)")
    with tempfile.TemporaryDirectory(prefix="vfa-bench-") as tmp:
        arr = make_film(args.size)
        plain = write_film(arr, Path(tmp) / "film_explicit_le.dcm")
        t0 = time.perf_counter()
        j2k = write_film(arr, Path(tmp) / "film_j2k_lossless.dcm", JPEG2000Lossless)
        print(f"(JPEG 2000 encoding took {time.perf_counter() - t0:.1f} s)")
        bench_file(plain, args.screen, args.runs, args.decode_runs)
        bench_file(j2k, args.screen, args.runs, max(3, args.decode_runs // 2))
        bench_wl_simd(load_radiograph(plain), args.screen, args.runs)
        bench_window_level(load_radiograph(plain), args.screen, args.runs)
        print(f"\n(finished with {load_average()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

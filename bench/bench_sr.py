"""Benchmark: ``vfa export-sr`` of a 13-level reading (target <= 1.5 s).

    .venv/bin/python bench/bench_sr.py [--repeats 7]

A phantom film (vfa.synthetic.phantom) with its reference reading (13 levels, six points each, reader
grades) is written to a temporary folder. Timed, interleaved:

* in-process ``vfa.outputs.sr.export_sr`` (the export from the viewer): vfa's construction against
  highdicom's full construction (``revalidate=True``: it copies, re-parses and re-walks the
  finished content tree), which is the baseline;
* the ``vfa export-sr`` command as a fresh process (what a script waits for), against a bare
  ``python -c "import highdicom"`` (its floor).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

from vfa.outputs import sr  # noqa: E402
from vfa.synthetic.phantom import Deformity, FilmSpec, make_film, reference_reading, write_dicom  # noqa: E402
from vfa.reading.reading import save_reading  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    print(f"vfa export-sr benchmark, {benchlib.load_average()}")
    with tempfile.TemporaryDirectory(prefix="vfa-bench-sr-") as tmp:
        tmp = Path(tmp)
        spec = FilmSpec(rows=1200, cols=600, pixel_mm=0.4, seed=7,
                        deformities={"T12": Deformity("wedge", 0.3), "L1": Deformity("crush", 0.25)})
        film = make_film(spec)
        path = tmp / "film.dcm"
        ds = write_dicom(film, path, patient_id="BENCH-SR")
        reading = reference_reading(film, ds, image_path=str(path))
        reading.reader = "bench"
        for v in reading:
            if not v.empty:
                reading.set_reader_grade(v.level, 0)
        n_levels = sum(1 for v in reading if not v.empty)
        rj = save_reading(reading, tmp / "reading.json")
        header = sr.read_film_header(path, reading)

        def write(doc):
            from pydicom.filebase import DicomBytesIO
            doc.save_as(DicomBytesIO(), enforce_file_format=True)

        t = benchlib.interleaved({
            "full": lambda: write(sr.build_sr(reading, header, revalidate=True)),
            "vfa": lambda: write(sr.build_sr(reading, header)),
        }, args.repeats)
        benchlib.target(f"SR build+encode, {n_levels} levels (in-process)",
                        benchlib.median(t["vfa"]), benchlib.median(t["full"]), 0.5,
                        note="baseline: highdicom's full construction of the same tree")
        env = benchlib.env()
        out = tmp / "out.dcm"
        c = {"floor": [], "cmd": []}
        w = {"floor": [], "cmd": []}
        for _ in range(args.repeats):
            wall, cpu = benchlib.run_cpu([sys.executable, "-c", "import highdicom"], env=env)
            w["floor"].append(wall), c["floor"].append(cpu)
            wall, cpu = benchlib.run_cpu(benchlib.vfa_cmd("export-sr", rj, "-o", out), env=env)
            w["cmd"].append(wall), c["cmd"].append(cpu)
        benchlib.target(f"vfa export-sr, {n_levels} levels (process CPU)", benchlib.median(c["cmd"]),
                        benchlib.median(c["floor"]), 1.5, absolute=True,
                        note=f"wall {benchlib.median(w['cmd']):.2f} s; baseline: python -c "
                             "'import highdicom'")
    print(f"(finished with {benchlib.load_average()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

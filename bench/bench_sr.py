"""Benchmark: ``vfa export-sr`` of a 13-level reading (target <= 1.5 s).

    .venv/bin/python bench/bench_sr.py [--repeats 7]

A phantom film (vfa.synthetic.phantom) with its reference reading (13 levels, six points each, reader
grades) is written to a temporary folder. Timed, interleaved:

* in-process, what highdicom's checks cost: the document constructed by ``hd.sr.ComprehensiveSR``
  from the whole content tree, as the export does (highdicom copies and parses the tree and checks
  its references against the evidence), against the same document constructed around the root
  container alone with the tree attached afterwards (what the export did before its checks were
  on), which is the baseline; and the whole in-process build + encode (the export from the viewer);
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
from pydicom import Dataset  # noqa: E402

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

        film = sr.complete_film_header(header, reading)
        built = sr.build_sr(reading, header)
        root = Dataset()
        for kw in ("ConceptNameCodeSequence", "ValueType", "ContinuityOfContent", "ContentTemplateSequence",
                   "ContentSequence"):
            setattr(root, kw, getattr(built, kw))

        def document(checked: bool):
            content = root
            if not checked:
                content = Dataset()
                for elem in root:
                    if elem.keyword != "ContentSequence":
                        content.add(elem)
                content.ContentSequence = []
            doc = sr.hd.sr.ComprehensiveSR(
                evidence=[film], content=content, series_instance_uid=sr.hd.UID(), series_number=990,
                sop_instance_uid=sr.hd.UID(), instance_number=1, manufacturer="vfa", is_complete=True,
                is_final=False, series_description="Vertebral fracture assessment (VFA)")
            if not checked:
                doc.ContentSequence = root.ContentSequence
            return doc

        t = benchlib.interleaved({
            "checked": lambda: document(True),
            "unchecked": lambda: document(False),
            "vfa": lambda: write(sr.build_sr(reading, header)),
        }, args.repeats)
        benchlib.target(f"SR document, {n_levels} levels, checks on", benchlib.median(t["checked"]),
                        benchlib.median(t["unchecked"]), None, absolute=True,
                        note="baseline: the document around the root container, content attached unchecked")
        benchlib.target(f"SR build+encode, {n_levels} levels (in-process)", benchlib.median(t["vfa"]), None, None,
                        note="the export from the viewer, highdicom's checks on")
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

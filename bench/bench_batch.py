"""Benchmark: ``vfa batch export-sr`` in 1 and N worker processes (target: >= 1.8x on 2 cores).

    .venv/bin/python bench/bench_batch.py [--readings 16] [--repeats 3] [--jobs 2]

Writes ``--readings`` 13-level readings with their phantom films, then times ``vfa batch
export-sr DIR -o OUT --force`` with ``--jobs 1`` and ``--jobs N`` as fresh processes,
alternating (wall clock, median of the repeats). The speed-up is wall(1) / wall(N); it
needs N idle cores: on a shared machine it is capped by the cores other work leaves free
(the load average is printed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

from vfa.synthetic.phantom import FilmSpec, make_film, reference_reading, write_dicom  # noqa: E402
from vfa.reading.reading import save_reading  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readings", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    print(f"vfa batch benchmark, {benchlib.load_average()}")
    env = benchlib.env()
    with tempfile.TemporaryDirectory(prefix="vfa-bench-batch-") as tmp:
        tmp = Path(tmp)
        rd = tmp / "readings"
        rd.mkdir()
        film = make_film(FilmSpec(rows=900, cols=600, pixel_mm=0.5, seed=5))
        for i in range(args.readings):
            path = tmp / f"film{i}.dcm"
            ds = write_dicom(film, path, patient_id=f"B{i}")
            r = reference_reading(film, ds, image_path=str(path))
            r.reader = "bench"
            save_reading(r, rd / f"r{i}.json")
        walls: dict[int, list[float]] = {1: [], args.jobs: []}
        cpus: dict[int, list[float]] = {1: [], args.jobs: []}
        for _ in range(args.repeats):
            for n in (1, args.jobs):
                wall, cpu = benchlib.run_cpu(benchlib.vfa_cmd("batch", "export-sr", rd, "-o", tmp / "out",
                                                            "--force", "--jobs", n), env=env)
                walls[n].append(wall)
                cpus[n].append(cpu)
        one, many = benchlib.median(walls[1]), benchlib.median(walls[args.jobs])
        speedup = one / many
        ok = speedup >= 1.8
        print(f"TARGET {'batch export-sr speed-up, ' + str(args.jobs) + ' workers':<46} "
              f"{speedup:9.2f} x  baseline {one:9.3f} s (1 worker)  {args.jobs} workers "
              f"{many:.3f} s  target >= 1.8x  {'OK' if ok else 'MISSED'}  "
              f"({args.readings} readings; CPU {benchlib.median(cpus[1]):.1f} s with 1 worker, "
              f"{benchlib.median(cpus[args.jobs]):.1f} s with {args.jobs}: the work is not "
              f"duplicated; {benchlib.load_average()})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: storing a clinical CSV import, one transaction for the file against the former
one transaction (and one look-up) per patient, measured in the same run.

    .venv/bin/python bench/bench_clinical_import.py [--patients 10000] [--rows-per-patient 3]

Parses one synthetic CSV (``--patients`` patients) once, then stores its events into fresh
SQLite indexes: ``per patient`` is the former way (``merge_events`` against the patient's
stored rows and one insert transaction per patient), ``one transaction`` is
``Index.import_clinical_events``. Prints the seconds of each and the ratio; then the same for
one patient's long record (``--long-rows`` rows).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

from vfa.storage.workspace import Workspace  # noqa: E402
from vfa.study.clinical import group_by_patient, merge_events, parse_csv_text  # noqa: E402


def _csv(patients: int, per: int) -> str:
    lines = ["patient_id,date,kind,value,detail"]
    for p in range(patients):
        for i in range(per):
            lines.append(f"BENCH-{p:06d},{2000 + i % 200}-01-{1 + i % 28:02d},note,note {i},detail {i}")
    return "\n".join(lines) + "\n"


def _per_patient(ws: Workspace, events: list) -> None:
    for pid, ctx in group_by_patient(events).items():
        new, _dup = merge_events(ws.clinical_events(pid), ctx.events)
        ws.index.add_clinical_events(new)


def _one_transaction(ws: Workspace, events: list) -> None:
    ws.index.import_clinical_events(events)


def _time(fn, events: list, tmp: Path, name: str) -> float:  # type: ignore[no-untyped-def]
    ws = Workspace(tmp / name)
    try:
        t0 = time.perf_counter()
        fn(ws, events)
        secs = time.perf_counter() - t0
        assert len(ws.clinical_events()) == len(events)
        return secs
    finally:
        ws.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--rows-per-patient", type=int, default=3)
    ap.add_argument("--long-rows", type=int, default=100_018)
    args = ap.parse_args(argv)
    print(f"clinical import benchmark, {benchlib.load_average()}")
    with tempfile.TemporaryDirectory(prefix="vfa-bench-clinical-") as tmp_s:
        tmp = Path(tmp_s)
        for label, text in ((f"{args.patients} patients x {args.rows_per_patient} rows",
                             _csv(args.patients, args.rows_per_patient)),
                            (f"1 patient x {args.long_rows} rows", _csv(1, args.long_rows))):
            t0 = time.perf_counter()
            events, problems = parse_csv_text(text)
            parse_s = time.perf_counter() - t0
            assert not problems
            base = _time(_per_patient, events, tmp, f"a{len(events)}")
            new = _time(_one_transaction, events, tmp, f"b{len(events)}")
            print(f"{label}: parse {parse_s:.2f} s; store per patient {base:.2f} s "
                  f"({base / max(len(group_by_patient(events)), 1) * 1e3:.2f} ms/patient), one "
                  f"transaction {new:.2f} s: {base / new:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())

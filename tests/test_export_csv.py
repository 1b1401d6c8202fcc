"""CSV export: files written by the CLI, parsed back with csv.DictReader, checked against
vfa.method.morphometry and vfa.method.comparison."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from cli_runner import run_vfa

from vfa.method.comparison import compare
from vfa.outputs.export_csv import LEVEL_COLUMNS, POINT_COLUMNS, SUMMARY_COLUMNS, summary_path_for
from vfa.method.levels import LEVELS
from vfa.method.morphometry import summarize
from vfa.reading.reading import save_reading
from vfa.storage.workspace import Workspace
from readings_factory import make_reading


def vfa(*args):
    return run_vfa(*args)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _num(s):
    return None if s == "" else float(s)


@pytest.fixture
def readings():
    """Patient P1: two visits by dr-a, one by dr-b; patient P2: one visit by dr-a."""
    b = make_reading({"T12": (82.0, 95.0, 100.0)}, date=dt.date(2023, 1, 10))
    b.set_status("T4", "not_evaluable", "not visible")
    b.set_reader_grade("L2", 0.5)
    f = make_reading({"T12": (70.0, 95.0, 100.0), "L1": (100.0, 65.0, 100.0)},
                     date=dt.date(2024, 1, 12))
    f.set_reader_type("L1", "biconcave")
    f.remove_vertebra("L4")
    b2 = make_reading({"T12": (72.0, 95.0, 100.0)}, date=dt.date(2023, 1, 10), reader="dr-b")
    other = make_reading(patient_id="P2", date=dt.date(2022, 5, 5), sop="1.2.3.4.5")
    return b, f, b2, other


def test_csv_rows_match_morphometry(tmp_path, readings):
    b, f, b2, other = readings
    files = []
    for i, r in enumerate(readings):
        save_reading(r, tmp_path / f"r{i}.json")
        files.append(tmp_path / f"r{i}.json")
    out = tmp_path / "readings.csv"
    p = vfa("export-csv", *files, "-o", out)
    assert p.returncode == 0, p.stderr
    rows = read_csv(out)
    assert list(rows[0].keys()) == LEVEL_COLUMNS
    assert len(POINT_COLUMNS) == 12
    assert len(rows) == len(LEVELS) * 4  # levels x visits (per reader)
    by = {(r["patient_id"], r["reader"], r["study_date"], r["level"]): r for r in rows}

    for reading in readings:
        s = summarize(reading)
        for res in s.results:
            row = by[(reading.patient_id, reading.reader, reading.study_date.isoformat(),
                      res.level.value)]
            assert row["status"] == res.status.value
            assert row["annotated"] == ("true" if res.annotated else "false")
            assert row["sdi"] == str(s.sdi)
            assert row["unit"] == "mm"
            for key in ("ha", "hm", "hp"):
                want = getattr(res.heights, key) if res.heights else None
                assert _num(row[key]) == (pytest.approx(want) if want is not None else None)
            for key in ("wedge", "biconcave", "crush", "percent"):
                want = getattr(res, key)
                assert _num(row[key]) == (pytest.approx(want) if want is not None else None)
            g = res.grade
            assert row["final_grade"] == ("" if g is None else ("0.5" if g == 0.5 else str(int(g))))
            assert row["final_type"] == (res.type.value if res.type else "")
            v = reading.vertebrae.get(res.level)
            if v is not None and v.complete:
                for slot, (x, y) in v.points.items():
                    assert float(row[f"{slot.value}_x"]) == x and float(row[f"{slot.value}_y"]) == y

    # change vs the same reader's earliest visit
    c = compare(b, f)
    for ch in c.changes:
        row = by[("P1", "dr-a", "2024-01-12", ch.level.value)]
        assert row["change"] == ch.change.value
        assert row["baseline_date"] == "2023-01-10"
    assert by[("P1", "dr-a", "2024-01-12", "T12")]["change"] == "incident"
    assert by[("P1", "dr-a", "2024-01-12", "L4")]["change"] == "not_comparable"
    assert by[("P1", "dr-a", "2023-01-10", "T12")]["change"] == ""      # the baseline itself
    assert by[("P1", "dr-b", "2023-01-10", "T12")]["change"] == ""      # dr-b has one visit
    assert by[("P1", "dr-a", "2023-01-10", "L2")]["final_grade"] == "0.5"
    assert by[("P1", "dr-a", "2023-01-10", "T4")]["reason"] == "not visible"

    summ = read_csv(summary_path_for(out))
    assert (tmp_path / "readings-summary.csv").exists()
    assert list(summ[0].keys()) == SUMMARY_COLUMNS
    assert len(summ) == 4
    fu = next(r for r in summ if r["reader"] == "dr-a" and r["study_date"] == "2024-01-12")
    assert fu["sdi"] == str(summarize(f).sdi)
    assert fu["incident"] == str(len(c.incident)) and fu["incident_levels"] == ";".join(map(str, c.incident))
    base = next(r for r in summ if r["reader"] == "dr-a" and r["study_date"] == "2023-01-10")
    assert base["not_evaluable"] == "1" and base["not_evaluable_levels"] == "T4"
    assert base["incident"] == ""


def test_csv_from_workspace_and_summary_option(tmp_path, readings):
    ws = Workspace(tmp_path / "ws")
    for r in readings:
        ws.save(r)
    ws.close()
    out, summ = tmp_path / "x.csv", tmp_path / "visits.csv"
    p = vfa("export-csv", tmp_path / "ws", "-o", out, "--summary", summ)
    assert p.returncode == 0, p.stderr
    assert len(read_csv(out)) == 13 * 4
    assert len(read_csv(summ)) == 4


def test_csv_pandas_friendly(tmp_path, readings):
    pd = pytest.importorskip("pandas")
    save_reading(readings[0], tmp_path / "a.json")
    out = tmp_path / "a.csv"
    assert vfa("export-csv", tmp_path / "a.json", "-o", out).returncode == 0
    df = pd.read_csv(out)
    assert len(df) == 13 and df["ha"].dtype.kind == "f"


def test_csv_errors_are_one_line(tmp_path):
    p = vfa("export-csv", tmp_path / "missing", "-o", tmp_path / "x.csv")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert len([l for l in p.stderr.splitlines() if l.strip()]) == 1
    (tmp_path / "empty").mkdir()
    p = vfa("export-csv", tmp_path / "empty", "-o", tmp_path / "x.csv")
    assert p.returncode == 1 and "no reading files" in p.stderr
    assert not (tmp_path / "x.csv").exists()


def test_summary_path_for():
    assert summary_path_for("out/readings.csv").name == "readings-summary.csv"
    assert summary_path_for("readings").name == "readings-summary.csv"

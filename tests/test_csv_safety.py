"""CSV cells never run as formulas in a spreadsheet; numbers stay numbers; no -0.0 or
floating noise (issue 9). Read back with pandas, as a statistician would."""

from __future__ import annotations

import pandas as pd
import pytest

from vfa.cli import main
from vfa.outputs.export_csv import csv_cell as _cell, safe_text
from vfa.reading.reading import save_reading

from readings_factory import make_reading


@pytest.mark.parametrize("text,expected", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+SUM(1,2)", "'+SUM(1,2)"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("-", "'-"),
    ("-2.5", "-2.5"), ("+3", "+3"), ("-1e-3", "-1e-3"), ("12", "12"),
    ("Dr Smith", "Dr Smith"), ("a=b", "a=b"), ("", ""),
])
def test_safe_text(text, expected):
    assert safe_text(text) == expected


@pytest.mark.parametrize("value,expected", [
    (-0.0, "0.0"), (1e-13, "0.0"), (-3e-12, "0.0"), (0.25, "0.25"), (-4.5, "-4.5"),
    (12, "12"), (-3, "-3"),
])
def test_numbers_stay_numbers(value, expected):
    assert _cell(value) == expected


def test_hostile_cells_read_back_as_text_and_numbers_as_numbers(tmp_path):
    r = make_reading(patient_id="=HYPERLINK(\"http://evil\",\"click\")", reader="+SUM(1,2)")
    r.set_status("T5", "not_evaluable", "-2+3")
    r.set_status("T6", "not_evaluable", "@cmd|' /C calc'!A0")

    r.set_point("L4", "superior_anterior", (1e-13, 900.0))
    r.set_point("L3", "superior_anterior", (-0.0, 800.0))
    rj = tmp_path / "r.json"
    save_reading(r, rj)
    out = tmp_path / "readings.csv"
    assert main(["export-csv", str(rj), "-o", str(out)]) == 0
    raw = out.read_text(encoding="utf-8")
    assert "-0.0" not in raw and "e-13" not in raw
    d = pd.read_csv(out, dtype={"patient_id": str, "reader": str, "reason": str},
                    keep_default_na=False)
    assert set(d["patient_id"]) == {"'=HYPERLINK(\"http://evil\",\"click\")"}
    assert set(d["reader"]) == {"'+SUM(1,2)"}
    reasons = dict(zip(d["level"], d["reason"]))
    assert reasons["T5"] == "'-2+3"
    assert reasons["T6"].startswith("'@")
    # numeric columns are numbers for pandas, not text
    for col in ("ha", "hm", "hp", "wedge", "superior_anterior_x", "sdi"):
        assert pd.api.types.is_numeric_dtype(pd.to_numeric(d[col].replace("", None))), col
    x = dict(zip(d["level"], d["superior_anterior_x"]))
    assert float(x["L4"]) == 0.0 and float(x["L3"]) == 0.0
    s = pd.read_csv(tmp_path / "readings-summary.csv", dtype={"patient_id": str, "reader": str})
    assert s["patient_id"][0].startswith("'=") and s["reader"][0] == "'+SUM(1,2)"
    assert pd.api.types.is_integer_dtype(s["sdi"])
    # no cell of either file begins with a formula trigger unless it is a number
    import csv
    for f in (out, tmp_path / "readings-summary.csv"):
        with open(f, newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for v in row:
                    if v and v[0] in "=+-@\t\r":
                        float(v)  # a number (e.g. -2.5), else this raises

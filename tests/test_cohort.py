"""Study outcomes (domain.md §8): a small cohort built from readings with known geometry, every
figure checked against values computed by hand in the comments; clinical context CSV
(validation, workspace storage); vfa cohort / vfa clinical through the CLI; CSV and PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess

import pytest

from vfa.cli import main
from vfa.study.clinical import group_by_patient, load_csv, parse_csv_text
from vfa.outputs.cohort_csv import CSV_COLUMNS, csv_cell
from vfa.study.cohort import build_cohort
from vfa.errors import ClinicalDataError, CohortError
from vfa.method.morphometry import summarize
from vfa.reading.reading import save_reading
from vfa.storage.workspace import Workspace
from readings_factory import make_reading

D = dt.date

# Heights (ha, hm, hp) in px; every other level is a normal 100/100/100 body.
#   wedge reduction = 1 - ha/hp, biconcave = 1 - hm/hp (domain.md §2-3)
#   ha 70 -> 30 % grade 2; ha 76 -> 24 % grade 1; hm 70 -> 30 % grade 2; hm 85 -> 15 % grade 0
#   ha 72 -> 28 % grade 2; ha 78 -> 22 % grade 1; ha 62 -> 38 % grade 2; ha 65 -> 35 % grade 2


def _read(heights, *, pid, date, birth, sex, reader="dr-a", unconfirmed=(), ne=()):
    """A reading whose reader confirmed every graded level (by giving the suggested grade)
    except ``unconfirmed``; ``ne`` levels are not evaluable."""
    r = make_reading(heights, patient_id=pid, date=date, birth=birth, reader=reader,
                     sop=f"1.2.826.0.1.3680043.10.9.{abs(hash(pid)) % 10**6}.{date.toordinal()}")
    r.study_instance_uid = r.sop_instance_uid + ".0"
    r.patient_sex = sex
    for lv in ne:
        r.set_status(lv, "not_evaluable", "rotated/oblique")
    for res in summarize(r).results:
        if res.graded and res.level.value not in unconfirmed:
            r.set_reader_grade(res.level, res.suggested_grade)
    return r


CHILD_BIRTH = D(2014, 1, 1)


def small_cohort():
    child_a = [
        _read({"T7": (70, 100, 100), "L1": (100, 70, 100)}, pid="CHILD-A", date=D(2024, 1, 10),
              birth=CHILD_BIRTH, sex="F"),
        _read({"T7": (70, 100, 100), "T9": (76, 100, 100), "L1": (100, 70, 100)}, pid="CHILD-A",
              date=D(2024, 7, 10), birth=CHILD_BIRTH, sex="F", unconfirmed=("T4",)),
        _read({"T7": (70, 100, 100), "T9": (76, 100, 100), "L1": (100, 85, 100)}, pid="CHILD-A",
              date=D(2025, 1, 10), birth=CHILD_BIRTH, sex="F", unconfirmed=("T12",), ne=("L3",)),
    ]
    child_b = [_read({}, pid="CHILD-B", date=D(2024, 2, 1), birth=D(2016, 6, 1), sex="M"),
               _read({}, pid="CHILD-B", date=D(2025, 2, 1), birth=D(2016, 6, 1), sex="M")]
    adult = [
        _read({"L2": (72, 100, 100), "L4": (78, 100, 100)}, pid="ADULT-A", date=D(2023, 1, 10),
              birth=D(1950, 1, 1), sex="F"),
        _read({"T11": (65, 100, 100), "L4": (62, 100, 100)}, pid="ADULT-A", date=D(2024, 7, 10),
              birth=D(1950, 1, 1), sex="F", ne=("L2",)),
    ]
    single = [_read({}, pid="ADULT-B", date=D(2024, 3, 1), birth=D(1955, 5, 5), sex=None)]
    # the other order on purpose: visits are sorted by date
    return list(reversed(child_a)) + child_b + adult + single


@pytest.fixture
def cohort_readings():
    return small_cohort()


CLINICAL_CSV = """patient_id,date,kind,value,detail
CHILD-A,2023-10-01,diagnosis,juvenile dermatomyositis,
CHILD-A,2023-10-01,glucocorticoid,prednisolone,2 mg/kg/day
CHILD-A,2022-01-01,bmd_z,-4.0,lumbar spine
CHILD-A,2024-01-03,bmd_z,-3.1,lumbar spine
CHILD-A,2024-01-17,bisphosphonate,zoledronic acid,0.05 mg/kg
CHILD-A,2024-07-01,bmd_z,-2.6,lumbar spine
CHILD-A,2024-07-17,bisphosphonate,zoledronic acid,0.05 mg/kg
CHILD-A,2025-01-20,bmd_z,-2.0,lumbar spine
CHILD-B,2023-01-01,bmd_z,-1.2,lumbar spine
ADULT-A,,diagnosis,postmenopausal osteoporosis,
"""


@pytest.fixture
def clinical():
    events, problems = parse_csv_text(CLINICAL_CSV)
    assert problems == []
    return group_by_patient(events)


def _by_id(d):
    return {p["patient_id"]: p for p in d["patients"]}


def test_every_figure_of_the_cohort(cohort_readings, clinical):
    c = build_cohort(cohort_readings, clinical)
    d = c.to_dict()
    pts = _by_id(d)
    assert list(pts) == ["ADULT-A", "ADULT-B", "CHILD-A", "CHILD-B"]

    a = pts["CHILD-A"]
    # born 2014-01-01, baseline 2024-01-10: 10 years + 9/366 -> 10.0
    assert a["sex"] == "F" and a["age_at_baseline"] == 10.0 and a["paediatric"] is True
    assert a["visits"] == 3
    assert a["visit_dates"] == ["2024-01-10", "2024-07-10", "2025-01-10"]
    assert a["months_followup"] == 12.0                       # 366 days / 30.4375
    assert (a["prevalent_fractures"], a["prevalent_levels"]) == (2, ["T7", "L1"])
    assert a["sdi_baseline"] == 4                             # T7 2 + L1 2
    assert (a["incident_fractures"], a["incident_levels"]) == (1, ["T9"])
    assert (a["worsened"], a["worsened_levels"]) == (0, [])
    # L1 biconcave 30 % -> 15 %: 15 points >= 5, grade 2 -> 0 in a child: complete reshaping
    assert (a["reshaped"], a["reshaped_levels"], a["reshaping"]) == (1, ["L1"], {"L1": "complete"})
    # biconcave ratio 0.70 -> 0.85: +15 percentage points; wedge and crush unchanged
    assert a["reshaping_text"] == ["L1 reshaped completely: biconcave ratio +15 points"]
    assert a["reshaping_gain_pp"] == {"L1": {"wedge": 0.0, "biconcave": 15.0, "crush": 0.0}}
    assert a["not_comparable_levels"] == ["L3"]              # not evaluable at the last visit
    assert a["sdi_last"] == 3                                 # T7 2 + T9 1 + L1 0
    assert (a["sdi_baseline_common"], a["sdi_last_common"], a["common_levels"]) == (4, 3, 12)
    # T12 unconfirmed at the last visit; T4 at 6 months is not behind the baseline->last figures
    assert a["unconfirmed"] == 1 and a["unconfirmed_levels"] == {"2025-01-10": ["T12"]}
    assert a["incident_levels_any_interval"] == ["T9"]
    # before treatment: the last BMD Z on or before the first dose (2024-01-17) is 2024-01-03;
    # the last: nearest 2025-01-10 is 2025-01-20
    assert (a["bmd_z_baseline"], a["bmd_z_baseline_date"]) == (-3.1, "2024-01-03")
    assert a["bmd_z_baseline_rule"].startswith("last on or before the first bisphosphonate dose")
    assert (a["bmd_z_last"], a["bmd_z_last_date"]) == (-2.0, "2025-01-20")
    assert a["diagnosis"] == "juvenile dermatomyositis"
    assert a["treatment"] == "zoledronic acid 0.05 mg/kg: 2024-01-17, 2024-07-17"
    assert a["glucocorticoids"] == "prednisolone (2 mg/kg/day, from 2023-10-01)"
    assert [i["dose_mg_per_kg"] for i in a["infusions"]] == [0.05, 0.05]
    s1, s2 = a["intervals"]
    assert (s1["from"], s1["to"], s1["months"]) == ("2024-01-10", "2024-07-10", 6.0)
    assert s1["incident_levels"] == ["T9"] and s1["reshaped_levels"] == []
    assert (s1["sdi_from_common"], s1["sdi_to_common"], s1["common_levels"]) == (4, 5, 13)
    assert s2["incident_levels"] == [] and s2["reshaping"] == {"L1": "complete"}
    assert s2["not_comparable_levels"] == ["L3"]
    assert (s2["sdi_from_common"], s2["sdi_to_common"], s2["common_levels"]) == (5, 3, 12)

    b = pts["CHILD-B"]
    assert (b["age_at_baseline"], b["visits"], b["months_followup"]) == (7.7, 2, 12.0)
    assert (b["prevalent_fractures"], b["sdi_baseline"], b["incident_fractures"], b["worsened"],
            b["reshaped"], b["sdi_last_common"], b["unconfirmed"]) == (0, 0, 0, 0, 0, 0, 0)
    # the only BMD Z (2023-01-01) is 13 months before baseline: outside 183 days
    assert b["bmd_z_baseline"] is None and b["bmd_z_last"] is None
    assert b["diagnosis"] is None and b["treatment"] is None

    ad = pts["ADULT-A"]
    assert (ad["sex"], ad["age_at_baseline"], ad["paediatric"]) == ("F", 73.0, False)
    assert ad["months_followup"] == 18.0                       # 547 days
    assert (ad["prevalent_fractures"], ad["prevalent_levels"], ad["sdi_baseline"]) == (2, ["L2", "L4"], 3)
    assert (ad["incident_fractures"], ad["incident_levels"]) == (1, ["T11"])
    assert (ad["worsened"], ad["worsened_levels"]) == (1, ["L4"])      # 22 % g1 -> 38 % g2
    assert ad["reshaped"] == 0                                 # adults do not reshape
    assert ad["not_comparable_levels"] == ["L2"]
    # L2 (grade 2) not evaluable at follow-up: left out of BOTH common SDIs, so it cannot fall
    assert ad["sdi_last"] == 4 and (ad["sdi_baseline_common"], ad["sdi_last_common"]) == (1, 4)
    assert ad["unconfirmed"] == 0 and ad["diagnosis"] == "postmenopausal osteoporosis"

    one = pts["ADULT-B"]
    # a single visit has no follow-up: months null, never 0 (domain §8)
    assert (one["visits"], one["months_followup"], one["sex"]) == (1, None, None)
    for k in ("incident_fractures", "worsened", "reshaped", "sdi_last_common"):
        assert one[k] is None, k                               # not applicable, not 0
    assert one["intervals"] == []

    s = d["summary"]
    assert (s["patients"], s["children"], s["adults"], s["age_unknown"]) == (4, 2, 2, 0)
    assert s["sex"] == {"F": 2, "M": 1, "unknown": 1}
    # ages 10.0, 7.7, 73.0 and 68.8 (ADULT-B born 1955-05-05, seen 2024-03-01)
    assert one["age_at_baseline"] == 68.8
    assert s["age_at_baseline"] == {"n": 4, "min": 7.7, "max": 73.0, "median": 39.4}
    assert s["patients_followed"] == 3
    assert s["months_followup"] == {"n": 3, "min": 12.0, "max": 18.0, "median": 12.0}
    assert s["visits"]["total"] == 8
    assert (s["patients_with_prevalent_fracture"], s["prevalent_fractures"]) == (2, 4)
    assert s["sdi_baseline"] == {"n": 4, "min": 0, "max": 4, "median": 1.5}
    assert (s["patients_with_incident_fracture"], s["incident_fractures"]) == (2, 2)
    assert (s["patients_with_worsened"], s["worsened"]) == (1, 1)
    assert (s["patients_with_reshaping"], s["reshaped"]) == (1, 1)
    assert s["unconfirmed"] == 1
    assert s["bmd_z_baseline_with_prevalent_fracture"] == {"n": 1, "min": -3.1, "max": -3.1,
                                                           "median": -3.1}
    assert s["bmd_z_change"]["min"] == 1.1                     # -3.1 -> -2.0
    assert d["readings_used"] == "reader 'dr-a' (8 film(s))"


def test_timeline_cells_mark_changes_since_the_previous_visit(cohort_readings):
    c = build_cohort(cohort_readings)
    course = {p.patient_id: p.course for p in c.patients}["CHILD-A"]
    from vfa.method.levels import Level
    assert course.cell(Level.T9, 1).change == "incident" and course.cell(Level.T9, 1).mark == "N"
    assert course.cell(Level.T9, 2).change is None           # unchanged since 6 months
    assert course.cell(Level.L1, 2).reshaping == "complete" and course.cell(Level.L1, 2).mark == "R"
    assert course.cell(Level.L3, 2).state == "not_evaluable"
    assert course.cell(Level.T12, 2).confirmed is False and course.cell(Level.T12, 1).confirmed
    assert [v.sdi_all_visits for v in course.visits] == [4, 5, 3]   # 12 levels read at all visits
    assert Level.L3 not in course.common_levels and len(course.common_levels) == 12


def test_consensus_first_else_the_named_reader(cohort_readings):
    base = [r for r in cohort_readings if r.patient_id == "CHILD-A" and r.study_date == D(2024, 1, 10)][0]
    other = base.copy()
    other.reader = "dr-b"
    other.set_reader_grade("T12", 1)                          # dr-b calls T12 mild
    with pytest.raises(CohortError, match="readings by dr-a, dr-b and no consensus.*--reader"):
        build_cohort(cohort_readings + [other])
    c = build_cohort(cohort_readings + [other], reader="dr-b")
    pts = _by_id(c.to_dict())
    assert pts["CHILD-A"]["prevalent_levels"] == ["T7", "T12", "L1"]   # dr-b's baseline
    assert "no reading by 'dr-b'" in " ".join(c.selection.notes)       # the other films left out
    cons = other.copy()
    cons.reader = "consensus"
    cons.set_reader_grade("T12", 0)
    c = build_cohort(cohort_readings + [other, cons], reader="dr-a")
    d = c.to_dict()
    assert _by_id(d)["CHILD-A"]["readers"] == ["consensus", "dr-a", "dr-a"]
    assert _by_id(d)["CHILD-A"]["prevalent_levels"] == ["T7", "L1"]
    assert d["readings_used"] == ("consensus reading where there is one (1 film(s)); "
                                  "else reader 'dr-a' (--reader) (7 film(s))")


def test_clinical_csv_one_message_per_bad_row(tmp_path):
    text = CLINICAL_CSV + ("CHILD-A,2024-02-30,bmd_z,-2.9,lumbar spine\n"
                           "CHILD-A,2024-03-01,bmd,-2.9,\n"
                           ",2024-03-01,bmd_z,minus two,\n"
                           "CHILD-A,,bisphosphonate,pamidronate,1 mg/kg\n")
    events, problems = parse_csv_text(text)
    assert len(events) == 10
    assert problems == [
        "row 12: column date: expected a date YYYY-MM-DD, got '2024-02-30'",
        "row 13: column kind: expected one of diagnosis, glucocorticoid, drug, bisphosphonate, "
        "bmd_z, note, got 'bmd'",
        "row 14: column patient_id: expected a patient ID (it is empty); column value: expected "
        "a BMD Z-score as a number (e.g. -2.8), got 'minus two'",
        "row 15: column date: expected a date YYYY-MM-DD (required for bisphosphonate)",
    ]
    f = tmp_path / "clinical.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ClinicalDataError, match="4 bad rows, nothing imported") as ei:
        load_csv(f)
    assert len(ei.value.problems) == 4
    f.write_text("patient_id,date,value\nX,2024-01-01,1\n", encoding="utf-8")
    with pytest.raises(ClinicalDataError, match="lacks the column.*kind, detail"):
        load_csv(f)
    ev, probs = parse_csv_text("patient_id,date,kind,value,detail\nP,2024-01-01,bmd_z,-12,\n")
    assert probs == ["row 2: column value: expected a BMD Z-score between -10 and 10, got '-12'"]


def test_clinical_import_show_export_through_the_workspace(tmp_path, capsys):
    ws_dir = tmp_path / "ws"
    f = tmp_path / "clinical.csv"
    f.write_text(CLINICAL_CSV, encoding="utf-8")
    assert main(["clinical", "import", str(f), "--workspace", str(ws_dir)]) == 0
    assert "imported 10 clinical event(s) for 3 patient(s)" in capsys.readouterr().err
    assert main(["clinical", "import", str(f), "--workspace", str(ws_dir)]) == 0   # idempotent
    assert "imported 0 clinical event(s) for 3 patient(s), 10 already there" in capsys.readouterr().err
    assert main(["clinical", "show", "CHILD-A", "--workspace", str(ws_dir), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["CHILD-A"]
    assert shown["treatment"] == "zoledronic acid 0.05 mg/kg: 2024-01-17, 2024-07-17"
    assert [b["z"] for b in shown["bmd_z"]] == [-4.0, -3.1, -2.6, -2.0]
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,date,kind,value,detail\nCHILD-A,2024-13-01,note,x,\n", encoding="utf-8")
    assert main(["clinical", "import", str(bad), "--workspace", str(ws_dir)]) == 1
    err = capsys.readouterr().err
    assert "row 2: column date: expected a date YYYY-MM-DD, got '2024-13-01'" in err
    assert "1 bad row in" in err and "nothing was imported" in err
    out = tmp_path / "back.csv"
    assert main(["clinical", "export", "-o", str(out), "--workspace", str(ws_dir)]) == 0
    again, probs = parse_csv_text(out.read_text(encoding="utf-8"))
    assert probs == [] and len(again) == 10
    ws = Workspace(ws_dir)
    try:
        ws.set_clinical("CHILD-B", [])
        assert ws.clinical("CHILD-B").empty and not ws.clinical("CHILD-A").empty
    finally:
        ws.close()


def test_vfa_cohort_on_a_workspace_json_and_csv(tmp_path, capsys, cohort_readings):
    ws_dir = tmp_path / "ws"
    ws = Workspace(ws_dir)
    try:
        for r in cohort_readings:
            ws.save(r)
    finally:
        ws.close()
    f = tmp_path / "clinical.csv"
    f.write_text(CLINICAL_CSV + "ADULT-B,2024-03-01,note,=HYPERLINK(\"x\"),@SUM(1)\n", encoding="utf-8")
    assert main(["clinical", "import", str(f), "--workspace", str(ws_dir)]) == 0
    capsys.readouterr()
    assert main(["cohort", "--workspace", str(ws_dir), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    a = _by_id(d)["CHILD-A"]
    assert (a["incident_levels"], a["reshaped_levels"], a["bmd_z_last"]) == (["T9"], ["L1"], -2.0)
    assert _by_id(d)["ADULT-B"]["notes"] == ['2024-03-01: =HYPERLINK("x") (@SUM(1))']
    # text table
    assert main(["cohort", "--workspace", str(ws_dir)]) == 0
    text = capsys.readouterr().out
    assert "CHILD-A" in text and "1 (T9)" in text and "2024-07-10 → 2025-01-10" in text
    # CSV for statistics packages, formula-safe
    out = tmp_path / "cohort.csv"
    extra = tmp_path / "extra.csv"
    extra.write_text("patient_id,date,kind,value,detail\nADULT-B,,diagnosis,=1+2,\n", encoding="utf-8")
    assert main(["cohort", "--workspace", str(ws_dir), "--clinical", str(extra), "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == CSV_COLUMNS
    rows = {r["patient_id"]: r for r in rows}
    assert rows["ADULT-B"]["diagnosis"] == "'=1+2"
    assert rows["CHILD-A"]["bmd_z_baseline"] == "-3.1" and rows["CHILD-A"]["reshaped_levels"] == "L1"
    assert rows["ADULT-A"]["worsened_levels"] == "L4" and rows["ADULT-B"]["incident_fractures"] == ""
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(out)
    assert frame["bmd_z_baseline"].dtype.kind == "f" and frame["sdi_baseline"].tolist() == [3, 0, 4, 0]


def test_csv_cell_neutralises_formulas_keeps_numbers():
    assert csv_cell("=1+2") == "'=1+2" and csv_cell("+SUM(1,2)") == "'+SUM(1,2)"
    assert csv_cell("-2+3") == "'-2+3" and csv_cell("@x") == "'@x" and csv_cell("\tx") == "'\tx"
    assert csv_cell("\rx") == "'\rx"
    assert csv_cell("-2.8") == "-2.8" and csv_cell(-2.8) == "-2.8" and csv_cell("+1e3") == "+1e3"
    assert csv_cell(-0.0) == "0.0" and csv_cell(1e-13) == "0.0" and csv_cell(None) == ""
    assert csv_cell(True) == "true" and csv_cell(3) == "3"


def test_cohort_refuses_bad_inputs(tmp_path, capsys):
    assert main(["cohort"]) == 1
    assert "no readings: pass reading files" in capsys.readouterr().err
    assert main(["cohort", "--workspace", str(tmp_path)]) == 1
    assert "is not a workspace" in capsys.readouterr().err
    r = make_reading({}, patient_id="P")
    save_reading(r, tmp_path / "r.json")
    assert main(["cohort", str(tmp_path / "r.json"), "-o", str(tmp_path / "x.txt")]) == 1
    assert "must end in .pdf" in capsys.readouterr().err


def test_case_series_pdf(tmp_path, cohort_readings, clinical):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    from vfa.outputs.cohort_pdf import write_cohort_pdf
    out = write_cohort_pdf(build_cohort(cohort_readings, clinical), tmp_path / "c.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "case series" in text
    for needle in ("CHILD-A", "ADULT-B", "juvenile dermatomyositis", "zoledronic acid 0.05 mg/kg",
                   "1 (T9)", "1 (L1 completely:", "biconcave +15", "−3.1 → −2.0", "readings used: reader 'dr-a'",
                   "months from baseline", "1 grade(s) behind these figures are unconfirmed",
                   ):
        assert needle in text, needle
    flat = " ".join(text.split())             # the method paragraph wraps
    assert "measurement SD 3 points" in flat and "grade thresholds 20/25/40 %" in flat
    # the strip of CHILD-A: its three visit dates on the axis, T9 new at 6 months
    import re
    assert "2024-07-10" in text and re.search(r"\b1 ?N\b", text) and re.search(r"\b0 ?R\b", text)


def test_sample_cohort_tells_the_childs_story(tmp_path, capsys):
    """The bundled samples through a workspace: new T9 at 6 months, L1 reshaping at 12 months,
    BMD Z improving on pamidronate; the adult's new T12."""
    from pathlib import Path

    from vfa.synthetic.samples import CLINICAL_CSV as SAMPLE_CSV
    root = Path(__file__).resolve().parent.parent / "sample_dicoms"
    assert (root / "clinical.csv").read_text(encoding="utf-8") == SAMPLE_CSV
    ws = Workspace(tmp_path / "ws")
    try:
        for f in sorted((root / "reference").glob("*.json")):
            ws.import_reading(f)
    finally:
        ws.close()
    assert main(["clinical", "import", str(root / "clinical.csv"), "--workspace", str(tmp_path / "ws")]) == 0
    capsys.readouterr()
    assert main(["cohort", "--workspace", str(tmp_path / "ws"), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    child, adult = _by_id(d)["VFA-CHILD-01"], _by_id(d)["VFA-ADULT-01"]
    assert (child["sex"], child["age_at_baseline"], child["visits"], child["months_followup"]) == (
        "M", 11.4, 3, 12.0)
    assert child["prevalent_levels"] == ["T7", "T12", "L1"] and child["sdi_baseline"] == 5
    six, twelve = child["intervals"]
    assert six["incident_levels"] == ["T9"] and six["to"] == "2024-09-10"
    assert twelve["reshaped_levels"] == ["L1"] and twelve["to"] == "2025-03-11"
    assert child["incident_levels"] == ["T9"] and child["reshaped_levels"] == ["L1"]
    assert (child["bmd_z_baseline"], child["bmd_z_last"]) == (-3.4, -2.2)
    assert [b["z"] for b in child["bmd_z"]] == [-3.4, -2.9, -2.2]
    assert child["diagnosis"] == "acute lymphoblastic leukaemia"
    assert child["treatment"].startswith("pamidronate 1 mg/kg/day x 3 days: 2024-03-19, ")
    assert adult["incident_levels"] == ["T12"] and adult["prevalent_levels"] == ["L1"]
    assert d["readings_used"] == "reader 'reference' (5 film(s))"


def test_deidentified_cohort_has_no_ids_no_dates_no_notes(tmp_path, capsys, cohort_readings):
    import re
    f = tmp_path / "clinical.csv"
    f.write_text(CLINICAL_CSV + "CHILD-A,2024-02-01,note,seen by Dr Smith at St Elsewhere,\n",
                 encoding="utf-8")
    save_dir = tmp_path / "r"
    save_dir.mkdir()
    for i, r in enumerate(cohort_readings):
        save_reading(r, save_dir / f"{i}.json")
    pdf = tmp_path / "c.pdf"
    assert main(["cohort", str(save_dir), "--clinical", str(f), "--deidentify", "--json",
                 "-o", str(pdf)]) == 0
    out = capsys.readouterr().out
    d = json.loads(out)
    for secret in ("CHILD-A", "CHILD-B", "ADULT-A", "ADULT-B", "Smith", "Elsewhere"):
        assert secret not in out, secret
    assert not re.search(r"\d{4}-\d{2}-\d{2}", out)
    # cases numbered by baseline date: ADULT-A 2023-01-10, CHILD-A 2024-01-10, CHILD-B 2024-02-01,
    # ADULT-B 2024-03-01
    cases = {p["patient_id"]: p for p in d["patients"]}
    assert list(cases) == ["Case 1", "Case 2", "Case 3", "Case 4"] and d["deidentified"] is True
    a = cases["Case 2"]
    assert a["incident_levels"] == ["T9"] and a["age_at_baseline"] == 10.0
    assert a["visit_dates"] == ["month 0", "month 6", "month 12"]
    assert a["treatment"] == "zoledronic acid 0.05 mg/kg: month 0.2, month 6.2"
    assert a["bmd_z_baseline_date"] == "month -0.2" and a["notes"] == []
    assert a["unconfirmed_levels"] == {"month 12": ["T12"]}
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "Case 2" in text and "(de-identified)" in text
        body = re.sub(r"generated \d{4}-\d{2}-\d{2} \d{2}:\d{2}", "", text)
        assert "CHILD-A" not in body and not re.search(r"\d{4}-\d{2}-\d{2}", body)


def test_a_change_within_noise_on_unconfirmed_grades_is_uncertain_not_incident():
    """T10 19 % (grade 0) -> 21 % (grade 1), both suggestions nobody confirmed: 2 points is
    below min_change_pct (5), so the change is 'uncertain' (domain.md §4) and the cohort does
    not count an incident fracture; the reader is shown the level instead."""
    rs = [_read({"T10": (81, 100, 100)}, pid="CHILD-U", date=D(2024, 1, 10), birth=CHILD_BIRTH,
                sex="M", unconfirmed=("T10",)),
          _read({"T10": (79, 100, 100)}, pid="CHILD-U", date=D(2024, 7, 10), birth=CHILD_BIRTH,
                sex="M", unconfirmed=("T10",))]
    c = build_cohort(rs)
    d = c.to_dict()["patients"][0]
    assert (d["incident_fractures"], d["incident_levels"], d["uncertain_levels"]) == (0, [], ["T10"])
    assert d["unconfirmed"] == 2 and d["unconfirmed_levels"] == {"2024-01-10": ["T10"],
                                                                  "2024-07-10": ["T10"]}
    assert d["sdi_last_common"] == 1                          # the grade stands in the SDI
    from vfa.method.levels import Level
    cell = c.patients[0].course.cell(Level.T10, 1)
    assert cell.change == "uncertain" and cell.mark == "~" and not cell.confirmed
    # confirmed by the reader, the same grades are an incident fracture
    for r in rs:
        r.set_reader_grade("T10", summarize(r).results[Level.T10.index].suggested_grade)
    d = build_cohort(rs).to_dict()["patients"][0]
    assert (d["incident_levels"], d["uncertain_levels"], d["unconfirmed"]) == (["T10"], [], 0)


def test_bmd_before_treatment_is_never_after_the_first_dose():
    """Domain §8: the baseline BMD Z is the last measurement on or before the first
    bisphosphonate dose, even when one taken after the dose is nearer the first visit (the
    v2 rule took the nearest, so the gain on treatment shrank); with no dose recorded, the
    nearest the first visit within 183 days, the earlier on a tie."""
    rs = [_read({}, pid="CHILD-Z", date=D(2024, 3, 1), birth=CHILD_BIRTH, sex="F"),
          _read({}, pid="CHILD-Z", date=D(2025, 3, 1), birth=CHILD_BIRTH, sex="F")]
    events, problems = parse_csv_text(
        "patient_id,date,kind,value,detail\n"
        "CHILD-Z,2023-11-20,bmd_z,-3.6,lumbar spine\n"      # 102 days before the first visit
        "CHILD-Z,2024-02-20,bisphosphonate,pamidronate,1 mg/kg/day x 3 days\n"
        "CHILD-Z,2024-03-02,bmd_z,-3.0,lumbar spine\n"      # 1 day after the visit, AFTER the dose
        "CHILD-Z,2025-03-01,bmd_z,-2.1,lumbar spine\n")
    assert problems == []
    ctx = group_by_patient(events)
    d = build_cohort(rs, clinical=ctx).to_dict()["patients"][0]
    assert (d["bmd_z_baseline"], d["bmd_z_baseline_date"]) == (-3.6, "2023-11-20")
    assert (d["bmd_z_last"], d["bmd_z_last_date"]) == (-2.1, "2025-03-01")
    # the dose keeps its text beside the number parsed from it
    inf = d["infusions"][0]
    assert (inf["dose_mg_per_kg"], inf["dose_text"]) == (1.0, "1 mg/kg/day x 3 days")
    assert "pamidronate 1 mg/kg/day x 3 days: 2024-02-20" in d["treatment"]
    # no dose recorded: nearest the first visit, earlier preferred on a tie, within 183 days
    events2 = [e for e in events if e.kind != "bisphosphonate"]
    d2 = build_cohort(rs, clinical=group_by_patient(events2)).to_dict()["patients"][0]
    assert (d2["bmd_z_baseline"], d2["bmd_z_baseline_date"]) == (-3.0, "2024-03-02")
    assert d2["bmd_z_baseline_rule"].startswith("nearest the first visit")
    tie, _ = parse_csv_text("patient_id,date,kind,value,detail\n"
                            "CHILD-Z,2024-02-29,bmd_z,-3.3,\nCHILD-Z,2024-03-02,bmd_z,-3.0,\n")
    d3 = build_cohort(rs, clinical=group_by_patient(tie)).to_dict()["patients"][0]
    assert d3["bmd_z_baseline_date"] == "2024-02-29"


def test_every_interval_lists_every_kind_of_change():
    """Domain §8: an interval with only an improved or an uncertain level is not "no change";
    "no change" is said only when incident, worsened, improved, reshaped, uncertain and
    within-noise are all empty."""
    from vfa.study.cohort import text_lines
    adult_birth = D(1950, 1, 1)
    rs = [_read({"T8": (70, 100, 100)}, pid="ADULT-I", date=D(2023, 1, 10), birth=adult_birth, sex="F"),
          _read({"T8": (100, 100, 100)}, pid="ADULT-I", date=D(2023, 7, 10), birth=adult_birth, sex="F"),
          _read({"T8": (100, 100, 100)}, pid="ADULT-I", date=D(2024, 1, 10), birth=adult_birth, sex="F")]
    c = build_cohort(rs)
    d = c.to_dict()["patients"][0]
    first, second = d["intervals"]
    assert first["improved_levels"] == ["T8"] and first["no_change"] is False
    assert second["improved_levels"] == [] and second["no_change"] is True
    assert d["improved_levels"] == ["T8"]
    lines = [ln for ln in text_lines(c) if "→" in ln and "mo)" in ln]
    assert "improved T8" in lines[0] and "no change" not in lines[0]
    assert "no change" in lines[1]

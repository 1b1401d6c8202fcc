"""Clinical method v2 (docs/clinical-method.md): age at the study, spacing sanity, the
confirmed flag and the new settings in reading files."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydicom import Dataset
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

from tests.dicom_factory import write_film
from vfa.method.age import AGE_UNKNOWN, parse_patient_age
from vfa.films.calibration import SpacingSource, spacing_from_dataset
from vfa.errors import ReadingFormatError
from vfa.method.morphometry import summarize
from vfa.films.radiograph import load_radiograph
from vfa.reading.reading import Reading, load_reading, save_reading
from vfa.method.settings import MethodSettings

from tests.readings_factory import make_reading


# ------------------------------------------------------------------ age (§6)
@pytest.mark.parametrize("text, years", [
    ("011Y", 11.0), ("006M", 0.5), ("010W", 70 / 365.2425), ("020D", 20 / 365.2425),
    ("018Y", 18.0), (" 11Y", 11.0),
])
def test_patient_age_forms(text, years):
    assert parse_patient_age(text) == pytest.approx(years)


@pytest.mark.parametrize("text", ["", None, "11", "Y", "011X", "1234Y", "eleven"])
def test_patient_age_unreadable_is_unknown(text):
    assert parse_patient_age(text) is None


def test_age_order_birth_date_then_patient_age_then_reader():
    r = Reading(patient_id="P", study_date=dt.date(2024, 1, 1), birth_date=dt.date(2014, 1, 1),
                patient_age="040Y", age_years=50)
    assert r.age_and_source() == (10.0, "birth date")
    r.birth_date = None
    assert r.age_and_source() == (40.0, "Patient's Age")
    r.patient_age = None
    assert r.age_and_source() == (50.0, "entered by the reader")
    r.age_years = None
    assert r.age_and_source() == (None, None)


@pytest.mark.parametrize("patient_age, age_years, paed", [
    ("011Y", None, True), ("006M", None, True), ("010W", None, True), ("020D", None, True),
    ("017Y", None, True), ("045Y", None, False), (None, 9.5, True), (None, 30, False),
    (None, None, None),
])
def test_child_adult_or_unknown_without_birth_date(patient_age, age_years, paed):
    r = make_reading(birth=None)
    r.patient_age, r.age_years = patient_age, age_years
    s = summarize(r)
    assert s.paediatric is paed
    d = s.to_dict()
    assert d["paediatric"] is paed
    assert (d["age_years"] is None) == (paed is None)
    if paed is None:
        assert s.age_label == AGE_UNKNOWN


def test_child_without_birth_date_gets_child_rules_from_patient_age():
    """Issue 8 problem 2: a de-identified child's film is no longer compared as an adult."""
    from vfa.method.comparison import compare
    b = make_reading({"L1": (100.0, 100.0, 100.0)}, birth=None, date=dt.date(2023, 1, 1))
    f = make_reading({"L1": (100.0, 100.0, 80.0)}, birth=None, date=dt.date(2024, 1, 1))
    assert compare(b, f).mm_rule_applicable is True          # age unknown: adult rules
    b.patient_age, f.patient_age = "010Y", "011Y"
    c = compare(b, f)
    assert c.paediatric is True and c.mm_rule_applicable is False


def test_reader_age_is_validated():
    r = Reading(patient_id="P")
    r.set_age_years(12.5)
    assert r.age_years == 12.5
    for bad in (-1, 200, float("nan"), True, "12"):
        with pytest.raises(ValueError, match="age"):
            r.set_age_years(bad)


def test_reading_from_film_keeps_patient_age(tmp_path):
    path = write_film(tmp_path, PatientAge="011Y", PatientBirthDate="")
    rg = load_radiograph(path)
    r = Reading.for_radiograph(rg)
    assert r.birth_date is None and r.patient_age == "011Y"
    assert r.is_paediatric() is True
    out = save_reading(r, tmp_path / "r.json")
    raw = json.loads(out.read_text())
    assert raw["patient_age"] == "011Y" and "age_years" not in raw
    assert load_reading(out).patient_age == "011Y"


def test_age_years_round_trip_and_validation(tmp_path):
    r = make_reading(birth=None)
    r.set_age_years(9.0)
    p = save_reading(r, tmp_path / "r.json")
    assert json.loads(p.read_text())["age_years"] == 9.0
    assert load_reading(p).age_years == 9.0 and load_reading(p).is_paediatric() is True
    d = json.loads(p.read_text())
    d["age_years"] = "nine"
    with pytest.raises(ReadingFormatError, match="age_years"):
        Reading.from_dict(d)


# ------------------------------------------------------------------ confirmed in files (§3)
def test_confirmed_round_trip_absent_means_false(tmp_path):
    r = make_reading()
    r.set_confirmed("T8")
    r.set_reader_grade("T9", 1)
    p = save_reading(r, tmp_path / "r.json")
    raw = json.loads(p.read_text())
    by = {v["level"]: v for v in raw["vertebrae"]}
    assert by["T8"]["confirmed"] is True and by["T9"]["confirmed"] is True
    assert "confirmed" not in by["T10"]
    back = load_reading(p)
    assert back.get("T8").confirmed and back.get("T9").confirmed and not back.get("T10").confirmed
    # a file of an older vfa: a reader grade without the key is confirmed, the rest not
    del by["T9"]["confirmed"]
    by["T8"].pop("confirmed")
    old = Reading.from_dict(raw)
    assert old.get("T9").confirmed and not old.get("T8").confirmed
    by["T8"]["confirmed"] = "yes"
    with pytest.raises(ReadingFormatError, match="confirmed"):
        Reading.from_dict(raw)


def test_new_settings_are_recorded_and_older_files_load(tmp_path):
    r = make_reading()
    raw = r.to_dict()
    assert raw["settings"]["grade_thresholds_pct"] == [20.0, 25.0, 40.0]
    assert raw["settings"]["precision_sd_pct"] == 3.0
    assert raw["settings"]["reference_exclusion_pct"] == 15.0
    assert "min_change_pct" not in raw["settings"] and raw["settings"]["method_version"] == "vfa-six-point/3"
    for k in ("grade_thresholds_pct", "precision_sd_pct", "reference_exclusion_pct"):
        raw["settings"].pop(k)
    assert Reading.from_dict(raw).settings == MethodSettings()
    # a v2 file still loads: min_change_pct (replaced by the LSC, 2.77 x precision_sd_pct)
    # and reference_hp_deficit_pct (replaced by the reference line) are ignored
    raw["settings"].update({"min_change_pct": 4.0, "reference_hp_deficit_pct": 20.0,
                            "method_version": "vfa-six-point/2"})
    assert Reading.from_dict(raw).settings == MethodSettings()


# ------------------------------------------------------------------ spacing sanity (§5)
PS, IPS = Tag(0x0028, 0x0030), Tag(0x0018, 0x1164)


def _raw(ds, tag, value: bytes):
    ds[tag] = RawDataElement(tag, "DS", len(value), value, 0, True, True)


@pytest.mark.parametrize("value", [b"0\\0", b"-1\\-1", b"1e300\\1e300", b"0.01\\0.01",
                                   b"2.5\\2.5", b"0.2", b"nan\\nan", b"0.2\\-1"])
def test_unusable_pixel_spacing_goes_to_the_next_rule_with_a_warning(value):
    ds = Dataset()
    _raw(ds, PS, value)
    ds.ImagerPixelSpacing = [0.15, 0.15]
    warnings: list[str] = []
    sp = spacing_from_dataset(ds, warnings)
    assert sp.source is SpacingSource.IMAGER_PIXEL_SPACING and sp.row_mm == 0.15
    assert len(warnings) == 1
    assert "Pixel Spacing (0028,0030)" in warnings[0] and value.decode() in warnings[0]


@pytest.mark.parametrize("value", [b"0.02\\0.02", b"2.0\\2.0", b"0.139\\0.139"])
def test_spacing_at_the_limits_is_usable(value):
    ds = Dataset()
    _raw(ds, PS, value)
    warnings: list[str] = []
    sp = spacing_from_dataset(ds, warnings)
    assert sp.calibrated and warnings == []


def test_both_spacings_unusable_is_uncalibrated_with_two_warnings():
    ds = Dataset()
    _raw(ds, PS, b"0\\0")
    _raw(ds, IPS, b"1e300\\1e300")
    warnings: list[str] = []
    assert spacing_from_dataset(ds, warnings).source is SpacingSource.UNCALIBRATED
    assert [w.split(" is ")[0] for w in warnings] == ["Pixel Spacing (0028,0030)",
                                                     "Imager Pixel Spacing (0018,1164)"]


def test_loaded_film_reports_the_refused_spacing(tmp_path):
    path = write_film(tmp_path, PixelSpacing=[1e300, 1e300], ImagerPixelSpacing=[0.2, 0.2])
    rg = load_radiograph(path)
    assert rg.spacing.source is SpacingSource.IMAGER_PIXEL_SPACING
    refused = [w for w in rg.warnings if w.startswith("Pixel Spacing (0028,0030)")]
    assert len(refused) == 1 and "1e+300" in refused[0]


# ------------------------------------------------------------------ command line and CSV
def _run(capsys, *args):
    from vfa.cli import main
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out


def test_grade_marks_unconfirmed_grades_and_reports_age(tmp_path, capsys):
    r = make_reading({"T11": (70.0, 70.0, 70.0), "T12": (70.0, 70.0, 70.0)}, birth=None)
    r.patient_age = "011Y"
    r.set_reader_grade("T12", 2)
    p = save_reading(r, tmp_path / "r.json")
    code, out = _run(capsys, "grade", p)
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines() if line[:1] in "TL" and line[1:2].isdigit()}
    assert "2? crush" in rows["T11"] and "2 crush" in rows["T12"] and "2?" not in rows["T12"]
    assert "? = suggested grade not confirmed by the reader (12 levels of 13)" in out
    assert "Age 11.0 y (Patient's Age): paediatric study" in out
    _, js = _run(capsys, "grade", p, "--json")
    d = json.loads(js)
    assert d["age_years"] == 11.0 and d["paediatric"] is True
    v = {x["level"]: x for x in d["vertebrae"]}
    assert v["T11"]["confirmed"] is False and v["T12"]["confirmed"] is True
    assert v["T11"]["crush_assessable"] is True and v["T11"]["crush_reason"] is None
    assert v["T11"]["percent"] == 30.0


def test_grade_says_age_unknown_and_crush_na(tmp_path, capsys):
    r = Reading(patient_id="P")
    from tests.readings_factory import box_points
    r.set_points("T8", box_points(100, 100, 60, 60, 60))
    p = save_reading(r, tmp_path / "r.json")
    _, out = _run(capsys, "grade", p)
    assert "Age unknown: adult rules apply" in out
    assert "crush n/a = too few reference levels" in out
    t8 = next(line for line in out.splitlines() if line.startswith("T8"))
    assert " n/a " in t8 and "0? (crush n/a)" in t8
    _, js = _run(capsys, "grade", p, "--json")
    d = json.loads(js)
    assert d["paediatric"] is None and d["age_years"] is None
    t8 = next(x for x in d["vertebrae"] if x["level"] == "T8")
    assert t8["crush"] is None and t8["crush_assessable"] is False
    assert t8["crush_reason"] == "too few reference levels"


def test_compare_lists_uncertain_reshaping_and_common_sdi(tmp_path, capsys):
    kid = dict(birth=dt.date(2012, 6, 1))
    b = make_reading({"T9": (80.1, 100.0, 100.0), "L1": (100.0, 70.0, 100.0),
                      "T12": (70.0, 100.0, 100.0)}, date=dt.date(2023, 1, 1), **kid)
    f = make_reading({"T9": (79.9, 100.0, 100.0), "L1": (100.0, 84.0, 100.0),
                      "T12": (70.0, 100.0, 100.0)}, date=dt.date(2024, 1, 1), **kid)
    f.set_status("T12", "not_evaluable", "not visible")
    pb, pf = save_reading(b, tmp_path / "b.json"), save_reading(f, tmp_path / "f.json")
    _, js = _run(capsys, "compare", pb, pf, "--json")
    d = json.loads(js)
    assert d["uncertain"] == ["T9"] and d["incident"] == [] and d["improved"] == ["L1"]
    ch = {c["level"]: c for c in d["changes"]}
    assert ch["T9"]["change"] == "uncertain" and ch["T9"]["tentative_change"] == "incident"
    assert ch["L1"]["reshaping"] == "complete"
    assert ch["L1"]["ratio_change_pp"] == {"wedge": 0.0, "biconcave": 14.0, "crush": 0.0}
    assert (d["sdi_baseline"], d["sdi_followup"]) == (4, 1)       # T12 unreadable: 4 -> 1
    assert (d["sdi_baseline_common"], d["sdi_followup_common"]) == (2, 1)
    assert d["paediatric"] is True
    _, out = _run(capsys, "compare", pb, pf)
    assert "L1 reshaped completely: biconcave ratio +14 points" in out
    assert "uncertain: T9" in out and "uncertain (incident?)" in out
    assert "over the 12 levels evaluable at both visits 2 -> 1" in out


def test_info_reports_age_from_patient_age_or_unknown(tmp_path, capsys):
    child = write_film(tmp_path, "child.dcm", PatientAge="006M", PatientBirthDate="")
    _, js = _run(capsys, "info", child, "--json")
    d = json.loads(js)
    assert d["age_years"] == 0.5 and d["paediatric"] is True and d["age_source"] == "Patient's Age"
    unknown = write_film(tmp_path, "unknown.dcm", PatientBirthDate="")
    _, js = _run(capsys, "info", unknown, "--json")
    d = json.loads(js)
    assert d["age_years"] is None and d["paediatric"] is None
    _, out = _run(capsys, "info", unknown)
    assert "Age:         unknown" in out


def test_csv_carries_confirmed_uncertain_and_reshaping(tmp_path):
    import csv
    from vfa.outputs.export_csv import export_csv
    kid = dict(birth=dt.date(2012, 6, 1))
    b = make_reading({"T9": (80.1, 100.0, 100.0), "L1": (100.0, 70.0, 100.0)},
                     date=dt.date(2023, 1, 1), **kid)
    f = make_reading({"T9": (79.9, 100.0, 100.0), "L1": (100.0, 84.0, 100.0)},
                     date=dt.date(2024, 1, 1), **kid)
    f.set_confirmed("L1")
    p1, p2, _, _ = export_csv([b, f], tmp_path / "out.csv")
    rows = list(csv.DictReader(p1.open(newline="")))
    l1 = next(r for r in rows if r["level"] == "L1" and r["study_date"] == "2024-01-01")
    assert l1["confirmed"] == "true" and l1["reshaping"] == "complete"
    assert l1["biconcave_change_pp"] == "14.0" and l1["crush_change_pp"] == "0.0"
    t9 = next(r for r in rows if r["level"] == "T9" and r["study_date"] == "2024-01-01")
    assert t9["change"] == "uncertain" and t9["tentative_change"] == "incident"
    assert t9["confirmed"] == "false"
    summ = list(csv.DictReader(p2.open(newline="")))
    assert summ[1]["uncertain_levels"] == "T9" and summ[1]["reshaped_levels"] == "L1"
    assert summ[1]["sdi_baseline_common"] == "2" and summ[1]["sdi_followup_common"] == "1"
    assert summ[1]["unconfirmed"] == "12"


def test_age_carried_from_the_nearest_visit_of_the_patient():
    from vfa.method.age import age_from_other_visits
    a = Reading(patient_id="P", study_date=dt.date(2022, 1, 1), age_years=10.0)
    b = Reading(patient_id="P", study_date=dt.date(2023, 1, 1), patient_age="012Y")
    none = Reading(patient_id="P", study_date=dt.date(2023, 6, 1))
    assert age_from_other_visits(dt.date(2024, 1, 1), [a, b, none]) == pytest.approx(13.0, abs=0.01)
    assert age_from_other_visits(dt.date(2022, 7, 2), [a]) == pytest.approx(10.5, abs=0.01)
    assert age_from_other_visits(dt.date(2024, 1, 1), [none]) is None
    assert age_from_other_visits(None, [a]) is None

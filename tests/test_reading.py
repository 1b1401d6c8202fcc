"""The reading model, its events and the vfa-reading JSON file (docs/reading-format.md)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest

from vfa import atomic
from vfa.films.calibration import Spacing, SpacingSource
from vfa.errors import GeometryError, ReadingFormatError
from vfa.method.levels import LEVELS, DeformityType, Level, PointSlot as S, Status
from vfa.method.morphometry import measure_reading
from vfa.reading.reading import Reading, ReadingEvent, load_reading, save_reading
from vfa.method.settings import MethodSettings


def body(ha=30.0, hm=30.0, hp=30.0, bottom=200.0, x0=100.0, depth=40.0):
    return {
        "superior_anterior": (x0, bottom - ha), "inferior_anterior": (x0, bottom),
        "superior_middle": (x0 + depth / 2, bottom - hm), "inferior_middle": (x0 + depth / 2, bottom),
        "superior_posterior": (x0 + depth, bottom - hp), "inferior_posterior": (x0 + depth, bottom),
    }


def full_reading() -> Reading:
    r = Reading(patient_id="P-001", patient_name="Doe^Jane", birth_date=dt.date(1950, 2, 3),
                patient_sex="F", study_date=dt.date(2024, 5, 6), study_instance_uid="1.2.3",
                series_instance_uid="1.2.3.4", sop_instance_uid="1.2.3.4.5",
                image_path="images/lat.dcm", reader="dr-a",
                spacing=Spacing(0.15, 0.14, SpacingSource.PIXEL_SPACING, "calibration type GEOMETRY"),
                settings=MethodSettings(compare_borderline_as=1, mm_rule_in_children=True))
    r.set_points("T12", body(ha=20.5, bottom=300.25))
    r.set_points("L1", body(bottom=450.0))
    r.set_reader_grade("T12", 2)
    r.set_reader_type("T12", "wedge")
    r.set_note("T12", "old fracture")
    r.set_reader_grade("L1", 0.5)
    r.set_status("L3", "not_evaluable", "hardware")
    r.set_point("L4", "superior_anterior", (12.5, 13.75))  # partial
    return r


def minimal(**over) -> dict:
    d = {"format": "vfa-reading", "version": 1, "patient_id": "P", "vertebrae": []}
    d.update(over)
    return d


def vert(**over) -> dict:
    v = {"level": "T8", "status": "evaluable", "points": {k: list(p) for k, p in body().items()}}
    v.update(over)
    return v


# ------------------------------------------------------------------ round trip
def test_round_trip_through_a_real_file(tmp_path):
    r = full_reading()
    path = tmp_path / "sub" / "reading.vfa.json"
    assert save_reading(r, path) == path
    assert sorted(p.name for p in path.parent.iterdir()) == ["reading.vfa.json"]  # no temp left
    back = load_reading(path)
    a, b = r.to_dict(), back.to_dict()
    assert a == b
    assert back.spacing == r.spacing
    assert back.settings == r.settings
    assert back.birth_date == dt.date(1950, 2, 3) and back.study_date == dt.date(2024, 5, 6)
    t12 = back.get("T12")
    assert t12.points[S.SUPERIOR_ANTERIOR] == (100.0, 279.75)
    assert (t12.reader_grade, t12.reader_type, t12.note) == (2, DeformityType.WEDGE, "old fracture")
    assert back.get("L1").reader_grade == 0.5
    assert back.get("L3").status is Status.NOT_EVALUABLE and back.get("L3").reason == "hardware"
    assert back.get("L4").points == {S.SUPERIOR_ANTERIOR: (12.5, 13.75)}
    assert not back.get("L4").complete
    # measurements identical after the round trip
    assert [x.to_dict() for x in measure_reading(r)] == [x.to_dict() for x in measure_reading(back)]
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["format"] == "vfa-reading" and raw["version"] == 1
    assert raw["saved_at"].endswith("+00:00")
    assert raw["pixel_spacing_mm"] == [0.15, 0.14]
    assert raw["spacing_source"] == "pixel_spacing"
    assert raw["spacing_detail"] == "calibration type GEOMETRY"
    assert raw["settings"]["method_version"] == "vfa-six-point/3"
    assert [v["level"] for v in raw["vertebrae"]] == ["T12", "L1", "L3", "L4"]


def test_uncalibrated_round_trip_keeps_pixel_aspect_ratio(tmp_path):
    r = Reading(patient_id="P", spacing=Spacing.uncalibrated((2.0, 1.0)))
    r.set_points("T8", body(hp=30, ha=24))
    # an oblique anterior wall so that the aspect changes the ratio, not only the heights
    r.set_point("T8", "superior_anterior", (90.0, 176.0))
    before = measure_reading(r)[4]
    path = save_reading(r, tmp_path / "r.json")
    raw = json.loads(path.read_text())
    assert raw["pixel_spacing_mm"] is None and raw["spacing_source"] == "uncalibrated"
    assert raw["pixel_aspect_ratio"] == [2.0, 1.0]
    back = load_reading(path)
    assert back.spacing == r.spacing
    after = measure_reading(back)[4]
    assert after.heights == before.heights and after.wedge == before.wedge


def test_square_uncalibrated_writes_null_aspect_and_old_files_load():
    d = Reading(patient_id="P").to_dict()
    assert d["pixel_aspect_ratio"] is None and d["pixel_spacing_mm"] is None
    d.pop("pixel_aspect_ratio")
    assert Reading.from_dict(d).spacing == Spacing.uncalibrated()


def test_failed_write_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "reading.json"
    save_reading(full_reading(), path)
    original = path.read_bytes()
    changed = full_reading()
    changed.set_reader_grade("L1", 3)

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError, match="No space left on device"):
        save_reading(changed, path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["reading.json"]  # temp file removed
    monkeypatch.undo()
    save_reading(changed, path)
    assert load_reading(path).get("L1").reader_grade == 3


def test_unknown_keys_kept_on_resave(tmp_path):
    d = minimal(future_field={"a": [1, 2]}, vertebrae=[vert(confidence=0.8, tags=["x"])])
    path = tmp_path / "r.json"
    path.write_text(json.dumps(d))
    r = load_reading(path)
    r.set_reader_grade("T8", 1)
    save_reading(r, path)
    raw = json.loads(path.read_text())
    assert raw["future_field"] == {"a": [1, 2]}
    assert raw["vertebrae"][0]["confidence"] == 0.8
    assert raw["vertebrae"][0]["tags"] == ["x"]
    assert raw["vertebrae"][0]["reader_grade"] == 1


def test_known_keys_win_over_stale_extras():
    r = Reading.from_dict(minimal(vertebrae=[vert()]))
    r.extra["format"] = "something-else"  # never allowed to override the format marker
    assert r.to_dict()["format"] == "vfa-reading"


def test_saved_at_and_software_are_not_extras(tmp_path):
    path = save_reading(Reading(patient_id="P"), tmp_path / "r.json")
    r = load_reading(path)
    assert "saved_at" not in r.extra and "software" not in r.extra


def test_partial_points_allowed_and_unannotated_levels_omitted():
    d = minimal(vertebrae=[{"level": "T9", "points": {"superior_anterior": [1, 2],
                                                      "inferior_posterior": [3.5, 40]}}])
    r = Reading.from_dict(d)
    v = r.get("T9")
    assert v.status is Status.EVALUABLE and not v.complete
    assert v.next_slot() is S.SUPERIOR_MIDDLE
    assert r.get("T10") is None
    r.vertebra("T10")  # created empty: not written
    assert [x["level"] for x in r.to_dict()["vertebrae"]] == ["T9"]


def test_evaluable_vertebra_with_null_points_written_as_null():
    r = Reading(patient_id="P")
    r.set_reader_grade("L2", 1)
    v = r.to_dict()["vertebrae"][0]
    assert v == {"level": "L2", "status": "evaluable", "reason": None, "points": None,
                 "reader_grade": 1, "reader_type": None, "note": None, "confirmed": True}


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("data, pattern", [
    ([], r"a reading must be a JSON object"),
    (minimal(format="dicom-sr"), r"field 'format' must be 'vfa-reading', got 'dicom-sr'"),
    ({"version": 1, "patient_id": "P"}, r"field 'format' must be 'vfa-reading', got None"),
    (minimal(version=2), r"field 'version' is 2; this vfa reads version 1: upgrade vfa"),
    (minimal(version="1"), r"field 'version' is '1'; this vfa reads version 1"),
    (minimal(version=True), r"field 'version' is True"),
    (minimal(version=1.0), r"field 'version' is 1.0"),
    ({"format": "vfa-reading", "version": 1}, r"field 'patient_id' is missing"),
    (minimal(patient_id=12), r"field 'patient_id' must be a string, got 12"),
    (minimal(reader=["a"]), r"field 'reader' must be a string"),
    (minimal(study_date="06/05/2024"), r"field 'study_date' is '06/05/2024': expected a date YYYY-MM-DD"),
    (minimal(birth_date=19500203), r"field 'birth_date' must be a date YYYY-MM-DD \(a string or null\), got 19500203"),
    (minimal(spacing_source="ruler"), r"field 'spacing_source' is 'ruler': expected one of "
                                      r"'pixel_spacing', .*'uncalibrated'"),
    (minimal(spacing_source="pixel_spacing"), r"field 'pixel_spacing_mm' must be \[row_mm, col_mm\] "
                                              r"for a calibrated reading"),
    (minimal(spacing_source="pixel_spacing", pixel_spacing_mm=[0.1]),
     r"field 'pixel_spacing_mm' must be \[row_mm, col_mm\], two numbers, got \[0.1\]"),
    (minimal(spacing_source="manual", pixel_spacing_mm=["0.1", "0.1"]),
     r"field 'pixel_spacing_mm\[[01]\]' must be a number, got '0.1'"),
    (minimal(spacing_source="manual", pixel_spacing_mm=[True, 0.1]),
     r"field 'pixel_spacing_mm\[0\]' must be a number, got True"),
    (minimal(spacing_source="manual", pixel_spacing_mm=0.1), r"field 'pixel_spacing_mm'"),
    (minimal(pixel_spacing_mm=[0.1, 0.1]), r"field 'pixel_spacing_mm': must be null when "
                                          r"'spacing_source' is 'uncalibrated' \(or absent\), got \[0.1, 0.1\]"),
    (minimal(pixel_aspect_ratio=[1, 0]), r"field 'pixel_aspect_ratio\[1\]' is 0: expected a number more than 0"),
    (minimal(settings=[1]), r"field 'settings' must be an object or null, got \[1\]"),
    (minimal(settings={"fit_loss_mm": "4"}), r"field 'settings.fit_loss_mm' must be a number, "
                                             r"got '4'"),
    (minimal(settings={"mm_rule_in_children": 1}),
     r"field 'settings.mm_rule_in_children' must be true or false, got 1"),
    (minimal(vertebrae={"T8": {}}), r"field 'vertebrae' must be an array, got \{'T8': \{\}\}"),
    (minimal(vertebrae=["T8"]), r"vertebrae\[0\] must be an object"),
    (minimal(vertebrae=[vert(level="C7")]), r"vertebrae\[0\]\.level is 'C7': expected a level T4 ... T12, L1 ... L4"),
    (minimal(vertebrae=[vert(level=None)]),
     r"vertebrae\[0\]\.level must be a level T4 ... T12, L1 ... L4 \(a string\), got None"),
    (minimal(vertebrae=[vert(), vert(level="T9"), vert(level="t8")]),
     r"vertebrae\[2\] \(T8\): level T8 appears twice"),
    (minimal(vertebrae=[vert(status="broken")]),
     r"vertebrae\[0\] \(T8\)\.status is 'broken': expected one of 'evaluable', 'not_evaluable'"),
    (minimal(vertebrae=[vert(status="not_evaluable")]),
     r"vertebrae\[0\] \(T8\): status 'not_evaluable' needs a non-blank 'reason'$"),
    (minimal(vertebrae=[vert(status="not_evaluable", reason="   ")]),
     r"vertebrae\[0\] \(T8\)\.reason: status 'not_evaluable' needs a non-blank 'reason', got '   '"),
    (minimal(vertebrae=[vert(reason=5)]), r"vertebrae\[0\] \(T8\)\.reason must be a string or null"),
    (minimal(vertebrae=[vert(points=[[1, 2]])]), r"vertebrae\[0\] \(T8\)\.points must be an object or null"),
    (minimal(vertebrae=[vert(points={"superior_anterior": [1, 2, 3]})]),
     r"vertebrae\[0\] \(T8\)\.points\.superior_anterior must be \[x, y\], two numbers of at most "
     r"1e\+06 pixels, got \[1, 2, 3\]"),
    (minimal(vertebrae=[vert(points={"superior_anterior": {"x": 1, "y": 2}})]),
     r"vertebrae\[0\] \(T8\)\.points\.superior_anterior must be \[x, y\].*\(an array\), got \{'x': 1"),
    (minimal(vertebrae=[vert(points={"superior_anterior": ["1", 2]})]),
     r"superior_anterior\[0\] must be a number, got '1'"),
    (minimal(vertebrae=[vert(points={"anterior_top": [1, 2]})]),
     r"vertebrae\[0\] \(T8\)\.points: unknown key 'anterior_top': expected one of superior_anterior, "),
    (minimal(vertebrae=[vert(reader_grade=1.5)]),
     r"vertebrae\[0\] \(T8\)\.reader_grade is 1.5: expected a Genant grade: 0, 0.5, 1, 2 or 3"),
    (minimal(vertebrae=[vert(reader_grade=4)]),
     r"vertebrae\[0\] \(T8\)\.reader_grade is 4: expected a Genant grade"),
    (minimal(vertebrae=[vert(reader_grade="2")]),
     r"vertebrae\[0\] \(T8\)\.reader_grade must be a Genant grade: 0, 0.5, 1, 2 or 3 \(a number or null\), "
     r"got '2'"),
    (minimal(vertebrae=[vert(reader_grade=True)]), r"vertebrae\[0\] \(T8\)\.reader_grade must be .*got True"),
    (minimal(vertebrae=[vert(reader_type="compression")]),
     r"vertebrae\[0\] \(T8\)\.reader_type is 'compression': expected one of 'wedge', 'biconcave', 'crush'"),
    (minimal(vertebrae=[vert(note=3)]), r"vertebrae\[0\] \(T8\)\.note must be a string or null"),
])
def test_validation_names_the_bad_field(data, pattern):
    with pytest.raises(ReadingFormatError, match=pattern):
        Reading.from_dict(data)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_point_rejected(tmp_path, token):
    text = json.dumps(minimal(vertebrae=[vert()])).replace("[100.0, 170.0]", f"[{token}, 170.0]")
    assert token in text
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(ReadingFormatError,
                       match=rf"^{path}: vertebrae\[0\] \(T8\)\.points\.superior_anterior\[0\] is "
                             r"-?(NaN|Infinity): non-finite numbers \(NaN, Infinity\) are not allowed"):
        load_reading(path)


def test_impossible_geometry_in_a_file_rejected():
    pts = body()
    pts["superior_anterior"], pts["inferior_anterior"] = pts["inferior_anterior"], pts["superior_anterior"]
    d = minimal(vertebrae=[vert(level="L2", points={k: list(v) for k, v in pts.items()})])
    with pytest.raises(ReadingFormatError,
                       match=r"vertebrae\[0\] \(L2\): L2: superior_anterior is not above "
                             r"inferior_anterior"):
        Reading.from_dict(d)


def test_impossible_geometry_allowed_when_not_evaluable():
    pts = body()
    pts["superior_anterior"], pts["inferior_anterior"] = pts["inferior_anterior"], pts["superior_anterior"]
    d = minimal(vertebrae=[vert(level="L2", status="not_evaluable", reason="rotated/oblique",
                                points={k: list(v) for k, v in pts.items()})])
    assert Reading.from_dict(d).get("L2").complete


def test_file_errors_name_the_file(tmp_path):
    missing = tmp_path / "none.json"
    with pytest.raises(ReadingFormatError, match=rf"reading file {missing} does not exist"):
        load_reading(missing)
    with pytest.raises(ReadingFormatError, match=r"is a folder, not a reading file"):
        load_reading(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "vfa-reading",\n "version": }')
    with pytest.raises(ReadingFormatError, match=rf"^{bad} is not valid JSON \(line 2, column"):
        load_reading(bad)
    binary = tmp_path / "img.dcm"
    binary.write_bytes(b"\x00\xff\xfe" * 50)
    with pytest.raises(ReadingFormatError, match=r"is not a text \(JSON\) file"):
        load_reading(binary)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(minimal(version=7)))
    with pytest.raises(ReadingFormatError, match=rf"^{wrong}: field 'version' is 7"):
        load_reading(wrong)


# ------------------------------------------------------------------ edits
def test_not_evaluable_requires_reason():
    r = Reading(patient_id="P")
    for reason in (None, "", "   "):
        with pytest.raises(ValueError, match=r"T5: a reason is required to mark a level not evaluable"):
            r.set_status("T5", "not_evaluable", reason)
    assert r.get("T5") is None or r.get("T5").status is Status.EVALUABLE
    r.set_status("T5", "not_evaluable", "  technically inadequate ")
    assert r.get("T5").reason == "technically inadequate"
    r.set_status("T5", "evaluable")
    assert r.get("T5").status is Status.EVALUABLE and r.get("T5").reason is None


def test_set_point_with_check_refuses_impossible_vertebra():
    r = Reading(patient_id="P")
    pts = body()
    for k in list(pts)[:-1]:
        r.set_point("T6", k, pts[k], check=True)
    with pytest.raises(GeometryError, match=r"T6: superior_posterior is not above inferior_posterior"):
        r.set_point("T6", "inferior_posterior", (140.0, 100.0), check=True)
    assert S.INFERIOR_POSTERIOR not in r.get("T6").points   # refused: not stored
    r.set_point("T6", "inferior_posterior", pts["inferior_posterior"], check=True)
    assert r.get("T6").complete


def test_set_point_validates_coordinates():
    r = Reading(patient_id="P")
    with pytest.raises(ValueError, match=r"T6 superior_middle has a coordinate that is not a finite"):
        r.set_point("T6", "superior_middle", (float("nan"), 1.0))
    with pytest.raises(ValueError, match=r"unknown point 'top'"):
        r.set_point("T6", "top", (1.0, 1.0))


def test_copy_is_independent_and_works_on_in_progress_impossible_points():
    r = full_reading()
    pts = body()
    pts["superior_middle"] = (120.0, 260.0)  # below the inferior middle point
    r.set_points("T8", pts)
    with pytest.raises(GeometryError):
        r.check()
    c = r.copy()
    assert c.to_dict() == r.to_dict()
    c.set_reader_grade("T12", 3)
    c.extra["x"] = 1
    assert r.get("T12").reader_grade == 2 and "x" not in r.extra


def test_restore_emits_reset_and_keeps_listeners():
    r = Reading(patient_id="A")
    events = []
    r.events.connect(events.append)
    r.restore(full_reading())
    assert r.patient_id == "P-001" and r.get("T12").reader_grade == 2
    assert [e.kind for e in events] == ["reset"]


# ------------------------------------------------------------------ relabel
def test_relabel_shifts_all_levels_together():
    r = Reading(patient_id="P")
    r.set_points("T12", body(ha=20))
    r.set_reader_grade("T12", 2)
    r.set_points("L1", body())
    r.set_status("L2", "not_evaluable", "hardware")
    r.vertebra("L4")  # empty: ignored
    r.relabel(+1)
    assert [v.level.value for v in r] == ["L1", "L2", "L3"]
    assert r.get("L1").reader_grade == 2 and r.get("L1").points[S.SUPERIOR_ANTERIOR] == (100.0, 180.0)
    assert r.get("L3").status is Status.NOT_EVALUABLE
    assert all(v.level is lv for lv, v in r.vertebrae.items())
    r.relabel(-2)
    assert [v.level.value for v in r] == ["T11", "T12", "L1"]
    assert r.get("T11").reader_grade == 2


@pytest.mark.parametrize("levels, shift, culprit", [
    (["T12", "L4"], +1, "L4"), (["T4", "T8"], -1, "T4"), (["T5", "L2"], +3, "L2"),
    (["T5", "L2"], -2, "T5"),
])
def test_relabel_refused_past_t4_or_l4_and_nothing_changes(levels, shift, culprit):
    r = Reading(patient_id="P")
    for lv in levels:
        r.set_points(lv, body())
    before = r.to_dict()
    events = []
    r.events.connect(events.append)
    with pytest.raises(ValueError,
                       match=re.escape(f"cannot relabel by {shift:+d}: {culprit} would leave T4-L4")):
        r.relabel(shift)
    assert r.to_dict() == before
    assert all(v.level is lv for lv, v in r.vertebrae.items())
    assert events == []


def test_relabel_zero_is_a_no_op():
    r = full_reading()
    events = []
    r.events.connect(events.append)
    r.relabel(0)
    assert events == []


# ------------------------------------------------------------------ events
def test_every_edit_emits_one_event():
    r = Reading(patient_id="P")
    events: list[ReadingEvent] = []
    r.events.connect(events.append)

    r.set_point("T8", "superior_anterior", (1.0, 2.0))
    r.set_points("T9", body())
    r.remove_point("T8", "superior_anterior")
    r.remove_point("T8", "superior_anterior")          # nothing to remove: no event
    r.set_reader_grade("T9", 1)
    r.set_reader_type("T9", "crush")
    r.set_status("T9", "not_evaluable", "not visible")
    r.set_note("T9", "see CT")
    r.set_spacing(Spacing(0.1, 0.1, SpacingSource.MANUAL))
    r.relabel(1)
    r.remove_vertebra("T10")
    r.remove_vertebra("T10")                           # already gone: no event
    kinds = [(e.kind, e.level.value if e.level else None, e.slot.value if e.slot else None)
             for e in events]
    assert kinds == [
        ("point", "T8", "superior_anterior"), ("point", "T9", None),
        ("point", "T8", "superior_anterior"), ("grade", "T9", None), ("type", "T9", None),
        ("status", "T9", None), ("note", "T9", None), ("spacing", None, None),
        ("relabel", None, None), ("vertebra", "T10", None),
    ]


def test_failed_edit_emits_nothing_and_disconnect_works():
    r = Reading(patient_id="P")
    count = [0]

    def cb(event):
        count[0] += 1

    r.events.connect(cb)
    with pytest.raises(ValueError, match=r"grade 4 is not a Genant grade"):
        r.set_reader_grade("T8", 4)
    with pytest.raises(ValueError, match=r"unknown deformity type 'oblique'"):
        r.set_reader_type("T8", "oblique")
    with pytest.raises(ValueError, match=r"unknown vertebral level 'S1'"):
        r.set_reader_grade("S1", 1)
    assert count[0] == 0
    r.set_reader_grade("T8", 0.5)
    assert count[0] == 1
    r.events.disconnect(cb)
    r.set_reader_grade("T8", 1)
    assert count[0] == 1


def test_iteration_in_level_order():
    r = Reading(patient_id="P")
    for lv in ("L4", "T4", "T12"):
        r.set_reader_grade(lv, 0)
    assert [v.level for v in r] == [Level.T4, Level.T12, Level.L4]
    assert all(lv in LEVELS for lv in r.vertebrae)


def test_settings_round_trip_and_unknown_settings_ignored():
    d = minimal(settings={"fit_loss_pct": 25, "method_version": "vfa-six-point/2", "future": 1})
    r = Reading.from_dict(d)
    assert r.settings.fit_loss_pct == 25 and r.settings.fit_loss_mm == 4.0
    assert r.to_dict()["settings"]["fit_loss_pct"] == 25


def test_atomic_write_creates_parent_folders(tmp_path):
    target = tmp_path / "a" / "b" / "r.json"
    save_reading(Reading(patient_id="P"), target)
    assert target.exists()
    assert os.listdir(target.parent) == ["r.json"]


def test_example_in_format_doc_loads_and_round_trips():
    from pathlib import Path
    doc = Path(__file__).resolve().parent.parent / "docs" / "reading-format.md"
    example = re.search(r"```json\n(.*?)```", doc.read_text(encoding="utf-8"), re.S).group(1)
    r = Reading.from_json(example)
    assert [v.level.value for v in r] == ["T12", "L1", "L3"]
    assert r.spacing == Spacing(0.15, 0.15, SpacingSource.PIXEL_SPACING, "calibration type GEOMETRY")
    assert r.get("T12").complete and r.get("T12").reader_grade == 2
    written = r.to_dict()
    original = json.loads(example)
    for key in ("saved_at", "software"):
        original.pop(key)
        written.pop(key, None)
    assert written == original


# ------------------------------------------------------------------ the schema (docs/reading-format.schema.json)
def test_schema_in_docs_is_the_one_in_the_package_and_a_valid_2020_12_schema():
    from importlib import resources
    from jsonschema import Draft202012Validator
    repo = Path(__file__).resolve().parent.parent
    shipped = resources.files("vfa.reading").joinpath("reading-format.schema.json").read_text(encoding="utf-8")
    assert (repo / "docs" / "reading-format.schema.json").read_text(encoding="utf-8") == shipped
    schema = json.loads(shipped)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_an_outside_tool_validates_the_bundled_readings_with_the_schema_alone():
    """Plain jsonschema and the schema file, no vfa code: the bundled references are valid and
    a reading vfa refuses for its type is refused by the schema too."""
    from jsonschema import Draft202012Validator
    repo = Path(__file__).resolve().parent.parent
    v = Draft202012Validator(json.loads((repo / "docs" / "reading-format.schema.json").read_text()))
    files = sorted((repo / "sample_dicoms" / "reference").glob("*.json"))
    assert files
    for f in files:
        assert not list(v.iter_errors(json.loads(f.read_text()))), f
    assert list(v.iter_errors(minimal(vertebrae=[vert(reader_grade=1.5)])))
    assert list(v.iter_errors(minimal(patient_id="A" * 65)))


def test_old_files_with_v2_settings_still_load():
    r = Reading.from_dict(minimal(settings={"min_change_pct": 5.0, "method_version": "vfa-six-point/1"}))
    assert r.patient_id == minimal()["patient_id"]


@pytest.mark.parametrize("spacing", [[50, 50], [0, 0], [-0.1, 0.1], [0.01, 0.1], [0.1, 2.5], [1e300, 0.1]])
def test_unusable_spacing_in_a_file_is_a_warning_and_the_reading_uncalibrated(tmp_path, spacing):
    from vfa.errors import VfaWarning
    path = tmp_path / "r.json"
    path.write_text(json.dumps(minimal(spacing_source="pixel_spacing", pixel_spacing_mm=spacing)))
    with pytest.warns(VfaWarning, match=r"field 'pixel_spacing_mm' is .*: not usable \(two finite numbers "
                                        r"between 0.02 and 2 mm are needed\)"):
        r = load_reading(path)
    assert not r.spacing.calibrated and r.load_warnings


@pytest.mark.parametrize("token", ["Infinity", "NaN"])
def test_non_finite_spacing_in_a_file_is_a_warning_too(tmp_path, token):
    from vfa.errors import VfaWarning
    path = tmp_path / "r.json"
    path.write_text(json.dumps(minimal(spacing_source="manual", pixel_spacing_mm=[0.1, 0.1]))
                    .replace("[0.1, 0.1]", f"[{token}, 0.1]"))
    with pytest.warns(VfaWarning, match=r"is \[(nan|inf), 0.1\] \(manual\): not usable"):
        r = load_reading(path)
    assert not r.spacing.calibrated


def test_spacing_at_the_limits_is_used():
    for sp in ([0.02, 0.02], [2.0, 2.0]):
        r = Reading.from_dict(minimal(spacing_source="manual", pixel_spacing_mm=sp))
        assert r.spacing.calibrated and [r.spacing.row_mm, r.spacing.col_mm] == sp


@pytest.mark.parametrize("text, pattern", [
    ('{"format": "vfa-reading", "version": 1, "patient_id": "P", "x": ' + "1" * 5001 + "}",
     r"field 'x': a number written with 5001 characters; the limit is 100"),
    ('{"format": "vfa-reading", "version": 1, "patient_id": "P", "x": ' + "[" * 100000 + "]" * 100000 + "}",
     r"nested deeper than 32 levels"),
    ('{"format": "vfa-reading", "version": 1, "patient_id": "P", "x": ' + "[" * 40 + "]" * 40 + "}",
     r"nested deeper than 32 levels"),
    ('{"format": "vfa-reading", "version": 1, "patient_id": "P", "settings": {"fit_loss_pct": 1e999}}',
     r"field 'settings.fit_loss_pct' is Infinity: non-finite numbers"),
    ('{"format": "vfa-reading", "version": 1, "patient_id": "P", "age_years": NaN}',
     r"field 'age_years' is NaN: non-finite numbers"),
    ('{"format": "vfa-reading", "version": 1, "patient_id": "P", "fit": 1e20}',
     r"field 'fit' is 1e\+20: numbers in a reading file are at most 1e\+15"),
    ('{"format": "vfa-reading", "version": 1, "patient_id": "\\ud800"}', r"lone UTF-16 surrogate"),
    ('{"format": "vfa-reading", "version": 1, "patient_id": "P", "vertebrae": [{"level": "T4", "note": "'
     + "x" * 1025 + '"}]}', r"vertebrae\[0\] \(T4\)\.note is 1025 characters long: the limit is 1024"),
])
def test_limits_are_one_line_errors_naming_the_field(tmp_path, text, pattern):
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(ReadingFormatError, match=pattern) as info:
        load_reading(path)
    assert "\n" not in str(info.value) and len(str(info.value)) < 400


def test_file_limits(tmp_path):
    from vfa import limits
    big = tmp_path / "big.json"
    big.write_text('{"format": "vfa-reading", "version": 1, "patient_id": "' + "A" * limits.READING_FILE_BYTES + '"}')
    with pytest.raises(ReadingFormatError, match=r"a reading file is at most 2,097,152 bytes"):
        load_reading(big)
    with pytest.raises(ReadingFormatError, match=r"File name too long"):
        load_reading(tmp_path / ("x" * 300 + ".json"))
    with pytest.raises(ReadingFormatError, match=r"not a regular file"):
        load_reading("/dev/zero")


def test_what_vfa_writes_stays_within_the_limits():
    r = Reading(patient_id="P")
    with pytest.raises(ValueError, match=r"the note is 1025 characters long: at most 1024"):
        r.set_note("T4", "x" * 1025)
    with pytest.raises(ValueError, match=r"the reason is 2000 characters long"):
        r.set_status("T4", "not_evaluable", "x" * 2000)
    r.set_note("T4", "x" * 1024)
    assert Reading.from_json(r.to_json()).vertebrae[Level.T4].note == "x" * 1024

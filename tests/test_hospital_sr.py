"""SR export of films that lack ordinary attributes (issue 9): type 2 present and empty,
type 1 taken from the reading or generated (and said so), dciodvfy clean, round trip lossless."""

from __future__ import annotations

import shutil
import subprocess

import pydicom
import pytest

from vfa.outputs import sr
from vfa.cli import main
from vfa.reading.reading import save_reading

from test_sr import _film_and_reading, assert_same_reading

TYPE2 = ["AccessionNumber", "StudyID", "StudyDate", "StudyTime", "PatientName", "PatientID",
         "PatientBirthDate", "PatientSex", "ReferringPhysicianName"]


def _strip(film, *keywords):
    ds = pydicom.dcmread(film)
    for kw in keywords:
        if kw in ds:
            del ds[kw]
    ds.save_as(film)


def _dciodvfy_errors(path):
    if shutil.which("dciodvfy") is None:
        pytest.skip("dicom3tools' dciodvfy is not installed")
    p = subprocess.run(["dciodvfy", str(path)], capture_output=True, timeout=120)
    text = (p.stdout + p.stderr).decode("utf-8", errors="replace")
    return [ln for ln in text.splitlines() if ln.startswith("Error")]


@pytest.mark.parametrize("missing", [[kw] for kw in TYPE2] + [TYPE2])
def test_film_without_type2_attributes_exports_and_round_trips(tmp_path, missing):
    r, film = _film_and_reading(tmp_path)
    _strip(film, *missing)
    warnings: list[str] = []
    out = sr.export_sr(r, tmp_path / "out.dcm", image=film, warnings=warnings)
    ds = pydicom.dcmread(out)
    for kw in TYPE2:
        assert kw in ds, kw  # type 2: always present
    assert str(ds.AccessionNumber) == "" if "AccessionNumber" in missing else "A1"
    if "PatientID" in missing:  # known to the reading: taken from it
        assert ds.PatientID == r.patient_id
    assert not _dciodvfy_errors(out)
    assert_same_reading(r, sr.import_sr(out))
    assert not any("UID" in w for w in warnings), warnings


def test_film_without_study_uid_takes_the_readings_and_says_so(tmp_path):
    r, film = _film_and_reading(tmp_path)
    _strip(film, "StudyInstanceUID", "SeriesInstanceUID", *TYPE2)
    warnings: list[str] = []
    out = sr.export_sr(r, tmp_path / "out.dcm", image=film, warnings=warnings)
    ds = pydicom.dcmread(out)
    assert ds.StudyInstanceUID == r.study_instance_uid
    assert any("no Study Instance UID" in w and "reading's" in w for w in warnings), warnings
    assert any("no Series Instance UID" in w for w in warnings), warnings
    assert not _dciodvfy_errors(out)
    assert_same_reading(r, sr.import_sr(out))


def test_study_uid_known_to_nobody_is_generated_and_said_on_the_cli(tmp_path, capsys):
    r, film = _film_and_reading(tmp_path)
    _strip(film, "StudyInstanceUID", *TYPE2)
    r.study_instance_uid = ""
    rj = tmp_path / "r.json"
    save_reading(r, rj)
    assert main(["export-sr", str(rj), "-o", str(tmp_path / "out.dcm"), "--image", str(film)]) == 0
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if "warning" in ln]
    assert len(lines) == 1 and "no Study Instance UID" in lines[0] and "generated" in lines[0], err
    ds = pydicom.dcmread(tmp_path / "out.dcm")
    assert pydicom.uid.UID(ds.StudyInstanceUID).is_valid
    assert not _dciodvfy_errors(tmp_path / "out.dcm")


def test_invalid_type2_values_are_left_out_not_copied(tmp_path):
    r, film = _film_and_reading(tmp_path)
    ds = pydicom.dcmread(film)
    ds.PatientSex = "X"
    ds.StudyTime = "25:99"
    ds.save_as(film)
    warnings: list[str] = []
    out = sr.export_sr(r, tmp_path / "out.dcm", image=film, warnings=warnings)
    back = pydicom.dcmread(out)
    assert back.PatientSex == r.patient_sex  # the reading's, not "X"
    assert back.StudyTime == ""
    assert not _dciodvfy_errors(out)

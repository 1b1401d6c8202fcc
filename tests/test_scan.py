"""Folder scanning: films found, non-images and broken files listed, progress and cancel."""

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from vfa.scan import scan_paths


def write_film(path, patient="P1", date="20240101", sop_class="1.2.840.10008.5.1.4.1.1.1.1"):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientID, ds.StudyDate, ds.Modality = patient, date, "DX"
    ds.PatientName, ds.StudyTime, ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "SYNTH^ONE", "101010", "1", 1, 1
    ds.Rows, ds.Columns = 8, 8
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = np.arange(64, dtype=np.uint16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return ds


def test_recursive_scan_lists_films_and_problems(tmp_path):
    write_film(tmp_path / "a" / "one.dcm", date="20240301")
    write_film(tmp_path / "a" / "b" / "two", date="20230101")  # no extension
    write_film(tmp_path / "x" / "sr.dcm", sop_class="1.2.840.10008.5.1.4.1.1.88.33")
    (tmp_path / "x" / "notes.bin").write_bytes(b"hello")
    (tmp_path / "x" / "reading.json").write_text("{}")
    seen = []
    res = scan_paths([tmp_path], progress=lambda i, n: seen.append((i, n)))
    assert sorted(f.path.name for f in res.films) == ["one.dcm", "two"]
    assert [f.study_date.year for f in res.sorted_films()] == [2023, 2024]
    problems = {p.name: why for p, why in res.problems}
    assert problems["notes.bin"] == "not a DICOM file"
    assert "not an image" in problems["sr.dcm"]
    assert res.skipped == 1 and seen[-1] == (4, 4)


def test_cancel_stops_early(tmp_path):
    for i in range(5):
        write_film(tmp_path / f"f{i}.dcm")
    calls = []
    res = scan_paths([tmp_path], progress=lambda i, n: calls.append(i), cancel=lambda: len(calls) >= 2)
    assert res.cancelled and len(res.films) == 2


def test_missing_path_is_a_problem_not_an_error(tmp_path):
    res = scan_paths([tmp_path / "nope"])
    assert res.films == [] and res.problems[0][1] == "does not exist"


def test_dicomdir_is_followed(tmp_path):
    from pydicom.fileset import FileSet
    src = tmp_path / "src"
    a = write_film(src / "a.dcm")
    write_film(src / "b.dcm")
    fs = FileSet()
    fs.add(pydicom.dcmread(src / "a.dcm"))
    out = tmp_path / "media"
    fs.write(out)
    (out / "stray.dcm").write_bytes(b"junk")  # not listed in the DICOMDIR: ignored
    res = scan_paths([out])
    assert [f.sop_instance_uid for f in res.films] == [a.SOPInstanceUID]
    assert res.problems == []

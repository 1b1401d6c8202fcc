"""Folder scanning: films found, non-images and broken files listed, progress and cancel."""

import datetime as dt

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from vfa.films.scan import scan_paths


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


# --------------------------------------------------------------------------- vfa scan --register
def _index_rows(ws):
    from vfa.storage.index import images, patients, studies
    with ws.index.engine.connect() as c:
        return {t.name: sorted(tuple(r) for r in c.execute(t.select()))
                for t in (patients, studies, images)}


def test_register_indexes_headers_like_opening_each_film(tmp_path):
    """``vfa scan --register`` reads headers only, in batches, and indexes exactly what
    registering each opened film did; a film whose pixel data is damaged is still indexed
    (it is decoded when opened, not to be listed)."""
    from cli_runner import run_vfa
    from vfa.films.radiograph import load_radiograph
    from vfa.storage.workspace import Workspace

    folder = tmp_path / "films"
    write_film(folder / "a.dcm", patient="P1", date="20230101")
    b = write_film(folder / "b.dcm", patient="P1", date="20240101")
    b.PatientBirthDate, b.PatientSex, b.ViewPosition = "19500203", "F", "LL"
    b.save_as(folder / "b.dcm", enforce_file_format=True)
    write_film(folder / "c.dcm", patient="P2", date="")  # no study date
    anon = write_film(folder / "anon.dcm", patient="")   # no patient ID: not indexed
    damaged = write_film(folder / "d.dcm", patient="P3")
    damaged.PixelData = damaged.PixelData[:10]
    damaged.save_as(folder / "d.dcm", enforce_file_format=True)

    reference = Workspace(tmp_path / "ref")
    for name in ("a.dcm", "b.dcm", "c.dcm", "anon.dcm"):
        reference.register_radiograph(load_radiograph(folder / name))
    expected = _index_rows(reference)
    reference.close()

    p = run_vfa("scan", folder, "--register", "--workspace", tmp_path / "ws")
    assert p.returncode == 0, p.stderr
    assert "5 film(s), 0 problem(s)" in p.stdout
    ws = Workspace(tmp_path / "ws")
    got = _index_rows(ws)
    assert [r[0] for r in got["patients"]] == ["P1", "P2", "P3"]
    assert anon.SOPInstanceUID not in {r[0] for r in got["images"]}
    # the damaged film is indexed from its header; the others exactly as when opened
    got["patients"] = [r for r in got["patients"] if r[0] != "P3"]
    got["studies"] = [r for r in got["studies"] if r[0] != damaged.StudyInstanceUID]
    got["images"] = [r for r in got["images"] if r[0] != damaged.SOPInstanceUID]
    assert got == expected
    assert ("P1", "SYNTH^ONE", dt.date(1950, 2, 3), "F") in got["patients"]

    # registering again (another batch, another folder) merges: known values are kept
    bare = write_film(tmp_path / "more" / "b2.dcm", patient="P1")
    del bare.PatientName
    bare.save_as(tmp_path / "more" / "b2.dcm", enforce_file_format=True)
    problems = ws.register_films(scan_paths([tmp_path / "more", folder], with_identity=True).films,
                                 batch=2)
    assert problems == []
    rows = _index_rows(ws)
    assert ("P1", "SYNTH^ONE", dt.date(1950, 2, 3), "F") in rows["patients"]
    assert len(rows["images"]) == 5
    ws.close()

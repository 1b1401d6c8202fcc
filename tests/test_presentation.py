"""GSPS and annotated secondary capture of a reading (vfa/outputs/presentation.py): real files written
by the CLI, validated with dciodvfy, read back with pydicom, and round-tripped through Orthanc."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest

from orthanc import orthanc  # noqa: F401
from vfa.films import pacs
from vfa.cli import main
from vfa.method.levels import POINT_SLOTS
from vfa.reading.reading import load_reading

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "sample_dicoms" / "reference" / "child01_2024-03-12.json"   # MONOCHROME1, J2K
REF_ADULT = ROOT / "sample_dicoms" / "reference" / "adult01_2023-04-18.json"
GSPS = "1.2.840.10008.5.1.4.1.1.11.1"
SC = "1.2.840.10008.5.1.4.1.1.7"


def dciodvfy_errors(path: Path) -> list[str]:
    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy (Debian package dicom3tools) is not installed; CI installs it")
    p = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=120)
    return [line for line in (p.stdout + p.stderr).splitlines() if line.startswith("Error")]


def annotations(ds) -> dict[str, dict]:
    """layer -> {"polylines": [...], "circles": [...], "texts": [...]}."""
    out: dict[str, dict] = {}
    for ann in ds.GraphicAnnotationSequence:
        d = out.setdefault(ann.GraphicLayer, {"polylines": [], "circles": [], "texts": []})
        for g in getattr(ann, "GraphicObjectSequence", []):
            pts = np.array(g.GraphicData, dtype=float).reshape(-1, 2)
            d["polylines" if g.GraphicType == "POLYLINE" else "circles"].append(pts)
            assert g.GraphicAnnotationUnits == "PIXEL"
        for t in getattr(ann, "TextObjectSequence", []):
            d["texts"].append(str(t.UnformattedTextValue))
    return out


def test_gsps_cli_validates_and_holds_points_labels_and_window(tmp_path, capsys):
    out = tmp_path / "pr.dcm"
    assert main(["export-gsps", str(REF), "-o", str(out)]) == 0
    assert dciodvfy_errors(out) == []
    ds = pydicom.dcmread(out)
    film = pydicom.dcmread(REF.parent / load_reading(REF).image_path, stop_before_pixels=True)
    assert ds.SOPClassUID == GSPS and ds.Modality == "PR"
    assert ds.StudyInstanceUID == film.StudyInstanceUID and ds.PatientID == film.PatientID
    ref = ds.ReferencedSeriesSequence[0]
    assert ref.SeriesInstanceUID == film.SeriesInstanceUID
    assert ref.ReferencedImageSequence[0].ReferencedSOPInstanceUID == film.SOPInstanceUID
    # MONOCHROME1 film: shown inverted; the film's own first window (the reading has none).
    assert ds.PresentationLUTShape == "INVERSE"
    voi = ds.SoftcopyVOILUTSequence[0]
    assert float(voi.WindowCenter) == float(film.WindowCenter[0] if film["WindowCenter"].VM > 1
                                            else film.WindowCenter)
    layers = annotations(ds)
    reading = load_reading(REF)
    # T7 is a grade-2 wedge in the reference: its outline (7 points, closed) and 6 circles
    # centred exactly on the reading's points, and the label text.
    t7 = reading.get("T7")
    g2 = layers["VFA_GRADE_2"]
    assert "T7 G2 wedge" in g2["texts"]
    outline = next(p for p in g2["polylines"] if np.allclose(p[0], t7.points[POINT_SLOTS[0]], atol=1e-3))
    assert len(outline) == 7 and np.allclose(outline[0], outline[-1])
    centres = {tuple(np.round(c[0], 3)) for c in g2["circles"]}
    assert all(tuple(np.round(t7.points[s], 3)) in centres for s in POINT_SLOTS)
    assert {"VFA_GRADE_0", "VFA_GRADE_1", "VFA_GRADE_2", "VFA_ANGLES"} <= set(layers)
    assert any(t.startswith("Kyphosis T4-T12: Cobb") for t in layers["VFA_ANGLES"]["texts"])
    assert len(layers["VFA_ANGLES"]["polylines"]) == 4   # two endplate lines x two angles
    names = {item.GraphicLayer: item for item in ds.GraphicLayerSequence}
    assert "GraphicLayerRecommendedDisplayCIELabValue" in names["VFA_GRADE_2"]

    # The reader's window, and --invert on a MONOCHROME1 film gives IDENTITY.
    out2 = tmp_path / "pr2.dcm"
    assert main(["export-gsps", str(REF), "-o", str(out2), "--window", "900,1200", "--invert"]) == 0
    ds2 = pydicom.dcmread(out2)
    v2 = ds2.SoftcopyVOILUTSequence[0]
    assert (float(v2.WindowCenter), float(v2.WindowWidth)) == (900.0, 1200.0)
    assert ds2.PresentationLUTShape == "IDENTITY"
    assert dciodvfy_errors(out2) == []


def test_gsps_refuses_the_wrong_film(tmp_path, capsys):
    other = REF_ADULT.parent / load_reading(REF_ADULT).image_path
    assert main(["export-gsps", str(REF), "-o", str(tmp_path / "x.dcm"), "--image", str(other)]) == 1
    assert "is not the film of this reading" in capsys.readouterr().err
    assert not (tmp_path / "x.dcm").exists()


def test_capture_cli_validates_and_burns_in_the_markers(tmp_path):
    out = tmp_path / "sc.dcm"
    assert main(["export-capture", str(REF_ADULT), "-o", str(out), "--size", "0"]) == 0
    assert dciodvfy_errors(out) == []
    ds = pydicom.dcmread(out)
    reading = load_reading(REF_ADULT)
    film = pydicom.dcmread(REF_ADULT.parent / reading.image_path, stop_before_pixels=True)
    assert ds.SOPClassUID == SC and ds.PhotometricInterpretation == "RGB"
    assert ds.StudyInstanceUID == film.StudyInstanceUID and ds.BurnedInAnnotation == "YES"
    assert (ds.Rows, ds.Columns) == (film.Rows, film.Columns)
    px = ds.pixel_array
    # At every placed point the marker colour of its final grade is burned in.
    from vfa.outputs.annotate import colour_for
    from vfa.method.morphometry import measure_reading
    res = {r.level: r for r in measure_reading(reading)}
    for v in reading:
        for s, (x, y) in v.points.items():
            b, g, r = colour_for(res[v.level])
            got = px[int(y), int(x)].astype(int)
            assert np.abs(got - (r, g, b)).max() <= 40, (v.level, s, got)


def test_gsps_round_trips_through_orthanc(orthanc, tmp_path, capsys):  # noqa: F811
    pacs.save_settings(pacs.PacsSettings(url=orthanc.dicomweb_url))
    film = REF.parent / load_reading(REF).image_path
    pacs.store([film])
    out = tmp_path / "pr.dcm"
    assert main(["export-gsps", str(REF), "-o", str(out), "--store"]) == 0
    assert "stored" in capsys.readouterr().err
    sent = pydicom.dcmread(out)
    client = pacs.client()
    refs = client.search_instances(str(sent.StudyInstanceUID))
    ref = next(r for r in refs if r.sop_instance_uid == str(sent.SOPInstanceUID))
    back = pydicom.dcmread(client.retrieve_instance(ref, tmp_path / "cache"))
    assert back.SOPClassUID == GSPS
    a, b = annotations(sent), annotations(back)
    assert a.keys() == b.keys()
    for layer in a:
        assert a[layer]["texts"] == b[layer]["texts"]
        for kind in ("polylines", "circles"):
            assert all(np.allclose(p, q) for p, q in zip(a[layer][kind], b[layer][kind]))
            assert len(a[layer][kind]) == len(b[layer][kind])
    assert back.ReferencedSeriesSequence[0].ReferencedImageSequence[0].ReferencedSOPInstanceUID \
        == load_reading(REF).sop_instance_uid

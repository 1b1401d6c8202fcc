"""Hostile and damaged SRs: every one is a one-line bad-input error (exit 1) or a success,
never a traceback or "unexpected error"; limits checked before parsing; an SR spacing outside
0.02-2.0 mm is refused with a warning and the reading is uncalibrated (domain §5)."""

from __future__ import annotations

import time

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from cli_runner import run_vfa, run_vfa_process
from test_sr import _film_and_reading
from vfa import limits
from vfa.errors import ExportError, VfaWarning
from vfa.outputs import sr
from vfa.reading.reading import load_reading


@pytest.fixture(scope="module")
def valid_sr(tmp_path_factory) -> bytes:
    tmp = tmp_path_factory.mktemp("sr")
    r, film = _film_and_reading(tmp)
    out = tmp / "valid.dcm"
    sr.export_sr(r, out, image=film)
    return out.read_bytes()


def one_line_bad_input(p, pattern: str = "") -> str:
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr and "unexpected error" not in p.stderr, p.stderr
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, p.stderr
    assert pattern in lines[0], lines[0]
    return lines[0]


def _walk(item: Dataset):
    for child in item.get("ContentSequence", []) or []:
        yield child
        yield from _walk(child)


def test_unknown_vr_in_a_content_item_is_a_bad_input(tmp_path, valid_sr):
    tag = b"\x40\x00\x43\xa0SQ"      # (0040,A043) Concept Name Code Sequence, explicit VR 'SQ'
    assert tag in valid_sr
    bad = tmp_path / "jv.dcm"
    bad.write_bytes(valid_sr.replace(tag, b"\x40\x00\x43\xa0JV", 1))
    with pytest.raises(ExportError, match=r"cannot be read as a VFA structured report \("):
        sr.import_sr(bad)
    one_line_bad_input(run_vfa("import-sr", bad, "-o", tmp_path / "r.json"), "jv.dcm")
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("keep", [0.35, 0.6, 0.9, 0.999])
def test_truncated_sr_is_a_bad_input(tmp_path, valid_sr, keep):
    bad = tmp_path / "cut.dcm"
    bad.write_bytes(valid_sr[:int(len(valid_sr) * keep)])
    one_line_bad_input(run_vfa("import-sr", bad, "-o", tmp_path / "r.json"), "cut.dcm")


def test_deep_nesting_is_refused_before_parsing(tmp_path, valid_sr):
    src = tmp_path / "v.dcm"
    src.write_bytes(valid_sr)
    ds = pydicom.dcmread(src)
    item = ds
    for _ in range(limits.SR_DEPTH + 20):   # a chain of containers, far deeper than a VFA SR
        child = Dataset()
        child.RelationshipType, child.ValueType, child.ContinuityOfContent = "CONTAINS", "CONTAINER", "SEPARATE"
        item.ContentSequence = Sequence([*item.get("ContentSequence", []), child])
        item = child
    bad = tmp_path / "deep.dcm"
    ds.save_as(bad)
    with pytest.raises(ExportError, match=rf"nested deeper than {limits.SR_DEPTH} levels"):
        sr.import_sr(bad)


def test_a_huge_patient_id_is_refused_quickly_with_its_limit(tmp_path, valid_sr):
    src = tmp_path / "v.dcm"
    src.write_bytes(valid_sr)
    ds = pydicom.dcmread(src)
    ds.PatientID = "A" * 5_000_000
    bad = tmp_path / "huge.dcm"
    ds.save_as(bad)
    line = one_line_bad_input(run_vfa("import-sr", bad, "-o", tmp_path / "r.json"),
                              "characters long: the limit is 64 (DICOM Patient ID (LO))")
    assert "field 'patient_id' is 500000" in line
    assert len(line) < 400


def test_too_large_or_not_regular_sr_files_are_refused(tmp_path):
    big = tmp_path / "big.dcm"
    with open(big, "wb") as fh:
        fh.truncate(limits.SR_FILE_BYTES + 1)
    with pytest.raises(ExportError, match=r"a VFA structured report is at most"):
        sr.import_sr(big)
    with pytest.raises(ExportError, match=r"not a regular file"):
        sr.import_sr("/dev/zero")
    long_name = tmp_path / ("x" * 300 + ".dcm")
    one_line_bad_input(run_vfa("import-sr", long_name, "-o", tmp_path / "r.json"), "File name too long")


def _set_spacing(ds: Dataset, value: str) -> int:
    n = 0
    for item in _walk(ds):
        name = item.get("ConceptNameCodeSequence")
        if name and name[0].CodeValue in ("111066", "111026") and item.ValueType == "NUM":
            item.MeasuredValueSequence[0].NumericValue = value
            n += 1
    return n


@pytest.mark.parametrize("value", ["50", "0.001", "1e300"])
def test_sr_spacing_outside_the_range_is_refused_with_a_warning(tmp_path, valid_sr, value):
    src = tmp_path / "v.dcm"
    src.write_bytes(valid_sr)
    ds = pydicom.dcmread(src)
    assert _set_spacing(ds, value) == 2
    bad = tmp_path / "spacing.dcm"
    ds.save_as(bad)
    with pytest.warns(VfaWarning, match=r"pixel spacing \(DCM 111066 / 111026\) is .* not usable"):
        r = sr.import_sr(bad)
    assert not r.spacing.calibrated and r.load_warnings
    p = run_vfa("import-sr", bad, "-o", tmp_path / "r.json")
    assert p.returncode == 0, p.stderr
    assert "warning:" in p.stderr and "refused and the reading is uncalibrated" in p.stderr
    assert not load_reading(tmp_path / "r.json").spacing.calibrated


def test_valid_sr_spacing_is_kept(tmp_path, valid_sr):
    src = tmp_path / "v.dcm"
    src.write_bytes(valid_sr)
    r = sr.import_sr(src)
    assert r.spacing.calibrated and not r.load_warnings


def test_hostile_sr_in_a_fresh_process_is_exit_1_one_line(tmp_path, valid_sr):
    """The process boundary: what a script sees (no warnings of pydicom before the line)."""
    bad = tmp_path / "jv.dcm"
    bad.write_bytes(valid_sr.replace(b"\x40\x00\x43\xa0SQ", b"\x40\x00\x43\xa0JV", 1))
    t0 = time.perf_counter()
    p = run_vfa_process("import-sr", bad, "-o", tmp_path / "r.json", timeout=120)
    one_line_bad_input(p, "jv.dcm")
    assert time.perf_counter() - t0 < 120


@pytest.mark.parametrize("keep", [0.5, 0.6, 0.75, 0.9, 0.999])
def test_a_file_cut_inside_the_content_is_refused_as_truncated(tmp_path, valid_sr, keep):
    """pydicom keeps a defined-length value that the end of the file cuts short: a file cut
    after some vertebrae must not import as a shorter, plausible reading."""
    bad = tmp_path / "cut.dcm"
    bad.write_bytes(valid_sr[:int(len(valid_sr) * keep)])
    with pytest.raises(ExportError, match=r"is truncated: it ends inside \(0040,A730\)"):
        sr.import_sr(bad)

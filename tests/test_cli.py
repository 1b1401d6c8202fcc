"""The ``vfa`` command, called in-process (``vfa.cli.main``); the entry point and what a
fresh interpreter imports for ``--help`` as real subprocesses."""

import datetime as dt
import json
import subprocess
import sys

import pytest

from cli_runner import run_vfa, run_vfa_process

from vfa.films.calibration import Spacing
from vfa.reading.reading import save_reading
from readings_factory import make_reading


def vfa(*args, check=True):
    p = run_vfa(*args)
    if check and p.returncode != 0:
        raise AssertionError(f"vfa {args} failed ({p.returncode}): {p.stderr}")
    return p


def assert_one_line_error(p, pattern):
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, p.stderr
    assert pattern in lines[0], lines[0]


@pytest.fixture
def pair(tmp_path):
    base = make_reading({"L1": (75.0, 100.0, 100.0)}, date=dt.date(2022, 3, 1))
    base.set_confirmed("L1")  # a confirmed 2 -> reader's 3 is "worsened" whatever the numbers
    follow = make_reading({"L1": (75.0, 100.0, 100.0), "T12": (70.0, 100.0, 100.0),
                           "T8": (100.0, 100.0, 100.0)}, date=dt.date(2023, 3, 1))
    follow.set_reader_grade("L1", 3)
    follow.set_status("T5", "not_evaluable", "rotated/oblique")
    b, f = tmp_path / "b.json", tmp_path / "f.json"
    save_reading(base, b)
    save_reading(follow, f)
    return b, f


def test_grade_json_fields(pair):
    _, f = pair
    out = json.loads(vfa("grade", f, "--json").stdout)
    rows = {r["level"]: r for r in out["vertebrae"]}
    assert len(out["vertebrae"]) == 13
    t12 = rows["T12"]
    assert t12["unit"] == "mm" and t12["ha"] == pytest.approx(14.0) and t12["hp"] == pytest.approx(20.0)
    assert t12["wedge"] == pytest.approx(0.7) and t12["percent"] == 30.0
    assert t12["suggested_grade"] == 2 and t12["suggested_type"] == "wedge"
    assert t12["grade"] == 2 and t12["type"] == "wedge"
    l1 = rows["L1"]
    assert l1["suggested_grade"] == 2 and l1["grade"] == 3  # reader override kept beside suggestion
    assert rows["T5"]["status"] == "not_evaluable" and rows["T5"]["grade"] is None
    assert out["sdi"] == 5 and out["not_evaluable"] == 1 and out["calibrated"] is True
    assert out["pixel_spacing_mm"] == [0.2, 0.2] and out["spacing_source"] == "pixel_spacing"
    assert out["settings"]["method_version"]


def test_grade_table_is_readable(pair):
    _, f = pair
    out = vfa("grade", f).stdout
    assert "T12" in out and "2 wedge" in out and "SDI 5" in out and "not evaluable 1" in out


def test_grade_uncalibrated_reports_pixels(tmp_path):
    r = make_reading(spacing=Spacing.uncalibrated())
    save_reading(r, tmp_path / "u.json")
    out = json.loads(vfa("grade", tmp_path / "u.json", "--json").stdout)
    assert out["calibrated"] is False and out["vertebrae"][0]["unit"] == "px"
    assert out["vertebrae"][0]["ha"] == pytest.approx(100.0)
    assert "uncalibrated" in vfa("grade", tmp_path / "u.json").stdout


def test_compare_json(pair):
    b, f = pair
    out = json.loads(vfa("compare", b, f, "--json").stdout)
    ch = {c["level"]: c for c in out["changes"]}
    assert out["incident"] == ["T12"] and out["worsened"] == ["L1"] and out["improved"] == []
    assert out["uncertain"] == []
    assert ch["T12"]["change"] == "incident" and ch["T12"]["max_loss_height"] == "ha"
    assert ch["T12"]["max_loss_pct"] == pytest.approx(30.0) and ch["T12"]["loss_mm"] == pytest.approx(6.0)
    assert ch["T12"]["fit_rule"] is True
    assert ch["T5"]["change"] == "not_comparable"
    assert out["sdi_baseline"] == 2 and out["sdi_followup"] == 5
    # order of arguments does not matter: the earlier visit is the baseline
    assert json.loads(vfa("compare", f, b, "--json").stdout)["incident"] == ["T12"]


def test_compare_uncalibrated_fit_rule_not_applicable(tmp_path):
    b = make_reading(date=dt.date(2020, 1, 1), spacing=Spacing.uncalibrated())
    f = make_reading({"T9": (50.0, 100.0, 100.0)}, date=dt.date(2021, 1, 1))
    save_reading(b, tmp_path / "b.json")
    save_reading(f, tmp_path / "f.json")
    out = json.loads(vfa("compare", tmp_path / "b.json", tmp_path / "f.json", "--json").stdout)
    t9 = next(c for c in out["changes"] if c["level"] == "T9")
    assert t9["change"] == "incident" and t9["fit_rule"] is None and t9["loss_mm"] is None
    assert out["mm_rule_applicable"] is False


def test_compare_refuses_two_patients(tmp_path):
    save_reading(make_reading(patient_id="A"), tmp_path / "a.json")
    save_reading(make_reading(patient_id="B", date=dt.date(2025, 1, 1)), tmp_path / "b.json")
    assert_one_line_error(vfa("compare", tmp_path / "a.json", tmp_path / "b.json", check=False),
                          "different patients")


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    ("{not json", "not valid JSON"),
    ('{"format": "other"}', "field 'format'"),
    ('{"format": "vfa-reading", "version": 1, "patient_id": "x", "vertebrae": [{"level": "T13"}]}',
     "vertebrae[0].level is 'T13': expected a level T4 ... T12, L1 ... L4"),
])
def test_bad_reading_is_one_clear_line(tmp_path, content, message):
    p = tmp_path / "r.json"
    if content is not None:
        p.write_text(content)
    assert_one_line_error(vfa("grade", p, check=False), message)


def test_usage_error_exit_status():
    p = vfa("grade", check=False)
    assert p.returncode == 2 and "usage" in p.stderr


# --------------------------------------------------------------------------- films
import cv2  # noqa: E402
import numpy as np  # noqa: E402

import dicom_factory  # noqa: E402


@pytest.fixture
def film_file(tmp_path):
    ds = dicom_factory.make_dataset(
        dicom_factory.film(rows=120, cols=100), PixelSpacing=[0.2, 0.25],
        ImagerPixelSpacing=[0.24, 0.3], PixelSpacingCalibrationType="GEOMETRY",
        WindowCenter=[2000, 1500], WindowWidth=[4000, 1000],
        WindowCenterWidthExplanation=["FULL", "BONE"])
    return dicom_factory.write(ds, tmp_path / "film.dcm")


def test_info_json_spacing_and_windows(film_file):
    before = dicom_factory.sha256(film_file)
    out = json.loads(vfa("info", film_file, "--json").stdout)
    assert out["pixel_spacing_mm"] == [0.2, 0.25] and out["spacing_source"] == "pixel_spacing"
    assert "GEOMETRY" in out["spacing_description"]
    assert [w["explanation"] for w in out["windows"]] == ["FULL", "BONE"]
    assert out["rows"] == 120 and out["columns"] == 100
    text = vfa("info", film_file).stdout
    assert "0.2 mm (rows) x 0.25 mm (columns)" in text and "BONE" in text
    assert dicom_factory.sha256(film_file) == before  # the source is never written


def test_info_uncalibrated_film(tmp_path):
    p = dicom_factory.write(dicom_factory.make_dataset(dicom_factory.film()), tmp_path / "u.dcm")
    out = json.loads(vfa("info", p, "--json").stdout)
    assert out["pixel_spacing_mm"] is None and out["spacing_source"] == "uncalibrated"


def test_render_png_with_window_and_size(film_file, tmp_path):
    out = tmp_path / "o.png"
    vfa("render", film_file, "-o", out, "--window", "2000,4000", "--size", "60")
    img = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert img.dtype == np.uint8 and max(img.shape) == 60
    # a narrower window around the mean makes a higher-contrast picture
    vfa("render", film_file, "-o", tmp_path / "n.png", "--window", "1500,300", "--size", "60")
    narrow = cv2.imread(str(tmp_path / "n.png"), cv2.IMREAD_UNCHANGED)
    assert narrow.std() > img.std()
    inv = tmp_path / "i.png"
    vfa("render", film_file, "-o", inv, "--window", "2000,4000", "--size", "60", "--invert")
    assert np.abs(cv2.imread(str(inv), cv2.IMREAD_UNCHANGED).astype(int) - (255 - img.astype(int))).max() <= 1


@pytest.mark.parametrize("args, message", [
    (["--window", "abc"], "CENTER,WIDTH"),
    (["--window", "10,-5"], "positive"),
])
def test_render_bad_options(film_file, tmp_path, args, message):
    p = vfa("render", film_file, "-o", tmp_path / "x.png", *args, check=False)
    assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr


def test_info_on_non_dicom_is_one_line(tmp_path):
    bad = tmp_path / "photo.dcm"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 300)
    assert_one_line_error(vfa("info", bad, check=False), "DICOM")
    assert_one_line_error(vfa("render", tmp_path / "missing.dcm", "-o", tmp_path / "a.png", check=False),
                          "missing.dcm")


# --------------------------------------------------------------------------- real processes
def test_entry_point_exit_status_and_one_line_error_in_a_real_process(tmp_path):
    assert run_vfa_process("--version").stdout.startswith("vfa ")
    bad = tmp_path / "photo.dcm"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 300)
    assert_one_line_error(run_vfa_process("info", bad), "DICOM")


HEAVY = ("numpy", "pydicom", "highdicom", "sqlalchemy", "reportlab", "cv2", "PyQt6",
         "dicomweb_client", "skimage")


def test_help_loads_no_heavy_module():
    """``vfa --help`` and every ``vfa COMMAND --help`` import only the standard library (and
    vfa's own light modules): a command loads its modules when it runs, not to print help."""
    from vfa.cli import _commands
    names = [m.NAME for m in _commands()]
    code = (
        "import sys, contextlib, io\n"
        "from vfa.cli import main\n"
        f"for argv in [['--help']] + [[n, '--help'] for n in {names!r}]:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit as e:\n"
        "            assert e.code == 0, (argv, e.code)\n"
        f"print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "", f"--help imported {p.stdout.strip()}"

"""Nothing hangs, nothing lies, nothing leaks (issue 22): the error policy for outside data,
strict JSON out, CSV cells, the film of a reading, outside numbers range-checked, markup in
PDFs, long texts, and the clinical CSV import (limits, one transaction, speed).

Concurrency is in tests/test_concurrent_creation.py, the clinical CSV fuzz test in
tests/test_fuzz_clinical.py.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cli_runner import run_vfa, run_vfa_process
from conftest import SAMPLES
from dicom_factory import film as film_array
from dicom_factory import make_dataset, write_film
from vfa.cli import bad_input_message

HERE = Path(__file__).resolve().parent
ADULT = SAMPLES / "reference" / "adult01_2023-04-18.json"
ADULT_FOLLOWUP = SAMPLES / "reference" / "adult01_2024-10-22.json"
CHILD_FILM = SAMPLES / "child01" / "2024-03-12" / "lateral.dcm"


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert ": error: " in lines[0] and "unexpected error" not in lines[0], err
    return lines[0]


def _strict_loads(text: str):
    def refuse(name):
        raise ValueError(f"non-strict JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def _reading_copy(tmp_path: Path, src: Path = ADULT, name: str = "reading.json", **changes) -> Path:
    """A copy of a sample reading beside a copy of its film (image_path 'lateral.dcm')."""
    data = json.loads(src.read_text())
    film = (src.parent / data["image_path"]).resolve()
    shutil.copy(film, tmp_path / "lateral.dcm")
    data["image_path"] = "lateral.dcm"
    for k, v in changes.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    out = tmp_path / name
    out.write_text(json.dumps(data))
    return out


# ---------------------------------------------------------------------------------------
# 2. One error policy: every exception a hostile input raises in a parser is exit 1
# ---------------------------------------------------------------------------------------
def _parser_exceptions() -> list[tuple[str, BaseException]]:
    """Real exceptions raised by the parsers on bad input (not constructed by hand where a
    parser can raise them)."""
    import cv2
    import highdicom as hd
    import pydicom
    from PIL import Image
    found: list[tuple[str, BaseException]] = []

    def catch(name, fn):
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001
            found.append((name, exc))
        else:
            raise AssertionError(f"{name} did not raise")
    catch("json", lambda: json.loads('{"a": [1, 2'))
    catch("json-recursion", lambda: json.loads("[" * 100_000 + "]" * 100_000))
    catch("int-digits", lambda: int("9" * 5001))
    catch("csv", lambda: list(csv.reader(io.StringIO('a,"b\n'), strict=True)))
    catch("unicode", lambda: b"\xff\xfe\xfa".decode("utf-8"))
    catch("pydicom-invalid", lambda: pydicom.dcmread(io.BytesIO(b"not a dicom file at all" * 10)))
    ds = make_dataset(film_array())
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    truncated = buf.getvalue()[:200]
    catch("pydicom-truncated", lambda: pydicom.dcmread(io.BytesIO(truncated), force=True).PatientName)
    not_sr = pydicom.dcmread(CHILD_FILM)
    catch("highdicom-not-sr", lambda: hd.sr.Comprehensive3DSR.from_dataset(not_sr))
    catch("highdicom-srread", lambda: hd.sr.srread(CHILD_FILM))
    catch("highdicom-enum", lambda: hd.sr.TextContentItem(name=hd.sr.CodedConcept("1", "DCM", "x"),
                                                          value="x", relationship_type="JV"))
    catch("opencv", lambda: cv2.resize(np.zeros((0, 0), np.uint8), (4, 4)))
    catch("pil", lambda: Image.open(io.BytesIO(b"\x89PNG junk")))
    catch("enametoolong", lambda: open("x" * 5000))
    catch("enoent", lambda: open("/nonexistent/folder/file.json"))
    catch("eisdir", lambda: open("/"))
    found.append(("eacces", PermissionError(errno.EACCES, "Permission denied", "/root/secret.json")))
    return found


def test_every_parser_exception_maps_to_bad_input(monkeypatch):
    from vfa.commands import info
    for name, exc in _parser_exceptions():
        assert bad_input_message(exc) is not None, (name, type(exc), exc)

        def raising(args, exc=exc):
            raise exc
        monkeypatch.setattr(info, "run", raising)
        r = run_vfa("info", "x.dcm")
        assert r.returncode == 1, (name, r.stderr)
        one_error_line(r.stderr)


@pytest.mark.parametrize("bug", [ZeroDivisionError("division by zero"), KeyError("level"),
                                 AttributeError("'NoneType' object has no attribute 'x'"),
                                 ValueError("a bug of ours")])
def test_real_bugs_stay_unexpected_errors(monkeypatch, bug):
    from vfa.commands import info

    def raising(args):
        raise bug
    monkeypatch.setattr(info, "run", raising)
    r = run_vfa("info", "x.dcm")
    assert r.returncode == 3 and "unexpected error" in r.stderr and "report it" in r.stderr


def test_hostile_reading_files_are_bad_input_not_bugs(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"format": "vfa-reading", "version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    digits = tmp_path / "digits.json"
    data = json.loads(ADULT.read_text())
    digits.write_text(json.dumps(data).replace('"version": 1', '"version": ' + "9" * 5001, 1))
    for path in (deep, digits, tmp_path / ("n" * 300 + ".json")):
        r = run_vfa("grade", path)
        assert r.returncode == 1, (path.name[:20], r.stderr)
        one_error_line(r.stderr)


def test_library_warnings_never_print_before_the_error_line(tmp_path):
    script = ("import sys, warnings\n"
              "import numpy as np\n"
              "from PIL import Image\n"
              "from vfa.commands import info\n"
              "from vfa.errors import VfaError\n"
              "def run(args):\n"
              "    np.array([1e308]) * 10\n"
              "    warnings.warn('big image', Image.DecompressionBombWarning)\n"
              "    warnings.warn('odd', UserWarning)\n"
              "    raise VfaError('the film is damaged: re-export it')\n"
              "info.run = run\n"
              "from vfa.cli import main\n"
              "sys.exit(main(['info', 'x.dcm']))\n")
    env = {k: v for k, v in os.environ.items() if k != "VFA_DEBUG"}
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 1
    assert p.stderr == "vfa info: error: the film is damaged: re-export it\n", p.stderr


# ---------------------------------------------------------------------------------------
# 3. Strict JSON out
# ---------------------------------------------------------------------------------------
def test_strict_json_writes_null_and_names_the_field():
    from vfa.commands._common import strict_json
    text = strict_json({"settings": {"compare_borderline_as": float("inf")},
                        "rows": [np.float64("nan"), 1.5, np.float32(2.0)]})
    data = _strict_loads(text)
    assert data["settings"]["compare_borderline_as"] is None and data["rows"] == [None, 1.5, 2.0]
    assert data["non_finite"] == ["$.settings.compare_borderline_as", "$.rows[0]"]


def _json_commands(tmp_path: Path) -> list[list]:
    ws = tmp_path / "ws"
    odd = []
    for i, value in enumerate(("Infinity", "NaN", "-Infinity", "1e308")):
        data = json.loads(ADULT.read_text())
        data["image_path"] = str((ADULT.parent / data["image_path"]).resolve())
        text = json.dumps(data).replace('"compare_borderline_as": 0.0', f'"compare_borderline_as": {value}')
        text = text.replace('"fit_loss_mm": 4.0', f'"fit_loss_mm": {value}')
        p = tmp_path / f"odd{i}.json"
        p.write_text(text)
        odd.append(p)
    refs = sorted((SAMPLES / "reference").glob("*.json"))
    cmds: list[list] = [["info", CHILD_FILM, "--json"], ["scan", SAMPLES, "--json"],
                        ["compare", ADULT, ADULT_FOLLOWUP, "--json"],
                        ["cohort", *refs, "--json"], ["precision", *refs, "--json"],
                        ["clinical", "show", "--json", "--workspace", ws]]
    cmds += [["grade", r, "--json"] for r in refs + odd]
    cmds += [["compare", o, ADULT_FOLLOWUP, "--json"] for o in odd]
    cmds += [["cohort", o, ADULT_FOLLOWUP, "--json"] for o in odd]
    return cmds


def test_every_json_output_parses_strictly(tmp_path):
    ok = 0
    for argv in _json_commands(tmp_path):
        r = run_vfa(*argv)
        assert r.returncode in (0, 1), (argv, r.stderr)
        if r.returncode == 0:
            _strict_loads(r.stdout)
            ok += 1
        else:
            one_error_line(r.stderr)
            assert not r.stdout.strip() or _strict_loads(r.stdout) is not None
    assert ok >= 10


# ---------------------------------------------------------------------------------------
# 4. CSV cells
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [" =1+1", "  +cmd", "\t=x", " @SUM(A1)", " -2+3", "\u00a0=1"])
def test_formula_behind_spaces_is_escaped(text):
    from vfa.outputs.export_csv import safe_text
    from vfa.outputs.cohort_csv import csv_cell
    assert safe_text(text).startswith("'") and csv_cell(text).startswith("'")


def test_our_numbers_stay_numbers():
    from vfa.outputs.export_csv import csv_cell as _cell, safe_text
    from vfa.outputs.cohort_csv import csv_cell
    assert _cell(-3.4) == "-3.4" and csv_cell(-3.4) == "-3.4" and safe_text("-3.4") == "-3.4"
    assert csv_cell(-2) == "-2" and safe_text(" -2.5") == " -2.5"


def test_export_csv_escapes_a_uid_with_a_leading_space(tmp_path):
    reading = _reading_copy(tmp_path, sop_instance_uid=" =1+1", patient_id=" @cmd")
    out = tmp_path / "out.csv"
    r = run_vfa("export-csv", reading, "-o", out)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open()))
    assert rows and all(row["sop_instance_uid"] == "' =1+1" for row in rows)
    assert all(row["patient_id"] == "' @cmd" for row in rows)
    for f in (out, out.with_name("out-summary.csv")):
        for row in csv.reader(f.open()):
            for cell in row:
                assert not cell.lstrip(" \u00a0").startswith(("=", "+", "@", "\t", "\r")), cell


def test_clinical_export_escapes_formulas_and_keeps_z_scores(tmp_path):
    src = tmp_path / "c.csv"
    src.write_text("patient_id,date,kind,value,detail\n"
                   "P1,2024-01-02,bmd_z,-3.4,lumbar spine\n"
                   'P1,2024-01-02,note," =HYPERLINK(""http://x"")", -1+2\n')
    ws = tmp_path / "ws"
    assert run_vfa("clinical", "import", src, "--workspace", ws).returncode == 0
    out = tmp_path / "out.csv"
    assert run_vfa("clinical", "export", "-o", out, "--workspace", ws).returncode == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["value"] for r in rows if r["kind"] == "bmd_z"] == ["-3.4"]
    note = [r for r in rows if r["kind"] == "note"][0]
    assert note["value"].startswith("'") and note["detail"].startswith("'")


# ---------------------------------------------------------------------------------------
# 6. The film must be the reading's film
# ---------------------------------------------------------------------------------------
@pytest.fixture
def wrong_film_reading(tmp_path, monkeypatch):
    """An adult reading with no SOP Instance UID whose relative image_path 'lateral.dcm' is
    found only in the current folder, which holds the child's film."""
    folder = tmp_path / "readings"
    folder.mkdir()
    data = json.loads(ADULT.read_text())
    data["image_path"] = "lateral.dcm"
    data.pop("sop_instance_uid")
    reading = folder / "adult.json"
    reading.write_text(json.dumps(data))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    shutil.copy(CHILD_FILM, cwd / "lateral.dcm")
    monkeypatch.chdir(cwd)
    return reading, cwd


def test_report_never_takes_the_film_from_the_current_folder(wrong_film_reading, tmp_path):
    reading, _cwd = wrong_film_reading
    r = run_vfa("report", reading, "-o", tmp_path / "r.pdf")
    assert r.returncode == 1 and not (tmp_path / "r.pdf").exists()
    assert "film(s) not found" in r.stderr or "cannot find" in r.stderr or "not found" in r.stderr


@pytest.mark.parametrize("cmd", ["report", "export-sr", "export-capture", "export-gsps"])
def test_another_patients_film_is_refused_naming_both(tmp_path, cmd):
    reading = _reading_copy(tmp_path, sop_instance_uid=None)
    out = tmp_path / ("out.pdf" if cmd == "report" else "out.dcm")
    argv = [cmd, reading, "-o", out] + ([] if cmd == "report" else ["--image", CHILD_FILM])
    if cmd == "report":
        shutil.copy(CHILD_FILM, tmp_path / "lateral.dcm")  # the reading's image_path now holds the child
    r = run_vfa(*argv)
    assert r.returncode == 1, r.stderr
    line = one_error_line(r.stderr)
    assert "is not the film of this reading" in line
    assert "VFA-ADULT-01" in line and "VFA-CHILD-01" in line
    assert "SYNTHETIC" not in line  # no patient names
    assert not out.exists()


def test_render_with_another_films_reading_is_refused(tmp_path):
    reading = _reading_copy(tmp_path)
    r = run_vfa("render", CHILD_FILM, "-o", tmp_path / "x.png", "--reading", reading)
    assert r.returncode == 1 and "is not the film of this reading" in one_error_line(r.stderr)
    assert not (tmp_path / "x.png").exists()


def test_batch_report_refuses_the_wrong_film(tmp_path):
    reading = _reading_copy(tmp_path, sop_instance_uid=None)
    shutil.copy(CHILD_FILM, tmp_path / "lateral.dcm")
    r = run_vfa("batch", "export-sr", reading, "-o", tmp_path / "out")
    assert r.returncode != 0, r.stderr + r.stdout
    assert "is not the film of this reading" in r.stderr + r.stdout


def test_the_reading_own_film_still_works(tmp_path):
    reading = _reading_copy(tmp_path, sop_instance_uid=None)
    assert run_vfa("report", reading, "-o", tmp_path / "r.pdf").returncode == 0
    assert run_vfa("export-sr", reading, "-o", tmp_path / "sr.dcm").returncode == 0


# ---------------------------------------------------------------------------------------
# 7. Outside numbers range-checked; only regular files read
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("factor", ["1e-320", "1e-6", "1e3", "1e5", "0.2", "inf"])
def test_magnification_outside_0_5_to_3_is_refused(tmp_path, factor):
    path = write_film(tmp_path, ImagerPixelSpacing=[0.2, 0.2],
                      EstimatedRadiographicMagnificationFactor=factor)
    r = run_vfa("info", path, "--json")
    assert r.returncode == 0, r.stderr
    info = _strict_loads(r.stdout)
    text = json.dumps(info)
    assert "Infinity" not in text
    spacing = info["spacing"] if "spacing" in info else info
    assert "0.2" in json.dumps(spacing) and "magnification_corrected" not in json.dumps(spacing)
    assert "Magnification Factor" in text  # the refusal is reported with the tag


def test_magnification_in_range_still_corrects(tmp_path):
    from vfa.films.radiograph import load_radiograph
    rg = load_radiograph(write_film(tmp_path, ImagerPixelSpacing=[0.2, 0.2],
                                    EstimatedRadiographicMagnificationFactor="1.25"))
    assert rg.spacing.row_mm == pytest.approx(0.16) and "1.25" in rg.spacing.detail


def test_propose_on_a_hostile_magnification_is_quick(tmp_path):
    import pydicom
    ds = pydicom.dcmread(CHILD_FILM)
    ds.ImagerPixelSpacing = [0.25, 0.25]
    if "PixelSpacing" in ds:
        del ds.PixelSpacing
    ds.EstimatedRadiographicMagnificationFactor = "1e5"
    path = tmp_path / "film.dcm"
    ds.save_as(path)
    p = run_vfa_process("propose", path, "--at", "L1", "500", "900", "-o", tmp_path / "p.json", timeout=120)
    assert p.returncode in (0, 1), p.stderr
    if p.returncode == 1:
        one_error_line(p.stderr)


def test_compressed_header_claiming_a_huge_image_is_refused_before_decoding(tmp_path):
    from pydicom.encaps import encapsulate
    from pydicom.uid import RLELossless
    ds = make_dataset(film_array(), transfer_syntax=RLELossless)
    ds.Rows, ds.Columns = 30000, 30000
    ds.PixelData = encapsulate([b"\x00" * 64])
    ds["PixelData"].VR = "OB"
    path = tmp_path / "huge.dcm"
    ds.save_as(path, enforce_file_format=True)
    # peak memory of the child alone (GNU time's %M, KB): a child's own ru_maxrss would count
    # the memory of the test process it was forked from
    p = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "vfa.cli", "info", str(path)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, p.stderr
    first, peak_kb = p.stderr.splitlines()[0], int(p.stderr.splitlines()[-1])
    assert "claims a 30000x30000 image" in first
    assert peak_kb < 400_000, peak_kb


def test_fifo_and_devices_are_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.dcm"
    os.mkfifo(fifo)
    for target in (fifo, Path("/dev/zero"), Path("/dev/urandom")):
        p = run_vfa_process("info", target, timeout=30)
        assert p.returncode == 1 and "not a regular file" in one_error_line(p.stderr)
    write_film(tmp_path)
    p = run_vfa_process("scan", tmp_path, timeout=30)
    assert p.returncode == 0 and "not a regular file" in p.stdout
    clinical = tmp_path / "c.csv"
    os.mkfifo(clinical)
    p = run_vfa_process("clinical", "import", clinical, "--workspace", tmp_path / "ws", timeout=30)
    assert p.returncode == 1 and "not a regular file" in one_error_line(p.stderr)


# ---------------------------------------------------------------------------------------
# 8. Markup from outside is shown, never obeyed, in every PDF
# ---------------------------------------------------------------------------------------
def _pdf_image_count(pdf: Path) -> int:
    out = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    return max(len(out.splitlines()) - 2, 0)


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def local_png(tmp_path):
    """A local PNG at a short path: the markup that names it must fit the fields' DICOM
    lengths (a person name 64 characters), which the reading format enforces."""
    import shutil
    import tempfile
    import cv2
    folder = Path(tempfile.mkdtemp(prefix="v", dir="/tmp"))
    p = folder / "l.png"
    cv2.imwrite(str(p), np.full((40, 40, 3), 200, np.uint8))
    yield p
    shutil.rmtree(folder, ignore_errors=True)


def _injections(png: Path) -> list[str]:
    return [f'<img src="{png}"/>', '<font color="red" size="30">BIG</font>',
            '<a href="http://evil.example/">click</a>', "<b>unbalanced"]


def _assert_markup_shown(pdf: Path, clean_images: int) -> None:
    raw = pdf.read_bytes()
    assert b"evil.example" not in raw or b"/URI" not in raw
    assert _pdf_image_count(pdf) == clean_images
    text = _pdf_text(pdf)
    assert "<font" in text.replace("\n", " ") or "&lt;font" in text


def test_report_pdf_shows_markup_as_text(tmp_path, local_png):
    inj = _injections(local_png)
    clean = _reading_copy(tmp_path, name="clean.json")
    run_ok = run_vfa("report", clean, "-o", tmp_path / "clean.pdf")
    assert run_ok.returncode == 0, run_ok.stderr
    hostile = _reading_copy(tmp_path, name="hostile.json", patient_name=inj[0],
                            reader=inj[1])
    data = json.loads(hostile.read_text())
    data["patient_id"] = data["patient_id"]
    hostile.write_text(json.dumps(data))
    r = run_vfa("report", hostile, "-o", tmp_path / "hostile.pdf")
    assert r.returncode == 0, r.stderr
    _assert_markup_shown(tmp_path / "hostile.pdf", _pdf_image_count(tmp_path / "clean.pdf"))


def test_cohort_pdf_shows_clinical_markup_as_text(tmp_path, local_png):
    inj = _injections(local_png)
    refs = sorted((SAMPLES / "reference").glob("*.json"))
    clean = tmp_path / "clean.csv"
    clean.write_text("patient_id,date,kind,value,detail\n"
                     "VFA-CHILD-01,2024-03-19,bisphosphonate,pamidronate,1 mg/kg\n")
    hostile = tmp_path / "hostile.csv"
    rows = ["patient_id,date,kind,value,detail"]
    for i, text in enumerate(inj):
        q = text.replace('"', '""')
        rows.append(f'VFA-CHILD-01,2024-03-{19 + i},bisphosphonate,"{q}","{q}"')
        rows.append(f'VFA-CHILD-01,,diagnosis,"{q}",')
        rows.append(f'VFA-CHILD-01,,glucocorticoid,"{q}",')
    hostile.write_text("\n".join(rows) + "\n")
    counts = {}
    for name, csv_path in (("clean", clean), ("hostile", hostile)):
        for deid in ([], ["--deidentify"]):
            out = tmp_path / f"{name}{len(deid)}.pdf"
            r = run_vfa("cohort", *refs, "--clinical", csv_path, "-o", out, *deid)
            assert r.returncode == 0, r.stderr
            counts[(name, len(deid))] = _pdf_image_count(out)
    for deid in (0, 1):
        assert counts[("hostile", deid)] == counts[("clean", deid)]
        _assert_markup_shown(tmp_path / f"hostile{deid}.pdf", counts[("clean", deid)])


def test_agreement_pdf_shows_reader_markup_as_text(tmp_path, local_png):
    inj = _injections(local_png)
    files = []
    for i, (src, reader) in enumerate([(ADULT, inj[0]), (ADULT, inj[1])]):
        data = json.loads(src.read_text())
        data["reader"] = reader
        data["image_path"] = str((src.parent / data["image_path"]).resolve())
        p = tmp_path / f"r{i}.json"
        p.write_text(json.dumps(data))
        files.append(p)
    out = tmp_path / "agreement.pdf"
    r = run_vfa("agreement", *files, "-o", out)
    assert r.returncode == 0, r.stderr
    assert _pdf_image_count(out) == 0
    assert b"evil.example" not in out.read_bytes() or b"/URI" not in out.read_bytes()
    assert "<font" in _pdf_text(out)


# ---------------------------------------------------------------------------------------
# 1. Long texts never make a command hang
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cmd", ["report", "report-missing-film", "export-capture"])
def test_ten_megabyte_texts_do_not_hang(tmp_path, cmd):
    """10 MB patient ID / name and a 1 MB reader name: the command ends well within its
    timeout (before: `vfa report` ran past 60 s) with success or one clean error line."""
    big = "P" * 10_000_000
    if cmd == "report-missing-film":
        reading = _reading_copy(tmp_path, patient_id=big, sop_instance_uid=None, image_path="gone.dcm")
        argv = ["report", reading, "-o", tmp_path / "x.pdf", "--allow-missing-images"]
    else:
        reading = _reading_copy(tmp_path, patient_name=big, reader="R" * 1_000_000)
        argv = [cmd, reading, "-o", tmp_path / ("x.pdf" if cmd == "report" else "x.dcm")]
    t0 = time.monotonic()
    p = run_vfa_process(*argv, timeout=60)
    assert p.returncode in (0, 1), p.stderr[-2000:]
    if p.returncode == 1:
        one_error_line(p.stderr)
    assert time.monotonic() - t0 < 60


# ---------------------------------------------------------------------------------------
# 1. Clinical import: limits, one transaction, linear
# ---------------------------------------------------------------------------------------
def _long_record(path: Path, rows: int, patients: int = 1) -> Path:
    with path.open("w") as f:
        f.write("patient_id,date,kind,value,detail\n")
        for i in range(rows):
            pid = "VFA-LONG-01" if patients == 1 else f"VFA-P{i % patients:05d}"
            f.write(f"{pid},{2000 + i % 200}-01-{1 + i % 28:02d},note,visit note {i},detail {i}\n")
    return path


def test_ten_thousand_patients_import_in_one_go(tmp_path):
    """~16 ms per patient before (one transaction and one look-up per patient): 10,000
    patients took 161 s; now one transaction for the file (bench/bench_clinical_import.py)."""
    csv_path = _long_record(tmp_path / "many.csv", 30_000, patients=10_000)
    p = run_vfa_process("clinical", "import", csv_path, "--workspace", tmp_path / "ws", timeout=60)
    assert p.returncode == 0, p.stderr
    assert "imported 30000 clinical event(s) for 10000 patient(s)" in p.stderr


def test_long_clinical_record_imports_quickly(tmp_path):
    csv_path = _long_record(tmp_path / "long.csv", 100_018)
    assert csv_path.stat().st_size > 3_000_000
    p = run_vfa_process("clinical", "import", csv_path, "--workspace", tmp_path / "ws", timeout=60)
    assert p.returncode == 0, p.stderr
    assert "imported 100018 clinical event(s) for 1 patient(s)" in p.stderr
    from vfa.storage.workspace import Workspace
    ws = Workspace(tmp_path / "ws")
    try:
        assert len(ws.clinical_events("VFA-LONG-01")) == 100_018
    finally:
        ws.close()


def test_clinical_import_killed_midway_leaves_nothing(tmp_path):
    csv_path = _long_record(tmp_path / "long.csv", 300_000, patients=20_000)
    ws = tmp_path / "ws"
    from vfa.storage.workspace import Workspace
    Workspace(ws).close()
    journal = ws / "index.sqlite-journal"
    p = subprocess.Popen([sys.executable, "-m", "vfa.cli", "clinical", "import", str(csv_path),
                          "--workspace", str(ws)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        t0 = time.monotonic()
        while not journal.exists():  # the transaction has started writing
            assert p.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() - t0 < 120
            time.sleep(0.002)
        time.sleep(0.5)  # well inside the inserts (old code: hundreds of patients committed)
        assert p.poll() is None, "the import finished before it could be killed"
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    w = Workspace(ws)
    try:
        assert w.clinical_events() == []
    finally:
        w.close()


def test_clinical_limits_are_one_line_refusals(tmp_path, monkeypatch):
    long_id = tmp_path / "long_id.csv"
    long_id.write_text("patient_id,date,kind,value,detail\n" + "X" * 65 + ",,diagnosis,ALL,\n")
    r = run_vfa("clinical", "import", long_id, "--workspace", tmp_path / "ws")
    assert r.returncode == 1 and "column patient_id: expected at most 64 characters, got 65" in r.stderr
    import vfa.study.clinical as clinical
    monkeypatch.setattr(clinical, "MAX_CSV_BYTES", 1000)
    big = _long_record(tmp_path / "big.csv", 100)
    r = run_vfa("clinical", "import", big, "--workspace", tmp_path / "ws")
    assert r.returncode == 1 and "split it" in one_error_line(r.stderr)
    monkeypatch.setattr(clinical, "MAX_CSV_BYTES", 64 * 2**20)
    monkeypatch.setattr(clinical, "MAX_CSV_ROWS", 50)
    r = run_vfa("clinical", "import", big, "--workspace", tmp_path / "ws")
    assert r.returncode == 1 and "more than 50 rows" in one_error_line(r.stderr)


def test_many_bad_rows_are_not_all_printed(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,date,kind,value,detail\n" + "P1,,nonsense,x,\n" * 5000)
    r = run_vfa("clinical", "import", bad, "--workspace", tmp_path / "ws")
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) < 60 and "4950 more" in r.stderr

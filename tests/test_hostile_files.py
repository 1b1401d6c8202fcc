"""Hostile and odd films (issue 9): one error policy for decoders (a native decoder's panic
included), 32-bit and RGB films shown, pixel data that does not fit the header named."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import JPEGLSLossless, RLELossless

import dicom_factory as f
from vfa.cli import main
from vfa.errors import is_native_panic
from vfa.films.radiograph import load_radiograph


def one_line_error(capfd, *words):
    out, err = capfd.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "panicked" not in err and "backtrace" not in err, err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def _rle(tmp_path, name="rle.dcm", **attrs):
    ds = f.make_dataset(f.film(bits=12), bits_stored=12)
    ds.compress(RLELossless, encoding_plugin="pydicom")
    for k, v in attrs.items():
        setattr(ds, k, v)
    ds.save_as(tmp_path / name, enforce_file_format=True)
    return tmp_path / name


def _flipped(path, out, every=7, start=200):
    ds = pydicom.dcmread(path)
    b = bytearray(ds.PixelData)
    for i in range(start, len(b), every):
        b[i] ^= 0xFF
    ds.PixelData = bytes(b)
    ds.save_as(out, enforce_file_format=True)
    return out


@pytest.fixture
def damaged_rle(tmp_path):
    pytest.importorskip("rle", reason="pylibjpeg-rle (the native RLE decoder) is not installed")
    good = _rle(tmp_path)
    return {"rows1": _rle(tmp_path, "rows1.dcm", Rows=1),
            "flipped": _flipped(good, tmp_path / "flipped.dcm")}


@pytest.mark.parametrize("kind", ["rows1", "flipped"])
@pytest.mark.parametrize("command", ["info", "render"])
def test_native_decoder_panic_is_a_one_line_error(damaged_rle, kind, command, capfd, tmp_path):
    path = damaged_rle[kind]
    args = [command, str(path)] + (["-o", str(tmp_path / "o.png")] if command == "render" else [])
    assert main(args) == 1
    one_line_error(capfd, path.name, "RLE Lossless")
    assert not (tmp_path / "o.png").exists()


def test_panic_detection_is_narrow():
    assert not is_native_panic(KeyboardInterrupt())
    assert not is_native_panic(SystemExit(1))
    assert not is_native_panic(RuntimeError("PanicException"))
    fake = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})
    assert is_native_panic(fake("boom"))


def test_cli_keeps_keyboard_interrupt_and_system_exit(monkeypatch, capsys):
    import vfa.commands.info as info
    monkeypatch.setattr(info, "run", lambda args: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert main(["info", "x.dcm"]) == 130
    monkeypatch.setattr(info, "run", lambda args: (_ for _ in ()).throw(SystemExit(7)))
    with pytest.raises(SystemExit):
        main(["info", "x.dcm"])


def test_viewer_shows_the_same_message(make_window, damaged_rle, asked, capfd):
    w = make_window()
    assert not w.open_file(damaged_rle["flipped"])
    msg = asked["errors"][-1]
    assert "flipped.dcm" in msg and "RLE Lossless" in msg and "Traceback" not in msg
    assert "panicked" not in capfd.readouterr().err


# ---- 32-bit and colour -----------------------------------------------------------------
SC = "1.2.840.10008.5.1.4.1.1.7"


def _grey32(signed=False):
    g = f.film(bits=16).astype(np.int64) * 50000
    return (g - 2 ** 30).astype(np.int32) if signed else g.astype(np.uint32)


@pytest.mark.parametrize("make", [
    lambda: _grey32(), lambda: _grey32(signed=True),
    lambda: np.stack([_grey32(), _grey32() // 2, _grey32() // 3], -1).astype(np.uint32),
    lambda: np.stack([f.film(bits=16)] * 3, -1),
    lambda: np.stack([f.film(bits=8)] * 3, -1),
], ids=["grey32", "grey32-signed", "rgb32", "rgb16", "rgb8"])
def test_32_bit_and_rgb_films_are_shown_as_grey(tmp_path, make, capsys):
    arr = make()
    path = f.write(f.make_dataset(arr, sop_class=SC if arr.ndim == 3 else f.DX_CLASS),
                   tmp_path / "sc.dcm")
    assert main(["info", str(path)]) == 0
    out = tmp_path / "sc.png"
    assert main(["render", str(path), "-o", str(out)]) == 0, capsys.readouterr().err
    import cv2
    img = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert img.shape == (96, 80) and img.dtype == np.uint8
    # the film's structure survives the conversion: rows get brighter downwards (the ramp)
    ref = f.film(bits=16).astype(float)
    assert np.corrcoef(img.ravel().astype(float), ref.ravel())[0, 1] > 0.95


# ---- pixel data that does not fit the header --------------------------------------------
def test_native_rows_1_warns_about_the_bytes_left_over(tmp_path, capsys):
    ds = f.make_dataset(f.film(bits=12), bits_stored=12)
    ds.Rows = 1
    path = f.write(ds, tmp_path / "rows1.dcm")
    rg = load_radiograph(path)
    assert rg.shape == (1, 80)
    assert any("left over" in w and "15200 bytes" in w for w in rg.warnings), rg.warnings
    assert main(["info", str(path)]) == 0
    assert "left over" in capsys.readouterr().out


def test_impossible_bits_stored_is_named_and_the_real_depth_used(tmp_path):
    arr = f.film(bits=12)
    path = f.write(f.make_dataset(arr, bits_stored=1), tmp_path / "bs1.dcm")
    rg = load_radiograph(path)
    assert any("Bits Stored is 1" in w and "12 bits" in w for w in rg.warnings), rg.warnings
    np.testing.assert_array_equal(rg.stored, arr)
    assert rg.bits_stored == 12


def test_overlay_garbage_in_unused_bits_is_still_masked_silently(tmp_path):
    arr = f.film(bits=12)
    rg = load_radiograph(f.write_film(tmp_path, arr=arr | np.uint16(0xF000), bits_stored=12))
    np.testing.assert_array_equal(rg.stored, arr)
    assert not any("Bits Stored" in w for w in rg.warnings)


def test_corrupted_jpeg_ls_is_an_error_not_a_wrong_image(tmp_path, capfd):
    pytest.importorskip("jpeg_ls", reason="pyjpegls (CharLS) is not installed")
    ds = f.make_dataset(f.film(bits=12), bits_stored=12)
    ds.compress(JPEGLSLossless)
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    for name, data in (("half.dcm", frame[: len(frame) // 2]),
                       ("half-eoi.dcm", frame[: len(frame) // 2] + b"\xff\xd9"),
                       ("zeros.dcm", frame[:2000] + b"\0" * 40 + frame[2040:])):
        ds.PixelData = encapsulate([data])
        ds.save_as(tmp_path / name, enforce_file_format=True)
        assert main(["info", str(tmp_path / name)]) == 1
        one_line_error(capfd, name, "JPEG-LS")


def test_truncated_jpeg_ls_is_named_as_truncated(tmp_path, capfd):
    """CharLS needs many seconds to give up on a stream cut short (the fuzz test's one 'hang'):
    a frame without its end-of-image marker is refused at once, and says why."""
    pytest.importorskip("jpeg_ls", reason="pyjpegls (CharLS) is not installed")
    ds = f.make_dataset(f.film(bits=12), bits_stored=12)
    ds.compress(JPEGLSLossless)
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    ds.PixelData = encapsulate([frame[: len(frame) * 2 // 3]])
    ds.save_as(tmp_path / "cut.dcm", enforce_file_format=True)
    assert main(["info", str(tmp_path / "cut.dcm")]) == 1
    one_line_error(capfd, "cut.dcm", "JPEG-LS", "truncated")
    ds.PixelData = encapsulate([frame])  # the whole frame, padded to even length: decodes
    ds.save_as(tmp_path / "whole.dcm", enforce_file_format=True)
    assert load_radiograph(tmp_path / "whole.dcm").stored.shape == ds.pixel_array.shape


# ---- findings of the fuzz test, kept as regression tests ----------------------------------
def test_error_with_control_characters_stays_one_line(monkeypatch, capsys):
    import vfa.commands.info as info
    from vfa.errors import DicomLoadError

    def boom(args):
        raise DicomLoadError("the image (1.2.840.10\x0b08.1.2.4.51) could not\nbe read\u2028x")
    monkeypatch.setattr(info, "run", boom)
    assert main(["info", "x.dcm"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, repr(err)
    assert "\\x0b08" in err and "\\u2028" in err


def test_scan_of_a_header_with_an_unknown_vr_is_a_problem_not_a_crash(tmp_path, capsys):
    path = f.write_film(tmp_path)
    data = path.read_bytes()
    rows_tag = b"\x28\x00\x10\x00US"
    assert rows_tag in data
    path.write_bytes(data.replace(rows_tag, b"\x28\x00\x10\x00U7", 1))
    assert main(["scan", str(tmp_path)]) == 1
    cap = capsys.readouterr()
    assert "broken DICOM header" in cap.out
    assert "no DICOM films found" in one_line_error_text(cap.err)


def one_line_error_text(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err and "unexpected" not in err, err
    return lines[0]


def test_reading_with_an_absurd_coordinate_is_refused_in_one_line(tmp_path, capsys):
    import json

    from readings_factory import make_reading
    from vfa.method.grading import round_percent
    from vfa.reading.reading import save_reading

    path = save_reading(make_reading({}), tmp_path / "r.json")
    data = json.loads(path.read_text())
    data["vertebrae"][5]["points"]["inferior_middle"][1] = 1e308  # finite, but heights overflow
    path.write_text(json.dumps(data))
    assert main(["grade", str(path)]) == 1
    line = one_line_error_text(capsys.readouterr().err)
    assert "a coordinate beyond 1e+06 pixels" in line and "inferior_middle" in line
    assert round_percent(float("inf")) == float("inf")

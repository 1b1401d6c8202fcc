"""Every supported transfer syntax: real files written to tmp_path, read back by the loader.

Lossless syntaxes must give the uncompressed pixels exactly; lossy ones within a tolerance.
Encoders: pydicom 3 (RLE, JPEG-LS, JPEG 2000, deflate, big endian by writing) and DCMTK's
tools (JPEG processes, and second encoders for JPEG-LS, RLE and big endian).
"""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

import dicom_factory as f
from vfa.films.display import DisplaySettings, render
from vfa.films.radiograph import Window, load_radiograph


def _check_lossless(path, reference, uid, signed=False):
    before = f.sha256(path)
    rg = load_radiograph(path)
    assert f.sha256(path) == before, "loading changed the source file"
    assert rg.transfer_syntax.uid == uid
    assert rg.stored.dtype == reference.dtype
    assert rg.stored.shape == reference.shape
    np.testing.assert_array_equal(rg.stored, reference)
    assert not rg.lossy_compression
    return rg


# ---- native and deflated ------------------------------------------------------------------
@pytest.mark.parametrize("uid", [ImplicitVRLittleEndian, ExplicitVRLittleEndian,
                                 ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian])
@pytest.mark.parametrize("signed", [False, True])
def test_native_syntaxes_round_trip(tmp_path, uid, signed):
    arr = f.film(bits=12, signed=signed, seed=3)
    path = f.write(f.make_dataset(arr, bits_stored=12, transfer_syntax=uid), tmp_path / "n.dcm")
    rg = _check_lossless(path, arr, uid)
    assert rg.transfer_syntax.compressed is False
    assert rg.bits_stored == 12


def test_big_endian_by_dcmtk(tmp_path):
    arr = f.film(bits=16, seed=4)
    src = f.write(f.make_dataset(arr), tmp_path / "src.dcm")
    out = tmp_path / "be.dcm"
    f.dcmtk("dcmconv", "+tb", src, out)
    _check_lossless(out, arr, ExplicitVRBigEndian)


def test_8bit_big_endian(tmp_path):
    arr = f.film(rows=33, cols=31, bits=8, seed=5)  # odd sizes: OW padding byte handling
    path = f.write(f.make_dataset(arr, transfer_syntax=ExplicitVRBigEndian), tmp_path / "b.dcm")
    _check_lossless(path, arr, ExplicitVRBigEndian)


def test_deflated_file_is_really_deflated(tmp_path):
    arr = f.film(bits=12, seed=6)
    path = f.write(f.make_dataset(arr, bits_stored=12,
                                  transfer_syntax=DeflatedExplicitVRLittleEndian), tmp_path / "d.dcm")
    assert path.stat().st_size < arr.nbytes  # the smooth film compresses
    _check_lossless(path, arr, DeflatedExplicitVRLittleEndian)


# ---- pydicom encoders ------------------------------------------------------------------
@pytest.mark.parametrize("uid", [RLELossless, JPEGLSLossless, JPEG2000Lossless])
@pytest.mark.parametrize("bits,signed", [(8, False), (12, False), (16, False), (12, True)])
def test_pydicom_lossless(tmp_path, uid, bits, signed):
    arr = f.film(bits=bits, signed=signed, seed=bits)
    ds = f.make_dataset(arr, bits_stored=bits)
    ds.compress(uid)
    path = tmp_path / "c.dcm"
    ds.save_as(path, enforce_file_format=True)
    rg = _check_lossless(path, arr, uid)
    assert rg.transfer_syntax.compressed


@pytest.mark.parametrize("uid,kwargs,limit", [
    (JPEGLSNearLossless, {"jls_error": 3}, 3),       # near-lossless: |error| <= NEAR
    (JPEG2000, {"j2k_cr": [4]}, None),
])
def test_pydicom_lossy(tmp_path, uid, kwargs, limit):
    arr = f.film(bits=12, seed=7)
    ds = f.make_dataset(arr, bits_stored=12)
    ds.compress(uid, **kwargs)
    ds.LossyImageCompression = "01"
    path = tmp_path / "l.dcm"
    ds.save_as(path, enforce_file_format=True)
    rg = load_radiograph(path)
    assert rg.transfer_syntax.uid == uid
    err = np.abs(rg.stored.astype(np.int64) - arr)
    if limit is not None:
        assert err.max() <= limit
        assert err.max() > 0  # really lossy, so the tolerance is what is being checked
    assert err.mean() < 0.01 * 4095
    assert rg.lossy_compression
    assert any("lossy" in w for w in rg.warnings)


# ---- DCMTK encoders ------------------------------------------------------------------
@pytest.mark.parametrize("option,uid", [("+e1", JPEGLosslessSV1), ("+el", JPEGLossless)])
@pytest.mark.parametrize("bits", [8, 12, 16])
def test_dcmtk_jpeg_lossless(tmp_path, option, uid, bits):
    arr = f.film(bits=bits, seed=10 + bits)
    src = f.write(f.make_dataset(arr, bits_stored=bits), tmp_path / "src.dcm")
    out = tmp_path / "j.dcm"
    f.dcmtk("dcmcjpeg", option, src, out)
    _check_lossless(out, arr, uid)


def test_dcmtk_jpeg_lossless_signed(tmp_path):
    arr = f.film(bits=12, signed=True, seed=21)
    src = f.write(f.make_dataset(arr, bits_stored=12), tmp_path / "src.dcm")
    out = tmp_path / "j.dcm"
    f.dcmtk("dcmcjpeg", "+e1", src, out)
    _check_lossless(out, arr, JPEGLosslessSV1)


@pytest.mark.parametrize("option,uid,bits", [("+eb", JPEGBaseline8Bit, 8),
                                             ("+ee", JPEGExtended12Bit, 12)])
def test_dcmtk_jpeg_lossy(tmp_path, option, uid, bits):
    arr = f.film(bits=bits, seed=30 + bits)
    src = f.write(f.make_dataset(arr, bits_stored=bits), tmp_path / "src.dcm")
    out = tmp_path / "j.dcm"
    # +sr: keep the value range (DCMTK's default +sp stretches min..max to the full range)
    f.dcmtk("dcmcjpeg", option, "+sr", src, out)
    rg = load_radiograph(out)
    assert rg.transfer_syntax.uid == uid
    assert rg.stored.dtype == arr.dtype and rg.stored.shape == arr.shape
    top = (1 << bits) - 1
    err = np.abs(rg.stored.astype(np.int64) - arr)
    assert err.mean() < 0.02 * top
    # the structure survives: the rows' means follow the original's
    np.testing.assert_allclose(rg.stored.mean(axis=1), arr.mean(axis=1), atol=0.02 * top)
    assert rg.lossy_compression


@pytest.mark.parametrize("tool,args,uid", [("dcmcjpls", [], JPEGLSLossless),
                                           ("dcmcrle", [], RLELossless)])
def test_dcmtk_other_lossless(tmp_path, tool, args, uid):
    arr = f.film(bits=16, seed=40)
    src = f.write(f.make_dataset(arr), tmp_path / "src.dcm")
    out = tmp_path / "o.dcm"
    f.dcmtk(tool, *args, src, out)
    _check_lossless(out, arr, uid)


def test_dcmtk_jpegls_near_lossless(tmp_path):
    arr = f.film(bits=12, seed=41)
    src = f.write(f.make_dataset(arr, bits_stored=12), tmp_path / "src.dcm")
    out = tmp_path / "o.dcm"
    f.dcmtk("dcmcjpls", "+en", "+md", "2", src, out)
    rg = load_radiograph(out)
    assert rg.transfer_syntax.uid == JPEGLSNearLossless
    err = np.abs(rg.stored.astype(np.int64) - arr)
    assert 0 < err.max() <= 2


def test_compressed_monochrome1_renders_like_uncompressed(tmp_path):
    """End to end: a J2K MONOCHROME1 film displays exactly as its uncompressed twin."""
    arr = f.film(bits=12, seed=50)
    kw = dict(bits_stored=12, photometric="MONOCHROME1", WindowCenter=2000, WindowWidth=2500)
    plain = f.write(f.make_dataset(arr, **kw), tmp_path / "p.dcm")
    ds = f.make_dataset(arr, **kw)
    ds.compress(JPEG2000Lossless)
    comp = tmp_path / "c.dcm"
    ds.save_as(comp, enforce_file_format=True)
    a, b = load_radiograph(plain), load_radiograph(comp)
    settings = DisplaySettings(Window(2000, 2500), None, True)
    np.testing.assert_array_equal(render(a, settings), render(b, settings))
    np.testing.assert_array_equal(render(a), render(b))  # default settings agree too

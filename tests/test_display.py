"""vfa.films.display: one lookup table from stored value to grey, checked against the standard."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from pydicom.pixels.processing import apply_modality_lut, apply_voi_lut

import dicom_factory as f
from vfa.films import display as dmod
from vfa.films.display import (
    DisplaySettings,
    Renderer,
    apply_lut,
    build_lut,
    default_settings,
    lut_index,
    lut_input_values,
    render,
    renderer_for,
    voi_window,
)
from vfa.films.radiograph import Radiograph, Window


def rg_of(arr, **attrs) -> Radiograph:
    return Radiograph.from_dataset(f.make_dataset(arr, **attrs))


# ---- the standard's formulas, written out literally as references ---------------------------
def linear_ref(x, c, w):
    """PS3.3 C.11.2.1.2.1, ymin = 0, ymax = 255."""
    if x <= c - 0.5 - (w - 1) / 2:
        return 0.0
    if x > c - 0.5 + (w - 1) / 2:
        return 255.0
    return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255.0


def linear_exact_ref(x, c, w):
    """PS3.3 C.11.2.1.3.2."""
    if x <= c - w / 2:
        return 0.0
    if x > c + w / 2:
        return 255.0
    return ((x - c) / w + 0.5) * 255.0


def sigmoid_ref(x, c, w):
    """PS3.3 C.11.2.1.3.1."""
    return 255.0 / (1 + math.exp(-4 * (x - c) / w))


@pytest.mark.parametrize("function,ref", [("LINEAR", linear_ref),
                                          ("LINEAR_EXACT", linear_exact_ref),
                                          ("SIGMOID", sigmoid_ref)])
@pytest.mark.parametrize("c,w", [(100, 11), (2047.5, 4096), (-300.25, 40.5), (10, 2)])
def test_voi_window_matches_the_standard(function, ref, c, w):
    xs = np.concatenate([np.linspace(c - w, c + w, 301), [c - 0.5 - (w - 1) / 2, c + w / 2]])
    got = voi_window(xs, Window(c, w), function) * 255.0
    want = np.array([ref(x, c, w) for x in xs])
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_linear_window_of_width_one_is_a_threshold():
    got = voi_window(np.array([9.0, 9.49, 9.5, 9.51, 11]), Window(10, 1), "LINEAR")
    np.testing.assert_array_equal(got, [0, 0, 0, 1, 1])


# ---- the LUT ------------------------------------------------------------------------------
def test_lut_sizes_and_index_order():
    u16 = rg_of(f.film(bits=12))
    assert len(lut_input_values(u16)) == 65536
    i16 = rg_of(f.film(bits=12, signed=True))
    values = lut_input_values(i16)
    assert values[0] == 0 and values[32767] == 32767 and values[32768] == -32768 and values[-1] == -1
    assert lut_index(i16, np.array([-1, 0, 5], np.int16)).tolist() == [65535, 0, 5]
    u8 = rg_of(f.film(bits=8))
    assert len(lut_input_values(u8)) == 256


def _reference_render(rg: Radiograph, settings: DisplaySettings) -> np.ndarray:
    """Float pipeline, pixel by pixel formulas (slow, independent of the LUT)."""
    m = rg.modality.apply(rg.stored.astype(np.float64))
    if settings.voi_lut_index is not None:
        lut = rg.voi_luts[settings.voi_lut_index]
        y = lut(m) / lut.output_max
    else:
        w = settings.window
        ref = {"LINEAR": linear_ref, "LINEAR_EXACT": linear_exact_ref,
               "SIGMOID": sigmoid_ref}[rg.voi_lut_function]
        y = np.vectorize(lambda x: ref(x, w.center, w.width))(m) / 255.0
    if settings.invert:
        y = 1.0 - y
    return np.rint(y * 255).astype(np.uint8)


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
@pytest.mark.parametrize("invert", [False, True])
def test_render_equals_float_reference(function, invert):
    arr = f.film(rows=40, cols=30, bits=12)
    rg = rg_of(arr, bits_stored=12, VOILUTFunction=function, RescaleSlope=0.5,
               RescaleIntercept=-100)
    settings = DisplaySettings(Window(700, 900), None, invert)
    np.testing.assert_array_equal(render(rg, settings), _reference_render(rg, settings))


def test_render_signed_data():
    arr = f.film(rows=40, cols=30, bits=12, signed=True)
    assert arr.min() < 0 < arr.max()
    rg = rg_of(arr, bits_stored=12)
    settings = DisplaySettings(Window(-200, 1500))
    out = render(rg, settings)
    np.testing.assert_array_equal(out, _reference_render(rg, settings))
    assert out.min() == 0 and out.max() == 255  # both tails reached: negatives map properly


def test_render_matches_pydicom_windowing():
    """Cross-check with pydicom's own implementation (its output range is 0..2**bits-1)."""
    arr = f.film(rows=32, cols=32, bits=12)
    ds = f.make_dataset(arr, bits_stored=12, WindowCenter=1800, WindowWidth=1200,
                        RescaleSlope=1, RescaleIntercept=0)
    rg = Radiograph.from_dataset(ds)
    ours = render(rg, DisplaySettings(rg.windows[0]))
    theirs = apply_voi_lut(apply_modality_lut(arr, ds), ds, index=0)
    theirs = np.rint(theirs / 4095.0 * 255.0)
    assert np.abs(ours.astype(int) - theirs).max() <= 1


def test_modality_lut_is_applied():
    arr = np.tile(np.arange(0, 64, dtype=np.uint16), (4, 1))
    # the modality LUT reverses the values: stored 0 -> 630, stored 63 -> 0
    item = f.lut_item(np.arange(63, -1, -1) * 10, 0, 16)
    rg = rg_of(arr, ModalityLUTSequence=f.sequence(item))
    out = render(rg, DisplaySettings(Window(315, 631)))
    assert out[0, 0] > 250 and out[0, -1] < 5
    assert np.all(np.diff(out[0].astype(int)) <= 0)


def test_voi_lut_sequence_is_applied_and_chosen_by_index():
    arr = np.tile(np.arange(0, 256, dtype=np.uint16), (2, 1))
    up = f.lut_item(np.arange(256) * 16, 0, 12, "UP")          # 0..4080 of 4095
    down = f.lut_item((255 - np.arange(256)) * 16, 0, 12, "DOWN")
    ds = f.make_dataset(arr, VOILUTSequence=f.sequence(up, down), WindowCenter=10,
                        WindowWidth=5)
    rg = Radiograph.from_dataset(ds)
    s0 = default_settings(rg)
    assert s0.voi_lut_index == 0 and s0.window is None  # the file's LUT before its window
    a = render(rg, s0)
    b = render(rg, s0.with_voi_lut(1))
    np.testing.assert_array_equal(a[0], np.rint(np.arange(256) * 16 / 4095 * 255))
    np.testing.assert_array_equal(b[0], a[0][::-1])
    # pydicom agrees
    theirs = apply_voi_lut(arr, ds, index=0, prefer_lut=True)
    assert np.abs(a.astype(int) - np.rint(theirs / 4095 * 255)).max() <= 1
    with pytest.raises(ValueError, match="VOI LUT 5 does not exist"):
        build_lut(rg, DisplaySettings(None, 5))


def test_monochrome1_renders_bone_bright():
    """MONOCHROME1: low stored values are white. Dense bone has low values on such films."""
    arr = np.array([[100, 3000]], dtype=np.uint16)  # bone, soft tissue
    rg = rg_of(arr, photometric="MONOCHROME1", WindowCenter=1550, WindowWidth=2900)
    settings = default_settings(rg)
    assert settings.invert is True
    out = render(rg, settings)
    assert out[0, 0] == 255 and out[0, 1] == 0
    # the same numbers as MONOCHROME2 display the other way round
    mono2 = rg_of(arr, WindowCenter=1550, WindowWidth=2900)
    assert default_settings(mono2).invert is False
    np.testing.assert_array_equal(render(mono2), 255 - out)
    # the user's invert toggles it
    np.testing.assert_array_equal(render(rg, settings.toggled_invert()), 255 - out)


def test_default_settings_order():
    arr = f.film()
    assert default_settings(rg_of(arr, WindowCenter=5, WindowWidth=7)).window == Window(5, 7)
    rg = rg_of(arr)
    assert default_settings(rg).window == rg.auto_window()
    # neither window nor LUT in the settings: the automatic window
    np.testing.assert_array_equal(render(rg, DisplaySettings()),
                                  render(rg, DisplaySettings(rg.auto_window())))


def test_lut_is_cached_by_settings():
    rg = rg_of(f.film())
    s = DisplaySettings(Window(100, 200))
    a = build_lut(rg, s)
    assert a.dtype == np.uint8 and len(a) == 65536
    assert build_lut(rg, DisplaySettings(Window(100, 200))) is a
    assert build_lut(rg, s.toggled_invert()) is not a
    assert not a.flags.writeable


# ---- reduced size ---------------------------------------------------------------------------
def test_output_shapes():
    r = Renderer(rg_of(f.film(rows=300, cols=200)))
    assert r.output_shape(None) == (300, 200)
    assert r.output_shape(150) == (150, 100)
    assert r.output_shape(1000) == (300, 200)  # never enlarged
    assert r.output_shape((30, 40)) == (30, 40)
    with pytest.raises(ValueError):
        r.output_shape(0)


def test_reduced_size_downsamples_stored_values_first():
    arr = f.film(rows=256, cols=192, bits=12)
    rg = rg_of(arr, bits_stored=12)
    settings = DisplaySettings(Window(1500, 2000))
    out = render(rg, settings, size=128)
    assert out.shape == (128, 96)
    small = cv2.resize(arr, (96, 128), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(out, build_lut(rg, settings)[small])
    exact = render(rg, settings, size=(50, 70))
    assert exact.shape == (50, 70)


def test_reduced_size_signed():
    arr = f.film(rows=128, cols=128, bits=12, signed=True)
    rg = rg_of(arr, bits_stored=12)
    settings = DisplaySettings(Window(0, 3000))
    out = render(rg, settings, size=64)
    small = cv2.resize(arr, (64, 64), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(out, build_lut(rg, settings)[lut_index(rg, small)])


def test_downsampled_array_and_buffers_are_cached():
    rg = rg_of(f.film(rows=200, cols=200))
    r = renderer_for(rg)
    assert renderer_for(rg) is r
    a = r.stored_at(100)
    assert r.stored_at(100) is a and a.shape == (100, 100)
    assert r.stored_at(None) is rg.stored
    s = DisplaySettings(Window(1000, 2000))
    out1 = r.render(s, 100)
    out2 = r.render(s.toggled_invert(), 100)
    assert out2 is out1  # the renderer reuses its buffer...
    fresh1 = render(rg, s, 100)
    fresh2 = render(rg, s, 100)
    assert fresh1 is not fresh2  # ...the module function does not
    np.testing.assert_array_equal(fresh1, 255 - out2)


# ---- applying the table -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype,shape", [(np.uint16, (700, 600)), (np.uint16, (13, 17)),
                                         (np.uint8, (300, 301))])
def test_apply_lut_equals_fancy_indexing(dtype, shape):
    rng = np.random.default_rng(5)
    n = 1 << (8 * np.dtype(dtype).itemsize)
    idx = rng.integers(0, n, shape).astype(dtype)
    lut = rng.integers(0, 256, n).astype(np.uint8)
    out = np.empty(shape, np.uint8)
    assert apply_lut(lut, idx, out, threads=2) is out
    np.testing.assert_array_equal(out, lut[idx])


def test_apply_lut_threaded_split_covers_everything(monkeypatch):
    monkeypatch.setattr(dmod, "_CHUNK", 1000)
    monkeypatch.setattr(dmod, "_PARALLEL_MIN", 10)
    monkeypatch.setattr(dmod, "_a_core_is_idle", lambda: True)
    idx = np.arange(12345, dtype=np.uint16).reshape(5, 2469)
    lut = (np.arange(65536) % 251).astype(np.uint8)
    out = np.zeros(idx.shape, np.uint8)
    apply_lut(lut, idx, out, threads=2)
    np.testing.assert_array_equal(out, lut[idx])


def test_apply_lut_rejects_bad_buffer():
    with pytest.raises(ValueError, match="does not fit"):
        apply_lut(np.zeros(256, np.uint8), np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8))


def test_8_bit_film_renders():
    arr = f.film(rows=50, cols=40, bits=8)
    rg = rg_of(arr, WindowCenter=128, WindowWidth=256)
    np.testing.assert_array_equal(render(rg), _reference_render(rg, default_settings(rg)))


def test_32_bit_film_renders():
    arr = (f.film(rows=40, cols=30, bits=16).astype(np.int32) * 3 - 70000)
    rg = rg_of(arr)
    settings = DisplaySettings(Window(int(arr.mean()), 100000))
    np.testing.assert_array_equal(render(rg, settings), _reference_render(rg, settings))
    assert render(rg, settings, size=20).shape == (20, 15)


def test_colour_film_renders_through_luma(tmp_path):
    rgb = np.random.default_rng(3).integers(0, 256, (20, 20, 3), dtype=np.uint8)
    rg = Radiograph.from_dataset(f.make_dataset(rgb))
    out = render(rg, DisplaySettings(Window(128, 256, ""), None, False), None)
    assert out.shape == (20, 20)
    # LINEAR window centre 128 width 256 is the identity on 0..255 (C.11.2.1.2.1)
    np.testing.assert_array_equal(out, rg.stored)


def test_lut_outside_bits_stored_takes_the_nearest_end():
    """The VOI is computed on the 2**BitsStored values; other entries repeat the ends."""
    u = rg_of(f.film(bits=12), bits_stored=12)
    s = DisplaySettings(Window(3000, 3000))
    lut = build_lut(u, s)
    ref = np.rint(voi_window(np.arange(4096), Window(3000, 3000)) * 255).astype(np.uint8)
    np.testing.assert_array_equal(lut[:4096], ref)
    assert np.all(lut[4096:] == ref[-1])
    i = rg_of(f.film(bits=12, signed=True), bits_stored=12)
    lut = build_lut(i, DisplaySettings(Window(0, 1000)))
    idx = lut_index(i, np.array([-32768, -2049, -2048, 2047, 2048, 32767], np.int16))
    assert lut[idx].tolist() == [0, 0, 0, 255, 255, 255]


def test_apply_lut_does_not_wait_for_a_busy_worker(monkeypatch):
    """If the worker thread is busy, the calling thread does every chunk itself."""
    import threading

    monkeypatch.setattr(dmod, "_PARALLEL_MIN", 10)
    monkeypatch.setattr(dmod, "_a_core_is_idle", lambda: True)
    release = threading.Event()
    blocker = dmod._pool().submit(release.wait, 10)  # occupy the only worker
    try:
        idx = np.random.default_rng(9).integers(0, 65536, (400, 500)).astype(np.uint16)
        lut = np.random.default_rng(10).integers(0, 256, 65536).astype(np.uint8)
        out = np.empty(idx.shape, np.uint8)
        apply_lut(lut, idx, out, threads=2)  # would hang 10 s if it waited for the worker
        np.testing.assert_array_equal(out, lut[idx])
        assert not blocker.done()
    finally:
        release.set()
        blocker.result()
    with pytest.raises(ValueError, match="C-contiguous"):
        apply_lut(lut, idx[:, :250], np.empty((400, 500), np.uint8)[:, :250])


def test_apply_lut_uses_one_thread_when_no_core_is_idle(monkeypatch):
    """On a saturated machine the look-up runs on the calling thread alone (same output)."""
    monkeypatch.setattr(dmod, "_PARALLEL_MIN", 10)
    monkeypatch.setattr(dmod, "_idle_state", [-1e9, True])
    monkeypatch.setattr(dmod.os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    submitted = []
    monkeypatch.setattr(dmod, "_pool", lambda: submitted.append(1))
    idx = np.random.default_rng(3).integers(0, 65536, (300, 400)).astype(np.uint16)
    lut = np.random.default_rng(4).integers(0, 256, 65536).astype(np.uint8)
    out = np.empty(idx.shape, np.uint8)
    apply_lut(lut, idx, out, threads=2)
    np.testing.assert_array_equal(out, lut[idx])
    assert submitted == [] and dmod._a_core_is_idle() is False
    monkeypatch.setattr(dmod.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(dmod, "_idle_state", [-1e9, False])
    assert dmod._a_core_is_idle() is True


@pytest.mark.parametrize("size", [None, 20])
@pytest.mark.parametrize("window", [(700, 900), (1500.5, 2.0), (2047.5, 4096)])
def test_render_at_screen_and_full_size_equals_exact_reference(size, window):
    """The re-render after a window change, at full size and downsampled for the screen, is
    the exact DICOM window of the (downsampled) stored values -- the benchmark's SIMD floor
    (cv2.addWeighted) is compared for speed only."""
    arr = f.film(rows=60, cols=45, bits=12)
    rg = rg_of(arr, bits_stored=12, RescaleSlope=1, RescaleIntercept=0)
    settings = DisplaySettings(Window(*window), None, False)
    r = dmod.Renderer(rg)
    got = r.render(settings, size)
    small = r.stored_at(size)
    ref = rg_of(np.ascontiguousarray(small), bits_stored=12, RescaleSlope=1, RescaleIntercept=0)
    np.testing.assert_array_equal(got, _reference_render(ref, settings))

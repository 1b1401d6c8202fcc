"""Seeded mutation fuzzing of ``vfa``'s inputs: DICOM headers, pixel data of every supported
transfer syntax, and reading JSON (issue 9). Driven by tests/test_fuzz.py.

Run as a worker process (``python tests/fuzz_vfa.py --cases N --seed S --work DIR``): it builds
small seed films (every transfer syntax it can encode here) and seed readings, then for each
case mutates one input and runs one ``vfa`` command **in this process** through
``vfa.cli.main`` (fast: no interpreter start per case). Each case's outcome is one JSON line on
stdout:

* ``success``: exit 0, no traceback;
* ``clean-error``: exit 1 and exactly one stderr line ``vfa CMD: error: ...``;
* anything else is a finding: ``exit-N`` (3 = "unexpected error"), ``multi-line``,
  ``traceback``, ``hang`` (over the per-case timeout), ``escaped`` (an exception left main),
  ``source-modified`` (the input file changed).

stderr is captured at the Python level and at file descriptor 2 (what native decoders print).
The worker is a separate process so that a native crash (segfault) in a decoder cannot take
pytest down: the parent sees which case was running (``start`` lines) and reports it.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CASE_TIMEOUT_S = 30


class CaseTimeout(BaseException):
    """Raised by SIGALRM in a case that runs too long (a hang)."""


# ---------------------------------------------------------------------------- seeds
def seed_films(folder: Path) -> dict[str, Path]:
    """Small films in every transfer syntax that can be encoded here (name -> path)."""
    import numpy as np
    from pydicom.uid import (JPEG2000, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian,
                             ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless,
                             JPEGLSLossless, JPEGLSNearLossless, RLELossless)

    import dicom_factory as f

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    arr = f.film(rows=48, cols=40, bits=12, seed=1)
    for name, uid in (("implicit", ImplicitVRLittleEndian), ("explicit", ExplicitVRLittleEndian),
                      ("bigendian", ExplicitVRBigEndian), ("deflated", DeflatedExplicitVRLittleEndian)):
        out[name] = f.write(f.make_dataset(arr, bits_stored=12, transfer_syntax=uid,
                                           PixelSpacing=[0.2, 0.2], WindowCenter=2048,
                                           WindowWidth=4096), folder / f"{name}.dcm")
    out["signed"] = f.write(f.make_dataset(f.film(rows=48, cols=40, bits=12, signed=True),
                                           bits_stored=12, RescaleIntercept=-1024, RescaleSlope=1),
                            folder / "signed.dcm")
    out["mono1-8bit"] = f.write(f.make_dataset(f.film(rows=48, cols=40, bits=8),
                                               photometric="MONOCHROME1"), folder / "mono1.dcm")
    out["rgb"] = f.write(f.make_dataset(np.stack([f.film(rows=48, cols=40, bits=8)] * 3, -1),
                                        sop_class="1.2.840.10008.5.1.4.1.1.7"), folder / "rgb.dcm")
    out["frames"] = f.write(f.make_dataset(np.stack([arr, arr]), bits_stored=12, frames=2),
                            folder / "frames.dcm")
    out["lut"] = f.write(f.make_dataset(arr, bits_stored=12, ModalityLUTSequence=f.sequence(
        f.lut_item(np.arange(4096) // 2, 0, 16)), VOILUTSequence=f.sequence(
        f.lut_item(np.arange(2048) // 8, 0, 8, as_bytes=True))), folder / "lut.dcm")
    for name, uid, kwargs in (("rle", RLELossless, {"encoding_plugin": "pydicom"}),
                              ("jpegls", JPEGLSLossless, {}),
                              ("jpegls-near", JPEGLSNearLossless, {"jls_error": 2}),
                              ("j2k", JPEG2000Lossless, {}),
                              ("j2k-lossy", JPEG2000, {"j2k_cr": [20]})):
        ds = f.make_dataset(arr, bits_stored=12)
        try:
            ds.compress(uid, **kwargs)
        except Exception as exc:  # noqa: BLE001 - an encoder missing here: fewer seeds
            print(json.dumps({"note": f"no {name} seed: {exc}"}), flush=True)
            continue
        ds.save_as(folder / f"{name}.dcm", enforce_file_format=True)
        out[name] = folder / f"{name}.dcm"
    src8 = f.write(f.make_dataset(f.film(rows=48, cols=40, bits=8)), folder / "src8.dcm")
    src12 = f.write(f.make_dataset(arr, bits_stored=12), folder / "src12.dcm")
    for name, tool, args, src in (("jpeg-baseline", "dcmcjpeg", ["+eb", "+sr"], src8),
                                  ("jpeg-extended", "dcmcjpeg", ["+ee", "+sr"], src12),
                                  ("jpeg-lossless", "dcmcjpeg", ["+el"], src12),
                                  ("jpeg-sv1", "dcmcjpeg", ["+e1"], src12)):
        exe = shutil.which(tool)
        if exe is None:
            print(json.dumps({"note": f"no {name} seed: {tool} not installed"}), flush=True)
            continue
        dst = folder / f"{name}.dcm"
        p = subprocess.run([exe, *args, str(src), str(dst)], capture_output=True, timeout=60)
        if p.returncode == 0:
            out[name] = dst
    return out


def seed_readings(folder: Path, films: dict[str, Path]) -> dict[str, Path]:
    """Reading files: one with points, grades, notes and proposals; one per film kind used by
    export-sr; the bundled reference readings when present."""
    import datetime as dt

    from readings_factory import box_points, make_reading
    from vfa.reading.autoplace import Proposal
    from vfa.method.levels import PointSlot
    from vfa.reading.reading import save_reading

    folder.mkdir(parents=True, exist_ok=True)
    r = make_reading({"T12": (70.0, 95.0, 100.0), "L1": (100.0, 72.0, 100.0)},
                     date=dt.date(2024, 1, 10))
    r.set_reader_grade("T12", 2)
    r.set_status("T5", "not_evaluable", "rotated/oblique")
    r.set_note("L2", "Schmorl node? ü")
    r.remove_vertebra("L3")
    r.propose("L3", {PointSlot.parse(k): Proposal(x, y, 0.7, "one-click") for k, (x, y) in
                     box_points(100.0, 50.0 + 11 * 130.0, 100.0, 100.0, 100.0, depth=120.0).items()})
    out = {"rich": save_reading(r, folder / "rich.json")}
    base = make_reading({"L1": (90.0, 100.0, 100.0)}, date=dt.date(2022, 1, 10))
    out["base"] = save_reading(base, folder / "base.json")
    return out


# ---------------------------------------------------------------------------- mutations
INTS = [0, 1, 2, 3, 7, 8, 11, 12, 15, 16, 17, 31, 32, 33, 48, 64, 255, 256, 4095, 65535, 30001,
        -1, -32768, 2 ** 31 - 1]
STRINGS = ["", " ", "0", "-1", "1e300", "nan", "inf", "abc", "0\\0", "1\\2\\3", "=1+1", "\x00",
           "MONOCHROME1", "MONOCHROME2", "RGB", "PALETTE COLOR", "YBR_FULL_422", "YBR_FULL",
           "SIGMOID", "LINEAR_EXACT", "19000101", "20241340", "x" * 300, "Ünïcødé^名前",
           "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.5", "1.2.840.10008.5.1.4.1.1.88.33"]
HEADER_KEYWORDS = ["Rows", "Columns", "BitsAllocated", "BitsStored", "HighBit",
                   "PixelRepresentation", "SamplesPerPixel", "PhotometricInterpretation",
                   "NumberOfFrames", "PlanarConfiguration", "WindowCenter", "WindowWidth",
                   "RescaleSlope", "RescaleIntercept", "PixelSpacing", "ImagerPixelSpacing",
                   "EstimatedRadiographicMagnificationFactor", "PixelAspectRatio",
                   "PatientName", "PatientID", "StudyDate", "PatientBirthDate", "PatientSex",
                   "PatientAge", "SOPClassUID", "SOPInstanceUID", "StudyInstanceUID",
                   "VOILUTFunction", "PixelPaddingValue", "PresentationLUTShape",
                   "LossyImageCompression", "ModalityLUTSequence", "VOILUTSequence"]


def _random_value(rng: random.Random):
    return rng.choice(INTS) if rng.random() < 0.5 else rng.choice(STRINGS)


def mutate_header(rng: random.Random, src: Path, dst: Path) -> str:
    import pydicom
    ds = pydicom.dcmread(src)
    done = []
    for _ in range(rng.randint(1, 3)):
        kw = rng.choice(HEADER_KEYWORDS + ["TransferSyntaxUID"])
        if kw == "TransferSyntaxUID":
            ds.file_meta.TransferSyntaxUID = rng.choice(STRINGS[-3:] + ["1.2.840.10008.1.2",
                                                                       "1.2.840.10008.1.2.1",
                                                                       "1.2.840.10008.1.2.2",
                                                                       "1.2.840.10008.1.2.4.80",
                                                                       "1.2.840.10008.1.2.4.90",
                                                                       "9.9.9"])
            done.append(f"ts={ds.file_meta.TransferSyntaxUID}")
            continue
        if kw.endswith("Sequence"):
            if kw in ds and rng.random() < 0.5:
                item = ds[kw].value[0]
                if "LUTDescriptor" in item:
                    item.LUTDescriptor = [rng.choice(INTS) for _ in range(rng.choice([1, 3, 4]))]
                done.append(f"{kw} descriptor")
            else:
                if kw in ds:
                    del ds[kw]
                done.append(f"del {kw}")
            continue
        if kw in ds and rng.random() < 0.25:
            del ds[kw]
            done.append(f"del {kw}")
            continue
        value = _random_value(rng)
        try:
            setattr(ds, kw, value)
            done.append(f"{kw}={value!r}"[:60])
        except Exception:  # noqa: BLE001 - a value pydicom refuses to set: skip
            continue
    try:
        ds.save_as(dst, enforce_file_format=False)
    except Exception:  # noqa: BLE001 - not writable with this value: fall back to bytes
        return mutate_bytes(rng, src, dst)
    return "header: " + ", ".join(done)


def mutate_pixels(rng: random.Random, src: Path, dst: Path) -> str:
    import pydicom
    ds = pydicom.dcmread(src)
    data = bytearray(ds.PixelData)
    kind = rng.choice(["flip", "truncate", "extend", "zero", "shuffle"])
    if kind == "flip":
        for _ in range(rng.randint(1, 20)):
            i = rng.randrange(len(data))
            data[i] ^= rng.randrange(1, 256)
    elif kind == "truncate":
        data = data[: rng.randrange(len(data))]
    elif kind == "extend":
        data += bytes(rng.randrange(256) for _ in range(rng.choice([1, 2, 100, 5000])))
    elif kind == "zero":
        a = rng.randrange(len(data))
        data[a:a + rng.randint(1, 500)] = b"\0" * len(data[a:a + rng.randint(1, 500)])
    else:
        a, b = sorted(rng.randrange(len(data)) for _ in range(2))
        chunk = data[a:b]
        rng.shuffle(chunk)
        data[a:b] = chunk
    if len(data) % 2:
        data += b"\0"
    ds.PixelData = bytes(data)
    ds.save_as(dst, enforce_file_format=False)
    return f"pixels: {kind}"


def mutate_bytes(rng: random.Random, src: Path, dst: Path) -> str:
    data = bytearray(src.read_bytes())
    kind = rng.choice(["flip", "truncate", "insert", "duplicate"])
    if kind == "flip":
        for _ in range(rng.randint(1, 30)):
            i = rng.randrange(len(data))
            data[i] = rng.randrange(256)
    elif kind == "truncate":
        data = data[: rng.randrange(len(data))]
    elif kind == "insert":
        i = rng.randrange(len(data))
        data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    else:
        a, b = sorted(rng.randrange(len(data)) for _ in range(2))
        data[b:b] = data[a:b][:4096]
    dst.write_bytes(bytes(data))
    return f"bytes: {kind}"


def _nodes(obj, path=()):
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _nodes(v, path + (i,))


JSON_VALUES = [None, "", "=1+1", -1, 0, 0.5, 1e308, -1e-13, True, [], {}, "x" * 5000, "T99",
               "L1", [1], [1, 2], [1, 2, 3], ["a", "b"], {"a": 1}, 3.7, "not_evaluable",
               "evaluable", "1.2.3", "2024-02-30", "9999-99-99", "proposed", "accepted", -0.0]


def mutate_reading(rng: random.Random, src: Path, dst: Path) -> str:
    text = src.read_text(encoding="utf-8")
    if rng.random() < 0.2:  # raw text damage
        data = bytearray(text.encode("utf-8"))
        kind = rng.choice(["truncate", "flip", "latin1", "nan"])
        if kind == "truncate":
            data = data[: rng.randrange(len(data))]
        elif kind == "flip":
            for _ in range(rng.randint(1, 10)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == "latin1":
            data += b"\xe9\xff"
        else:
            data = data.replace(b"100.0", b"NaN", 1).replace(b"50.0", b"Infinity", 1)
        dst.write_bytes(bytes(data))
        return f"json text: {kind}"
    obj = json.loads(text)
    done = []
    for _ in range(rng.randint(1, 4)):
        nodes = [(p, v) for p, v in _nodes(obj) if p]
        path, _ = rng.choice(nodes)
        parent = obj
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        op = rng.random()
        if op < 0.25 and isinstance(parent, dict):
            del parent[key]
            done.append(f"del {'/'.join(map(str, path))}")
        elif op < 0.35 and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
            done.append(f"dup {'/'.join(map(str, path))}")
        else:
            parent[key] = copy.deepcopy(rng.choice(JSON_VALUES))
            done.append(f"{'/'.join(map(str, path))}={str(parent[key])[:20]!r}")
    dst.write_text(json.dumps(obj), encoding="utf-8")
    return "json: " + ", ".join(done)


# ---------------------------------------------------------------------------- running
def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def run_main(argv: list[str]) -> tuple[str, int | None, str, str]:
    """Run ``vfa.cli.main(argv)`` here, capturing Python and fd-level output."""
    from vfa.cli import main
    out, err = io.StringIO(), io.StringIO()
    sys.stderr.flush()
    saved = os.dup(2)
    held = tempfile.TemporaryFile()
    os.dup2(held.fileno(), 2)
    status, rc = "ok", None
    signal.alarm(CASE_TIMEOUT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(argv)
    except CaseTimeout:
        status = "hang"
    except SystemExit as exc:
        status, rc = "escaped", exc.code if isinstance(exc.code, int) else 2
        err.write(f"SystemExit({exc.code})\n")
    except BaseException as exc:  # noqa: BLE001 - what escapes main is a finding
        status = "escaped"
        err.write("".join(traceback.format_exception(exc)))
    finally:
        signal.alarm(0)
        os.dup2(saved, 2)
        os.close(saved)
        held.seek(0)
        native = held.read().decode("utf-8", errors="replace")
        held.close()
    return status, rc, out.getvalue(), err.getvalue() + native


def classify(cmd: str, status: str, rc: int | None, stderr: str) -> str:
    if status != "ok":
        return status
    if "Traceback" in stderr or "panicked at" in stderr:
        return "traceback"
    if rc == 0:
        return "success"
    if rc != 1:
        return f"exit-{rc}"
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    if len(lines) != 1:
        return "multi-line"
    if not lines[0].startswith(f"vfa {cmd}: error: "):
        return "not-our-error-line"
    return "clean-error"


def case_plan(rng: random.Random, films: dict[str, Path], readings: dict[str, Path],
              work: Path) -> tuple[str, list[str], Path]:
    """(what was mutated, argv, the mutated input file)."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    r = rng.random()
    if r < 0.7:
        name = rng.choice(sorted(films))
        dst = work / "case.dcm"
        how = rng.random()
        try:
            if how < 0.4:
                what = mutate_header(rng, films[name], dst)
            elif how < 0.75:
                what = mutate_pixels(rng, films[name], dst)
            else:
                what = mutate_bytes(rng, films[name], dst)
        except Exception:  # noqa: BLE001 - pydicom cannot write this mutation: damage bytes
            what = mutate_bytes(rng, films[name], dst)
        cmd = rng.random()
        if cmd < 0.45:
            argv = ["info", str(dst)] + (["--json"] if rng.random() < 0.3 else [])
        elif cmd < 0.9:
            argv = ["render", str(dst), "-o", str(out / "o.png"), "--size", "48"]
            if rng.random() < 0.3:
                argv += ["--auto"]
        else:
            argv = ["scan", str(dst), "--json"]
        return f"{name}: {what}", argv, dst
    name = rng.choice(["rich", "base"])
    dst = work / "case.json"
    what = mutate_reading(rng, readings[name], dst)
    cmd = rng.random()
    if cmd < 0.35:
        argv = ["grade", str(dst)] + (["--json"] if rng.random() < 0.5 else [])
    elif cmd < 0.6:
        argv = ["compare", str(readings["base"]), str(dst), "--allow-different-patients"] + (
            ["--json"] if rng.random() < 0.5 else [])
    elif cmd < 0.85:
        argv = ["export-csv", str(dst), "-o", str(out / "r.csv"), "--allow-proposed"]
    else:
        argv = ["render", str(films["explicit"]), "-o", str(out / "o.png"), "--reading", str(dst)]
    return f"{name}.json: {what}", argv, dst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--work", required=True)
    args = ap.parse_args(argv)

    def on_alarm(signum, frame):
        raise CaseTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    from vfa.cli import quiet_third_party_logs
    quiet_third_party_logs()
    import warnings
    warnings.simplefilter("ignore")
    work = Path(args.work)
    films = seed_films(work / "seeds")
    readings = seed_readings(work / "seeds", films)
    seed_sums = {p: sha(p) for p in list(films.values()) + list(readings.values())}
    print(json.dumps({"seeds": sorted(films)}), flush=True)
    for i in range(args.start, args.cases):
        rng = random.Random(args.seed * 1_000_003 + i)
        what, cmd_argv, target = case_plan(rng, films, readings, work)
        print(json.dumps({"start": i, "what": what, "argv": cmd_argv[:1]}), flush=True)
        before = sha(target)
        t0 = time.perf_counter()
        status, rc, out, err = run_main(cmd_argv)
        verdict = classify(cmd_argv[0], status, rc, err)
        if verdict in ("success", "clean-error") and sha(target) != before:
            verdict = "source-modified"
        print(json.dumps({"case": i, "verdict": verdict, "what": what, "argv": cmd_argv,
                          "rc": rc, "stderr": err[-2000:], "s": round(time.perf_counter() - t0, 3)}),
              flush=True)
    changed = [str(p) for p, s in seed_sums.items() if sha(p) != s]
    print(json.dumps({"done": True, "seeds_modified": changed}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

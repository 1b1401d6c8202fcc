"""vfa.films.pacs and ``vfa pacs``: against a real Orthanc (DICOMweb plugin) and real loopback servers.

One Orthanc without and one with authentication per test session (tests/orthanc.py).
Network failures are produced for real: a port with nothing listening (refused), a socket that
accepts and never answers (timeout), an HTTP server that sends HTML (not DICOMweb).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import logging
import os
import socket
import stat
import subprocess
import threading
from pathlib import Path

import numpy as np
import pydicom
import pytest

from cli_runner import run_vfa
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from vfa.films import pacs
from vfa.errors import PacsError
from vfa.films.pacs import InstanceRef, PacsClient, PacsSettings, RetrieveCancelled

from orthanc import AUTH_PASSWORD, AUTH_USER, free_port

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_dicoms"


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def make_film(path: Path, patient_id: str, study_uid: str, series_uid: str | None = None, *,
              name: str = "Doe^Jane", date: str = "20240105", rows: int = 64, cols: int = 48,
              modality: str = "DX") -> Path:
    """A small uncompressed DX image written as a DICOM Part-10 file."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # DX for presentation
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientID, ds.PatientName, ds.PatientBirthDate, ds.PatientSex = patient_id, name, "19500101", "F"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid or generate_uid()
    ds.StudyDate, ds.Modality, ds.ViewPosition = date, modality, "LL"
    ds.StudyDescription = "Lateral spine"
    ds.StudyTime, ds.StudyID, ds.AccessionNumber, ds.ReferringPhysicianName = "101500", "1", "", ""
    ds.Manufacturer = "vfa-tests"
    ds.SeriesNumber, ds.InstanceNumber = 1, 1
    ds.PixelSpacing, ds.ImagerPixelSpacing = [0.2, 0.2], [0.2, 0.2]
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    img = (np.arange(rows * cols, dtype=np.uint16).reshape(rows, cols) % 4096)
    ds.PixelData = img.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def uploaded_study(server, tmp_path: Path, patient_id: str, n: int = 2, **kw) -> tuple[str, str, list[Path]]:
    """Store ``n`` films of one new study/series on ``server``; return (study, series, files)."""
    study, series = generate_uid(), generate_uid()
    files = [make_film(tmp_path / f"{patient_id}-{i}.dcm", patient_id, study, series, **kw)
             for i in range(n)]
    PacsClient(PacsSettings(url=server.dicomweb_url)).store(files)
    return study, series, files


def vfa(*args, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    p = run_vfa(*args, input=input)
    if check and p.returncode != 0:
        raise AssertionError(f"vfa {args} failed ({p.returncode}): {p.stderr}")
    return p


def one_line_error(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    return lines[0]


def partials(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file() and not p.name.endswith(".dcm")]


@pytest.fixture
def client(orthanc):
    return PacsClient(PacsSettings(url=orthanc.dicomweb_url))


# ---------------------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------------------
def test_settings_round_trip_with_0600_and_hidden_password(tmp_path):
    path = tmp_path / "cfg" / "pacs.json"
    s = PacsSettings(url="http://pacs.example.org:8042/dicom-web/", username="reader",
                     password="hunter2", timeout_s=5)
    assert s.url == "http://pacs.example.org:8042/dicom-web"
    pacs.save_settings(s, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pacs.load_settings(path) == s
    assert "hunter2" not in repr(s) and "hunter2" not in s.describe()
    assert "password stored" in s.describe()


def test_settings_path_and_cache_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VFA_PACS_SETTINGS", str(tmp_path / "x.json"))
    monkeypatch.setenv("VFA_CACHE", str(tmp_path / "c"))
    assert pacs.settings_path() == tmp_path / "x.json"
    assert pacs.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("VFA_CACHE")
    assert "vfa" in str(pacs.default_cache_dir())  # platformdirs user cache dir


def test_missing_settings_say_how_to_configure():
    with pytest.raises(PacsError, match="vfa pacs configure --url"):
        pacs.load_settings()


def test_env_password_overrides_the_file(tmp_path, monkeypatch):
    p = pacs.save_settings(PacsSettings(url="http://h/dw", username="u", password="a"), tmp_path / "s.json")
    monkeypatch.setenv("VFA_PACS_PASSWORD", "b")
    assert pacs.load_settings(p).password == "b"


@pytest.mark.parametrize("url, match", [
    ("ftp://h/x", "not valid"), ("pacs.example.org", "not valid"), ("http://:80/", "not valid"),
    ("http://u:secretpw@h/dicom-web", "must not contain a user name"),
    ("http://h/dw?x=1", "must not have a query"),
])
def test_bad_urls_are_refused(url, match):
    with pytest.raises(PacsError, match=match) as ei:
        PacsSettings(url=url)
    assert "secretpw" not in str(ei.value)


@pytest.mark.parametrize("uid", ["../../etc", "1.2.3/4", "", "1..2", "1.2." + "3" * 70])
def test_uids_that_could_escape_the_cache_are_refused(uid, tmp_path):
    with pytest.raises(PacsError, match="not a valid DICOM UID"):
        PacsClient(PacsSettings(url="http://127.0.0.1:9/dw")).retrieve(uid, cache_dir=tmp_path)


def test_search_needs_a_criterion_and_real_dates():
    c = PacsClient(PacsSettings(url="http://127.0.0.1:9/dw"))
    with pytest.raises(PacsError, match="at least one search criterion"):
        c.search_studies()
    with pytest.raises(PacsError, match="not a date"):
        c.search_studies(patient_id="x", date_from="5 May")
    with pytest.raises(PacsError, match="range is empty"):
        c.search_studies(patient_id="x", date_from="2024-02-01", date_to="2024-01-01")


# ---------------------------------------------------------------------------------------
# network failures against real loopback servers
# ---------------------------------------------------------------------------------------
def test_connection_refused_names_the_url():
    url = f"http://127.0.0.1:{free_port()}/dicom-web"
    with pytest.raises(PacsError, match="connection refused") as ei:
        PacsClient(PacsSettings(url=url)).search_studies(patient_id="X")
    assert url in str(ei.value) and "running" in str(ei.value)


@pytest.fixture
def silent_server():
    """A socket that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    conns, stop = [], threading.Event()

    def accept():
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                pass
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/dicom-web"
    stop.set()
    t.join(2)
    for c in conns:
        c.close()
    srv.close()


def test_timeout(silent_server):
    c = PacsClient(PacsSettings(url=silent_server, timeout_s=0.5))
    with pytest.raises(PacsError, match=r"did not answer within 0.5 s") as ei:
        c.search_studies(patient_id="X")
    assert silent_server in str(ei.value)


class _HtmlHandler(http.server.BaseHTTPRequestHandler):
    def _html(self):
        body = b"<!DOCTYPE html><html><body><h1>Welcome to the intranet</h1></body></html>"
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        elif self.headers.get("Transfer-Encoding") == "chunked":
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _html

    def log_message(self, *args):
        pass


@pytest.fixture
def html_server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/portal"
    srv.shutdown()
    srv.server_close()


def test_html_page_is_not_dicomweb(html_server, tmp_path):
    c = PacsClient(PacsSettings(url=html_server))
    for call in (lambda: c.search_studies(patient_id="X"),
                 lambda: c.retrieve("1.2.3", cache_dir=tmp_path / "cache"),
                 lambda: c.store([make_film(tmp_path / "f.dcm", "P", generate_uid())])):
        with pytest.raises(PacsError, match=r"did not answer with DICOMweb data \(it sent text/html\)"):
            call()
    assert not pacs.cached_instances(tmp_path / "cache")


def test_unauthenticated_and_wrong_password_are_401_without_leaking(orthanc_auth, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 and dicomweb_client included
    wrong = "Wr0ng-" + AUTH_PASSWORD
    with pytest.raises(PacsError, match="requires a user name and password"):
        PacsClient(PacsSettings(url=orthanc_auth.dicomweb_url)).search_studies(patient_id="X")
    bad = PacsClient(PacsSettings(url=orthanc_auth.dicomweb_url, username=AUTH_USER, password=wrong))
    errors = []
    for call in (lambda: bad.search_studies(patient_id="X"), lambda: bad.retrieve("1.2.3", cache_dir=tmp_path),
                 lambda: bad.store([make_film(tmp_path / "f.dcm", "P", generate_uid())])):
        with pytest.raises(PacsError, match=rf"HTTP 401 .*credentials of user '{AUTH_USER}'") as ei:
            call()
        errors.append(str(ei.value))
    good = PacsClient(PacsSettings(url=orthanc_auth.dicomweb_url, username=AUTH_USER,
                                   password=AUTH_PASSWORD))
    study, _series, _ = uploaded_study_auth(good, tmp_path)
    assert [m.study_instance_uid for m in good.search_studies(patient_id="AUTH-1")] == [study]
    assert caplog.records, "expected debug logging from the HTTP stack"
    for secret in (wrong, AUTH_PASSWORD):
        token = base64.b64encode(f"{AUTH_USER}:{secret}".encode()).decode()
        for text in [caplog.text, *errors, repr(good.settings), repr(bad.settings)]:
            assert secret not in text and token not in text


def uploaded_study_auth(client: PacsClient, tmp_path: Path):
    study, series = generate_uid(), generate_uid()
    files = [make_film(tmp_path / "auth.dcm", "AUTH-1", study, series)]
    client.store(files)
    return study, series, files


def test_cli_wrong_password_error_does_not_print_it(orthanc_auth):
    secret = "Wr0ng-" + AUTH_PASSWORD
    p = vfa("pacs", "configure", "--url", orthanc_auth.dicomweb_url, "--user", AUTH_USER,
            "--password-stdin", input=secret + "\n")
    assert secret not in p.stdout + p.stderr
    settings = Path(os.environ["VFA_PACS_SETTINGS"])
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    shown = vfa("pacs", "configure")
    assert AUTH_USER in shown.stdout and secret not in shown.stdout
    err = one_line_error(vfa("pacs", "search", "--patient-id", "X", check=False))
    assert "HTTP 401" in err and secret not in err
    vfa("pacs", "configure", "--user", AUTH_USER, "--password-stdin", "--check",
        input=AUTH_PASSWORD + "\n")


def test_unknown_study_and_instance_are_not_found(client, orthanc, tmp_path):
    with pytest.raises(PacsError, match=r"study 1\.2\.3\.4 was not found on .*check the UID"):
        client.retrieve("1.2.3.4", cache_dir=tmp_path)
    study, series, _ = uploaded_study(orthanc, tmp_path, "NF-1", n=1)
    ref = InstanceRef(study, series, "1.2.3.4.5")
    with pytest.raises(PacsError, match=r"instance 1\.2\.3\.4\.5 was not found .*HTTP 404"):
        client.retrieve_instance(ref, tmp_path / "cache")
    assert pacs.cached_instances(tmp_path / "cache") == [] and partials(tmp_path / "cache") == []


# ---------------------------------------------------------------------------------------
# QIDO / WADO / STOW against Orthanc
# ---------------------------------------------------------------------------------------
def test_search_by_id_name_wildcards_dates_and_series(client, orthanc, tmp_path):
    study, series, _ = uploaded_study(orthanc, tmp_path, "SRCH-1", name="Martin^Anne", date="20230315")
    other, _, _ = uploaded_study(orthanc, tmp_path, "SRCH-1", name="Martin^Anne", date="20240620", n=1)
    found = client.search_studies(patient_id="SRCH-1")
    assert [m.study_instance_uid for m in found] == [other, study]  # newest first
    m = found[1]
    assert (m.patient_name, m.study_date, m.modalities, m.n_instances, m.n_series) == (
        "Martin^Anne", dt.date(2023, 3, 15), ("DX",), 2, 1)
    assert m.study_description == "Lateral spine"
    assert {x.study_instance_uid for x in client.search_studies(patient_name="martin*")} >= {study, other}
    assert {x.study_instance_uid for x in client.search_studies(patient_id="SRCH-?")} >= {study, other}
    assert [x.study_instance_uid for x in client.search_studies(
        patient_id="SRCH-1", date_from=dt.date(2023, 1, 1), date_to="2023-12-31")] == [study]
    assert [x.study_instance_uid for x in client.search_studies(
        patient_id="SRCH-1", date_from="2024-01-01")] == [other]
    assert [x.study_instance_uid for x in client.search_studies(
        patient_id="SRCH-1", date_to="2023-03-15")] == [study]
    assert client.search_studies(patient_id="NOBODY") == []
    ser = client.search_series(study)
    assert [(s.series_instance_uid, s.modality, s.n_instances) for s in ser] == [(series, "DX", 2)]
    assert client.search_series(study, modality="SR") == []


def test_retrieve_into_cache_layout_with_progress(client, orthanc, tmp_path):
    study, series, files = uploaded_study(orthanc, tmp_path, "RET-1", n=3)
    cache = tmp_path / "cache"
    seen = []
    paths = client.retrieve(study, cache_dir=cache, progress=lambda d, t, p: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    sent = {str(pydicom.dcmread(f).SOPInstanceUID): f for f in files}
    assert sorted(p.stem for p in paths) == sorted(sent)
    for p in paths:
        assert p.parent == cache / study / series
        got, orig = pydicom.dcmread(p), pydicom.dcmread(sent[p.stem])
        assert got.PixelData == orig.PixelData and got.PatientID == "RET-1"
    assert partials(cache) == []
    assert pacs.cached_instances(cache, study) == sorted(paths)
    # a second retrieve uses the cache; refresh downloads again
    mtimes = {p: p.stat().st_mtime_ns for p in paths}
    assert client.retrieve(study, series, cache_dir=cache) == paths
    assert {p: p.stat().st_mtime_ns for p in paths} == mtimes
    os.utime(paths[0], ns=(1, 1))
    client.retrieve(study, cache_dir=cache, refresh=True)
    assert paths[0].stat().st_mtime_ns != 1


def test_default_cache_is_vfa_cache(client, orthanc, tmp_path):
    study, series, _ = uploaded_study(orthanc, tmp_path, "RET-2", n=1)
    (path,) = client.retrieve(study)
    assert path.is_relative_to(Path(os.environ["VFA_CACHE"]))


def test_a_wrong_instance_from_the_server_is_not_kept(client, orthanc, tmp_path, monkeypatch):
    study, series, files = uploaded_study(orthanc, tmp_path, "BAD-1", n=1)
    dw = client._dicomweb()
    real = dw.retrieve_instance

    def swapped(*a, **k):
        ds = real(*a, **k)
        ds.SOPInstanceUID = generate_uid()
        return ds
    monkeypatch.setattr(dw, "retrieve_instance", swapped)
    cache = tmp_path / "cache"
    with pytest.raises(PacsError, match="different instance than asked for"):
        client.retrieve(study, cache_dir=cache)
    assert pacs.cached_instances(cache) == [] and partials(cache) == []


def test_a_failed_write_leaves_nothing_half_written(client, orthanc, tmp_path, monkeypatch):
    study, _, _ = uploaded_study(orthanc, tmp_path, "BAD-2", n=2)
    cache = tmp_path / "cache"
    real = pydicom.dcmwrite
    calls = []

    def dies_halfway(fp, ds, **kw):
        calls.append(1)
        if len(calls) == 2:
            fp.write(b"\0" * 200)
            raise OSError(28, "No space left on device")
        return real(fp, ds, **kw)
    monkeypatch.setattr(pydicom, "dcmwrite", dies_halfway)
    with pytest.raises(PacsError, match="No space left on device"):
        client.retrieve(study, cache_dir=cache)
    assert len(pacs.cached_instances(cache)) == 1  # the first file is complete and kept
    assert partials(cache) == []


def test_cancel_keeps_complete_files_only(client, orthanc, tmp_path):
    study, _, _ = uploaded_study(orthanc, tmp_path, "CAN-1", n=3)
    cache, done = tmp_path / "cache", []
    with pytest.raises(RetrieveCancelled, match="after 1 of 3"):
        client.retrieve(study, cache_dir=cache, progress=lambda d, t, p: done.append(d),
                        cancelled=lambda: len(done) >= 1)
    assert len(pacs.cached_instances(cache)) == 1 and partials(cache) == []


def test_stale_partials_from_a_killed_process_are_swept(client, orthanc, tmp_path):
    study, _, _ = uploaded_study(orthanc, tmp_path, "STALE-1", n=1)
    cache = tmp_path / "cache"
    (cache / ".partial").mkdir(parents=True)
    old, fresh = cache / ".partial" / "1.2.3.old.part", cache / ".partial" / "1.2.3.new.part"
    old.write_bytes(b"DICM half")
    fresh.write_bytes(b"DICM half")  # another process may be writing this one right now
    os.utime(old, (0, 0))
    client.retrieve(study, cache_dir=cache)
    assert not old.exists() and fresh.exists()


def test_store_refuses_non_dicom_before_sending(client, tmp_path):
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    with pytest.raises(PacsError, match="notes.txt is not a DICOM file"):
        client.store([txt])
    with pytest.raises(PacsError, match="does not exist"):
        client.store([tmp_path / "missing.dcm"])


# ---------------------------------------------------------------------------------------
# the command line (in-process vfa.cli.main)
# ---------------------------------------------------------------------------------------
def test_cli_configure_search_retrieve_store(orthanc, tmp_path):
    vfa("pacs", "configure", "--url", orthanc.dicomweb_url + "/", "--timeout", "10", "--check")
    cfg = json.loads(Path(os.environ["VFA_PACS_SETTINGS"]).read_text())
    assert cfg["url"] == orthanc.dicomweb_url and "password" not in cfg

    f1 = make_film(tmp_path / "a.dcm", "CLI-1", study := generate_uid(), date="20220202")
    f2 = make_film(tmp_path / "b.dcm", "CLI-1", study, date="20220202")
    out = vfa("pacs", "store", f1, f2)
    assert out.stdout.count("stored ") == 2 and "storing: 2/2" in out.stderr

    table = vfa("pacs", "search", "--patient-id", "CLI-1")
    assert study in table.stdout and "2022-02-02" in table.stdout
    js = json.loads(vfa("pacs", "search", "--name", "doe^jane", "--date-from", "2022-02-01",
                        "--date-to", "2022-02-03", "--json").stdout)
    assert [m["study_instance_uid"] for m in js] == [study]
    assert js[0]["patient_id"] == "CLI-1" and js[0]["n_instances"] == 2
    series = json.loads(vfa("pacs", "series", study, "--json").stdout)
    assert len(series) == 2  # make_film puts each film in its own series

    outdir = tmp_path / "out"
    r = vfa("pacs", "retrieve", study, "-o", outdir)
    paths = [Path(line) for line in r.stdout.splitlines()]
    assert len(paths) == 2 and all(p.is_file() and p.is_relative_to(outdir / study) for p in paths)
    assert "retrieving: 2/2" in r.stderr
    r1 = vfa("pacs", "retrieve", study, "--series", series[0]["series_instance_uid"], "-q")
    assert len(r1.stdout.splitlines()) == 1 and r1.stderr == ""
    assert Path(r1.stdout.strip()).is_relative_to(Path(os.environ["VFA_CACHE"]))


def test_cli_errors_are_one_line(tmp_path):
    err = one_line_error(vfa("pacs", "search", "--patient-id", "X", check=False))
    assert "no PACS is configured" in err and "vfa pacs configure" in err
    url = f"http://127.0.0.1:{free_port()}/dicom-web"
    err = one_line_error(vfa("pacs", "search", "--patient-id", "X", "--url", url, check=False))
    assert "connection refused" in err and url in err
    err = one_line_error(vfa("pacs", "store", tmp_path / "nope.dcm", "--url", url, check=False))
    assert "does not exist" in err
    err = one_line_error(vfa("pacs", "configure", "--url", "http://u:pw12345@h/x", check=False))
    assert "pw12345" not in err
    err = one_line_error(vfa("pacs", "configure", "--url", "http://h/x", "--user", "u", check=False))
    assert "--password-stdin" in err


# ---------------------------------------------------------------------------------------
# end to end: upload films, find, retrieve, grade, export the SR, store it, find it again
# ---------------------------------------------------------------------------------------
def _sample_pairs() -> list[tuple[Path, Path]]:
    """(film, reference reading) pairs from sample_dicoms/ (made by `python -m vfa.synthetic.samples`)."""
    from vfa.reading.reading import load_reading
    refdir = SAMPLES / "reference"
    if not refdir.is_dir():
        return []
    films = {}
    for f in sorted(SAMPLES.rglob("*.dcm")):
        try:
            films[str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID)] = f
        except Exception:  # noqa: BLE001 - deliberately broken samples are skipped
            continue
    pairs = []
    for r in sorted(refdir.glob("*.json")):
        try:
            reading = load_reading(r)
        except Exception:  # noqa: BLE001
            continue
        if reading.sop_instance_uid in films:
            pairs.append((films[reading.sop_instance_uid], r))
    return pairs


def _synthetic_pair(tmp_path: Path) -> tuple[Path, Path]:
    """A film and a reading of it, for when sample_dicoms/ is not there yet."""
    from readings_factory import make_reading
    from vfa.films.radiograph import load_radiograph
    from vfa.reading.reading import Reading, save_reading
    film = make_film(tmp_path / "synthetic.dcm", "E2E-SYN", generate_uid(), rows=2400, cols=400)
    rg = load_radiograph(film)
    reading = Reading.for_radiograph(rg, reader="dr-e2e")
    template = make_reading({"L1": (70.0, 80.0, 100.0)})
    for v in template:
        reading.set_points(v.level, dict(v.points))
    return film, save_reading(reading, tmp_path / "synthetic.reading.json")


def test_end_to_end_upload_find_retrieve_grade_export_store_find(orthanc, tmp_path):
    from vfa.method.morphometry import summarize
    from vfa.films.radiograph import load_radiograph
    from vfa.reading.reading import Reading, load_reading

    pairs = _sample_pairs() or [_synthetic_pair(tmp_path)]
    client = PacsClient(PacsSettings(url=orthanc.dicomweb_url))
    stored = client.store([f for f, _ in pairs])
    assert len(stored) == len(pairs)
    # the film to grade: one whose reference reading has a fracture, if any has
    film, ref_path = next((p for p in pairs if summarize(load_reading(p[1])).fractured), pairs[0])
    ref = load_reading(ref_path)
    head = pydicom.dcmread(film, stop_before_pixels=True)
    patient_id = str(head.PatientID)

    found = client.search_studies(patient_id=patient_id)
    assert str(head.StudyInstanceUID) in {m.study_instance_uid for m in found}
    paths = client.retrieve(str(head.StudyInstanceUID), cache_dir=tmp_path / "cache")
    (local,) = [p for p in paths if p.stem == ref.sop_instance_uid]

    original, fetched = pydicom.dcmread(film), pydicom.dcmread(local)
    assert fetched.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    assert fetched.PixelData == original.PixelData  # compressed films come back as stored
    rg = load_radiograph(local)
    assert rg.identity.sop_instance_uid == ref.sop_instance_uid
    reading = Reading.for_radiograph(rg, reader="dr-e2e")
    for v in ref:
        if v.points:
            reading.set_points(v.level, dict(v.points))
    summary, expected = summarize(reading), summarize(ref)
    assert summary.graded > 0
    assert (summary.sdi, summary.fractured) == (expected.sdi, expected.fractured)

    try:
        from vfa.outputs.sr import export_sr
    except ImportError as exc:
        pytest.skip(f"SR export (vfa.outputs.sr) is not available yet: {exc}")
    sr_path = export_sr(reading, tmp_path / "reading.sr.dcm", image=local)
    (res,) = client.store([sr_path])
    assert res.study_instance_uid == str(head.StudyInstanceUID)
    sr_series = client.search_series(res.study_instance_uid, modality="SR")
    assert [s.series_instance_uid for s in sr_series] == [res.series_instance_uid]
    assert res.study_instance_uid in {m.study_instance_uid for m in
                                      client.search_studies(patient_id=patient_id, modality="SR")}
    (back,) = client.retrieve(res.study_instance_uid, res.series_instance_uid,
                              cache_dir=tmp_path / "cache")
    assert pydicom.dcmread(back).Modality == "SR"

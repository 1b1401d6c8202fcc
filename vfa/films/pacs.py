"""A DICOMweb client: find studies on a PACS, retrieve films into a local cache, store SRs back.

* **QIDO-RS** search: :meth:`PacsClient.search_studies` (patient ID, name with ``*``/``?``
  wildcards, date range, modality), :meth:`PacsClient.search_series`,
  :meth:`PacsClient.search_instances`.
* **WADO-RS** retrieve: :meth:`PacsClient.retrieve` fetches every instance of a study (or of one
  series) into the cache, laid out ``<cache>/<StudyUID>/<SeriesUID>/<SOPUID>.dcm``. Each file
  is downloaded to a temporary file in ``<cache>/.partial/``, checked to parse as DICOM with
  the expected UIDs, then renamed into place, so the cache never holds half a file.
* **STOW-RS** store: :meth:`PacsClient.store` sends DICOM files (an SR from ``vfa export-sr``,
  or any instance) and checks that the server confirmed each one.

HTTP is done by the ``dicomweb-client`` package (on ``requests``). Every network failure
becomes a :class:`~vfa.errors.PacsError` whose message names the server URL and says what
to check. Credentials are never logged, printed, or put in an error message.

Settings (server URL, optional HTTP basic user and password, timeout) live in a JSON file,
``<user config dir>/vfa/pacs.json`` or ``$VFA_PACS_SETTINGS``, written with mode 0600. The
cache is ``<user cache dir>/vfa/pacs`` or ``$VFA_CACHE``. See docs/pacs.md.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from vfa.atomic import atomic_write_text
from vfa.errors import PacsError

logger = logging.getLogger(__name__)

SETTINGS_FORMAT = "vfa-pacs-settings"
DEFAULT_TIMEOUT_S = 20.0
#: How old a leftover temporary download (from a killed process) must be before it is swept.
STALE_PARTIAL_S = 3600.0
_UID_RE = re.compile(r"^[0-9]+(\.[0-9]+)*$")


class RetrieveCancelled(PacsError):
    """The caller cancelled a retrieve; the files already complete stay in the cache."""


# ====================================================================== settings / paths
@dataclass(frozen=True)
class PacsSettings:
    """Where the PACS is and how to log in. ``password`` is never shown by ``repr``."""

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    verify_tls: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", normalize_url(self.url))
        if self.username is not None and not str(self.username).strip():
            object.__setattr__(self, "username", None)
        try:
            t = float(self.timeout_s)
        except (TypeError, ValueError):
            raise PacsError(f"PACS timeout must be a number of seconds, not {self.timeout_s!r}") from None
        if not t > 0:
            raise PacsError(f"PACS timeout must be positive, not {self.timeout_s!r}")
        object.__setattr__(self, "timeout_s", t)

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    def describe(self) -> str:
        """One line for people: URL, user, whether a password is stored (never the password)."""
        who = f"user {self.username}" if self.username else "no user"
        pw = ", password stored" if self.has_password else ""
        tls = "" if self.verify_tls else ", TLS certificate NOT checked"
        return f"{self.url} ({who}{pw}, timeout {self.timeout_s:g} s{tls})"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"format": SETTINGS_FORMAT, "version": 1, "url": self.url,
                             "timeout_s": self.timeout_s, "verify_tls": self.verify_tls}
        if self.username:
            d["username"] = self.username
        if self.password:
            d["password"] = self.password
        return d

    @classmethod
    def from_dict(cls, data: Any, source: str = "PACS settings") -> "PacsSettings":
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            raise PacsError(f"{source} has no server URL; run `vfa pacs configure --url URL`")
        user, pw = data.get("username"), data.get("password")
        if user is not None and not isinstance(user, str):
            raise PacsError(f"{source}: username must be text")
        if pw is not None and not isinstance(pw, str):
            raise PacsError(f"{source}: password must be text")
        return cls(url=data["url"], username=user, password=pw,
                   timeout_s=data.get("timeout_s", DEFAULT_TIMEOUT_S),
                   verify_tls=bool(data.get("verify_tls", True)))


def normalize_url(url: str) -> str:
    """Check a DICOMweb root URL (``http(s)://host[:port]/path``) and drop a trailing slash.

    URLs with a user or password in them are refused: credentials go in the settings file.
    """
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise PacsError(f"the PACS URL {redact_url(text)!r} is not valid; expected e.g. "
                        "http://pacs.example.org:8042/dicom-web") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PacsError(f"the PACS URL {redact_url(text)!r} is not valid; expected e.g. "
                        "http://pacs.example.org:8042/dicom-web")
    if parts.username is not None or parts.password is not None:
        raise PacsError("the PACS URL must not contain a user name or password; give the user "
                        "with `vfa pacs configure --user NAME` (the password is asked for)")
    if parts.query or parts.fragment:
        raise PacsError(f"the PACS URL {text!r} must not have a query (?...) or fragment (#...)")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` removed (for messages)."""
    return re.sub(r"(?<=://)[^/@]*@", "", url or "")


def settings_path() -> Path:
    """``$VFA_PACS_SETTINGS`` or ``<user config dir>/vfa/pacs.json``."""
    env = os.environ.get("VFA_PACS_SETTINGS")
    if env:
        return Path(env).expanduser()
    import platformdirs
    return Path(platformdirs.user_config_dir("vfa", appauthor=False)) / "pacs.json"


def default_cache_dir() -> Path:
    """``$VFA_CACHE`` or ``<user cache dir>/vfa/pacs``."""
    env = os.environ.get("VFA_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs
    return Path(platformdirs.user_cache_dir("vfa", appauthor=False)) / "pacs"


def load_settings(path: str | os.PathLike[str] | None = None) -> PacsSettings:
    """Read the settings file. ``$VFA_PACS_PASSWORD``, if set, replaces the stored password."""
    p = Path(path) if path is not None else settings_path()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PacsError(f"no PACS is configured ({p} does not exist); run "
                        "`vfa pacs configure --url http://HOST:PORT/dicom-web`") from None
    except OSError as exc:
        raise PacsError(f"cannot read the PACS settings {p}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise PacsError(f"the PACS settings {p} are not valid JSON; run `vfa pacs configure` "
                        "again to rewrite them") from None
    settings = PacsSettings.from_dict(data, source=f"the PACS settings {p}")
    if settings.password:
        try:
            mode = p.stat().st_mode & 0o077
        except OSError:
            mode = 0
        if mode:
            logger.warning("the PACS settings %s hold a password but can be read by other "
                           "users; run `chmod 600 %s`", p, p)
    env_pw = os.environ.get("VFA_PACS_PASSWORD")
    if env_pw:
        settings = replace(settings, password=env_pw)
    return settings


def save_settings(settings: PacsSettings, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the settings atomically, readable by the owner only (0600). Returns the path."""
    p = Path(path) if path is not None else settings_path()
    try:
        # a secret: mode 0600 is set on the temporary file before the password is written
        atomic_write_text(p, json.dumps(settings.to_dict(), indent=2) + "\n", mode=0o600)
    except OSError as exc:
        raise PacsError(f"cannot write the PACS settings {p}: {exc.strerror}") from None
    return p


# ====================================================================== results
def _first(item: dict[str, Any], tag: str) -> Any:
    values = (item.get(tag) or {}).get("Value") or []
    if not values:
        return None
    v = values[0]
    if isinstance(v, dict):  # PN: {"Alphabetic": "Doe^Jane"}
        return v.get("Alphabetic") or v.get("Ideographic") or v.get("Phonetic")
    return v


def _all(item: dict[str, Any], tag: str) -> tuple[str, ...]:
    return tuple(str(v) for v in ((item.get(tag) or {}).get("Value") or []) if v is not None)


def _int(v: Any) -> int | None:
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def _date(v: Any) -> _dt.date | None:
    try:
        return _dt.datetime.strptime(str(v)[:8], "%Y%m%d").date() if v else None
    except ValueError:
        return None


def _str(v: Any) -> str | None:
    return str(v) if v not in (None, "") else None


@dataclass(frozen=True)
class StudyMatch:
    """One study found by QIDO-RS."""

    study_instance_uid: str
    patient_id: str | None = None
    patient_name: str | None = None
    birth_date: _dt.date | None = None
    study_date: _dt.date | None = None
    study_description: str | None = None
    accession_number: str | None = None
    modalities: tuple[str, ...] = ()
    n_series: int | None = None
    n_instances: int | None = None

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> "StudyMatch":
        return cls(
            study_instance_uid=str(_first(item, "0020000D") or ""),
            patient_id=_str(_first(item, "00100020")),
            patient_name=_str(_first(item, "00100010")),
            birth_date=_date(_first(item, "00100030")),
            study_date=_date(_first(item, "00080020")),
            study_description=_str(_first(item, "00081030")),
            accession_number=_str(_first(item, "00080050")),
            modalities=_all(item, "00080061"),
            n_series=_int(_first(item, "00201206")),
            n_instances=_int(_first(item, "00201208")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "study_instance_uid": self.study_instance_uid, "patient_id": self.patient_id,
            "patient_name": self.patient_name,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "study_date": self.study_date.isoformat() if self.study_date else None,
            "study_description": self.study_description,
            "accession_number": self.accession_number, "modalities": list(self.modalities),
            "n_series": self.n_series, "n_instances": self.n_instances,
        }


@dataclass(frozen=True)
class SeriesMatch:
    """One series found by QIDO-RS."""

    study_instance_uid: str
    series_instance_uid: str
    modality: str | None = None
    series_number: int | None = None
    series_description: str | None = None
    n_instances: int | None = None

    @classmethod
    def from_json(cls, item: dict[str, Any], study_uid: str) -> "SeriesMatch":
        return cls(
            study_instance_uid=str(_first(item, "0020000D") or study_uid),
            series_instance_uid=str(_first(item, "0020000E") or ""),
            modality=_str(_first(item, "00080060")),
            series_number=_int(_first(item, "00200011")),
            series_description=_str(_first(item, "0008103E")),
            n_instances=_int(_first(item, "00201209")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"study_instance_uid": self.study_instance_uid,
                "series_instance_uid": self.series_instance_uid, "modality": self.modality,
                "series_number": self.series_number,
                "series_description": self.series_description, "n_instances": self.n_instances}


@dataclass(frozen=True)
class InstanceRef:
    """The UIDs that name one instance on the server (and its place in the cache)."""

    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    sop_class_uid: str | None = None

    def cache_path(self, cache_dir: str | os.PathLike[str]) -> Path:
        return (Path(cache_dir) / self.study_instance_uid / self.series_instance_uid
                / f"{self.sop_instance_uid}.dcm")


@dataclass(frozen=True)
class StoreResult:
    """What a STOW-RS store did: the SOP Instance UIDs stored, per file."""

    path: Path | None
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str


#: SOP classes that hold no image (SR, presentation states, key objects, PDFs, raw data ...):
#: skipped by ``retrieve(..., images_only=True)`` so that a viewer is handed films only.
_NON_IMAGE_SOP_PREFIXES = (
    "1.2.840.10008.5.1.4.1.1.88.",   # structured reports, key object selection
    "1.2.840.10008.5.1.4.1.1.11.",   # presentation states
    "1.2.840.10008.5.1.4.1.1.104.",  # encapsulated PDF / CDA / STL
    "1.2.840.10008.5.1.4.1.1.66",    # raw data, registrations, fiducials, segmentations
    "1.2.840.10008.5.1.4.1.1.9.",    # waveforms
    "1.2.840.10008.5.1.4.1.1.481.",  # RT objects
)


def is_image_sop_class(sop_class_uid: str | None) -> bool:
    """False for SOP classes known to hold no image; True otherwise (also when unknown)."""
    uid = (sop_class_uid or "").strip()
    return not any(uid.startswith(p) for p in _NON_IMAGE_SOP_PREFIXES)


def check_uid(uid: str, what: str = "UID") -> str:
    """``uid`` if it is a valid DICOM UID (digits and dots, at most 64 characters)."""
    u = (uid or "").strip()
    if not u or len(u) > 64 or not _UID_RE.match(u):
        raise PacsError(f"{what} {uid!r} is not a valid DICOM UID (digits and dots, at most 64)")
    return u


def _dicom_date(value: _dt.date | str | None, what: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, _dt.date):
        return value.strftime("%Y%m%d")
    s = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return _dt.datetime.strptime(s, fmt).strftime("%Y%m%d")
        except ValueError:
            pass
    raise PacsError(f"{what} {value!r} is not a date; use YYYY-MM-DD")


def _name_query(name: str) -> str:
    """A PatientName match value that works on every server we tested.

    ``^`` (the component separator) and spaces cannot be sent unencoded in a URL, and Orthanc
    1.10 does not decode ``%5E``/``%20`` in QIDO arguments, so ``Doe^Jane`` would match nothing.
    Both are sent as the one-character wildcard ``?``, which matches them on any server.
    """
    return re.sub(r"[\^ ]", "?", name.strip())


# ====================================================================== HTTP plumbing
def _session_class():
    import requests

    class _QidoSession(requests.Session):
        """A session that keeps DICOM matching characters (``* ? ^ ,``) literal in query strings.

        ``dicomweb-client`` percent-encodes every query value (``Doe*`` becomes ``Doe%2A``);
        Orthanc 1.10 does not decode query arguments, so wildcard searches would match nothing.
        Characters that matter to HTTP (``& = + # %``, spaces) stay encoded; ``^`` is always
        encoded by requests/urllib3 (see :func:`_name_query`).
        """

        def request(self, method, url, *args, **kwargs):  # type: ignore[override]
            parts = urlsplit(url)
            if parts.query:
                q = "&".join(f"{quote(k, safe='')}={quote(v, safe='*?^,-.:/_~')}"
                             for k, v in parse_qsl(parts.query, keep_blank_values=True))
                url = urlunsplit(parts._replace(query=q))
            return super().request(method, url, *args, **kwargs)

    return _QidoSession


class PacsClient:
    """One DICOMweb server. Every method raises :class:`PacsError` on failure."""

    def __init__(self, settings: PacsSettings) -> None:
        self.settings = settings
        self._last: dict[str, Any] = {}
        self._client = None

    # ------------------------------------------------------------------ plumbing
    @property
    def url(self) -> str:
        return self.settings.url

    def _dicomweb(self):
        if self._client is None:
            try:
                from dicomweb_client.api import DICOMwebClient
            except ImportError:  # pragma: no cover - a declared dependency
                raise PacsError("the dicomweb-client package is not installed "
                                "(pip install dicomweb-client)") from None
            session = _session_class()()
            if self.settings.username:
                session.auth = (self.settings.username, self.settings.password or "")
            session.verify = self.settings.verify_tls
            try:
                client = DICOMwebClient(url=self.settings.url, session=session,
                                        callback=self._remember_response,
                                        timeout=(self.settings.timeout_s, self.settings.timeout_s))
            except ValueError:
                raise PacsError(f"the PACS URL {self.settings.url!r} is not valid; expected e.g. "
                                "http://pacs.example.org:8042/dicom-web") from None
            # No silent retries with exponential back-off: a person is waiting; say what failed.
            client.set_http_retry_params(retry=False)
            self._client = client
        return self._client

    def _remember_response(self, response, *args, **kwargs):
        self._last = {"status": response.status_code,
                      "content_type": response.headers.get("Content-Type", "")}
        return response

    def _not_dicomweb(self, action: str) -> PacsError:
        ctype = (self._last.get("content_type") or "no content type").split(";")[0]
        return PacsError(
            f"{action}: the server at {self.url} did not answer with DICOMweb data (it sent "
            f"{ctype}); check that the URL is the DICOMweb root, e.g. "
            "http://HOST:8042/dicom-web for Orthanc")

    def _call(self, action: str, fn: Callable[[], Any], not_found: str | None = None) -> Any:
        """Run one request; turn every failure into a PacsError that says what to check."""
        import requests
        from pydicom.errors import InvalidDicomError
        self._last = {}
        try:
            return fn()
        except PacsError:
            raise
        except requests.exceptions.Timeout:
            raise PacsError(f"{action}: the PACS at {self.url} did not answer within "
                            f"{self.settings.timeout_s:g} s; check that the server is up and not "
                            "overloaded, or raise the timeout (vfa pacs configure --timeout)"
                            ) from None
        except requests.exceptions.SSLError:
            raise PacsError(f"{action}: the TLS certificate of {self.url} was not accepted; "
                            "check the URL (https) and the server's certificate") from None
        except requests.exceptions.ConnectionError as exc:
            refused = "refused" in str(exc).lower()
            why = "connection refused" if refused else "cannot connect"
            raise PacsError(f"{action}: {why} by {self.url}; check that the PACS server is "
                            "running and that the URL and port are right "
                            "(vfa pacs configure --url)") from None
        except requests.exceptions.HTTPError as exc:
            raise self._http_error(action, exc.response, not_found) from None
        except (requests.exceptions.InvalidJSONError, requests.exceptions.ContentDecodingError):
            raise self._not_dicomweb(action) from None
        except requests.exceptions.RequestException as exc:
            raise PacsError(f"{action}: request to {self.url} failed "
                            f"({exc.__class__.__name__})") from None
        except (ValueError, KeyError, InvalidDicomError):
            # JSON that does not parse, a multipart body that is not multipart, a part that is
            # not DICOM: the URL points at something that is not a DICOMweb service.
            raise self._not_dicomweb(action) from None
        except Exception as exc:  # retrying.RetryError and anything else from the stack
            if exc.__class__.__name__ == "RetryError":
                raise PacsError(f"{action}: the PACS at {self.url} kept answering "
                                f"HTTP {self._last.get('status', '?')}; try again later") from None
            raise

    def _http_error(self, action: str, response, not_found: str | None) -> PacsError:
        status = getattr(response, "status_code", None)
        reason = getattr(response, "reason", "") or ""
        if status in (401, 407):
            if self.settings.username:
                hint = (f"the PACS refused the credentials of user {self.settings.username!r}; "
                        "check the user name and password (vfa pacs configure --user NAME)")
            else:
                hint = ("the PACS requires a user name and password; set them with "
                        "`vfa pacs configure --url URL --user NAME`")
            return PacsError(f"{action}: HTTP {status} from {self.url}: {hint}")
        if status == 403:
            return PacsError(f"{action}: HTTP 403 from {self.url}: this user may not do that; "
                             "ask the PACS administrator for access")
        if status == 404:
            what = not_found or "the requested resource"
            return PacsError(f"{action}: {what} was not found on {self.url} (HTTP 404); check "
                             "the UID and that the URL is the DICOMweb root")
        ctype = (getattr(response, "headers", {}) or {}).get("Content-Type", "")
        if status and 200 <= status < 300 or "html" in ctype.lower():
            return self._not_dicomweb(action)
        return PacsError(f"{action}: the PACS at {self.url} answered HTTP {status} {reason}".rstrip())

    # ------------------------------------------------------------------ QIDO-RS
    def ping(self) -> None:
        """Check that the server answers QIDO-RS (and accepts the credentials)."""
        c = self._dicomweb()
        self._call("checking the PACS", lambda: self._json_list(
            c.search_for_studies(limit=1, get_remaining=False)))

    def _json_list(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
            raise ValueError("not a DICOM JSON array")
        return data

    def search_studies(self, patient_id: str | None = None, patient_name: str | None = None,
                       date_from: _dt.date | str | None = None,
                       date_to: _dt.date | str | None = None, modality: str | None = None,
                       accession_number: str | None = None,
                       limit: int | None = 200) -> list[StudyMatch]:
        """Studies matching all the given criteria, newest first.

        ``patient_id`` and ``patient_name`` may use the DICOM wildcards ``*`` and ``?``;
        names are ``Family^Given`` (``DOE*`` finds every Doe). Dates are inclusive; either end
        may be left open. At least one criterion is required (a PACS holds many patients).
        """
        filters: dict[str, str] = {}
        if patient_id:
            filters["PatientID"] = patient_id.strip()
        if patient_name:
            filters["PatientName"] = _name_query(patient_name)
        if accession_number:
            filters["AccessionNumber"] = accession_number.strip()
        d0, d1 = _dicom_date(date_from, "--date-from"), _dicom_date(date_to, "--date-to")
        if d0 and d1 and d0 > d1:
            raise PacsError(f"the date range is empty: {date_from} is after {date_to}")
        if d0 or d1:
            filters["StudyDate"] = d0 if d0 and d0 == d1 else f"{d0}-{d1}"
        if modality:
            filters["ModalitiesInStudy"] = modality.strip().upper()
        if not filters:
            raise PacsError("give at least one search criterion (patient ID, name, dates, "
                            "modality or accession number)")
        fields = ["PatientBirthDate", "StudyDescription", "AccessionNumber", "ModalitiesInStudy",
                  "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances"]
        c = self._dicomweb()
        logger.info("QIDO-RS search for studies at %s: %s", self.url, sorted(filters))
        data = self._call("searching the PACS", lambda: self._json_list(
            c.search_for_studies(search_filters=filters, fields=fields, limit=limit)))
        out = [StudyMatch.from_json(i) for i in data]
        out = [m for m in out if m.study_instance_uid]
        out.sort(key=lambda m: (m.study_date or _dt.date.min, m.study_instance_uid), reverse=True)
        return out

    def search_series(self, study_instance_uid: str, modality: str | None = None) -> list[SeriesMatch]:
        """The series of one study (optionally only one modality, e.g. ``SR``)."""
        study = check_uid(study_instance_uid, "StudyInstanceUID")
        filters = {"Modality": modality.strip().upper()} if modality else None
        c = self._dicomweb()
        data = self._call("listing the series", lambda: self._json_list(c.search_for_series(
            study_instance_uid=study, search_filters=filters,
            fields=["SeriesDescription", "SeriesNumber", "NumberOfSeriesRelatedInstances"])),
            not_found=f"study {study}")
        out = [SeriesMatch.from_json(i, study) for i in data]
        out = [s for s in out if s.series_instance_uid]
        out.sort(key=lambda s: (s.series_number is None, s.series_number or 0))
        return out

    def search_instances(self, study_instance_uid: str,
                         series_instance_uid: str | None = None) -> list[InstanceRef]:
        """Every instance of a study (or of one series), with checked UIDs."""
        study = check_uid(study_instance_uid, "StudyInstanceUID")
        series = check_uid(series_instance_uid, "SeriesInstanceUID") if series_instance_uid else None
        c = self._dicomweb()
        what = f"series {series} of study {study}" if series else f"study {study}"
        data = self._call("listing the instances", lambda: self._json_list(
            c.search_for_instances(study_instance_uid=study, series_instance_uid=series,
                                   fields=["SOPClassUID"])), not_found=what)
        out = []
        for item in data:
            try:
                out.append(InstanceRef(
                    check_uid(str(_first(item, "0020000D") or study), "StudyInstanceUID"),
                    check_uid(str(_first(item, "0020000E") or ""), "SeriesInstanceUID"),
                    check_uid(str(_first(item, "00080018") or ""), "SOPInstanceUID"),
                    _str(_first(item, "00080016"))))
            except PacsError as exc:
                raise PacsError(f"the PACS at {self.url} listed an instance with a bad UID: "
                                f"{exc}") from None
        return out

    # ------------------------------------------------------------------ WADO-RS
    def retrieve_instance(self, ref: InstanceRef, cache_dir: str | os.PathLike[str] | None = None,
                          refresh: bool = False) -> Path:
        """Fetch one instance into the cache (unless it is already there); return its path."""
        cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        target = ref.cache_path(cache)
        if target.is_file() and not refresh:
            return target
        c = self._dicomweb()
        what = f"instance {ref.sop_instance_uid}"
        ds = self._call(f"retrieving {what}", lambda: c.retrieve_instance(
            ref.study_instance_uid, ref.series_instance_uid, ref.sop_instance_uid),
            not_found=what)
        _write_checked(ds, target, cache, ref)
        return target

    def retrieve(self, study_instance_uid: str, series_instance_uid: str | None = None,
                 cache_dir: str | os.PathLike[str] | None = None, *,
                 progress: Callable[[int, int, Path], None] | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 refresh: bool = False, images_only: bool = False) -> list[Path]:
        """Fetch every instance of a study (or one series) into the cache; return the paths.

        Files already in the cache are not downloaded again (unless ``refresh``). With
        ``images_only``, SRs, presentation states and other non-image objects are skipped.
        ``progress(done, total, path)`` is called after each file; ``cancelled()`` is asked
        before each download, and a true answer raises :class:`RetrieveCancelled`.
        """
        cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        _prepare_cache(cache)
        refs = self.search_instances(study_instance_uid, series_instance_uid)
        if not refs:
            what = (f"series {series_instance_uid} of study {study_instance_uid}"
                    if series_instance_uid else f"study {study_instance_uid}")
            raise PacsError(f"{what} was not found on {self.url} (no instances); check the UID "
                            "(vfa pacs search)")
        if images_only:
            refs = [r for r in refs if is_image_sop_class(r.sop_class_uid)]
            if not refs:
                raise PacsError(f"study {study_instance_uid} on {self.url} holds no images "
                                "(only reports or other objects)")
        paths: list[Path] = []
        for i, ref in enumerate(refs, 1):
            if cancelled is not None and cancelled():
                raise RetrieveCancelled(f"retrieve cancelled after {i - 1} of {len(refs)} files")
            path = self.retrieve_instance(ref, cache, refresh=refresh)
            paths.append(path)
            if progress is not None:
                progress(i, len(refs), path)
        logger.info("retrieved %d instance(s) of study %s into %s", len(paths),
                    study_instance_uid, cache)
        return paths

    # ------------------------------------------------------------------ STOW-RS
    def store_dataset(self, ds: Any, path: Path | None = None) -> StoreResult:
        """Send one pydicom Dataset with STOW-RS; check the server confirmed it."""
        try:
            sop = check_uid(str(ds.SOPInstanceUID), "SOPInstanceUID")
            study = check_uid(str(ds.StudyInstanceUID), "StudyInstanceUID")
            series = check_uid(str(ds.SeriesInstanceUID), "SeriesInstanceUID")
        except AttributeError as exc:
            name = path.name if path else "the dataset"
            raise PacsError(f"{name} cannot be stored: it has no {exc.name or 'UID'}") from None
        c = self._dicomweb()
        action = f"storing {path.name if path else 'instance ' + sop}"
        resp = self._call(action, lambda: c.store_instances([ds]))
        referenced = {str(getattr(i, "ReferencedSOPInstanceUID", ""))
                      for i in getattr(resp, "ReferencedSOPSequence", None) or []}
        if sop in referenced:
            return StoreResult(path, sop, study, series)
        for item in getattr(resp, "FailedSOPSequence", None) or []:
            if str(getattr(item, "ReferencedSOPInstanceUID", "")) == sop:
                code = getattr(item, "FailureReason", None)
                raise PacsError(f"{action}: the PACS at {self.url} refused the instance "
                                f"(failure reason 0x{int(code or 0):04X}: "
                                f"{_FAILURE_REASONS.get(int(code or 0), 'see the server log')})")
        if self._last.get("content_type", "").split(";")[0].strip().lower() not in (
                "application/dicom+json", "application/json", "application/dicom+xml",
                "application/xml"):
            raise self._not_dicomweb(action)
        raise PacsError(f"{action}: the PACS at {self.url} did not confirm storing "
                        f"instance {sop}; check the server log")

    def store(self, paths: Iterable[str | os.PathLike[str]], *,
              progress: Callable[[int, int, Path], None] | None = None) -> list[StoreResult]:
        """Send DICOM files with STOW-RS (one request per file); return what was stored."""
        files = [Path(p) for p in paths]
        datasets = [(p, read_dicom_file(p)) for p in files]  # all checked before sending any
        out = []
        for i, (p, ds) in enumerate(datasets, 1):
            out.append(self.store_dataset(ds, p))
            if progress is not None:
                progress(i, len(datasets), p)
        return out


_FAILURE_REASONS = {
    0xA700: "out of resources", 0xA900: "data set does not match SOP class",
    0xC000: "cannot understand", 0xC122: "referenced transfer syntax not supported",
    0x0110: "processing failure", 0x0122: "SOP class not supported",
    0xA770: "out of resources (storage)",
}


# ====================================================================== files / cache
def read_dicom_file(path: str | os.PathLike[str]) -> Any:
    """Read a DICOM file to send; PacsError if it is missing or not DICOM."""
    import pydicom
    from pydicom.errors import InvalidDicomError
    p = Path(path)
    try:
        return pydicom.dcmread(p)
    except FileNotFoundError:
        raise PacsError(f"{p} does not exist") from None
    except IsADirectoryError:
        raise PacsError(f"{p} is a folder; give DICOM files") from None
    except (InvalidDicomError, EOFError):
        raise PacsError(f"{p} is not a DICOM file; only DICOM files can be stored") from None
    except OSError as exc:
        raise PacsError(f"cannot read {p}: {exc.strerror}") from None


def _prepare_cache(cache: Path) -> None:
    """Create the cache and sweep temporary downloads left by a killed process."""
    partial = cache / ".partial"
    try:
        partial.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PacsError(f"cannot use {cache} as the PACS cache: {exc.strerror}; set VFA_CACHE "
                        "or give another folder (-o DIR)") from None
    now = time.time()
    for f in partial.glob("*.part"):
        try:
            if now - f.stat().st_mtime > STALE_PARTIAL_S:
                f.unlink()
        except OSError:
            pass


def _write_checked(ds: Any, target: Path, cache: Path, ref: InstanceRef) -> None:
    """Write ``ds`` to a temp file, check it reads back with the expected UIDs, rename it in."""
    import pydicom
    from pydicom.errors import InvalidDicomError
    partial = cache / ".partial"
    try:
        partial.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f"{ref.sop_instance_uid}.", suffix=".part",
                                        dir=partial)
    except OSError as exc:
        raise PacsError(f"cannot write into the PACS cache {cache}: {exc.strerror}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                pydicom.dcmwrite(fh, ds, enforce_file_format=True)
            except (ValueError, AttributeError, TypeError) as exc:
                raise PacsError(f"instance {ref.sop_instance_uid} from the PACS cannot be written "
                                f"as a DICOM file ({exc}); it was not kept") from None
            fh.flush()
            os.fsync(fh.fileno())
        try:
            back = pydicom.dcmread(tmp)
        except (InvalidDicomError, EOFError, ValueError) as exc:
            raise PacsError(f"instance {ref.sop_instance_uid} from the PACS is not a valid "
                            f"DICOM file ({exc.__class__.__name__}); it was not kept") from None
        got = (str(getattr(back, "StudyInstanceUID", "")), str(getattr(back, "SeriesInstanceUID", "")),
               str(getattr(back, "SOPInstanceUID", "")))
        want = (ref.study_instance_uid, ref.series_instance_uid, ref.sop_instance_uid)
        if got != want:
            raise PacsError(f"the PACS sent a different instance than asked for "
                            f"({got[2] or 'no SOPInstanceUID'} instead of {want[2]}); "
                            "it was not kept")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    except OSError as exc:
        raise PacsError(f"cannot write {target} into the PACS cache: {exc.strerror}") from None
    finally:
        # after os.replace the temp name no longer exists; otherwise nothing half-written stays
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass


def cached_instances(cache_dir: str | os.PathLike[str] | None = None,
                     study_instance_uid: str | None = None) -> list[Path]:
    """The complete files in the cache (of one study, or all), sorted."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    base = cache / check_uid(study_instance_uid, "StudyInstanceUID") if study_instance_uid else cache
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*.dcm") if ".partial" not in p.parts)


# ====================================================================== shortcuts
def client(settings: PacsSettings | None = None) -> PacsClient:
    """A client for ``settings`` (default: the settings file)."""
    return PacsClient(settings if settings is not None else load_settings())


def search_studies(settings: PacsSettings | None = None, **criteria: Any) -> list[StudyMatch]:
    return client(settings).search_studies(**criteria)


def retrieve(study_instance_uid: str, series_instance_uid: str | None = None,
             settings: PacsSettings | None = None, **kwargs: Any) -> list[Path]:
    return client(settings).retrieve(study_instance_uid, series_instance_uid, **kwargs)


def store(paths: Sequence[str | os.PathLike[str]], settings: PacsSettings | None = None,
          **kwargs: Any) -> list[StoreResult]:
    return client(settings).store(paths, **kwargs)


__all__ = [
    "PacsSettings", "PacsClient", "StudyMatch", "SeriesMatch", "InstanceRef", "StoreResult",
    "RetrieveCancelled", "load_settings", "save_settings", "settings_path", "default_cache_dir",
    "normalize_url", "redact_url", "check_uid", "is_image_sop_class", "read_dicom_file", "cached_instances",
    "client", "search_studies", "retrieve", "store",
]

"""``vfa pacs configure|search|series|retrieve|store``: a DICOMweb PACS (see docs/pacs.md)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from vfa.errors import PacsError
from vfa.commands._common import fmt, print_json

NAME = "pacs"
HELP = "find studies on a DICOMweb PACS, retrieve them into the local cache, store SRs back"
DESCRIPTION = (
    "Talk to a DICOMweb PACS (QIDO-RS search, WADO-RS retrieve, STOW-RS store). The server is "
    "set once with `vfa pacs configure`; settings are in $VFA_PACS_SETTINGS or the user "
    "config dir, retrieved files in $VFA_CACHE or the user cache dir.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="pacs_command", metavar="ACTION")
    sub.required = True

    c = sub.add_parser("configure", help="set the server URL and credentials (or show them)",
                       description="Write the PACS settings (mode 0600). Without options, show "
                                   "the current settings (never the password).")
    c.add_argument("--url", help="DICOMweb root, e.g. http://pacs.example.org:8042/dicom-web")
    c.add_argument("--user", help="HTTP basic user name; the password is asked for "
                                  "(or read from stdin with --password-stdin)")
    c.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input")
    c.add_argument("--no-user", action="store_true", help="remove the stored user and password")
    c.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="network timeout (default 20 s)")
    c.add_argument("--insecure", action="store_true",
                   help="do not check the server's TLS certificate (test servers only)")
    c.add_argument("--check", action="store_true", help="contact the server first and save only if it answers")
    c.set_defaults(_pacs=_configure)

    s = sub.add_parser("search", help="find studies (QIDO-RS)")
    s.add_argument("--patient-id", help="patient ID (wildcards * and ? allowed)")
    s.add_argument("--name", help="patient name, Family^Given (wildcards allowed: DOE*)")
    s.add_argument("--date-from", metavar="YYYY-MM-DD", help="first study date (inclusive)")
    s.add_argument("--date-to", metavar="YYYY-MM-DD", help="last study date (inclusive)")
    s.add_argument("--modality", help="only studies with this modality (DX, CR, SR, ...)")
    s.add_argument("--accession", help="accession number")
    s.add_argument("--limit", type=int, default=200, help="at most this many studies (200)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(_pacs=_search)

    r = sub.add_parser("series", help="list the series of a study (QIDO-RS)")
    r.add_argument("study", metavar="STUDY_UID")
    r.add_argument("--modality", help="only series of this modality (e.g. SR)")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.set_defaults(_pacs=_series)

    g = sub.add_parser("retrieve", help="fetch a study or series into the cache (WADO-RS); "
                                        "prints the file paths")
    g.add_argument("study", metavar="STUDY_UID")
    g.add_argument("--series", metavar="UID", help="only this series")
    g.add_argument("-o", "--output", metavar="DIR",
                   help="cache folder (default $VFA_CACHE or the user cache dir)")
    g.add_argument("--refresh", action="store_true", help="download files already in the cache again")
    g.add_argument("--images-only", action="store_true",
                   help="skip SRs, presentation states and other objects without an image")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    g.set_defaults(_pacs=_retrieve)

    t = sub.add_parser("store", help="send DICOM files (e.g. an SR from `vfa export-sr`) (STOW-RS)")
    t.add_argument("files", nargs="+", metavar="FILE")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    t.set_defaults(_pacs=_store)

    for sp in (s, r, g, t):
        sp.add_argument("--url", dest="override_url", metavar="URL",
                        help="use this DICOMweb URL instead of the configured one (no credentials)")


def run(args: argparse.Namespace) -> int:
    return int(args._pacs(args) or 0)


# ---------------------------------------------------------------------------------------
def _client(args: argparse.Namespace):
    from vfa.films.pacs import PacsClient, PacsSettings, load_settings
    if getattr(args, "override_url", None):
        return PacsClient(PacsSettings(url=args.override_url))
    return PacsClient(load_settings())


def _progress(label: str, quiet: bool):
    if quiet:
        return None
    tty = sys.stderr.isatty()

    def show(done: int, total: int, path: Path) -> None:
        if tty:
            sys.stderr.write(f"\r{label}: {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"{label}: {done}/{total} {path.name}\n")
        sys.stderr.flush()
    return show


def _configure(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from vfa.films.pacs import (
        PacsClient,
        PacsSettings,
        load_settings,
        save_settings,
        settings_path,
    )
    changing = any([args.url, args.user, args.password_stdin, args.no_user,
                    args.timeout is not None, args.insecure])
    old = None
    try:
        old = load_settings()
    except PacsError:
        if not args.url and changing:
            raise PacsError("no PACS is configured yet: give the server with --url") from None
    if not changing:
        if old is None:
            raise PacsError(f"no PACS is configured ({settings_path()}); run "
                            "`vfa pacs configure --url http://HOST:PORT/dicom-web`")
        print(f"PACS: {old.describe()}")
        print(f"settings: {settings_path()}")
        if args.check:
            PacsClient(old).ping()
            print("the server answers")
        return 0
    if args.user and args.no_user:
        raise PacsError("--user and --no-user contradict each other")
    if args.password_stdin and not args.user:
        raise PacsError("--password-stdin needs --user NAME")

    base = old or PacsSettings(url=args.url)
    new = replace(base, url=args.url or base.url)
    if args.timeout is not None:
        new = replace(new, timeout_s=args.timeout)
    if args.insecure:
        new = replace(new, verify_tls=False)
    if args.no_user:
        new = replace(new, username=None, password=None)
    if args.user:
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        elif sys.stdin.isatty():
            password = getpass.getpass(f"password for {args.user} at {new.url}: ")
        else:
            raise PacsError("the password is asked for on a terminal; without one, pipe it "
                            "in with --password-stdin")
        new = replace(new, username=args.user, password=password or None)
    if args.check:
        # check first, save after: a wrong password or URL is never stored (the error says
        # that nothing was saved, and the previous settings stay as they were)
        try:
            PacsClient(new).ping()
        except PacsError as exc:
            raise PacsError(f"{exc} (the check failed: nothing was saved"
                            + (f"; {settings_path()} is unchanged)" if old is not None else ")")
                            ) from None
        print("the server answers")
    path = save_settings(new)
    print(f"PACS settings written to {path}: {new.describe()}")
    return 0


def _search(args: argparse.Namespace) -> int:
    cl = _client(args)
    matches = cl.search_studies(patient_id=args.patient_id, patient_name=args.name,
                                date_from=args.date_from, date_to=args.date_to,
                                modality=args.modality, accession_number=args.accession,
                                limit=args.limit)
    if args.json:
        print_json([m.to_dict() for m in matches])
        return 0
    if not matches:
        print("no study found", file=sys.stderr)
        return 0
    print(f"{'date':<10}  {'patient ID':<16} {'name':<24} {'mod':<8} {'files':>5}  study UID")
    for m in matches:
        print(f"{fmt(m.study_date):<10}  {fmt(m.patient_id):<16.16} {fmt(m.patient_name):<24.24} "
              f"{','.join(m.modalities) or '–':<8.8} {fmt(m.n_instances):>5}  {m.study_instance_uid}")
    return 0


def _series(args: argparse.Namespace) -> int:
    series = _client(args).search_series(args.study, modality=args.modality)
    if args.json:
        print_json([s.to_dict() for s in series])
        return 0
    if not series:
        print("no series found", file=sys.stderr)
        return 0
    for s in series:
        print(f"{fmt(s.series_number):>4}  {fmt(s.modality):<4} {fmt(s.n_instances):>5}  "
              f"{s.series_instance_uid}  {s.series_description or ''}".rstrip())
    return 0


def _retrieve(args: argparse.Namespace) -> int:
    paths = _client(args).retrieve(args.study, args.series, cache_dir=args.output,
                                   progress=_progress("retrieving", args.quiet),
                                   refresh=args.refresh, images_only=args.images_only)
    for p in paths:
        print(p)
    return 0


def _store(args: argparse.Namespace) -> int:
    results = _client(args).store(args.files, progress=_progress("storing", args.quiet))
    for r in results:
        print(f"stored {r.path}: SOP Instance UID {r.sop_instance_uid} "
              f"(study {r.study_instance_uid})")
    return 0

"""The bundled sample set: synthetic lateral spine films with reference readings.

Run ``python -m vfa.synthetic.samples [--out sample_dicoms]`` from the repository root. The output is
deterministic (fixed seeds, UIDs derived from a fixed root), so a rerun rewrites identical
files. Layout::

    sample_dicoms/<patient>/<YYYY-MM-DD>/lateral.dcm
    sample_dicoms/reference/<patient>_<YYYY-MM-DD>.json   (vfa-reading, reader "reference")
    sample_dicoms/manifest.json                           (machine-readable list)
    sample_dicoms/README.md                               (what each film is, expected grades)

Reference readings hold the true six points of the phantom (:mod:`vfa.synthetic.phantom`). Their
``image_path`` is relative to the reading file itself (docs/reading-format.md), with forward
slashes, e.g. ``../child01/2024-03-12/lateral.dcm``: the readings work from any current
folder and wherever the sample folder is copied.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from vfa.atomic import atomic_write_text
from vfa.method.levels import LEVELS, Level
from vfa.synthetic.phantom import (GENERATOR_VERSION, Deformity, FilmSpec, derive_uid, dxa_spec, film_summary,
                      make_film, reference_reading, write_dicom, write_dxa_dicom)

J2K = "1.2.840.10008.1.2.4.90"      # JPEG 2000 Image Compression (Lossless Only)
RLE = "1.2.840.10008.1.2.5"         # RLE Lossless
JLS = "1.2.840.10008.1.2.4.80"      # JPEG-LS Lossless
EXPLICIT = "1.2.840.10008.1.2.1"    # Explicit VR Little Endian

TS_NAMES = {J2K: "JPEG 2000 lossless", RLE: "RLE lossless", JLS: "JPEG-LS lossless",
            EXPLICIT: "uncompressed (Explicit VR Little Endian)"}
SPACING_NAMES = {
    "pixel_spacing": "Pixel Spacing = Imager Pixel Spacing (at the detector)",
    "calibrated": "Pixel Spacing != Imager Pixel Spacing, calibration type GEOMETRY",
    "imager_only": "Imager Pixel Spacing only (no Pixel Spacing)",
    "imager_with_magnification": "Imager Pixel Spacing + Estimated Radiographic Magnification Factor",
    "pixel_spacing_only": "Pixel Spacing only",
    "none": "no spacing at all (uncalibrated, CR)",
}

#: Saved-at stamp written into every reference reading, so that reruns are byte-identical.
SAVED_AT = "2025-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class Patient:
    key: str
    name: str
    patient_id: str
    sex: str
    birth_date: _dt.date
    history: str


@dataclass(frozen=True)
class SampleFilm:
    patient: Patient
    date: _dt.date
    visit: str
    spec: FilmSpec
    photometric: str
    transfer_syntax: str
    spacing_mode: str
    story: str
    name: str = "lateral"

    @property
    def dicom_rel(self) -> str:
        """Path of the DICOM file inside the output folder."""
        return f"{self.patient.key}/{self.date.isoformat()}/{self.name}.dcm"

    @property
    def reading_rel(self) -> str:
        return f"reference/{self.patient.key}_{self.date.isoformat()}.json"

    @property
    def variant(self) -> str:
        sp = self.spec
        bits = [self.photometric, TS_NAMES[self.transfer_syntax], SPACING_NAMES[self.spacing_mode],
                f"anterior on the {sp.facing}"]
        if sp.tilt_deg:
            bits.append(f"tilted {sp.tilt_deg:+g} deg")
        return "; ".join(bits)

    def expected_grades(self) -> dict[str, int]:
        """Suggested grade per level T4-L4 that the reference reading must produce."""
        return {lv.value: (self.spec.deformities[lv].grade if lv in self.spec.deformities else 0)
                for lv in LEVELS}


CHILD = Patient(
    key="child01", name="SYNTHETIC^CHILD01", patient_id="VFA-CHILD-01", sex="M",
    birth_date=_dt.date(2012, 10, 5),
    history="11-year-old boy, acute lymphoblastic leukaemia treated with glucocorticoids; "
            "back pain, vertebral compression fractures; intravenous bisphosphonate "
            "(pamidronate) started after the baseline film.")
ADULT = Patient(
    key="adult01", name="SYNTHETIC^ADULT01", patient_id="VFA-ADULT-01", sex="F",
    birth_date=_dt.date(1955, 6, 14),
    history="Postmenopausal woman (about 68), osteoporosis, prevalent L1 fracture; "
            "follow-up after a fall.")

W, B, C = "wedge", "biconcave", "crush"


def _child(growth: float, **kw: Any) -> FilmSpec:
    base: dict[str, Any] = dict(rows=1500, cols=1000, pixel_mm=0.2, age_group="child", anatomy_seed=1101,
                bone_density=0.8, growth=growth)
    base.update(kw)
    return FilmSpec(**base)


def _adult(**kw: Any) -> FilmSpec:
    base: dict[str, Any] = dict(rows=2000, cols=1300, pixel_mm=0.25, age_group="adult", anatomy_seed=2201,
                bone_density=0.72, aortic_calcification=True)
    base.update(kw)
    return FilmSpec(**base)


SAMPLES: tuple[SampleFilm, ...] = (
    SampleFilm(
        CHILD, _dt.date(2024, 3, 12), "baseline",
        _child(1.00, seed=11, magnification=1.10, facing="left", tilt_deg=0.0,
               deformities={Level.T7: Deformity(W, 0.32), Level.T12: Deformity(W, 0.22),
                            Level.L1: Deformity(B, 0.30)}),
        "MONOCHROME1", J2K, "calibrated",
        "Baseline before treatment: three prevalent fractures - T7 moderate wedge, T12 mild "
        "wedge, L1 moderate biconcave."),
    SampleFilm(
        CHILD, _dt.date(2024, 9, 10), "6 months",
        _child(1.03, seed=12, magnification=1.12, facing="right", tilt_deg=-4.0,
               offset_mm=(3.0, -4.0), treatment_lines=1,
               deformities={Level.T7: Deformity(W, 0.32), Level.T9: Deformity(W, 0.24),
                            Level.T12: Deformity(W, 0.22), Level.L1: Deformity(B, 0.30)}),
        "MONOCHROME2", RLE, "imager_only",
        "6 months on pamidronate: NEW mild wedge fracture of T9 (incident, grade 0 -> 1); the "
        "baseline fractures unchanged. The child has grown 3 %; one bisphosphonate line."),
    SampleFilm(
        CHILD, _dt.date(2025, 3, 11), "12 months",
        _child(1.06, seed=13, magnification=1.09, facing="left", tilt_deg=9.0,
               offset_mm=(-4.0, 3.0), treatment_lines=2,
               deformities={Level.T7: Deformity(W, 0.30), Level.T9: Deformity(W, 0.23),
                            Level.T12: Deformity(W, 0.21), Level.L1: Deformity(B, 0.21)}),
        "MONOCHROME2", J2K, "none",
        "12 months: L1 RESHAPING (biconcave 30 % -> 21 %, grade 2 -> 1, 'improved'; vfa compare: "
        "'L1 reshaped partially: biconcave ratio +9 points'); T7 still "
        "grade 2, T9 and T12 grade 1. Grown 6 % since baseline; two bisphosphonate lines; "
        "uncalibrated film (ratios only)."),
    SampleFilm(
        ADULT, _dt.date(2023, 4, 18), "baseline",
        _adult(seed=21, magnification=1.12, facing="left", tilt_deg=2.0,
               deformities={Level.L1: Deformity(W, 0.26)}),
        "MONOCHROME2", J2K, "pixel_spacing",
        "Baseline: prevalent moderate wedge fracture of L1."),
    SampleFilm(
        ADULT, _dt.date(2024, 10, 22), "follow-up (18 months)",
        _adult(seed=22, magnification=1.15, facing="left", tilt_deg=-3.0, offset_mm=(4.0, 5.0),
               deformities={Level.L1: Deformity(W, 0.27), Level.T12: Deformity(C, 0.30)}),
        "MONOCHROME2", JLS, "imager_with_magnification",
        "Follow-up after a fall: NEW moderate crush fracture of T12 (incident, grade 0 -> 2, "
        "posterior height 30 % below T11's); L1 unchanged (grade 2)."),
)


@dataclass(frozen=True)
class DxaSample:
    """A DXA-VFA image of a visit's anatomy (docs/samples.md, "DXA-VFA"): written by
    :func:`vfa.synthetic.phantom.write_dxa_dicom`, listed under ``dxa_films`` in the manifest, its
    reference reading in ``dxa/`` (apart from the radiographs' ``reference/``)."""

    patient: Patient
    date: _dt.date
    visit: str
    radiograph: FilmSpec      # the radiograph of the same visit (same anatomy)
    encoding: str             # phantom.DXA_ENCODINGS
    story: str
    name: str = "dxa-vfa"

    @property
    def spec(self) -> FilmSpec:
        return dxa_spec(self.radiograph)

    @property
    def dicom_rel(self) -> str:
        return f"{self.patient.key}/{self.date.isoformat()}/{self.name}.dcm"

    @property
    def reading_rel(self) -> str:
        return f"dxa/{self.patient.key}_{self.date.isoformat()}.json"

    def expected_grades(self) -> dict[str, int]:
        return {lv.value: (self.spec.deformities[lv].grade if lv in self.spec.deformities else 0)
                for lv in LEVELS}


DXA_SAMPLES: tuple[DxaSample, ...] = (
    DxaSample(
        CHILD, _dt.date(2025, 3, 11), "12 months, DXA-VFA", SAMPLES[2].spec, "rgb",
        "DXA lateral spine (VFA) on the day of the 12-month radiograph, as a densitometer "
        "sends it: Secondary Capture, Modality BMD, RGB with three equal channels, 8 bit, "
        "0.49 mm pixels with Pixel Spacing; the same fractures as the radiograph."),
)


def build_dxa(out: str | Path, samples: Sequence[DxaSample] = DXA_SAMPLES,
              verbose: bool = False) -> list[dict[str, Any]]:
    """Write the DXA-VFA samples and their reference readings; returns manifest entries."""
    out = Path(out)
    prefix = out.resolve().name
    entries = []
    for f in samples:
        spec = f.spec
        film = make_film(spec)
        study_uid = derive_uid("study", f.patient.patient_id, f.date.isoformat(), "dxa")
        ds = write_dxa_dicom(
            film, out / f.dicom_rel, encoding=f.encoding, patient_name=f.patient.name,
            patient_id=f.patient.patient_id, patient_sex=f.patient.sex,
            birth_date=f.patient.birth_date, study_date=f.date, study_uid=study_uid,
            series_uid=derive_uid("series", study_uid, 1),
            sop_uid=derive_uid("image", study_uid, 1, 1),
            accession_number=f"SYD{f.date.strftime('%Y%m%d')}{f.patient.patient_id[-2:]}")
        reading = reference_reading(film, ds, image_path=reading_relative(f.dicom_rel, f.reading_rel),
                                    confirmed=True)
        data = reading.to_dict()
        data["saved_at"] = SAVED_AT
        atomic_write_text(out / f.reading_rel, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        entries.append({
            "patient": f.patient.key, "patient_id": f.patient.patient_id, "date": f.date.isoformat(),
            "visit": f.visit, "dicom": f"{prefix}/{f.dicom_rel}", "reference": f"{prefix}/{f.reading_rel}",
            "encoding": f.encoding, "rows": spec.rows, "cols": spec.cols,
            "pixel_mm": round(spec.anatomical_pixel_mm, 6),
            "study_instance_uid": study_uid, "sop_instance_uid": str(ds.SOPInstanceUID),
            "expected_grades": f.expected_grades(), "story": f.story,
        })
        if verbose:
            print(f"{prefix}/{f.dicom_rel}: {(out / f.dicom_rel).stat().st_size / 1e6:.2f} MB, "
                  f"DXA-VFA {f.encoding}; {film_summary(spec)}")
    return entries


#: Clinical context of the sample patients (vfa/study/clinical.py; ``vfa clinical import`` or
#: ``vfa cohort --clinical``), written to ``clinical.csv`` beside the films. Synthetic like the
#: films: the child's lumbar spine BMD Z improves on pamidronate while T9 fractures at 6 months
#: and L1 reshapes by 12 months.
CLINICAL_CSV = """\
patient_id,date,kind,value,detail
VFA-CHILD-01,2023-11-20,diagnosis,acute lymphoblastic leukaemia,
VFA-CHILD-01,2023-11-20,glucocorticoid,dexamethasone,ALL induction and delayed intensification
VFA-CHILD-01,2023-11-20,drug,methotrexate,maintenance
VFA-CHILD-01,2024-03-05,bmd_z,-3.4,lumbar spine L1-L4 (DXA)
VFA-CHILD-01,2024-03-19,bisphosphonate,pamidronate,1 mg/kg/day x 3 days
VFA-CHILD-01,2024-06-18,bisphosphonate,pamidronate,1 mg/kg/day x 3 days
VFA-CHILD-01,2024-09-03,bmd_z,-2.9,lumbar spine L1-L4 (DXA)
VFA-CHILD-01,2024-09-17,bisphosphonate,pamidronate,1 mg/kg/day x 3 days
VFA-CHILD-01,2024-12-17,bisphosphonate,pamidronate,1 mg/kg/day x 3 days
VFA-CHILD-01,2025-03-04,bmd_z,-2.2,lumbar spine L1-L4 (DXA)
VFA-CHILD-01,2025-03-11,note,back pain resolved; walking to school again,
VFA-ADULT-01,2019-05-02,diagnosis,postmenopausal osteoporosis,
VFA-ADULT-01,2023-04-11,bmd_z,-1.6,lumbar spine L1-L4 (DXA; T-score -2.9)
VFA-ADULT-01,2023-05-09,bisphosphonate,zoledronic acid,5 mg (adult dose)
VFA-ADULT-01,2024-05-14,bisphosphonate,zoledronic acid,5 mg (adult dose)
VFA-ADULT-01,2024-10-15,bmd_z,-1.4,lumbar spine L1-L4 (DXA; T-score -2.7)
VFA-ADULT-01,2024-10-01,note,fall from standing height; acute back pain,
"""


def _study_uid(f: SampleFilm) -> str:
    return derive_uid("study", f.patient.patient_id, f.date.isoformat())


def build(out: str | Path = "sample_dicoms", samples: Sequence[SampleFilm] = SAMPLES,
          verbose: bool = False, dxa: Sequence[DxaSample] | None = None) -> list[dict[str, Any]]:
    """Write the sample set into ``out``; returns the manifest entries of the radiographs.
    ``dxa``: DXA-VFA samples (default: DXA_SAMPLES with the full set, none otherwise)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    prefix = out.resolve().name
    entries: list[dict[str, Any]] = []
    for f in samples:
        film = make_film(f.spec)
        path = out / f.dicom_rel
        study_uid = _study_uid(f)
        ds = write_dicom(
            film, path, patient_name=f.patient.name, patient_id=f.patient.patient_id,
            patient_sex=f.patient.sex, birth_date=f.patient.birth_date, study_date=f.date,
            photometric=f.photometric, transfer_syntax=f.transfer_syntax,
            spacing_mode=f.spacing_mode, study_uid=study_uid,
            series_uid=derive_uid("series", study_uid, 1),
            sop_uid=derive_uid("image", study_uid, 1, 1),
            accession_number=f"SYN{f.date.strftime('%Y%m%d')}{f.patient.patient_id[-2:]}",
            study_description=f"XR SPINE THORACOLUMBAR LATERAL (VFA) {f.visit}")
        image_path = reading_relative(f.dicom_rel, f.reading_rel)
        # reference reads: every grade stands (confirmed), docs/clinical-method.md
        reading = reference_reading(film, ds, image_path=image_path, confirmed=True)
        data = reading.to_dict()
        data["saved_at"] = SAVED_AT
        atomic_write_text(out / f.reading_rel, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        entry = {
            "patient": f.patient.key, "patient_id": f.patient.patient_id,
            "patient_name": f.patient.name, "date": f.date.isoformat(), "visit": f.visit,
            "dicom": f"{prefix}/{f.dicom_rel}", "reference": f"{prefix}/{f.reading_rel}",
            "photometric": f.photometric, "transfer_syntax": f.transfer_syntax,
            "spacing_mode": f.spacing_mode, "facing": f.spec.facing, "tilt_deg": f.spec.tilt_deg,
            "rows": f.spec.rows, "cols": f.spec.cols, "detector_pixel_mm": f.spec.pixel_mm,
            "magnification": f.spec.magnification, "growth": f.spec.growth,
            "study_instance_uid": study_uid, "sop_instance_uid": str(ds.SOPInstanceUID),
            "deformities": {lv.value: {"kind": d.kind, "reduction": d.reduction,
                                       "percent": d.percent, "grade": d.grade}
                            for lv, d in sorted(f.spec.deformed.items(), key=lambda kv: kv[0].index)},
            "expected_grades": f.expected_grades(),
            "variant": f.variant, "story": f.story,
        }
        entries.append(entry)
        if verbose:
            size = path.stat().st_size / 1e6
            print(f"{entry['dicom']}: {size:.2f} MB, {f.variant}; {film_summary(f.spec)}")
    dxa_samples = (DXA_SAMPLES if samples is SAMPLES else ()) if dxa is None else dxa
    dxa_entries = build_dxa(out, dxa_samples, verbose)
    manifest: dict[str, Any] = {"generator": GENERATOR_VERSION, "films": entries}
    if dxa_entries:
        manifest["dxa_films"] = dxa_entries
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    atomic_write_text(out / "README.md", _readme(samples, entries) + _readme_dxa(dxa_samples, dxa_entries))
    if samples is SAMPLES:  # the clinical context belongs to the full set
        atomic_write_text(out / "clinical.csv", CLINICAL_CSV)
    return entries


def reading_relative(dicom_rel: str, reading_rel: str) -> str:
    """The film's path relative to the reading file's folder (both given relative to the
    sample folder), with forward slashes: ``../adult01/2023-04-18/lateral.dcm``."""
    import posixpath
    return posixpath.relpath(dicom_rel, posixpath.dirname(reading_rel) or ".")


def _readme(samples: Sequence[SampleFilm], entries: list[dict[str, Any]]) -> str:
    lines = [
        "# Sample DICOM films (synthetic)",
        "",
        "Every film here is **synthetic**: drawn by `vfa.synthetic.phantom`, not a patient. Regenerate with",
        "`python -m vfa.synthetic.samples --out sample_dicoms` from the repository root (deterministic: a",
        "rerun writes identical files). See docs/samples.md for the generator.",
        "",
        "Each film has a reference reading with the TRUE six points of T4-L4 (reader",
        "`reference`) in `reference/<patient>_<date>.json`; `manifest.json` lists the same in",
        "machine-readable form. Expected grades are the suggested Genant grades computed from",
        "the reference points (docs/clinical-method.md §3); levels not listed are grade 0. The",
        "reference readings are reference reads: every grade is confirmed.",
        "",
    ]
    by_patient: dict[str, list[tuple[SampleFilm, dict[str, Any]]]] = {}
    for f, e in zip(samples, entries):
        by_patient.setdefault(f.patient.key, []).append((f, e))
    for key, items in by_patient.items():
        p = items[0][0].patient
        lines += [f"## {key}: {p.name} ({p.patient_id}), sex {p.sex}, born {p.birth_date.isoformat()}",
                  "", p.history, "",
                  "| date | visit | file | variant | fractures (type, percent, grade) |",
                  "|---|---|---|---|---|"]
        for f, e in items:
            age = (f.date - p.birth_date).days / 365.2425
            lines.append(f"| {f.date.isoformat()} (age {age:.1f}) | {f.visit} | `{e['dicom']}` | "
                         f"{f.variant} | {film_summary(f.spec)} |")
        lines.append("")
        for f, e in items:
            lines.append(f"- **{f.date.isoformat()}**: {f.story}")
        lines.append("")
    lines += [
        "## Clinical context (clinical.csv)",
        "",
        "`clinical.csv` holds the (synthetic) clinical context of both patients in the columns",
        "`patient_id,date,kind,value,detail`: diagnosis, glucocorticoid and other drugs,",
        "bisphosphonate infusions with dose, lumbar spine BMD Z-scores, notes. The case-series",
        "table of both patients: `vfa cohort sample_dicoms/reference --clinical",
        "sample_dicoms/clinical.csv` (see docs/study-outcomes.md).",
        "",
        "## Variants covered",
        "",
        "- MONOCHROME1 (inverted stored values, Presentation LUT Shape INVERSE): child01 baseline",
        "- JPEG 2000 lossless: child01 baseline and 12 months, adult01 baseline; RLE lossless:",
        "  child01 6 months; JPEG-LS lossless: adult01 follow-up",
        "- Spacing (docs/clinical-method.md §5): Pixel Spacing != Imager Pixel Spacing with GEOMETRY (rule 1,",
        "  child01 baseline); Pixel Spacing = Imager Pixel Spacing (rule 2, adult01 baseline);",
        "  Imager Pixel Spacing + magnification factor (rule 3, adult01 follow-up); Imager Pixel",
        "  Spacing only (rule 4, child01 6 months); none - CR, uncalibrated (rule 5, child01 12",
        "  months)",
        "- Anterior on the right (ViewPosition RL): child01 6 months; tilted 9 degrees: child01",
        "  12 months; children grow 3 % per 6 months and magnification varies between visits",
        "",
    ]
    return "\n".join(lines)


def _readme_dxa(samples: Sequence[DxaSample], entries: list[dict[str, Any]]) -> str:
    if not entries:
        return ""
    lines = ["## DXA-VFA images", "",
             "Lateral spine images as a densitometer sends them (docs/samples.md): lower",
             "resolution, soft bone-weighted look with scan lines, Secondary Capture. Their",
             "reference readings are in `dxa/` (true points of the same phantom anatomy).", "",
             "| date | file | encoding | size | fractures |", "|---|---|---|---|---|"]
    for f, e in zip(samples, entries):
        lines.append(f"| {f.date.isoformat()} | `{e['dicom']}` | {f.encoding} | "
                     f"{e['rows']}x{e['cols']}, {e['pixel_mm']:.2f} mm | {film_summary(f.spec)} |")
    lines.append("")
    for f in samples:
        lines.append(f"- **{f.patient.key} {f.date.isoformat()}**: {f.story}")
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m vfa.synthetic.samples",
                                 description="Write the synthetic sample DICOM set.")
    ap.add_argument("--out", default="sample_dicoms", help="output folder (default sample_dicoms)")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    build(args.out, verbose=not args.quiet)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

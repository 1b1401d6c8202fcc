"""``vfa info FILE [--json]``: identity, size, transfer syntax, spacing and windows of a film."""

from __future__ import annotations

import argparse

from vfa.commands._common import print_json

NAME = "info"
HELP = "describe a radiograph: identity, size, transfer syntax, pixel spacing and its source, windows"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def describe(rg) -> dict:
    ident = rg.identity
    sp = rg.spacing
    age = ident.age_at_study()
    return {
        "path": str(rg.path) if rg.path else None,
        "patient_id": ident.patient_id,
        "patient_name": ident.patient_name,
        "birth_date": ident.birth_date,
        "sex": ident.sex,
        "patient_age": ident.patient_age or None,
        "age_at_study": round(age, 2) if age is not None else None,
        "age_years": round(age, 2) if age is not None else None,
        "age_source": ident.age_source,
        "paediatric": ident.is_paediatric,
        "study_date": ident.study_date,
        "study_instance_uid": ident.study_instance_uid,
        "series_instance_uid": ident.series_instance_uid,
        "sop_instance_uid": ident.sop_instance_uid,
        "sop_class_uid": ident.sop_class_uid,
        "modality": ident.modality,
        "view_position": ident.view_position,
        "body_part": ident.body_part,
        "laterality": ident.laterality,
        "rows": rg.rows,
        "columns": rg.cols,
        "bits_stored": rg.bits_stored,
        "frames": rg.number_of_frames,
        "photometric_interpretation": rg.photometric,
        "transfer_syntax": rg.transfer_syntax.name,
        "transfer_syntax_uid": rg.transfer_syntax.uid,
        "lossy_compression": rg.lossy_compression,
        "pixel_spacing_mm": sp.as_list(),
        "spacing_source": sp.source.value,
        "spacing_description": sp.description,
        "calibrated": sp.calibrated,
        "modality_transform": ("modality LUT" if rg.modality.lut is not None else
                               {"slope": rg.modality.slope, "intercept": rg.modality.intercept}),
        "windows": [{"center": w.center, "width": w.width, "explanation": w.explanation}
                    for w in rg.windows],
        "voi_luts": [lut.explanation or f"VOI LUT {i + 1}" for i, lut in enumerate(rg.voi_luts)],
        "auto_window": {"center": rg.auto_window().center, "width": rg.auto_window().width},
        "warnings": list(rg.warnings),
    }


def run(args: argparse.Namespace) -> int:
    from vfa.films.radiograph import load_radiograph

    rg = load_radiograph(args.file)
    d = describe(rg)
    if args.json:
        print_json(d)
        return 0
    print(f"File:        {d['path']}")
    print(f"Patient:     {d['patient_name'] or '–'}  ID {d['patient_id'] or '–'}  born {d['birth_date'] or '–'}"
          f"  sex {d['sex'] or '–'}")
    if d["age_years"] is None:
        print("Age:         unknown (no birth date or Patient's Age): adult rules apply until the "
              "reader gives the age")
    else:
        print(f"Age:         {d['age_years']:.1f} y at the study ({d['age_source']})"
              + ("  paediatric" if d["paediatric"] else "  adult"))
    print(f"Study:       {d['study_date'] or '–'}  {d['modality']} {d['view_position']} {d['body_part']}")
    print(f"UIDs:        study {d['study_instance_uid']}\n             series {d['series_instance_uid']}\n"
          f"             image {d['sop_instance_uid']}")
    print(f"Image:       {d['columns']} x {d['rows']} px, {d['bits_stored']} bits, {d['photometric_interpretation']}"
          f", {d['frames']} frame(s)")
    print(f"Transfer:    {d['transfer_syntax']} ({d['transfer_syntax_uid']})"
          + ("  LOSSY" if d["lossy_compression"] else ""))
    sp = rg.spacing
    if sp.calibrated:
        print(f"Spacing:     {sp.row_mm:g} mm (rows) x {sp.col_mm:g} mm (columns): {sp.description}")
    else:
        print(f"Spacing:     none: {sp.description}")
    for w in d["windows"]:
        print(f"Window:      C {w['center']:g} / W {w['width']:g}  {w['explanation']}")
    for name in d["voi_luts"]:
        print(f"VOI LUT:     {name}")
    aw = d["auto_window"]
    print(f"Auto window: C {aw['center']:g} / W {aw['width']:g}")
    for w in d["warnings"]:
        print(f"Warning:     {w}")
    return 0

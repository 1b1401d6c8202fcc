"""Make small, valid DICOM test files (and compressed variants) in a temporary folder.

Imported by the radiograph/display tests as ``import dicom_factory`` (pytest puts the
tests folder on sys.path). Compressed files come from pydicom 3's encoders where they
exist and from DCMTK's command-line tools otherwise; a missing tool skips the test.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    DigitalXRayImageStorageForPresentation,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    generate_uid,
)

DX_CLASS = DigitalXRayImageStorageForPresentation
CR_CLASS = "1.2.840.10008.5.1.4.1.1.1"
BASIC_TEXT_SR = "1.2.840.10008.5.1.4.1.1.88.11"
GSPS_CLASS = "1.2.840.10008.5.1.4.1.1.11.1"


def film(rows: int = 96, cols: int = 80, bits: int = 12, signed: bool = False,
         seed: int = 0) -> np.ndarray:
    """A smooth synthetic 'radiograph' with noise: a bright column ('spine') on a ramp."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:rows, 0:cols]
    top = (1 << bits) - 1
    base = 0.15 + 0.5 * (yy / max(rows - 1, 1))
    spine = 0.3 * np.exp(-(((xx - cols * 0.55) / (cols * 0.12)) ** 2))
    img = (base + spine) * top * 0.9 + rng.normal(0, top * 0.01, (rows, cols))
    img = np.clip(np.rint(img), 0, top)
    if signed:
        img = img - (1 << (bits - 1))
        return img.astype(np.int16 if bits > 8 else np.int8)
    return img.astype(np.uint16 if bits > 8 else np.uint8)


def make_dataset(arr: np.ndarray, *, bits_stored: int | None = None,
                 photometric: str | None = None, sop_class: str = DX_CLASS,
                 transfer_syntax: str = ExplicitVRLittleEndian, frames: int = 1,
                 **attrs) -> Dataset:
    """A DX dataset holding ``arr`` (2-D grey, 3-D (rows, cols, 3) RGB, or frames x rows x cols)."""
    arr = np.asarray(arr)
    colour = arr.ndim == 3 and arr.shape[-1] == 3 and frames == 1
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    sop_uid = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Test^Patient"
    ds.PatientID = "PID-0001"
    ds.PatientBirthDate = "20100315"
    ds.PatientSex = "F"
    ds.StudyDate = "20240314"
    ds.Modality = "DX"
    ds.ViewPosition = "LL"
    ds.BodyPartExamined = "SPINE"
    ds.ImageLaterality = "U"
    ds.PresentationIntentType = "FOR PRESENTATION"
    if frames > 1:
        rows, cols = arr.shape[1:3]
        ds.NumberOfFrames = frames
    else:
        rows, cols = arr.shape[:2]
    ds.Rows, ds.Columns = rows, cols
    bits_alloc = arr.dtype.itemsize * 8
    ds.BitsAllocated = bits_alloc
    ds.BitsStored = bits_stored or bits_alloc
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if arr.dtype.kind == "i" else 0
    if colour:
        ds.SamplesPerPixel = 3
        ds.PlanarConfiguration = 0
        ds.PhotometricInterpretation = photometric or "RGB"
    else:
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = photometric or "MONOCHROME2"
    for key, value in attrs.items():
        setattr(ds, key, value)
    if transfer_syntax == ExplicitVRBigEndian:
        ds.PixelData = arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    else:
        ds.PixelData = np.ascontiguousarray(arr).tobytes()
    return ds


def write(ds: Dataset, path: Path) -> Path:
    """Save with the dataset's own transfer syntax (implicit/explicit/big endian/deflated)."""
    ts = ds.file_meta.TransferSyntaxUID
    ds.save_as(path, enforce_file_format=True,
               implicit_vr=(ts == ImplicitVRLittleEndian) if not ts.is_compressed else None,
               little_endian=(ts != ExplicitVRBigEndian) if not ts.is_compressed else None)
    return path


def write_film(tmp_path: Path, name: str = "film.dcm", arr: np.ndarray | None = None,
               **kwargs) -> Path:
    arr = film() if arr is None else arr
    return write(make_dataset(arr, **kwargs), tmp_path / name)


def lut_item(data, first_mapped: int, bits: int, explanation: str = "",
             as_bytes: bool = False, descriptor_vr: str = "US") -> Dataset:
    item = Dataset()
    data = np.asarray(data, dtype=np.uint16)
    item.add(DataElement(0x00283002, descriptor_vr,
                         [len(data) if len(data) < 65536 else 0, first_mapped, bits]))
    if as_bytes:  # OW, as many modalities write it
        item.add(DataElement(0x00283006, "OW", data.astype("<u2").tobytes()))
    else:
        item.add(DataElement(0x00283006, "US", [int(v) for v in data]))
    if explanation:
        item.LUTExplanation = explanation
    return item


def sequence(*items: Dataset) -> Sequence:
    return Sequence(list(items))


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ---- DCMTK ---------------------------------------------------------------------------
def dcmtk(tool: str, *args: str) -> None:
    """Run a DCMTK tool; skip the test (with the reason) when it is not installed."""
    exe = shutil.which(tool)
    if exe is None:
        pytest.skip(f"DCMTK's {tool} is not installed (apt-get install dcmtk)")
    proc = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"{tool} {' '.join(map(str, args))} failed: "
                             f"{proc.stderr.strip() or proc.stdout.strip()}")

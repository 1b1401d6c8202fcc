"""Precision of repeated readings (vfa/method/precision.py, `vfa precision`), against hand sums."""

from __future__ import annotations

import json
import math

import pytest

from vfa.cli import main
from vfa.method.precision import PrecisionError, precision
from vfa.reading.reading import save_reading
from readings_factory import make_reading

SOP1, SOP2 = "1.2.3.1", "1.2.3.2"


def only(reading, keep):
    """Drop every level except ``keep``."""
    for v in list(reading):
        if v.level.value not in keep:
            reading.remove_vertebra(v.level)
    return reading


def two_films(reader_b="dr-a"):
    """Film 1, T8: Ha 20 vs 22 mm (Hm, Hp 20 both); film 2, T8: identical readings.
    Film 1, T9 is read once only in the second reading (not counted)."""
    # make_reading: 100 px bodies at 0.2 mm -> 20 mm; heights given in px.
    a1 = only(make_reading({"T8": (100.0, 100.0, 100.0)}, sop=SOP1), {"T8", "T9"})
    b1 = only(make_reading({"T8": (110.0, 100.0, 100.0)}, sop=SOP1, reader=reader_b), {"T8"})
    a2 = only(make_reading({"T8": (150.0, 150.0, 150.0)}, sop=SOP2), {"T8"})
    b2 = only(make_reading({"T8": (150.0, 150.0, 150.0)}, sop=SOP2, reader=reader_b), {"T8"})
    return [a1, b1, a2, b2]


def test_hand_computed_pairs():
    res = precision(two_films())
    assert res.design == "intra-reader" and res.vertebrae == 2
    ha = res.per_height["ha"]
    # pair 1: 20 and 22 mm -> SD = 2/sqrt(2) = 1.41421, mean 21, CV = 6.7344 %; pair 2: SD 0.
    assert ha.rms_sd == pytest.approx(math.sqrt((2.0 + 0.0) / 2), rel=1e-9)          # 1.0 mm
    cv1 = 100 * math.sqrt(2) / 21
    assert ha.rms_cv_pct == pytest.approx(math.sqrt((cv1 ** 2 + 0) / 2), rel=1e-9)   # 4.762 %
    assert res.per_height["hp"].rms_sd == 0 and res.per_height["hp"].rms_cv_pct == 0
    # Reduction: film 1 is 0 % (Ha 20 = Hp) vs 0 % (Ha 22 > Hp: no reduction); film 2: 0 vs 0.
    red = res.per_height["reduction"]
    assert red.rms_sd == 0 and red.rms_cv_pct is None
    d = res.to_dict()
    assert d["per_height"]["ha"] == {"n": 2, "rms_sd": pytest.approx(1.0), "rms_cv_pct":
                                     pytest.approx(4.7619, abs=1e-4), "unit": "mm"}
    assert list(d["per_level"]) == ["T8"] and d["per_level"]["T8"]["n"] == 2
    assert [p["levels"] for p in d["pairs"]] == [["T8"], ["T8"]]
    assert d["pairs"][0]["kind"] == "intra-reader"


def test_reduction_in_percentage_points_and_three_readings():
    # T8 wedge: Ha 80 / 76 / 84 px of Hp 100 -> reductions 20, 24, 16 %: SD = 4 pp (n = 3).
    rs = [only(make_reading({"T8": (ha, 100.0, 100.0)}, sop=SOP1, reader=name), {"T8"})
          for ha, name in ((80.0, "a"), (76.0, "b"), (84.0, "a"))]
    res = precision(rs)
    assert res.design == "inter-reader"
    assert res.per_height["reduction"].rms_sd == pytest.approx(4.0)
    # Ha 16, 15.2, 16.8 mm: SD 0.8, mean 16 -> CV 5 %.
    assert res.per_height["ha"].rms_sd == pytest.approx(0.8)
    assert res.per_height["ha"].rms_cv_pct == pytest.approx(5.0)
    assert res.by_grade["fractured"]["ha"].n == 1 and "normal" not in res.by_grade


def test_pending_proposals_are_not_counted_and_nothing_read_twice_is_an_error():
    from vfa.reading.autoplace.proposal import Proposal
    from vfa.method.levels import PointSlot
    rs = two_films()
    x, y = rs[1].get("T8").points[PointSlot.SUPERIOR_ANTERIOR]
    rs[1].propose("T8", {"superior_anterior": Proposal(x, y, 0.9, "refine")}, replace_placed=True)
    res = precision(rs)
    assert res.vertebrae == 1 and res.per_height["ha"].rms_sd == 0
    assert res.skipped == [f"{SOP1} T8: proposed points not accepted (--allow-proposed counts them)"]
    assert precision(rs, allow_proposed=True).vertebrae == 2
    rs[1].accept_proposal("T8")
    assert precision(rs).vertebrae == 2
    with pytest.raises(PrecisionError, match="no film was read twice"):
        precision(rs[:1] + rs[2:3])


def test_cli_text_and_json(tmp_path, capsys):
    paths = [save_reading(r, tmp_path / f"r{i}.json") for i, r in enumerate(two_films("dr-b"))]
    assert main(["precision", *map(str, paths), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["design"] == "inter-reader"
    assert d["per_height"]["ha"]["rms_cv_pct"] == pytest.approx(4.7619, abs=1e-4)
    assert set(d["per_height"]) == {"ha", "hm", "hp", "reduction"}
    assert main(["precision", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "inter-reader: films read again by two readers" in out
    assert "T8           2      1.00    4.8    0.00    0.0    0.00    0.0" in out
    assert main(["precision", str(paths[0])]) == 1
    assert "no film was read twice" in capsys.readouterr().err


def test_cli_counts_proposals_only_when_asked(tmp_path, capsys):
    from vfa.reading.autoplace.proposal import Proposal
    from vfa.method.levels import PointSlot
    a, b = two_films()[:2]
    pts = b.get("T8").points
    b.propose("T8", {s: Proposal(*pts[s], 0.9, "refine") for s in PointSlot}, replace_placed=True)
    pa, pb = save_reading(a, tmp_path / "a.json"), save_reading(b, tmp_path / "b.json")
    assert main(["precision", str(pa), str(pb)]) == 0
    out = capsys.readouterr().out
    assert "no vertebra was measured in every reading of its film" in out
    assert "T8: proposed points not accepted (--allow-proposed counts them)" in out
    assert main(["precision", str(pa), str(pb), "--allow-proposed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["per_height"]["ha"]["rms_sd"] == pytest.approx(math.sqrt(2))

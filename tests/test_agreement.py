"""Agreement statistics between two readers (domain.md §7)."""

from __future__ import annotations

import datetime as _dt
import math
import random

import pytest

from readings_factory import make_reading
from vfa.method.agreement import (agreement, bland_altman, is_discordant, kappa, pair_by_sop,
                           percent_agreement)
from vfa.films.calibration import Spacing
from vfa.method.levels import Level


# --------------------------------------------------------------------------- hand-computed
def test_kappa_two_by_two_hand_computed():
    # 50 levels: both "not fractured" 35, A not / B fractured 5, A fractured / B not 3,
    # both fractured 7. Rows (A): 40 not, 10 fractured; columns (B): 38 not, 12 fractured.
    a = [0] * 35 + [0] * 5 + [1] * 3 + [1] * 7
    b = [0] * 35 + [1] * 5 + [0] * 3 + [1] * 7
    k = kappa(a, b, [0, 1])
    po = 42 / 50                                 # 0.84
    pe = 0.80 * 0.76 + 0.20 * 0.24               # 0.656
    kap = (po - pe) / (1 - pe)                   # 0.184 / 0.344 = 0.5349
    assert k.observed == pytest.approx(0.84)
    assert k.expected == pytest.approx(0.656)
    assert k.value == pytest.approx(kap) and k.value == pytest.approx(0.534884, abs=1e-6)
    # Fleiss, Cohen & Everitt 1969, unweighted form:
    # var = [sum_i p_ii (1 - (p_i. + p_.i)(1-k))^2 + (1-k)^2 sum_{i!=j} p_ij (p_.i + p_j.)^2
    #        - (k - pe (1-k))^2] / (n (1-pe)^2)
    q = 1 - kap
    diag = 0.70 * (1 - (0.80 + 0.76) * q) ** 2 + 0.14 * (1 - (0.20 + 0.24) * q) ** 2
    # p_01 = .10 with p_.0 + p_1. = .76 + .20; p_10 = .06 with p_.1 + p_0. = .24 + .80
    off = q ** 2 * (0.10 * (0.76 + 0.20) ** 2 + 0.06 * (0.24 + 0.80) ** 2)
    var = (diag + off - (kap - pe * q) ** 2) / (50 * (1 - pe) ** 2)
    assert k.se == pytest.approx(math.sqrt(var))
    assert k.se == pytest.approx(0.14386, abs=1e-5)
    assert (k.ci_low, k.ci_high) == pytest.approx((kap - 1.959964 * k.se, kap + 1.959964 * k.se))
    assert percent_agreement(a, b) == pytest.approx(84.0)


def test_linear_weighted_kappa_hand_computed():
    a = [0, 0, 1, 2, 3, 0]
    b = [0, 1, 1, 3, 3, 0]
    k = kappa(a, b, [0, 1, 2, 3], "linear")
    # weights 1 - |i-j|/3: four exact agreements (1) and two one-step misses (2/3)
    assert k.observed == pytest.approx((4 + 2 * 2 / 3) / 6)          # 8/9
    # marginals A (3,1,1,1)/6, B (2,2,0,2)/6 -> expected agreement 5/9
    assert k.expected == pytest.approx(5 / 9)
    assert k.value == pytest.approx((8 / 9 - 5 / 9) / (1 - 5 / 9))   # 0.75
    assert k.ci_high == 1.0  # clipped


def test_kappa_undefined_when_expected_agreement_is_one():
    k = kappa([0, 0, 0, 0], [0, 0, 0, 0], [0, 1])
    assert k.value is None and k.ci_low is None and "expected agreement is 1" in k.reason
    assert k.observed == 1.0 and k.expected == 1.0
    assert "undefined" in k.text()
    # Both readers all-fractured: also undefined, not 1.
    assert kappa([1, 1], [1, 1], [0, 1]).value is None
    # No units at all
    assert kappa([], [], [0, 1]).value is None


def test_kappa_perfect_disagreement_is_negative():
    k = kappa([0, 1, 0, 1], [1, 0, 1, 0], [0, 1])
    assert k.value == pytest.approx(-1.0)


# --------------------------------------------------------------------------- scikit-learn
@pytest.mark.parametrize("seed", range(8))
def test_kappa_matches_scikit_learn_on_random_data(seed):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(seed)
    n = rng.randint(5, 300)
    a = [rng.choice([0, 0, 0, 1, 2, 3]) for _ in range(n)]
    # B agrees most of the time, otherwise shifts by one
    b = [x if rng.random() < 0.7 else min(3, max(0, x + rng.choice([-1, 1]))) for x in a]
    for weights, sk in (("none", None), ("linear", "linear")):
        mine = kappa(a, b, [0, 1, 2, 3], weights)
        ref = sklearn_metrics.cohen_kappa_score(a, b, labels=[0, 1, 2, 3], weights=sk)
        assert mine.value == pytest.approx(ref, abs=1e-12)
    fa, fb = [int(x >= 1) for x in a], [int(x >= 1) for x in b]
    if len(set(fa) | set(fb)) > 1:
        assert kappa(fa, fb, [0, 1]).value == pytest.approx(
            sklearn_metrics.cohen_kappa_score(fa, fb), abs=1e-12)


# --------------------------------------------------------------------------- discordance
@pytest.mark.parametrize("ga,gb,disc", [
    (0, 0, False), (0, 0.5, False), (0.5, 1, True), (1, 1, False), (1, 2, True),
    (2, 3, True), (0, 3, True), (3, 3, False), (0.5, 0.5, False)])
def test_discordance_follows_domain_7(ga, gb, disc):
    assert is_discordant(ga, gb) is disc


def test_bland_altman_hand_computed():
    ba = bland_altman([10.0, 12.0, 14.0, 16.0], [9.0, 12.0, 15.0, 14.0], "Ha", "mm")
    # differences 1, 0, -1, 2: mean 0.5, SD sqrt(((.5)^2+(.5)^2+(1.5)^2+(1.5)^2)/3) = sqrt(5/3)
    assert ba.mean_diff == pytest.approx(0.5)
    assert ba.sd_diff == pytest.approx(math.sqrt(5 / 3))
    assert ba.loa_low == pytest.approx(0.5 - 1.959964 * math.sqrt(5 / 3))
    assert ba.loa_high == pytest.approx(0.5 + 1.959964 * math.sqrt(5 / 3))
    one = bland_altman([1.0], [2.0])
    assert one.mean_diff == -1.0 and one.loa_low is None


# --------------------------------------------------------------------------- readings
def _pair(sop, pid, a_heights=None, b_heights=None, a_grades=None, b_grades=None,
          spacing=None, date=_dt.date(2024, 1, 10)):
    a = make_reading(a_heights, patient_id=pid, sop=sop, reader="alice", spacing=spacing, date=date)
    b = make_reading(b_heights, patient_id=pid, sop=sop, reader="bob", spacing=spacing, date=date)
    for lv, g in (a_grades or {}).items():
        a.set_reader_grade(lv, g)
    for lv, g in (b_grades or {}).items():
        b.set_reader_grade(lv, g)
    return a, b


def test_agreement_over_readings_counts_levels_both_graded():
    a1, b1 = _pair("1.1", "P1", a_grades={"T12": 2, "L1": 0.5}, b_grades={"T12": 2, "L1": 1})
    a2, b2 = _pair("1.2", "P2", a_grades={"T8": 1}, b_grades={"T8": 3})
    b2.set_status("L4", "not_evaluable", "bowel gas")
    rep = agreement([(a1, b1), (a2, b2)], ("alice", "bob"))
    assert rep.overall.n == 13 + 12          # L4 of film 2 not evaluated by bob
    # fracture disagreements: L1 (0.5 vs 1) only; T8 1 vs 3 both fractured
    assert rep.overall.percent_agreement == pytest.approx(100 * 24 / 25)
    d = {(p.sop_instance_uid, p.level.value): p.discordance for p in rep.discordant}
    assert d == {("1.1", "L1"): "fracture", ("1.2", "T8"): "grade", ("1.2", "L4"): "evaluability"}
    out = rep.to_dict()
    assert out["readers"] == ["alice", "bob"] and out["n_levels"] == 25
    assert {e["level"] for e in out["discordant"]} == {"L1", "T8", "L4"}
    t8 = [e for e in out["discordant"] if e["level"] == "T8"][0]
    assert t8["grades"] == {"alice": 1.0, "bob": 3.0} and t8["patient_id"] == "P2"
    # per level: T12 both fractured on film 1, normal on film 2 -> kappa 1
    assert rep.per_level[Level.T12].kappa_fracture.value == pytest.approx(1.0)
    # L4: one unit only (film 1), both normal -> undefined
    assert rep.per_level[Level.L4].kappa_fracture.value is None
    # per patient: P1 fractured by both (T12), P2 fractured by both (T8): undefined kappa
    assert rep.n_patients == 2 and rep.per_patient.percent_agreement == 100.0
    assert rep.per_patient.kappa_fracture.value is None
    # confusion of grades: T8 (1, 3) sits at row 1 column 3; L1 (0.5 -> 0, 1) at (0, 1)
    assert rep.confusion_grade[1][3] == 1 and rep.confusion_grade[0][1] == 1
    assert sum(map(sum, rep.confusion_grade)) == 25


def test_bland_altman_of_heights_needs_calibrated_films():
    a, b = _pair("2.1", "P1", b_heights={"T12": (96.0, 100.0, 100.0)})
    rep = agreement([(a, b)], ("alice", "bob"))
    ha = {x.measure: x for x in rep.bland_altman}
    # 0.2 mm per pixel: T12 Ha differs by 4 px = 0.8 mm on one level of 13
    assert ha["Ha"].n == 13 and ha["Ha"].mean_diff == pytest.approx(0.8 / 13)
    assert ha["Hp"].mean_diff == pytest.approx(0.0) and ha["Hp"].sd_diff == pytest.approx(0.0)
    assert ha["wedge"].unit == "pp" and ha["wedge"].mean_diff == pytest.approx(4.0 / 13)
    a2, b2 = _pair("2.2", "P1", b_heights={"T12": (96.0, 100.0, 100.0)},
                   spacing=Spacing.uncalibrated())
    rep2 = agreement([(a2, b2)], ("alice", "bob"))
    ba2 = {x.measure: x for x in rep2.bland_altman}
    assert ba2["Ha"].n == 0 and ba2["Ha"].mean_diff is None   # no mm on uncalibrated films
    assert ba2["wedge"].n == 13                                # ratios on any film


def test_pair_by_sop_defaults_to_two_readers_and_lists_unpaired():
    a1, b1 = _pair("3.1", "P1")
    a2, _ = _pair("3.2", "P1")
    (ra, rb), pairs, unpaired = pair_by_sop([b1, a1, a2])
    assert (ra, rb) == ("alice", "bob") and len(pairs) == 1 and pairs[0][0] is a1
    assert unpaired == [{"sop_instance_uid": "3.2", "read_by": "alice"}]
    c = make_reading(sop="3.1", reader="carol")
    with pytest.raises(ValueError, match="3 reader"):
        pair_by_sop([a1, b1, c])
    (_, rb2), pairs2, _ = pair_by_sop([a1, b1, c], ["alice", "carol"])
    assert rb2 == "carol" and pairs2[0][1] is c
    with pytest.raises(ValueError, match="no reading by 'dave'"):
        pair_by_sop([a1, b1], ["alice", "dave"])
    # the consensus reading is not a reader of the agreement
    cons = make_reading(sop="3.1", reader="consensus")
    assert pair_by_sop([a1, b1, cons])[0] == ("alice", "bob")


# --------------------------------------------------------------------------- vfa agreement
import json
import shutil
import subprocess

from vfa.cli import main
from vfa.reading.reading import save_reading
from vfa.storage.workspace import Workspace


def _write_pairs(folder):
    folder.mkdir(exist_ok=True)
    a1, b1 = _pair("1.2.826.9.1", "P1", a_grades={"T12": 2, "L1": 0.5},
                   b_grades={"T12": 2, "L1": 1}, b_heights={"T9": (97.0, 100.0, 100.0)})
    a2, b2 = _pair("1.2.826.9.2", "P2", a_grades={"T8": 1}, b_grades={"T8": 3})
    for r in (a1, b1, a2, b2):
        save_reading(r, folder / f"{r.sop_instance_uid}.{r.reader}.json")
    return a1, b1, a2, b2


def test_cli_agreement_json(tmp_path, capsys):
    _write_pairs(tmp_path / "r")
    assert main(["agreement", str(tmp_path / "r"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("readers", "n_levels", "percent_agreement", "kappa_fracture",
                "weighted_kappa_grade", "per_level", "bland_altman", "discordant"):
        assert key in out
    assert out["readers"] == ["alice", "bob"] and out["n_levels"] == 26
    assert set(out["kappa_fracture"]) >= {"value", "ci_low", "ci_high"}
    assert out["kappa_fracture"]["ci_low"] < out["kappa_fracture"]["value"] < out["kappa_fracture"]["ci_high"]
    assert out["per_level"]["T12"]["n"] == 2
    assert out["bland_altman"]["Ha"]["mean_diff"] == pytest.approx(0.6 / 26)
    disc = {(d["sop_instance_uid"], d["level"]): d for d in out["discordant"]}
    assert set(disc) == {("1.2.826.9.1", "L1"), ("1.2.826.9.2", "T8")}
    d = disc[("1.2.826.9.1", "L1")]
    assert d["patient_id"] == "P1" and d["grade_a"] == 0.5 and d["grade_b"] == 1.0


def test_cli_agreement_text_and_errors(tmp_path, capsys):
    _write_pairs(tmp_path / "r")
    c = make_reading(sop="1.2.826.9.1", reader="carol")
    save_reading(c, tmp_path / "r" / "carol.json")
    assert main(["agreement", str(tmp_path / "r")]) == 1
    assert "3 reader(s)" in capsys.readouterr().err
    assert main(["agreement", str(tmp_path / "r"), "--readers", "alice,carol"]) == 0
    text = capsys.readouterr().out
    assert "Readers alice (A) and carol (B): 1 film(s), 13 level(s)" in text
    assert main(["agreement", str(tmp_path / "r"), "--readers", "alice,zed"]) == 1
    assert "no reading by 'zed'" in capsys.readouterr().err


def test_cli_agreement_from_workspace(tmp_path, capsys):
    ws = Workspace(tmp_path / "ws")
    for r in _write_pairs(tmp_path / "r"):
        ws.save(r)
    ws.close()
    assert main(["agreement", "--workspace", str(tmp_path / "ws"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_films"] == 2 and len(out["discordant"]) == 2


def test_cli_agreement_pdf(tmp_path, capsys):
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed")
    _write_pairs(tmp_path / "r")
    pdf = tmp_path / "agreement.pdf"
    assert main(["agreement", str(tmp_path / "r"), "-o", str(pdf)]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Inter-reader agreement" in text and "Bland–Altman" in text
    assert "Discordant levels to adjudicate (2)" in text
    assert "Hp (mm)" in text          # a plot title
    assert "ABQ" not in text          # no ABQ call by both readers: no ABQ row
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "2", "-l", "2", str(pdf),
                    str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-2.png").stat().st_size > 2000


def test_kappa_on_abq_fracture_when_both_readers_gave_it(tmp_path, capsys):
    """ABQ calls on T4..L1 (A: F F F N N N N N D N, B: F F N N N N N N N F; D = non-fracture
    deformity, counted as not fractured); L2 called by A only is left out. 2x2: 2 / 1 / 1 / 6:
    p_o = 0.8, p_e = 0.3*0.3 + 0.7*0.7 = 0.58, kappa = 0.22 / 0.42 = 0.5238."""
    from vfa.cli import main
    from vfa.method.levels import LEVELS
    from vfa.reading.reading import save_reading
    a = make_reading(reader="dr-a", sop="1.2.3.9")
    b = make_reading(reader="dr-b", sop="1.2.3.9")
    calls_a = "FFFNNNNNDN"
    calls_b = "FFNNNNNNNF"
    word = {"F": "fracture", "N": "normal", "D": "non_fracture_deformity"}
    for lv, ca, cb in zip(LEVELS, calls_a, calls_b):
        a.set_abq(lv, word[ca])
        b.set_abq(lv, word[cb])
    a.set_abq("L2", "fracture")
    rep = agreement([(a, b)], ("dr-a", "dr-b"))
    assert rep.abq.n == 10 and rep.abq.percent_agreement == pytest.approx(80.0)
    assert rep.abq.kappa.value == pytest.approx(0.22 / 0.42, abs=1e-9)
    assert rep.to_dict()["abq_fracture"]["kappa"]["value"] == pytest.approx(0.5238, abs=1e-4)
    # no ABQ call by both: None, and the text says nothing about ABQ
    assert agreement([(make_reading(reader="x"), make_reading(reader="y"))]).abq is None
    pa, pb = save_reading(a, tmp_path / "a.json"), save_reading(b, tmp_path / "b.json")
    assert main(["agreement", str(pa), str(pb)]) == 0
    assert "ABQ fracture/not (10 level(s) with an ABQ call by both): 80.0 %; kappa 0.52" in capsys.readouterr().out
    # the PDF's summary table has the same row: n, percent, kappa with its 95 % CI
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed")
    k = rep.abq.kappa
    pdf = tmp_path / "abq.pdf"
    assert main(["agreement", str(pa), str(pb), "-o", str(pdf)]) == 0
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    row = next((l for l in text.splitlines() if l.split()[:2] == ["ABQ", "fracture/not"]), None)
    assert row is not None, text
    assert row.split()[2:] == ["10", "80.0", "%", f"{k.value:.2f}", f"({k.ci_low:.2f}", "to",
                               f"{k.ci_high:.2f})", "–", "–"], row
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "abq")], check=True)
    assert (tmp_path / "abq-1.png").stat().st_size > 2000

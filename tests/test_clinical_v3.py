"""Clinical method v3 (docs/clinical-method.md): a reader's precision study saved in the
workspace and used by that reader's comparisons, the probabilities and the LSC in `vfa grade`
and `vfa compare`, kappa intervals that cannot be estimated, and the noise simulation."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys

import pytest

from readings_factory import make_reading
from vfa.cli import main
from vfa.method.agreement import kappa
from vfa.method.noise import phi
from vfa.reading.reading import save_reading


def _run(capsys, *args):
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def repeated_films(tmp_path, films: int, reader: str = "dr-a"):
    """``films`` films of T8 read twice by ``reader``: wedge reductions 20 % and 24 % (SD of
    each pair 4/√2 = 2.828 points; every other level identical in both readings)."""
    paths = []
    for k in range(films):
        sop = f"1.2.826.0.1.3680043.10.9.{k}"
        for n, ha in enumerate((80.0, 76.0)):
            r = make_reading({"T8": (ha, 100.0, 100.0)}, sop=sop, reader=reader)
            paths.append(save_reading(r, tmp_path / "films" / f"{k}-{n}.json"))
    return paths


# ------------------------------------------------------------------ precision study (§9)
def test_precision_reports_the_reduction_sd_and_saves_it_for_the_reader(tmp_path, capsys):
    repeated_films(tmp_path, 10)
    ws = tmp_path / "ws"
    code, out, _ = _run(capsys, "precision", tmp_path / "films", "--json")
    d = json.loads(out)
    # per level T8: sqrt(10 * 8 / 10) = 2.828; overall over 13 levels x 10 films: sqrt(80 / 130)
    assert d["reduction_sd_per_level"]["T8"] == pytest.approx(math.sqrt(8.0))
    assert d["reduction_sd_per_level"]["T4"] == 0.0
    assert d["reduction_sd_pct"] == pytest.approx(math.sqrt(80.0 / 130.0))
    assert d["films"] == 10 and d["usable_as_study"] is True
    code, out, _ = _run(capsys, "precision", tmp_path / "films", "--save", "--reader", "dr-a",
                        "--workspace", ws)
    assert code == 0
    assert "RMS-SD of the reduction: 0.78 percentage points over 10 film(s)" in out
    saved = ws / "precision" / "dr-a.json"
    assert f"saved as the measurement SD of dr-a: {saved}" in out
    study = json.loads(saved.read_text())
    assert study["format"] == "vfa-precision-study" and study["films"] == 10
    assert study["sd_pct"] == pytest.approx(math.sqrt(80.0 / 130.0))
    assert study["per_level"]["T8"] == pytest.approx(math.sqrt(8.0))


def test_fewer_than_ten_films_are_reported_but_not_saved(tmp_path, capsys):
    repeated_films(tmp_path, 9)
    ws = tmp_path / "ws"
    code, out, err = _run(capsys, "precision", tmp_path / "films", "--save", "--reader", "dr-a",
                          "--workspace", ws)
    assert code == 1
    assert "RMS-SD of the reduction" in out                       # reported
    assert "not saved: 9 film(s) read twice by dr-a; a precision study needs at least 10" in err
    assert not (ws / "precision").exists()
    code, _, err = _run(capsys, "precision", tmp_path / "films", "--save", "--workspace", ws)
    assert code == 2 and "--save needs --reader NAME" in err
    code, _, err = _run(capsys, "precision", tmp_path / "films", "--reader", "nobody")
    assert code == 1 and "no reading by 'nobody'" in err


def test_a_saved_study_changes_that_readers_lsc(tmp_path, capsys):
    # a study whose RMS-SD is 2.828 points (only T8 of each film measured): LSC 7.8
    for k in range(10):
        sop = f"1.2.826.0.1.3680043.10.9.{k}"
        for n, ha in enumerate((80.0, 76.0)):
            r = make_reading({"T8": (ha, 100.0, 100.0)}, sop=sop)
            for v in list(r):
                if v.level.value != "T8":
                    r.remove_vertebra(v.level)
            save_reading(r, tmp_path / "films" / f"{k}-{n}.json")
    ws = tmp_path / "ws"
    assert _run(capsys, "precision", tmp_path / "films", "--save", "--reader", "dr-a",
                "--workspace", ws)[0] == 0
    # T9: 12.0 % -> 20.0 %, 8.0 points: below the default LSC 8.3, above the study's 7.8
    b = save_reading(make_reading({"T9": (88.0, 100.0, 100.0)}), tmp_path / "b.json")
    f = save_reading(make_reading({"T9": (80.0, 100.0, 100.0)}, date=dt.date(2024, 7, 10)),
                     tmp_path / "f.json")
    _, out, _ = _run(capsys, "compare", b, f, "--json", "--workspace", tmp_path / "empty")
    d = json.loads(out)
    assert (d["sd_pct"], d["sd_source"], d["lsc_pct"]) == (3.0, "setting", 8.3)
    assert d["uncertain"] == ["T9"] and d["incident"] == []
    _, out, _ = _run(capsys, "compare", b, f, "--json", "--workspace", ws)
    d = json.loads(out)
    assert d["sd_pct"] == pytest.approx(math.sqrt(8.0)) and d["sd_source"] == "precision study"
    assert d["lsc_pct"] == 7.8 and d["precision_study"]["films"] == 10
    assert d["incident"] == ["T9"] and d["uncertain"] == []
    t9 = d["changes"][5]
    assert t9["level"] == "T9" and t9["within_noise"] is False
    assert t9["p_change"] == pytest.approx(phi(8.0 / (math.sqrt(2) * math.sqrt(8.0))), abs=1e-4)
    _, out, _ = _run(capsys, "compare", b, f, "--workspace", ws)
    assert "Measurement noise: SD 2.8 points (precision study of dr-a (10 films read twice" in out
    assert "LSC 7.8 points" in out
    assert f"T9 incident (P = {t9['p_change']:.2f} that it truly worsened)" in out
    # the default workspace ($VFA_WORKSPACE) is where compare looks without --workspace
    d = json.loads(_run(capsys, "compare", b, f, "--json")[1])
    assert d["sd_source"] == "setting"
    # another reader's readings do not use dr-a's study
    f2 = make_reading({"T9": (80.0, 100.0, 100.0)}, date=dt.date(2024, 7, 10), reader="dr-b")
    d = json.loads(_run(capsys, "compare", b, save_reading(f2, tmp_path / "f2.json"), "--json",
                        "--workspace", ws)[1])
    assert d["sd_source"] == "setting" and "different readers" in d["sd_note"]


def test_a_damaged_study_file_is_one_clear_line(tmp_path, capsys):
    ws = tmp_path / "ws"
    (ws / "precision").mkdir(parents=True)
    (ws / "precision" / "dr-a.json").write_text("{not json")
    b = save_reading(make_reading(), tmp_path / "b.json")
    code, _, err = _run(capsys, "grade", b, "--workspace", ws)
    assert code == 1 and "precision study" in err and "save it again" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------ grade and compare output
def test_grade_json_has_p_fracture_and_crush_assessable(tmp_path, capsys):
    r = make_reading({"T9": (80.0, 100.0, 100.0), "T11": (74.0, 100.0, 100.0)})
    for lv in ("L2", "L3", "L4"):
        r.remove_vertebra(lv)
    p = save_reading(r, tmp_path / "r.json")
    d = json.loads(_run(capsys, "grade", p, "--json")[1])
    v = {x["level"]: x for x in d["vertebrae"]}
    assert v["T9"]["p_fracture"] == 0.5                               # at the threshold
    assert v["T11"]["p_fracture"] == pytest.approx(phi(2.0), abs=1e-4)  # 26 %: 0.9772
    assert v["T11"]["crush_assessable"] is True
    # L1: six nearest T10-T12, L2-L4; L2-L4 removed and T11 (26 % wedge) no candidate: two.
    # T12: T9-T11, L1-L3; T9 (20 %) and T11 no candidates, L2, L3 removed: two
    assert v["L1"]["crush_assessable"] is False and v["L1"]["crush_reason"] == "too few reference levels"
    assert d["crush_na"] == ["T12", "L1"] and d["sd_pct"] == 3.0 and d["lsc_pct"] == 8.3
    assert v["L2"]["p_fracture"] is None
    out = _run(capsys, "grade", p)[1]
    l1 = next(line for line in out.splitlines() if line.startswith("L1 "))
    assert "0? (crush n/a)" in l1
    t9 = next(line for line in out.splitlines() if line.startswith("T9 "))
    assert " 0.50 " in t9


def test_compare_words_within_noise_and_reshaping_not_assessed(tmp_path, capsys):
    # age unknown; L1 grades 1 -> 2 by the reader with 24.9 % -> 25.1 % measured
    b = make_reading({"L1": (75.1, 100.0, 100.0)}, birth=None)
    f = make_reading({"L1": (74.9, 100.0, 100.0)}, birth=None, date=dt.date(2024, 7, 10))
    b.set_reader_grade("L1", 1)
    f.set_reader_grade("L1", 2)
    pb, pf = save_reading(b, tmp_path / "b.json"), save_reading(f, tmp_path / "f.json")
    _, out, _ = _run(capsys, "compare", pb, pf)
    assert "L1 worsened 1→2, within measurement noise (change 0.2 points, LSC 8.3)" in out
    assert "within noise: L1" in out and "reshaping: not assessed (age unknown)" in out
    d = json.loads(_run(capsys, "compare", pb, pf, "--json")[1])
    assert d["worsened"] == ["L1"] and d["within_noise"] == ["L1"]
    assert d["reshaped"] is None and d["reshaping_assessed"] is False
    assert d["changes"][9]["within_noise"] is True


# ------------------------------------------------------------------ agreement (§7)
def test_kappa_interval_not_estimable():
    # reader A calls every unit 0, reader B varies: kappa 0, standard error 0
    k = kappa([0, 0, 0, 0], [0, 1, 0, 1], [0, 1])
    assert k.value == pytest.approx(0.0) and k.se == 0.0
    assert k.ci_low is None and k.ci_high is None
    assert k.ci_reason == "standard error 0: one reader used a single category for every unit"
    assert k.to_dict()["ci_reason"] == k.ci_reason
    assert k.text() == "0.00 (CI not estimable (standard error 0: one reader used a single category for every unit))"
    assert "0.00 to 0.00" not in k.text()
    # a single unit
    one = kappa([0], [1], [0, 1])
    assert one.ci_low is None and one.ci_reason == "fewer than two units rated by both readers"
    # perfect agreement over two categories: SE 0
    perfect = kappa([0, 1, 0, 1], [0, 1, 0, 1], [0, 1])
    assert perfect.value == pytest.approx(1.0) and perfect.ci_low is None
    assert perfect.ci_reason == "standard error 0: perfect agreement"
    # an ordinary case keeps its interval
    ok = kappa([0, 1, 0, 1, 1], [0, 1, 1, 1, 0], [0, 1])
    assert ok.ci_low is not None and ok.ci_reason is None


# ------------------------------------------------------------------ layers
def test_the_method_layer_does_not_import_higher_layers_when_it_runs():
    code = ("import sys, vfa.method.precision, vfa.method.comparison, vfa.method.noise; "
            "bad = [m for m in sys.modules if m.startswith(('vfa.reading', 'vfa.storage', "
            "'vfa.outputs', 'vfa.study', 'vfa.films.radiograph'))]; print(bad); sys.exit(bool(bad))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ------------------------------------------------------------------ the simulation (§4)
def test_unchanged_spines_read_twice_false_incidents():
    """Unchanged children read twice with 2, 3 and 4.5 % error on every height, compared on
    unconfirmed grades (vfa/synthetic/noise_sim.py; the docs give N = 2,000 per level)."""
    from vfa.synthetic.noise_sim import simulate
    low, mid, high = simulate(0.02, 100), simulate(0.03, 120), simulate(0.045, 120)
    assert low.share("default") == 0.0
    assert mid.share("default") < 0.01 and mid.share("study") < 0.01
    # at 4.5 %: the LSC 8.3 gives fewer than a 5-point rule, the reader's study fewer still
    assert high.share("study") < high.share("default") < high.share("lsc_5")
    assert 2.5 < high.study.sd_pct < 5.5       # the study measures the noise it was given
    # what the probabilities show for the false incidents that remain: p_change is high (they
    # passed the LSC) but the follow-up level sits near the threshold (p_fracture well below
    # the p_change); the ones turned uncertain carry a visibly lower p_change
    assert min(high.p_change) > 0.97
    assert sorted(high.p_fracture)[len(high.p_fracture) // 2] < 0.9
    assert max(high.p_uncertain) < 0.975

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from depthlm.evaluation.answerers import ConstantAnswerer, DenseMapAnswerer, MedianAnswerer
from depthlm.evaluation.runner import EvalSettings, evaluate, predictions_path
from depthlm.prompting.query import QuerySpec
from tests.conftest import make_dataset


class EchoVLM:
    """A fake VLM: answers the label it can infer from nothing but counts what it was asked."""

    name = "echo"
    uses_images = True

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls = 0
        self.asked = []
        self.fail_after = fail_after

    def answer(self, items):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt
        self.calls += 1
        for it in items:
            assert it.input is not None and list(it.input.image.size) == it.input.cameras[0][4:]
            self.asked.append((it.dataset, it.probe.key))
        return [f"<answer> {it.label:.2f} </answer>" for it in items]


def read_rows(output):
    lines = predictions_path(output).read_text().splitlines()
    return [json.loads(line) for line in lines[1:]]


def test_constant_baseline_on_ibims_matches_paper(ibims_jsonl, tmp_path):
    res = evaluate(ConstantAnswerer(2.0), [ibims_jsonl], tmp_path / "r.json", progress=False)
    d = res["datasets"]["ibims1_val"]
    assert d["n"] == 10000 and d["unparsed"] == 0 and d["skipped"] == 0
    assert round(d["delta1"], 3) == 0.282
    res = evaluate(MedianAnswerer(), [ibims_jsonl], tmp_path / "m.json", progress=False)
    assert res["datasets"]["ibims1_val"]["delta1"] > 0.282


def test_results_json_layout(tmp_path):
    a = make_dataset(tmp_path / "a", name="alpha")
    b = make_dataset(tmp_path / "b", name="beta", seed=1)
    out = tmp_path / "res.json"
    res = evaluate(ConstantAnswerer(3.0), [a, b], out, progress=False)
    on_disk = json.loads(out.read_text())
    assert on_disk == res
    assert set(res["datasets"]) == {"alpha", "beta"}
    for key in ("delta1", "abs_rel", "n", "unparsed"):
        assert key in res["datasets"]["alpha"] and key in res["average"]
    assert res["average"]["n"] == 30
    mean = (res["datasets"]["alpha"]["delta1"] + res["datasets"]["beta"]["delta1"]) / 2
    assert res["average"]["delta1"] == pytest.approx(mean)


def test_vlm_path_perfect_answers_and_resume(toy_jsonl, tmp_path):
    out = tmp_path / "r.json"
    spec = QuerySpec(focal=120.0)
    first = EchoVLM(fail_after=2)
    with pytest.raises(KeyboardInterrupt):
        evaluate(
            first, [toy_jsonl], out, spec=spec, settings=EvalSettings(batch_size=4), progress=False
        )
    done = read_rows(out)
    assert len(done) == 8  # two batches landed before the "kill"
    second = EchoVLM()
    res = evaluate(
        second, [toy_jsonl], out, spec=spec, settings=EvalSettings(batch_size=4), progress=False
    )
    assert not set(first.asked) & set(second.asked)
    assert len(first.asked[:8]) + len(second.asked) == 15
    rows = read_rows(out)
    assert len({(r["dataset"], r["probe"]) for r in rows}) == len(rows) == 15
    assert res["datasets"]["toy"]["delta1"] == 1.0
    # a third run asks nothing
    third = EchoVLM()
    evaluate(third, [toy_jsonl], out, spec=spec, progress=False)
    assert third.calls == 0


def test_torn_last_line_is_dropped_and_reasked(toy_jsonl, tmp_path):
    out = tmp_path / "r.json"
    evaluate(EchoVLM(), [toy_jsonl], out, spec=QuerySpec(focal=120.0), progress=False)
    path = predictions_path(out)
    text = path.read_text()
    path.write_text(text[: len(text) - 15])  # a kill in the middle of the last write
    again = EchoVLM()
    evaluate(again, [toy_jsonl], out, spec=QuerySpec(focal=120.0), progress=False)
    assert len(again.asked) == 1 and len(read_rows(out)) == 15


def test_other_run_settings_refuse_to_mix(toy_jsonl, tmp_path):
    out = tmp_path / "r.json"
    evaluate(EchoVLM(), [toy_jsonl], out, spec=QuerySpec(focal=120.0), progress=False)
    with pytest.raises(ValueError, match="different run"):
        evaluate(EchoVLM(), [toy_jsonl], out, spec=QuerySpec(focal=90.0), progress=False)


def test_border_points_are_recorded_as_skips(tmp_path):
    path = make_dataset(tmp_path)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    lines[0]["pixel_coords"][0] = [1, 1]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    res = evaluate(
        EchoVLM(), [path], tmp_path / "r.json", spec=QuerySpec(focal=60.0), progress=False
    )
    d = res["datasets"]["toy"]
    assert d["skipped"] == 1 and d["n"] == 14
    (skip,) = [r for r in read_rows(tmp_path / "r.json") if "skipped" in r]
    assert skip["pixel"] == [1, 1] and skip["skipped"] == "marker_out_of_image"


def test_unparsable_answers_count_as_failures(toy_jsonl, tmp_path):
    class Mumbler(EchoVLM):
        def answer(self, items):
            return ["I cannot tell."] * len(items)

    res = evaluate(
        Mumbler(), [toy_jsonl], tmp_path / "r.json", spec=QuerySpec(focal=120.0), progress=False
    )
    assert res["datasets"]["toy"]["unparsed"] == 15 and res["datasets"]["toy"]["delta1"] == 0.0


def test_dense_predictions_npy_and_png(toy_jsonl, tmp_path):
    lines = [json.loads(x) for x in toy_jsonl.read_text().splitlines()]
    for kind in ("npy", "png"):
        folder = tmp_path / f"pred_{kind}"
        folder.mkdir()
        for rec in lines:
            depth = np.full((24, 32), 1.0)  # half resolution on purpose
            for (x, y), d in zip(rec["pixel_coords"], rec["depth"], strict=True):
                depth[y // 2, x // 2] = d
            stem = Path(rec["image"]).stem
            if kind == "npy":
                np.save(folder / f"{stem}.npy", depth)
            else:
                Image.fromarray((depth * 1000).astype(np.uint16)).save(folder / f"{stem}.png")
        answerer = DenseMapAnswerer(folder, map_type="euclidean")
        res = evaluate(answerer, [toy_jsonl], tmp_path / f"{kind}.json", progress=False)
        d = res["datasets"]["toy"]
        assert d["delta1"] >= 14 / 15  # two labels may share a half-resolution cell
        assert d["abs_rel"] < 0.05


def test_dense_missing_map_names_the_image(toy_jsonl, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="toy_0"):
        evaluate(
            DenseMapAnswerer(tmp_path / "empty"), [toy_jsonl], tmp_path / "r.json", progress=False
        )


SLOW_RUN = """
import sys, time
from depthlm.evaluation.runner import evaluate, EvalSettings
from depthlm.prompting.query import QuerySpec

class Slow:
    name = "slow"
    uses_images = True
    def answer(self, items):
        time.sleep(0.15)
        return [f"{it.label:.2f}" for it in items]

evaluate(Slow(), [sys.argv[1]], sys.argv[2], spec=QuerySpec(focal=120.0),
         settings=EvalSettings(batch_size=1), progress=False)
"""


@pytest.mark.slow
def test_sigkill_then_restart_loses_and_duplicates_nothing(tmp_path):
    data = make_dataset(tmp_path, n_images=4)
    out = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_RUN, str(data), str(out)])
    pred = predictions_path(out)
    deadline = time.time() + 60
    while time.time() < deadline:
        if pred.exists() and len(pred.read_text().splitlines()) >= 6:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = read_rows(out)
    assert 5 <= len(kept) < 20
    subprocess.run([sys.executable, "-c", SLOW_RUN, str(data), str(out)], check=True)
    rows = read_rows(out)
    keys = [r["probe"] for r in rows]
    assert len(keys) == len(set(keys)) == 20
    assert rows[: len(kept)] == kept
    assert json.loads(out.read_text())["datasets"]["toy"]["delta1"] == 1.0


def test_image_size_mismatch_names_the_file(toy_jsonl, tmp_path):
    Image.new("RGB", (10, 10)).save(toy_jsonl.parent / "rgb" / "toy_1.png")
    with pytest.raises(ValueError, match=r"toy_1.png: image is 10x10 but the record's intrinsics"):
        evaluate(
            EchoVLM(), [toy_jsonl], tmp_path / "r.json", spec=QuerySpec(focal=120.0), progress=False
        )


def test_a_windowed_contract_resumes(tmp_path):
    """A header holding a tuple (a contract's window) reads back as a list: reopening the file
    must still match it, or no run of a windowed model could resume."""
    from depthlm.evaluation.cache import PredictionCache

    header = {"spec": {"focal": 160.0, "window": (154, 126)}}
    PredictionCache(tmp_path / "p.jsonl", header).append([{"dataset": "d", "probe": "0:1"}])
    again = PredictionCache(tmp_path / "p.jsonl", header)
    assert ("d", "0:1") in again

"""The benchmark suite runs end to end (smoke mode) and writes valid JSON and Markdown; its coders are sane."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from arstudio.data import DataSpec
from benchmarks.cases import plan
from benchmarks.compressors import bits_per_dim
from benchmarks.core import MODES

ROOT = Path(__file__).resolve().parent.parent
SETTLED = {"ok", "skipped", "not measured"}


def test_smoke_mode_runs_every_group_and_writes_json_and_markdown(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--device", "cpu", "--jobs", "2",
                             "--out", str(tmp_path)],
                            cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    [json_path] = [p for p in tmp_path.glob("smoke-*.json")]
    results = json.loads(json_path.read_text())
    assert results["mode"] == "smoke" and results["jobs"] == 2
    assert {"cpu", "logical_cores", "torch", "device"} <= set(results["machine"])
    assert results["machine"]["device"] == "cpu"
    cases = {case["name"]: case for case in results["cases"]}
    groups = {"generation", "training", "mnist", "quality", "gui", "inside", "baseline"}
    assert {case["group"] for case in cases.values()} == groups
    assert {case["status"] for case in cases.values()} <= SETTLED, {n: c.get("reason") for n, c in cases.items()}
    assert cases["gui/timer-gap"]["metrics"]["ticks"] > 10, "the GUI case drives the real window"
    for case in cases.values():
        if case["status"] == "ok":
            assert case["memory"]["peak_mib"] is not None and case["memory"]["peak_mib"] >= 0
            assert case["measures"], case["name"]
    for name in ("generation/transformer", "generation/wavenet", "generation/pixelcnn"):
        assert all(m["met"] for m in cases[name]["measures"] if m["label"].startswith("identical")), name
    baseline = cases["baseline/transformer-vs-plain-gpt"]
    assert baseline["status"] == "ok", baseline.get("reason")
    assert baseline["metrics"]["training_tokens_per_s"]["plain"] > 0
    quality = cases["quality/binary-digits"]["metrics"]
    assert quality["model_bpd"] > 0 and set(quality["coders_bpd"]) == {"xz", "bzip2", "gzip", "png"}
    markdown = (tmp_path / "latest-smoke.md").read_text()
    assert markdown.startswith("# ARStudio benchmarks: smoke mode")
    epoch = cases["mnist/made-epoch"]["metrics"]
    assert epoch["steps_per_epoch"] == 50000 // 64 + 1 and epoch["batch"] == 64 and epoch["epoch_seconds"] > 0
    for heading in ("## Generation", "## Training throughput", "## 28x28 on binarized MNIST", "## Quality", "## GUI"):
        assert heading in markdown
    assert json.loads((tmp_path / "latest-smoke.json").read_text()) == results


def test_every_mode_plans_the_same_cases_apart_from_quality_runs() -> None:
    names = {mode: [case.name for case in plan(mode)] for mode in MODES}
    assert [n for n in names["quick"] if not n.startswith("quality/")] == [
        n for n in names["full"] if not n.startswith("quality/")]
    assert [n for n in names["quick"] if n.startswith("quality/")] == [
        n for n in names["full"] if n.startswith("quality/")]
    quality = [n for n in names["full"] if n.startswith("quality/")]
    assert len(quality) == 9 and "quality/binary-digits/made" in quality
    families = {case.options["family"] for case in plan("full") if case.group == "quality"}
    assert families == {"nade", "made", "pixelcnn", "wavenet", "transformer"}
    assert all(case.skip_reason is None and case.run is not None for case in plan("full"))


def test_coders_find_structure_and_count_bits_per_dimension() -> None:
    spec = DataSpec("image", (1, 8, 8), 256)
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, size=(50, 1, 8, 8))
    flat = np.zeros((50, 1, 8, 8), dtype=np.int64)
    noisy, constant = bits_per_dim(noise, spec), bits_per_dim(flat, spec)
    assert set(noisy) == {"xz", "bzip2", "gzip", "png"}
    assert all(value > 7.5 for value in noisy.values())
    assert all(value < 0.5 for value in constant.values())
    binary = bits_per_dim(rng.integers(0, 2, size=(1000, 64)), DataSpec("binary", (64,), 2))
    assert set(binary) == {"xz", "bzip2", "gzip"}
    assert all(0.95 < value < 1.15 for value in binary.values())


def test_jobs_must_be_at_least_one() -> None:
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--jobs", "0"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--jobs must be at least 1" in result.stderr


def test_a_partial_run_does_not_replace_the_latest_results(tmp_path: Path) -> None:
    latest = tmp_path / "latest-smoke.md"
    latest.write_text("the last whole run")
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--device", "cpu", "--only",
                             "quality/binary-digits", "--out", str(tmp_path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    [json_path] = tmp_path.glob("smoke-*.json")
    assert json.loads(json_path.read_text())["only"] == ["quality/binary-digits"]
    assert latest.read_text() == "the last whole run"

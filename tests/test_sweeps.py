"""Sweeps without a window: orderings, scaling plans, the power-law fit, results, and a real sweep through the CLI."""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from arstudio.data import DataSpec, dataset_spec
from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.models.orderings import make_ordering
from arstudio.training.config import TrainConfig
from arstudio.training.run_store import RunStore
from arstudio.training.sweeps import (
    ORDERINGS,
    PlannedRun,
    SweepPlan,
    column_major,
    fit_power_law,
    flops,
    frontier,
    plan_ordering_lab,
    plan_scaling,
    queue_sweep,
    scaling_fit,
    snake,
    summarize,
    sweep_rows,
    write_sweep_csv,
)

SPECS = [DataSpec("binary", (1, 2, 3), 2), DataSpec("image", (3, 2, 2), 16), DataSpec("image", (1, 8, 8), 17),
         DataSpec("image", (3, 5, 4), 256)]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: "x".join(map(str, s.shape)))
def test_column_and_snake_are_permutations_that_make_ordering_accepts(spec: DataSpec) -> None:
    for order in (column_major(spec), snake(spec)):
        assert sorted(order) == list(range(spec.dims))
        assert make_ordering(spec, order).tolist() == order


def test_column_major_and_snake_walk_a_small_image_as_drawn() -> None:
    spec = SPECS[0]
    assert column_major(spec) == [0, 3, 1, 4, 2, 5]
    assert snake(spec) == [0, 1, 2, 5, 4, 3]


def test_colour_pixels_keep_their_channels_together_red_first() -> None:
    spec = SPECS[1]
    assert column_major(spec) == [0, 4, 8, 2, 6, 10, 1, 5, 9, 3, 7, 11]
    assert snake(spec) == [0, 4, 8, 1, 5, 9, 3, 7, 11, 2, 6, 10]


def test_sequences_have_no_column_or_snake_ordering() -> None:
    with pytest.raises(UserError, match="raster or random"):
        column_major(DataSpec("text", (16,), 256))


def test_ordering_lab_builds_every_ordering_with_its_seeds() -> None:
    plan = plan_ordering_lab("made", "binary-digits", ORDERINGS, seeds=2, steps=40, hparams={"hidden": 16})
    spec = dataset_spec("binary-digits")
    assert [run.label for run in plan.runs][:3] == ["raster, seed 0", "raster, seed 1", "random, seed 0"]
    assert len(plan.runs) == 10 and plan.settings["dims"] == 64
    orders = {}
    for run in plan.runs:
        model = build_model("made", spec, **run.config.hparams)
        orders[run.label] = model.order.tolist()
        assert run.config.steps == 40 and run.config.seed == int(run.label[-1])
    assert orders["raster, seed 0"] == list(range(64))
    assert orders["column, seed 1"] == column_major(spec)
    assert orders["snake, seed 0"] == snake(spec)
    assert orders["random, seed 0"] != orders["random, seed 1"]
    agnostic = next(run for run in plan.runs if run.group == "agnostic").config.hparams
    assert agnostic["order_agnostic"] is True and agnostic["num_masks"] > 1


def test_ordering_lab_refuses_what_it_cannot_train() -> None:
    with pytest.raises(UserError, match="MADE"):
        plan_ordering_lab("nade", "binary-digits", ["raster", "agnostic"], 1, 10)
    with pytest.raises(UserError, match="raster by construction"):
        plan_ordering_lab("pixelcnn", "binary-digits", ["raster"], 1, 10)
    with pytest.raises(UserError, match="Unknown ordering 'diagonal'"):
        plan_ordering_lab("made", "binary-digits", ["diagonal"], 1, 10)
    with pytest.raises(UserError, match="sets ordering itself"):
        plan_ordering_lab("made", "binary-digits", ["raster"], 1, 10, {"ordering": "random"})


def test_nade_random_orderings_follow_the_seed() -> None:
    plan = plan_ordering_lab("nade", "binary-digits", ["random"], seeds=2, steps=10, hparams={"hidden": 8})
    spec = dataset_spec("binary-digits")
    first, second = (build_model("nade", spec, **run.config.hparams).order for run in plan.runs)
    assert not torch.equal(first, second)


def test_scaling_steps_follow_the_compute_budget() -> None:
    budget = 2e10
    plan = plan_scaling("transformer", "binary-digits", [16, 32, 64], budget=budget, hparams={"layers": 1})
    spec = dataset_spec("binary-digits")
    steps = [run.config.steps for run in plan.runs]
    assert steps == sorted(steps, reverse=True) and steps[-1] >= 10
    for run in plan.runs:
        model = build_model("transformer", spec, **run.config.hparams)
        assert run.params == sum(p.numel() for p in model.parameters())
        assert run.tokens_per_step == TrainConfig().examples_per_batch(64) * 64
        spent = flops(run.params, run.tokens_per_step * run.config.steps)
        assert abs(spent - budget) <= flops(run.params, run.tokens_per_step) / 2 + 1
        assert run.config.hparams["d_model"] % run.config.hparams["heads"] == 0


def test_scaling_with_equal_steps_and_its_mistakes() -> None:
    plan = plan_scaling("pixelcnn", "binary-digits", [16, 8], steps=25, hparams={})
    assert [run.label for run in plan.runs] == ["channels 8", "channels 16"]
    assert [run.config.steps for run in plan.runs] == [25, 25] and plan.runs[0].params < plan.runs[1].params
    with pytest.raises(UserError, match="at least two"):
        plan_scaling("transformer", "binary-digits", [32], steps=10)
    with pytest.raises(UserError, match="raise the budget to at least"):
        plan_scaling("transformer", "binary-digits", [16, 32], budget=1e6)
    with pytest.raises(UserError, match="not both"):
        plan_scaling("transformer", "binary-digits", [16, 32], budget=1e12, steps=10)
    with pytest.raises(UserError, match="widens"):
        plan_scaling("made", "binary-digits", [16, 32], steps=10)


@pytest.mark.parametrize("count", [3, 4, 5, 6])
def test_power_law_fit_recovers_known_parameters(count: int) -> None:
    x = np.geomspace(1e3, 1e6, count)
    law = fit_power_law(x, 5.0 * x**-0.3 + 0.5)
    assert law.a == pytest.approx(5.0, rel=1e-4) and law.alpha == pytest.approx(0.3, rel=1e-4)
    assert law.c == pytest.approx(0.5, rel=1e-4) and law.rms < 1e-6
    noisy = fit_power_law(x, (5.0 * x**-0.3 + 0.5) * np.exp(np.random.default_rng(count).normal(0, 0.005, count)))
    assert noisy.alpha == pytest.approx(0.3, abs=0.08) and noisy.rms < 0.01


def test_power_law_without_floor_and_with_too_few_points() -> None:
    x = np.geomspace(10, 1e4, 4)
    law = fit_power_law(x, 2.0 * x**-0.5)
    assert law.alpha == pytest.approx(0.5, rel=1e-3) and law.c == pytest.approx(0.0, abs=1e-3)
    two = fit_power_law([10, 1000], [1.0, 0.5])
    assert two.c == 0 and two.alpha == pytest.approx(math.log(2) / math.log(100))
    assert "N^−" in two.describe()
    with pytest.raises(UserError, match="at least two"):
        fit_power_law([10], [1.0])


def test_frontier_keeps_the_lower_envelope() -> None:
    assert frontier([1, 2, 3, 4, 5], [5, 6, 4, 4.5, 3]).tolist() == [0, 2, 4]


def test_results_group_seeds_fit_sizes_and_write_csv(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    config = TrainConfig(family="made", dataset="binary-digits", steps=10)
    plan = SweepPlan("ordering", "lab", tuple(PlannedRun(f"{g}, seed {s}", g, config) for g in ("a", "b")
                                              for s in (0, 1)), {"dims": 64})
    sweep_id = queue_sweep(store, plan)
    records = store.sweep_runs(sweep_id)
    assert [r.name for r in records] == [f"sweep {sweep_id}: a, seed 0", f"sweep {sweep_id}: a, seed 1",
                                         f"sweep {sweep_id}: b, seed 0", f"sweep {sweep_id}: b, seed 1"]
    for record, nll in zip(records[:3], (40.0, 42.0, 30.0), strict=True):
        store.update_run(record.id, steps=10, test_nll=nll)
        store.set_status(record.id, "finished")
    summaries = summarize(sweep_rows(store, sweep_id))
    assert [(s.group, s.finished, s.mean_nll) for s in summaries] == [("a", 2, 41.0), ("b", 1, 30.0)]
    assert summaries[0].spread_nll == pytest.approx(math.sqrt(2)) and summaries[1].spread_nll == 0
    assert summaries[0].mean_bpd == pytest.approx(41.0 / (64 * math.log(2)))
    path = write_sweep_csv(store.get_sweep(sweep_id), sweep_rows(store, sweep_id), tmp_path / "lab.csv")
    lines = list(csv.DictReader(path.open()))
    assert [line["status"] for line in lines] == ["finished", "finished", "finished", "queued"]
    assert float(lines[2]["test_nll"]) == 30.0 and lines[3]["test_nll"] == ""

    sizes = SweepPlan("scaling", "sizes", tuple(PlannedRun(f"w {n}", f"w {n}", config, n, 100)
                                                for n in (1000, 10_000, 100_000)), {"dims": 1})
    scaling_id = queue_sweep(store, sizes)
    for record, n in zip(store.sweep_runs(scaling_id), (1000, 10_000, 100_000), strict=True):
        store.update_run(record.id, steps=10, test_nll=(3.0 * n**-0.2 + 0.1) * math.log(2))
        store.set_status(record.id, "finished")
    rows = sweep_rows(store, scaling_id)
    assert rows[0].compute == flops(1000, 100 * 10)
    law = scaling_fit(rows)
    assert law is not None and law.alpha == pytest.approx(0.2, rel=1e-3) and law.c == pytest.approx(0.1, rel=1e-2)
    store.close()


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ARSTUDIO_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "arstudio", "sweep", *args], capture_output=True, text=True,
                          env=env, timeout=240)


def test_a_sweep_of_three_tiny_runs_through_the_command_line(tmp_path: Path) -> None:
    runs = str(tmp_path / "runs")
    done = _cli("ordering", "--family", "made", "--orderings", "raster,column,snake", "--seeds", "1",
                "--steps", "30", "--hparam", "hidden=16", "--runs-dir", runs, "--csv", str(tmp_path / "lab.csv"),
                home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "sweep 1: queued 3 runs" in done.stdout
    for label in ("raster, seed 0", "column, seed 0", "snake, seed 0"):
        line = next(row for row in done.stdout.splitlines() if label in row)
        assert "finished" in line and "30/30" in line
    lines = list(csv.DictReader((tmp_path / "lab.csv").open()))
    assert [line["group"] for line in lines] == ["raster", "column", "snake"]
    assert all(float(line["test_nll"]) > 0 and float(line["test_bpd"]) < 1.0 for line in lines)

    shown = _cli("show", "1", "--runs-dir", runs, home=tmp_path)
    assert shown.returncode == 0 and "test NLL (mean ± std)" in shown.stdout and "snake" in shown.stdout
    listed = _cli("list", "--runs-dir", runs, home=tmp_path)
    assert "Ordering lab" in listed.stdout and "3/3" in listed.stdout
    store = RunStore(runs)
    assert {r.status for r in store.sweep_runs(1)} == {"finished"}
    store.close()


def test_the_command_line_says_what_to_do_about_bad_input(tmp_path: Path) -> None:
    runs = str(tmp_path / "runs")
    bad = _cli("ordering", "--orderings", "raster,diagonal", "--runs-dir", runs, home=tmp_path)
    assert bad.returncode == 2 and "Unknown ordering 'diagonal'" in bad.stderr and "Traceback" not in bad.stderr
    sizes = _cli("scaling", "--sizes", "16,big", "--runs-dir", runs, home=tmp_path)
    assert sizes.returncode == 2 and "whole numbers separated by commas" in sizes.stderr
    missing = _cli("show", "7", "--runs-dir", runs, home=tmp_path)
    assert missing.returncode == 2 and "arstudio sweep list" in missing.stderr

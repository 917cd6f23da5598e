"""The training engine on real built-in data: events, checkpoints, resume, pause, stop, divergence."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from arstudio.errors import UserError
from arstudio.training.checkpoint import load_checkpoint
from arstudio.training.config import TrainConfig
from arstudio.training.events import EvalEvent, StatusEvent, StepEvent
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import Trainer

TINY_RUNS = {
    "nade": ("binary-digits", {"hidden": 32}, {}),
    "made": ("binary-digits", {"hidden": 64}, {}),
    "pixelcnn": ("binary-digits", {"channels": 8, "kernel": 3, "layers": 3}, {}),
    "wavenet": ("tones", {"residual_channels": 8, "dilation_channels": 8, "skip_channels": 16,
                          "layers_per_cycle": 5, "cycles": 1}, {"clip_seconds": 0.05}),
    "transformer": ("pydocs", {"d_model": 32, "layers": 1, "heads": 2}, {"context": 32}),
}


@pytest.fixture()
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunStore:
    monkeypatch.setenv("ARSTUDIO_HOME", str(tmp_path / "home"))
    return RunStore(tmp_path / "runs")


def tiny_config(base: str, **overrides) -> TrainConfig:
    """A 40-step eager CPU run of family `base` on its tiny data set (test_compilation covers torch.compile)."""
    dataset, hparams, options = TINY_RUNS[base]
    settings = dict(family=base, dataset=dataset, hparams=hparams, dataset_options=options, steps=40,
                    batch_size=16, device="cpu", eval_every=20, eval_examples=64, checkpoint_every=20, compile="off")
    return TrainConfig(**{**settings, **overrides})


@pytest.mark.parametrize("family", sorted(TINY_RUNS))
def test_each_family_learns_its_built_in_data(family: str, registry: RunStore) -> None:
    events = []
    summary = Trainer(tiny_config(family), registry, callback=events.append).run()
    steps = [e for e in events if isinstance(e, StepEvent)]
    evals = [e for e in events if isinstance(e, EvalEvent)]
    assert [e.step for e in steps] == list(range(1, 41))
    assert {e.split for e in evals} == {"validation", "test"}
    first, last = sum(e.nll for e in steps[:5]) / 5, sum(e.nll for e in steps[-5:]) / 5
    assert last < first, f"{family}: training NLL did not fall ({first:.2f} -> {last:.2f})"
    assert steps[-1].lr < steps[5].lr, "the cosine schedule decays"
    record = registry.get(summary.run_id)
    assert record.status == "finished" and record.steps == 40
    assert record.test_nll == pytest.approx(summary.test_nll)
    assert len(registry.metrics(summary.run_id, "train")) == 40
    assert load_checkpoint(record.checkpoint, family=family).meta["step"] == 40


def test_resume_continues_exactly(registry: RunStore) -> None:
    config = tiny_config("made", steps=20, eval_every=5, hparams={"hidden": 32, "num_masks": 3})
    straight = Trainer(config, registry).run()

    halves: Trainer

    def stop_at_ten(event) -> None:
        if isinstance(event, StepEvent) and event.step == 10:
            halves.stop()

    halves = Trainer(config, registry, callback=stop_at_ten)
    first = halves.run()
    assert first.status == "stopped" and first.steps == 10
    assert registry.get(first.run_id).status == "stopped"
    second = Trainer(config, registry, resume_run=first.run_id).run()
    assert second.status == "finished" and second.steps == 20
    a = load_checkpoint(registry.get(straight.run_id).checkpoint).model.state_dict()
    b = load_checkpoint(registry.get(first.run_id).checkpoint).model.state_dict()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_stop_from_another_thread_takes_effect_within_a_step(registry: RunStore) -> None:
    steps_after_stop = []
    stopped = threading.Event()
    trainer: Trainer

    def watch(event) -> None:
        if isinstance(event, StepEvent):
            if stopped.is_set():
                steps_after_stop.append(event.step)
            elif event.step == 5:
                threading.Thread(target=lambda: (trainer.stop(), stopped.set())).start()
                stopped.wait(5)

    trainer = Trainer(tiny_config("made", steps=100_000), registry, callback=watch)
    summary = trainer.run()
    assert summary.status == "stopped"
    assert len(steps_after_stop) <= 1
    assert load_checkpoint(summary.checkpoint).meta["step"] == summary.steps


def test_pause_and_resume_from_another_thread(registry: RunStore) -> None:
    statuses = []
    trainer: Trainer

    def watch(event) -> None:
        if isinstance(event, StatusEvent):
            statuses.append(event.status)
            if event.status == "paused":
                assert registry.get(trainer.run_id).status == "paused"
                threading.Timer(0.1, trainer.resume).start()
        elif isinstance(event, StepEvent) and event.step == 3:
            trainer.pause()

    trainer = Trainer(tiny_config("nade", steps=6), registry, callback=watch)
    summary = trainer.run()
    assert summary.status == "finished" and summary.steps == 6
    assert statuses == ["running", "paused", "running", "finished"]


def test_divergence_is_a_user_error_and_the_next_run_still_trains(registry: RunStore) -> None:
    config = tiny_config("made", lr=1e12, grad_clip=0.0, steps=200)
    with pytest.raises(UserError, match="diverged.*learning rate"):
        Trainer(config, registry).run()
    failed = registry.runs()[0]
    assert failed.status == "failed" and "diverged" in failed.error
    assert Trainer(tiny_config("made", steps=5), registry).run().status == "finished"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"family": "wavenet"}, "cannot model"), ({"dataset": "nope"}, "nope"), ({"device": "cuda:7"}, "not available"),
     ({"hparams": {"hidden": -1}}, "between")],
)
def test_bad_configurations_are_user_errors(overrides: dict, message: str, registry: RunStore) -> None:
    with pytest.raises(UserError, match=message):
        Trainer(tiny_config("made", **overrides), registry).run()


@pytest.mark.parametrize(("field", "value"), [("steps", 0), ("batch_size", -3), ("lr", -1.0), ("seed", -1)])
def test_config_validation(field: str, value) -> None:
    with pytest.raises(UserError):
        tiny_config("made", **{field: value})


def test_with_published_results_the_test_nll_scores_every_test_example(registry: RunStore) -> None:
    """Papers report binarized MNIST's NLL over all 10000 test images, so a run of it does too (eval_examples
    caps only validation), and with a conditional model's labels."""
    from arstudio.data import load_dataset
    from arstudio.training.evaluate import mean_nll

    config = TrainConfig(family="made", dataset="binarized-mnist", hparams={"hidden": 32, "layers": 1}, steps=2,
                         batch_size=8, device="cpu", eval_every=2, eval_examples=16, checkpoint_every=2)
    summary = Trainer(config, registry).run()
    model = load_checkpoint(summary.checkpoint).model
    test = load_dataset("binarized-mnist", "test")
    assert len(test) == 10000
    assert summary.test_nll == pytest.approx(mean_nll(model, test.data), rel=1e-5)
    assert summary.test_nll != pytest.approx(mean_nll(model, test.data[:16]), rel=1e-5)

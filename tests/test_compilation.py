"""torch.compile in training: the auto policy, the same losses as eager, and the fallback when compiling fails."""

from __future__ import annotations

import pytest
import torch

from arstudio.data import load_dataset
from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.training.compilation import FASTER_COMPILED, FallbackToEager, compile_decision, cpp_compiler
from arstudio.training.config import TrainConfig
from arstudio.training.events import NoticeEvent, StepEvent
from arstudio.training.trainer import LogProb, Trainer

CPU = torch.device("cpu")
needs_compiler = pytest.mark.skipif(cpp_compiler() is None, reason="torch.compile on the CPU needs a C++ compiler")


def test_off_never_compiles_and_auto_only_where_measured_faster() -> None:
    assert compile_decision("off", "nade", CPU) == (False, "torch.compile is off")
    slower, why = compile_decision("auto", "transformer", CPU)
    assert not slower and "not measured to be faster" in why
    assert "nade" in FASTER_COMPILED["cpu"]
    assert compile_decision("auto", "nade", CPU)[0] == (cpp_compiler() is not None)


def test_several_processes_and_a_missing_compiler_keep_training_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    assert compile_decision("on", "nade", CPU, world_size=2) == (
        False, "torch.compile was asked for, but it is not used with several processes; training eagerly")
    monkeypatch.setenv("CXX", "no-such-compiler-here")
    use, why = compile_decision("auto", "nade", CPU)
    assert not use and "no C++ compiler was found" in why


def test_a_bad_choice_is_a_user_error() -> None:
    with pytest.raises(UserError, match="compile must be one of auto, on, off"):
        TrainConfig(compile="yes")


def _losses(compile_choice: str) -> tuple[list[float], Trainer]:
    losses: list[float] = []
    events: list[NoticeEvent] = []

    def record(event: object) -> None:
        if isinstance(event, NoticeEvent):
            events.append(event)
        elif isinstance(event, StepEvent):
            losses.append(event.nll)

    config = TrainConfig(family="nade", dataset="binary-digits", steps=4, eval_every=4, eval_examples=16,
                         hparams={"hidden": 32}, compile=compile_choice)
    trainer = Trainer(config, callback=record)
    trainer.run()
    trainer.events = events
    return losses, trainer


@needs_compiler
def test_compiled_training_follows_the_eager_losses() -> None:
    eager, plain = _losses("off")
    compiled, trainer = _losses("auto")
    assert not plain.compiled and trainer.compiled
    assert any("torch.compile is on" in event.message for event in trainer.events)
    assert compiled == pytest.approx(eager, rel=1e-4)


@needs_compiler
def test_a_failing_compilation_falls_back_to_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch._inductor.config as inductor

    monkeypatch.setattr(inductor.cpp, "cxx", (None, "/no/such/g++"))
    data = load_dataset("binary-digits", "train").data[:8]
    log_prob = LogProb(build_model("nade", load_dataset("binary-digits", "train").spec, hidden=16))
    reports: list[str] = []
    step = FallbackToEager(log_prob, reports.append)
    assert torch.equal(step(data), log_prob(data))
    assert len(reports) == 1 and reports[0].startswith("torch.compile failed") and "training eagerly" in reports[0]
    step(data)
    assert len(reports) == 1


def test_a_run_that_would_compile_says_why_it_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXX", "no-such-compiler-here")
    _, trainer = _losses("auto")
    assert not trainer.compiled
    assert [event.message for event in trainer.events] == [
        "torch.compile would help, but no C++ compiler was found (install g++, or set CXX)"]

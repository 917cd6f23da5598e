"""Checkpoints: exact round trips, atomic writes, clear errors, and never a pickle."""

from __future__ import annotations

import json
import pathlib
import pickle
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models import FAMILIES, ARModel, FamilyInfo, build_model
from arstudio.training.checkpoint import (
    FORMAT_VERSION,
    CheckpointSlots,
    checkpoint_paths,
    load_checkpoint,
    read_header,
    save_checkpoint,
)
from arstudio.training.checkpoint import files as checkpoint_files
from tests.model_specs import SMALL


def small_model(family: str) -> ARModel:
    spec, hparams = SMALL[family]
    return build_model(family, spec, **hparams)


def batch(model: ARModel, n: int = 8, seed: int = 1) -> Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, model.spec.levels, (n, *model.spec.shape), generator=gen)


def train_steps(model: ARModel, optimizer: torch.optim.Optimizer, steps: int, seed: int) -> None:
    for i in range(steps):
        optimizer.zero_grad()
        (-model.log_prob(batch(model, seed=seed + i)).mean()).backward()
        optimizer.step()


def assert_same_state(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], Tensor):
            assert a[key].dtype == b[key].dtype and torch.equal(a[key], b[key]), key
        elif isinstance(a[key], dict):
            assert_same_state(a[key], b[key])
        else:
            assert a[key] == b[key] and type(a[key]) is type(b[key]), key


@pytest.mark.parametrize("family", sorted(SMALL))
def test_every_family_round_trips_exactly(tmp_path: Path, family: str) -> None:
    model = small_model(family)
    x = batch(model)
    meta = {"dataset": "toy", "step": 7, "rng": [1, 2, 3]}
    path = save_checkpoint(tmp_path / "model", model, meta=meta)
    assert path == tmp_path / "model.json" and (tmp_path / "model.safetensors").is_file()

    for name in ("model", "model.json", "model.safetensors"):
        loaded = load_checkpoint(tmp_path / name, family=family)
        assert loaded.family == family and loaded.spec == model.spec and loaded.hparams == model.hparams
        assert loaded.meta == meta and loaded.optimizer_state is None and loaded.extra_tensors == {}
        assert_same_state(model.state_dict(), loaded.model.state_dict())
        model.eval()
        assert torch.equal(model.log_prob(x), loaded.model.log_prob(x))


def test_a_made_saved_mid_cycle_scores_its_ensemble_the_same_after_loading(tmp_path: Path) -> None:
    """Saved weights carry the masks installed at the save (here mask 5): the loaded model must know which."""
    model = build_model("made", SMALL["made"][0], hidden=32, num_masks=8, order_agnostic=True)
    model.set_mask(5)
    x = batch(model)
    before = model.eval_log_prob(x)
    loaded = load_checkpoint(save_checkpoint(tmp_path / "made", model, meta={}), family="made").model
    assert loaded.mask_index == 5
    assert torch.equal(loaded.order, model.order), "generation must follow the order of the masks it loaded"
    assert torch.allclose(loaded.eval_log_prob(x), before, atol=1e-5)
    assert torch.allclose(loaded.log_prob(x), model.log_prob(x), atol=1e-5)


def adamw(model: ARModel, lr: float = 1e-2) -> torch.optim.AdamW:
    """Two parameter groups (no weight decay on layer norms) to exercise param_groups."""
    groups = [{"params": [p for n, p in model.named_parameters() if "ln" not in n], "weight_decay": 0.1},
              {"params": [p for n, p in model.named_parameters() if "ln" in n], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.8, 0.95))


def test_adamw_resume_equals_uninterrupted_training(tmp_path: Path) -> None:
    model = small_model("transformer")
    optimizer = adamw(model)
    train_steps(model, optimizer, 3, seed=10)
    save_checkpoint(tmp_path / "mid", model, optimizer, meta={"step": 3})
    train_steps(model, optimizer, 3, seed=13)

    resumed = load_checkpoint(tmp_path / "mid.json")
    assert resumed.optimizer_state is not None
    assert resumed.optimizer_state["param_groups"][0]["betas"] == (0.8, 0.95)
    resumed.model.train()
    optimizer2 = adamw(resumed.model, lr=1.0)
    optimizer2.load_state_dict(resumed.optimizer_state)
    assert optimizer2.state_dict()["param_groups"] == resumed.optimizer_state["param_groups"]
    step = next(iter(optimizer2.state.values()))["step"]
    assert isinstance(step, Tensor) and step.item() == 3
    train_steps(resumed.model, optimizer2, 3, seed=13)

    assert_same_state(model.state_dict(), resumed.model.state_dict())
    assert_same_state(optimizer.state_dict()["state"], optimizer2.state_dict()["state"])


def test_extra_tensors_round_trip_rng_state(tmp_path: Path) -> None:
    model = small_model("nade")
    state = torch.get_rng_state()
    gen = torch.Generator().manual_seed(5)
    save_checkpoint(tmp_path / "c", model, meta={}, extra_tensors={"rng/torch": state, "rng/gen": gen.get_state()})
    expected = torch.rand(3)
    loaded = load_checkpoint(tmp_path / "c")
    assert torch.equal(loaded.extra_tensors["rng/torch"], state)
    torch.set_rng_state(loaded.extra_tensors["rng/torch"])
    assert torch.equal(torch.rand(3), expected)
    assert read_header(tmp_path / "c")["extra"] == ["rng/gen", "rng/torch"]


class Tied(ARModel):
    """An output layer tied to its embedding, plus a buffer that views the same memory."""

    family = "tied"

    def __init__(self, spec: DataSpec, width: int) -> None:
        super().__init__(spec, {"width": width})
        self.embed = nn.Embedding(spec.levels, width)
        self.head = nn.Linear(width, spec.levels, bias=False)
        self.head.weight = self.embed.weight
        self.register_buffer("first_row", self.embed.weight.data[0])

    def logits(self, x: Tensor) -> Tensor:
        shifted = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1)
        return self.head(self.embed(shifted))


@pytest.fixture
def tied_family(monkeypatch: pytest.MonkeyPatch) -> None:
    info = FamilyInfo("tied", "Tied", "test only", ("audio",), {"width": 4}, {"width": ("width", 1, 64)}, Tied)
    monkeypatch.setitem(FAMILIES, "tied", info)


@pytest.mark.usefixtures("tied_family")
def test_tied_and_shared_tensors_are_saved_once(tmp_path: Path) -> None:
    model = build_model("tied", DataSpec("audio", (6,), 5), width=4)
    with torch.no_grad():
        model.embed.weight.normal_()
    path = save_checkpoint(tmp_path / "tied", model, meta={})
    assert read_header(path)["aliases"] == {"model/head.weight": "model/embed.weight"}

    loaded = load_checkpoint(path, family="tied").model
    assert loaded.head.weight is loaded.embed.weight
    assert torch.equal(loaded.embed.weight, model.embed.weight)
    assert torch.equal(loaded.first_row, model.embed.weight[0])


def test_paths_keep_dots_in_stems() -> None:
    assert checkpoint_paths("runs/model.v2") == (Path("runs/model.v2.json"), Path("runs/model.v2.safetensors"))
    assert checkpoint_paths("a/last.safetensors") == (Path("a/last.json"), Path("a/last.safetensors"))


# Atomic writes and damaged checkpoints.
def test_leftover_temporary_file_is_ignored(tmp_path: Path) -> None:
    model = small_model("made")
    save_checkpoint(tmp_path / "last", model, meta={"step": 1})
    (tmp_path / ".last.safetensors.x1y2.tmp").write_bytes(b"half a tensor file")
    (tmp_path / ".last.json.x1y2.tmp").write_text('{"format": "arstudio-che')
    assert load_checkpoint(tmp_path / "last").meta == {"step": 1}


def test_failed_save_leaves_the_previous_checkpoint_and_no_temp_files(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    model = small_model("made")
    save_checkpoint(tmp_path / "last", model, meta={"step": 1})

    def crash(tensors: dict[str, Tensor], filename: str, metadata: dict[str, str]) -> None:
        Path(filename).write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint_files, "save_file", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "last", model, meta={"step": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.json", "last.safetensors"]
    assert load_checkpoint(tmp_path / "last").meta == {"step": 1}


def test_checkpoint_without_its_json_is_incomplete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint_files, "atomic_write", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "new", small_model("nade"), meta={})
    assert (tmp_path / "new.safetensors").exists() and not (tmp_path / "new.json").exists()
    with pytest.raises(UserError, match="incomplete"):
        load_checkpoint(tmp_path / "new")
    with pytest.raises(UserError, match="incomplete"):
        load_checkpoint(tmp_path / "new.safetensors")


def test_overwrite_cut_short_before_its_json_keeps_the_old_checkpoint(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    model = small_model("made")
    save_checkpoint(tmp_path / "last", model, meta={"step": 1})
    with torch.no_grad():
        next(model.parameters()).add_(1.0)

    def crash(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint_files, "atomic_write", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "last", model, meta={"step": 2})
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "last").meta == {"step": 1}, "new tensors, old JSON: the old pair still loads"
    save_checkpoint(tmp_path / "last", model, meta={"step": 3})
    loaded = load_checkpoint(tmp_path / "last")
    assert loaded.meta == {"step": 3}
    assert torch.equal(next(loaded.model.parameters()), next(model.parameters()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.json", "last.safetensors"]


def test_truncated_tensor_file_is_refused_and_best_still_loads(tmp_path: Path) -> None:
    model = small_model("pixelcnn")
    slots = CheckpointSlots(tmp_path)
    slots.save_best(model, val_nll=3.0, meta={"step": 1})
    slots.save_last(model, meta={"step": 2})
    tensors = tmp_path / "last.safetensors"
    tensors.write_bytes(tensors.read_bytes()[: tensors.stat().st_size // 2])
    with pytest.raises(UserError, match="truncated or damaged"):
        load_checkpoint(slots.last)
    assert load_checkpoint(slots.best).meta == {"step": 1, "val_nll": 3.0}


def test_corrupted_bytes_of_the_same_size_fail_the_hash(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c", small_model("nade"), meta={})
    tensors = tmp_path / "c.safetensors"
    data = bytearray(tensors.read_bytes())
    data[-1] ^= 0xFF
    tensors.write_bytes(bytes(data))
    with pytest.raises(UserError, match="truncated or damaged"):
        load_checkpoint(path)


def test_missing_tensor_file(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c", small_model("nade"), meta={})
    (tmp_path / "c.safetensors").unlink()
    with pytest.raises(UserError, match="tensor file .* is missing"):
        load_checkpoint(path)


def test_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="There is no checkpoint"):
        load_checkpoint(tmp_path / "nothing.json")
    with pytest.raises(UserError, match="is a folder"):
        load_checkpoint(tmp_path)


def test_cannot_write_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="Cannot write the checkpoint"):
        save_checkpoint(blocker / "c", small_model("nade"), meta={})


def test_meta_must_be_json(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="plain JSON"):
        save_checkpoint(tmp_path / "c", small_model("nade"), meta={"when": object()})
    assert list(tmp_path.iterdir()) == []


# Checkpoints that are not (or no longer) what they claim.
def edit_header(path: Path, **changes: Any) -> None:
    header = json.loads(path.read_text())
    header.update(changes)
    path.write_text(json.dumps(header))


def test_newer_format_version_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c", small_model("nade"), meta={})
    edit_header(path, format_version=FORMAT_VERSION + 1)
    with pytest.raises(UserError, match="newer ARStudio.*Upgrade"):
        load_checkpoint(path)


def test_checkpoint_of_another_family(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c", small_model("nade"), meta={})
    with pytest.raises(UserError, match="holds a NADE model, not a MADE one"):
        load_checkpoint(path, family="made")


@pytest.mark.parametrize("content", ['{"some": "json"}', "plain text", "[1, 2]", ""])
def test_not_an_arstudio_checkpoint(tmp_path: Path, content: str) -> None:
    path = tmp_path / "other.json"
    path.write_text(content)
    with pytest.raises(UserError, match="not an ARStudio checkpoint"):
        load_checkpoint(path)


def test_weights_that_do_not_fit_the_model(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c", small_model("nade"), meta={})
    edit_header(path, hparams={**SMALL["nade"][1], "hidden": 33})
    with pytest.raises(UserError, match="do not fit.*wrong shape"):
        load_checkpoint(path)


def test_tensor_file_outside_the_folder_is_refused(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c", small_model("nade"), meta={})
    header = json.loads(path.read_text())
    header["tensors"]["file"] = "../elsewhere.safetensors"
    path.write_text(json.dumps(header))
    with pytest.raises(UserError, match="no valid tensor file"):
        load_checkpoint(path)


# Pickle files are refused without being unpickled.
class Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


@pytest.fixture
def no_unpickling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("something tried to unpickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(torch, "load", refuse)


def test_the_malicious_pickle_really_runs_code(tmp_path: Path) -> None:
    marker = tmp_path / "control-marker"
    pickle.loads(pickle.dumps(Evil(marker)))
    assert marker.exists()


@pytest.mark.parametrize("name", ["evil.pkl", "evil.pt", "evil.pth", "evil.ckpt", "evil.json", "evil.safetensors",
                                  "evil"])
def test_pickle_files_are_refused_without_unpickling(tmp_path: Path, name: str, no_unpickling: None) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"state_dict": Evil(marker)}, protocol=pickle.HIGHEST_PROTOCOL))
    assert path.read_bytes()[:1] == b"\x80"
    with pytest.raises(UserError, match="never loads pickle files because they can run code"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["model.pt", "model.json", "model"])
def test_torch_save_archives_are_refused(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / name
    torch.save({"weights": torch.zeros(2), "payload": Evil(marker)}, path)
    assert path.read_bytes()[:2] == b"PK" and not marker.exists()
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    with pytest.raises(UserError, match="never loads pickle files"):
        load_checkpoint(path)
    assert not marker.exists()


def test_text_protocol_pickle_is_not_a_checkpoint(tmp_path: Path, no_unpickling: None) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "old.json"
    path.write_bytes(pickle.dumps(Evil(marker), protocol=0))
    with pytest.raises(UserError, match="not an ARStudio checkpoint"):
        load_checkpoint(path)
    assert not marker.exists()


# The last and best slots of a run folder.
def test_slots_keep_last_and_only_improving_best(tmp_path: Path) -> None:
    model = small_model("made")
    slots = CheckpointSlots(tmp_path / "run-1")
    assert not slots.last_exists() and not slots.best_exists()
    assert slots.save_best(model, val_nll=5.0, meta={"step": 10}) == slots.best
    assert slots.save_best(model, val_nll=6.0, meta={"step": 20}) is None
    assert slots.save_best(model, val_nll=float("nan"), meta={"step": 25}) is None
    assert slots.save_best(model, val_nll=4.0, meta={"step": 30}) == slots.best
    slots.save_last(model, meta={"step": 40})
    assert slots.last_exists() and slots.best_exists()

    reopened = CheckpointSlots(tmp_path / "run-1")
    assert reopened.best_nll == 4.0
    assert reopened.save_best(model, val_nll=4.5, meta={"step": 50}) is None
    assert load_checkpoint(reopened.best).meta == {"step": 30, "val_nll": 4.0}
    assert load_checkpoint(reopened.last).meta == {"step": 40}

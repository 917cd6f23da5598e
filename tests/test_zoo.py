"""The ready models: every one ships, loads on a CPU, answers with its card's NLL, generates; damage is a UserError."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from arstudio.cli import main
from arstudio.errors import UserError
from arstudio.sampling import SamplerConfig, generate
from arstudio.training.run_store import RunStore
from arstudio.zoo.build import build
from arstudio.zoo.catalog import ready_model, ready_models
from arstudio.zoo.measure import CHECK_EXAMPLES, held_out_split
from arstudio.zoo.recipes import ZOO_FOLDER, load_recipes

NAMES = list(load_recipes())
REQUIRED_FAMILIES = {"nade", "made", "pixelcnn", "wavenet", "transformer"}
MAX_BYTES = 60 * 1024 * 1024
SMALLEST = "wavenet-tones"
STEPS = {"audio": 600, "text": 64}
"""Generation length per kind in this test (images generate whole)."""


def test_every_family_has_a_ready_model_on_its_natural_data_within_the_size_budget() -> None:
    recipes = load_recipes()
    assert {r.config.family for r in recipes.values()} == REQUIRED_FAMILIES
    wanted = {("nade", "binarized-mnist"), ("made", "binarized-mnist"), ("pixelcnn", "binarized-mnist"),
              ("pixelcnn", "mnist"), ("wavenet", "spoken-digits"), ("wavenet", "tones"), ("transformer", "pydocs")}
    assert wanted <= {(r.config.family, r.config.dataset) for r in recipes.values()}
    assert recipes["pixelcnn-mnist-digits"].config.hparams["conditional"]
    assert recipes["wavenet-spoken-digits"].config.hparams["conditional"]
    made = recipes["made-mnist"].config.hparams
    assert made["order_agnostic"] and made["num_masks"] > 1
    size = sum(f.stat().st_size for f in ZOO_FOLDER.rglob("*") if f.is_file())
    assert size <= MAX_BYTES, f"the ready models take {size / 2**20:.1f} MB, over 60 MB"


@pytest.mark.parametrize("name", NAMES)
def test_a_ready_model_loads_on_the_cpu_and_scores_its_card(name: str, monkeypatch) -> None:
    monkeypatch.setenv("ARSTUDIO_NATIVE", "off")  # no compiler needed: the PyTorch steppers only
    ready = ready_model(name)
    assert ready.available, ready.problem
    card, checkpoint = ready.card, ready.load("cpu")
    model = checkpoint.model
    config = ready.recipe.config
    assert (card.family, card.dataset, card.recipe["steps"]) == (model.family, config.dataset, config.steps)
    assert card.commit and card.hardware and card.wall_seconds > 0 and card.test.examples >= card.check.examples
    split = held_out_split(config.dataset, config.dataset_options, config.seed)
    x = split.data[:CHECK_EXAMPLES]
    labels = split.labels[:CHECK_EXAMPLES] if model.conditional else None
    with torch.no_grad():
        nll = -model.eval_log_prob(x, labels).mean().item()
        logits = model.logits(x[:2], labels[:2] if labels is not None else None)
        log_prob = model.log_prob(x[:2], labels[:2] if labels is not None else None)
    assert nll == pytest.approx(card.check.nll, rel=1e-4), "the model does not score what its card says"
    assert logits.shape == (2, *model.spec.shape, model.spec.levels)
    gathered = torch.log_softmax(logits, -1).gather(-1, x[:2].unsqueeze(-1)).flatten(1).sum(1)
    assert torch.allclose(gathered, log_prob, rtol=1e-4, atol=1e-3)
    if card.goal_met is False:
        assert card.notes, "a ready model that misses its goal says so in its notes"
    result = generate(model, 2, SamplerConfig(seed=0), length=STEPS.get(model.spec.kind),
                      labels=labels[:2] if labels is not None else None)
    assert result.samples.min() >= 0 and result.samples.max() < model.spec.levels
    assert math.isfinite(result.log_likelihood.sum().item())


def test_the_smallest_ready_model_is_reproduced_by_zoo_build(tmp_path: Path) -> None:
    shipped = ready_model(SMALLEST)
    rebuilt = build(shipped.recipe, RunStore(tmp_path / "runs"), shipped=shipped)
    assert rebuilt.summary.status == "finished" and rebuilt.summary.steps == shipped.recipe.config.steps
    assert rebuilt.test.examples == shipped.card.test.examples
    assert abs(rebuilt.difference) <= 0.02, f"rebuilt {rebuilt.test.nll:.2f}, shipped {shipped.card.test.nll:.2f}"


def _copy_zoo(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "zoo"
    folder.mkdir()
    recipes = json.loads((ZOO_FOLDER / "recipes.json").read_text())
    recipes["recipes"] = {name: recipes["recipes"][name] for name in names}
    (folder / "recipes.json").write_text(json.dumps(recipes))
    for name in names:
        shutil.copytree(ZOO_FOLDER / name, folder / name)
    return folder


def test_a_damaged_or_missing_ready_model_is_a_user_error_and_the_others_still_load(tmp_path: Path) -> None:
    folder = _copy_zoo(tmp_path, [SMALLEST, "transformer-pydocs", "wavenet-spoken-digits"])
    weights = folder / SMALLEST / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    (folder / "transformer-pydocs" / "card.json").write_text("{not json")
    (folder / "wavenet-spoken-digits" / "model.json").unlink()
    models = {model.name: model for model in ready_models(folder)}
    assert not models["transformer-pydocs"].available and "damaged" in models["transformer-pydocs"].problem
    assert not models["wavenet-spoken-digits"].available and "missing" in models["wavenet-spoken-digits"].problem
    for name in models:
        with pytest.raises(UserError, match=f"zoo build {name}"):
            models[name].load()
    intact = ready_model(SMALLEST)
    assert intact.load().model.family == "wavenet"


def test_zoo_lists_every_ready_model_with_its_test_nll(capsys) -> None:
    assert main(["zoo"]) == 0
    out = capsys.readouterr().out
    for model in ready_models():
        line = next(row for row in out.splitlines() if row.startswith(model.name + " "))
        assert f"{model.card.test.nll:.2f} nats" in line
    assert main(["zoo", "show", "pixelcnn-mnist"]) == 0
    shown = capsys.readouterr().out
    assert "PixelCNN (" in shown and "81.30" in shown and "commit" in shown and "goal: <= 86" in shown


def test_zoo_names_and_runs_are_checked(capsys, tmp_path: Path) -> None:
    assert main(["zoo", "show", "pixelcnn-cifar"]) == 2
    assert "no ready model called 'pixelcnn-cifar'" in capsys.readouterr().err
    assert main(["sample", "--ready", "nope", "--out", str(tmp_path / "x.png")]) == 2
    store = RunStore(tmp_path / "runs")
    run = store.create_run("mine", "nade", "binary-digits", {}, {"family": "nade", "dataset": "binary-digits"}, "cpu")
    store.set_status(run, "finished")
    assert main(["zoo", "publish", SMALLEST, "--run", str(run), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "not trained from the recipe" in capsys.readouterr().err


def test_sample_and_eval_take_a_ready_model(capsys, tmp_path: Path) -> None:
    out = tmp_path / "tones.wav"
    assert main(["sample", "--ready", SMALLEST, "--n", "1", "--length", "200", "--out", str(out)]) == 0
    assert out.stat().st_size > 200
    assert main(["eval", "--ready", SMALLEST]) == 0
    nll = float(capsys.readouterr().out.split("test NLL: ")[1].split()[0])
    assert nll == pytest.approx(ready_model(SMALLEST).card.test.nll, rel=1e-4)

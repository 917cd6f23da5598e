"""Published results on the built-in data sets, and the command line's comparison with them."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

from arstudio.cli.published import best_published, comparison
from arstudio.data import DATASETS
from arstudio.data.references import REFERENCES, best_reference, references_for
from arstudio.training.run_store import RunStore

PUBLISHED = {  # value: (model, first author, year, title)
    79.20: ("PixelRNN", "van den Oord", 2016, "Pixel Recurrent Neural Networks"),
    81.30: ("PixelCNN", "van den Oord", 2016, "Pixel Recurrent Neural Networks"),
    86.64: ("MADE 2hl", "Germain", 2015, "MADE: Masked Autoencoder for Distribution Estimation"),
    88.04: ("MADE 1hl", "Germain", 2015, "MADE: Masked Autoencoder for Distribution Estimation"),
    88.86: ("NADE", "Larochelle", 2011, "The Neural Autoregressive Distribution Estimator"),
}


def test_binarized_mnist_has_the_papers_figures_best_first() -> None:
    found = references_for("binarized-mnist")
    assert [r.nll for r in found] == sorted(PUBLISHED)
    for reference in found:
        model, author, year, title = PUBLISHED[reference.nll]
        assert (reference.model, reference.paper.authors[0], reference.paper.year, reference.paper.title) == (
            model, author, year, title)
        assert "binarized MNIST" in reference.protocol and "nats" in reference.protocol
    pixel = found[0].paper
    assert pixel.authors == ("van den Oord", "Kalchbrenner", "Kavukcuoglu")
    assert found[1].label == "PixelCNN 81.30 (van den Oord 2016)"
    assert "Germain, Gregor, Murray & Larochelle (2015)" in found[2].paper.citation
    assert "32 masks" in found[2].detail and "2 hidden layers" in found[2].detail
    assert "1 hidden layer" in found[3].detail
    assert math.isclose(found[1].bits_per_dim(784), 81.30 / (784 * math.log(2)))
    assert best_reference("binarized-mnist") is found[0]


def test_data_sets_without_published_results_have_none() -> None:
    assert references_for("binary-digits") == [] and references_for("user:/tmp/x.npz") == []
    assert best_reference("binary-digits") is None
    assert best_published("binary-digits") == "" and comparison("binary-digits", "test", 30.0, 64) == ""


def test_every_reference_names_a_built_in_data_set() -> None:
    assert {r.dataset for r in REFERENCES} <= set(DATASETS)


def test_the_comparison_ranks_the_model_among_the_papers_with_the_gaps() -> None:
    text = comparison("binarized-mnist", "test", 85.0, 784)
    lines = text.splitlines()
    rows = [line for line in lines if line.startswith(("PixelRNN", "PixelCNN", "MADE", "NADE", "this model"))]
    assert [row.split()[0] for row in rows] == ["PixelRNN", "PixelCNN", "this", "MADE", "MADE", "NADE"]
    assert "+5.80" in rows[0] and "+3.70" in rows[1] and "-3.86" in rows[-1]
    assert "85.00" in rows[2] and f"{85 / (784 * math.log(2)):.4f}" in rows[2]
    assert any("Pixel Recurrent Neural Networks" in line for line in lines)
    assert any("Protocol: binarized MNIST" in line for line in lines)
    other = comparison("binarized-mnist", "validation", 85.0, 784)
    assert "best PixelRNN 79.20" in other and "--split test" in other
    assert best_published("binarized-mnist") == "79.20 PixelRNN"


def arstudio(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "arstudio", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_runs_and_eval_print_the_published_figures_for_a_binarized_mnist_run(tmp_path: Path) -> None:
    env = {**os.environ, "ARSTUDIO_HOME": str(tmp_path / "home")}
    runs = str(tmp_path / "runs")
    trained = arstudio("train", "--family", "made", "--dataset", "binarized-mnist", "--steps", "2", "--device", "cpu",
                       "--hparam", "hidden=8", "--eval-every", "100", "--runs-dir", runs, env=env)
    assert trained.returncode == 0, trained.stderr
    store = RunStore(runs)
    store.create_run("digits run", "made", "binary-digits", {}, {"steps": 1}, "cpu")
    store.close()
    listed = arstudio("runs", "--runs-dir", runs, env=env).stdout
    header, _, *rows = listed.splitlines()
    mnist_row, digits_row = (next(row for row in rows if name in row) for name in ("binarized-mnist", "digits run"))
    assert "paper" in header and "79.20 PixelRNN" in mnist_row and "PixelRNN" not in digits_row
    evaluated = arstudio("eval", "--run", "1", "--runs-dir", runs, env=env)
    assert evaluated.returncode == 0, evaluated.stderr
    out = evaluated.stdout
    for figure in ("79.20", "81.30", "86.64", "88.04", "88.86", "this model", "yours - theirs", "Larochelle 2011"):
        assert figure in out, figure

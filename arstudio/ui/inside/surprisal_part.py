"""The Inside view's surprisal tab: -log p of every value of a test example or of a sample the model draws, from
one teacher-forced pass (arstudio.inside.surprisal), as a heat map over the pixels, the waveform or the text, with
the total in nats and bits/dim. A second model scores the same example beside it: another of an order-agnostic
MADE's masks (another ordering), or a ready model of the same data set."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget

from arstudio.app.model_source import LoadedModel, load_ready_model
from arstudio.data import load_dataset
from arstudio.data.mulaw import mu_law_decode
from arstudio.data.text_codec import TokenDecoder
from arstudio.errors import UserError
from arstudio.inside.connectivity import mask_count
from arstudio.inside.surprisal import Surprisal, surprisal
from arstudio.models.base import ARModel
from arstudio.sampling import SamplerConfig
from arstudio.sampling.generate import generate
from arstudio.ui.inside.heat_views import HeatImage, HeatText, HeatWave
from arstudio.ui.inside.part import InsidePart
from arstudio.zoo.catalog import ready_models

TEST, SAMPLE = "a test example", "a sample the model draws"
NOTHING = "nothing"
MASK_PREFIX = "this MADE with mask "
READY_PREFIX = "ready: "


def comparisons(loaded: LoadedModel) -> list[str]:
    """What the example can be scored by besides the model: its other masks, ready models of its data set."""
    items = [NOTHING]
    count = mask_count(loaded.model)
    if count > 1:
        installed = int(getattr(loaded.model, "mask_index", 0))
        items += [f"{MASK_PREFIX}{i}" for i in range(count) if i != installed]
    for ready in ready_models():
        config = ready.recipe.config
        if ready.problem is None and config.dataset == loaded.dataset and f"{READY_PREFIX}{ready.name}" != loaded.name:
            items.append(f"{READY_PREFIX}{ready.name}")
    return items


def other_model(loaded: LoadedModel, choice: str) -> ARModel:
    """The model a comparison item names (a copy for another mask, so the shown model keeps its own)."""
    if choice.startswith(MASK_PREFIX):
        twin = copy.deepcopy(loaded.model)
        twin.set_mask(int(choice[len(MASK_PREFIX):]))
        return twin.eval()
    if choice.startswith(READY_PREFIX):
        name = choice[len(READY_PREFIX):]
        ready = {model.name: model for model in ready_models()}[name]
        return load_ready_model(ready).model
    raise UserError(f"Nothing to compare with called {choice!r}.")


def example_and_labels(loaded: LoadedModel, index: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Test example `index` of the model's data set and its classes [1, F] (None when it has none)."""
    if not loaded.dataset:
        raise UserError("This model does not say which data set it was trained on, so there is no test example: "
                        "score a sample it draws instead.")
    data = load_dataset(loaded.dataset, "test", seed=loaded.seed, **loaded.dataset_options)
    if not 0 <= index < len(data.data):
        raise UserError(f"The test split has {len(data.data)} examples; pick one from 0 to {len(data.data) - 1}.")
    labels = data.labels[index:index + 1] if data.labels is not None else None
    return data.data[index].long(), labels


def labels_for(model: ARModel, labels: torch.Tensor | None) -> torch.Tensor | None:
    if not model.conditional:
        return None
    return labels if labels is not None else torch.zeros(1, len(model.spec.labels), dtype=torch.long)


class SurprisalColumn(QWidget):
    """One model's surprisal of the example: a heat view and its totals."""

    def __init__(self, object_name: str, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(wordWrap=True, objectName=f"{object_name}Title")
        layout.addWidget(self.title, 0, 0)
        if kind == "image":
            self.heat: HeatImage | HeatWave | HeatText = HeatImage(object_name)
        elif kind == "audio":
            self.heat = HeatWave(object_name)
        else:
            self.heat = HeatText(object_name)
        layout.addWidget(self.heat, 1, 0)
        layout.setRowStretch(1, 1)
        self.totals = QLabel(objectName=f"{object_name}Totals")
        layout.addWidget(self.totals, 2, 0)

    def show_surprisal(self, name: str, found: Surprisal, example: np.ndarray, loaded: LoadedModel,
                       top: float) -> None:
        nats = found.nats.numpy()
        self.title.setText(name)
        self.totals.setText(f"{found.total_nats:.2f} nats in all, {found.bits_per_dim:.3f} bits/dim "
                            f"({nats.size} values; the highest {nats.max():.2f} nats)")
        if isinstance(self.heat, HeatImage):
            self.heat.set_values(nats, levels=(0.0, top))
        elif isinstance(self.heat, HeatWave):
            self.heat.set_values(mu_law_decode(example[:nats.size], loaded.spec.levels - 1), nats, "-log p (nats)")
        else:
            decoder = TokenDecoder(loaded.spec)
            tokens = [decoder.feed(int(v)) or "·" for v in example[:nats.size]]
            self.heat.set_values(tokens, nats / top if top > 0 else nats, None,
                                 [f"-log p = {v:.2f} nats" for v in nats])


class SurprisalPart(InsidePart):
    title = "Surprisal"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("surprisalPart", parent)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Score"))
        self.source_combo = QComboBox(objectName="surprisalSourceCombo")
        self.source_combo.addItems([TEST, SAMPLE])
        self.source_combo.currentIndexChanged.connect(lambda _i: self.compute())
        controls.addWidget(self.source_combo)
        self.example_spin = QSpinBox(objectName="surprisalExampleSpin", keyboardTracking=False, maximum=9999)
        self.example_spin.setPrefix("test example ")
        self.example_spin.valueChanged.connect(lambda _v: self.compute())
        controls.addWidget(self.example_spin)
        self.sample_button = QPushButton("Draw another sample", objectName="surprisalSampleButton")
        self.sample_button.clicked.connect(self.draw_another)
        controls.addWidget(self.sample_button)
        controls.addWidget(QLabel("compared with"))
        self.compare_combo = QComboBox(objectName="surprisalCompareCombo")
        self.compare_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.compare_combo.currentIndexChanged.connect(lambda _i: self.compute())
        controls.addWidget(self.compare_combo)
        controls.addStretch(1)
        self.body.addLayout(controls)
        self.view = QWidget(objectName="surprisalView")
        self.columns = QHBoxLayout(self.view)
        self.columns.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.view, 1)
        self.caption = QLabel(wordWrap=True, objectName="surprisalCaption")
        self.body.addWidget(self.caption)
        self.first: SurprisalColumn | None = None
        self.second: SurprisalColumn | None = None
        self.example_view: HeatImage | None = None
        self.result: dict[str, Any] | None = None
        self.sample_seed = 0
        self._others: dict[str, ARModel] = {}
        self._token = 0
        self._pending = False
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda _message: self._after_job())
        self.show_model()

    def describe(self, loaded: LoadedModel) -> str:
        return ("How surprised the model is by each value given the ones before it in its order: -log p, in nats "
                "(bright: surprising). The totals add up to the example's negative log-likelihood.")

    def show_model(self) -> None:
        self._token += 1
        self.result = None
        self._others = {}
        for widget in (self.first, self.second, self.example_view):
            if widget is not None:
                self.columns.removeWidget(widget)
                widget.deleteLater()
        self.first = self.second = self.example_view = None
        loaded = self.loaded
        self.view.setVisible(loaded is not None)
        for control in (self.source_combo, self.example_spin, self.sample_button, self.compare_combo):
            control.setEnabled(loaded is not None)
        if loaded is None:
            self.caption.setText("")
            return
        kind = "image" if loaded.spec.is_spatial else loaded.spec.kind
        if kind == "image":
            self.example_view = HeatImage("surprisalExampleView")
            self.example_view.image.setColorMap(pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)]))
            self.columns.addWidget(self.example_view, 1)
        self.first = SurprisalColumn("surprisalHeat", kind)
        self.second = SurprisalColumn("surprisalCompareHeat", kind)
        self.columns.addWidget(self.first, 2)
        self.columns.addWidget(self.second, 2)
        self.second.hide()
        for combo, items in ((self.compare_combo, comparisons(loaded)),):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            combo.blockSignals(False)
        self.source_combo.blockSignals(True)
        self.source_combo.setCurrentIndex(0 if loaded.dataset else 1)
        self.source_combo.blockSignals(False)
        self.compute()

    def draw_another(self) -> None:
        self.sample_seed += 1
        if self.source_combo.currentText() == SAMPLE:
            self.compute()
        else:
            self.source_combo.setCurrentText(SAMPLE)

    def compute(self) -> None:
        loaded = self.loaded
        if loaded is None:
            return
        if self.job.is_running():
            self._pending = True
            return
        self._token += 1
        token, source, index = self._token, self.source_combo.currentText(), self.example_spin.value()
        choice, seed, others = self.compare_combo.currentText(), self.sample_seed, self._others
        self.example_spin.setVisible(source == TEST)
        self.caption.setText("Scoring ..." if source == TEST else "Drawing a sample and scoring it ...")

        def work() -> tuple[int, dict[str, Any]]:
            model = loaded.model
            if source == TEST:
                example, labels = example_and_labels(loaded, index)
                where = f"test example {index}"
            else:
                labels = labels_for(model, None)
                example = generate(model, 1, SamplerConfig(seed=seed), labels=labels).samples[0]
                where = f"a sample drawn with seed {seed}"
            found = surprisal(model, example, labels_for(model, labels))
            other = None
            if choice and choice != NOTHING:
                if choice not in others:
                    others[choice] = other_model(loaded, choice)
                twin = others[choice]
                other = surprisal(twin, example[:found.nats.numel()] if example.dim() == 1 else example,
                                  labels_for(twin, labels))
            return token, dict(example=example, where=where, found=found, choice=choice, other=other)

        self.job.run(work, "surprisal")

    def _on_finished(self, result: object) -> None:
        token, found = result  # type: ignore[misc]
        if token == self._token and self.loaded is not None:
            self.result = found
            self.draw()
        self._after_job()

    def _after_job(self) -> None:
        if self._pending:
            self._pending = False
            self.compute()
        elif self.result is None and self.loaded is not None:
            self.caption.setText("Nothing scored yet: pick another example or draw a sample.")

    def draw(self) -> None:
        loaded, result = self.loaded, self.result
        if loaded is None or result is None or self.first is None or self.second is None:
            return
        found: Surprisal = result["found"]
        other: Surprisal | None = result["other"]
        example = result["example"].numpy()
        top = max(float(found.nats.max()), float(other.nats.max()) if other is not None else 0.0)
        if self.example_view is not None:
            self.example_view.set_values(example, levels=(0, max(1, loaded.spec.levels - 1)))
        self.first.show_surprisal(f"{loaded.name}, -log p per value", found, example, loaded, top)
        self.second.setVisible(other is not None)
        caption = f"Scored {result['where']}."
        if other is not None:
            self.second.show_surprisal(f"{result['choice']}, -log p per value", other, example, loaded, top)
            difference = other.total_nats - found.total_nats
            caption += (f" The second model needs {abs(difference):.2f} nats {'more' if difference > 0 else 'fewer'} "
                        "for the same values (both heat maps share one colour scale).")
        self.caption.setText(caption)

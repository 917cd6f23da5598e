"""The Sampler chain tab: the model's distribution of the next value after a context, and what every processor
stage makes of it, in an order the person can change."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSpinBox, QSplitter, QVBoxLayout, QWidget

from arstudio.app.model_source import LoadedModel
from arstudio.app.presets import builtin_presets
from arstudio.data.text_codec import encode_text, symbol_label
from arstudio.errors import UserError
from arstudio.sampling import SamplerConfig
from arstudio.sampling.chain import ChainStage, next_value_logits, processor_chain
from arstudio.ui.common.fitting_scroll import FittingScrollArea
from arstudio.ui.common.sampler_controls import SamplerControls
from arstudio.ui.inside.part import InsidePart
from arstudio.ui.inside.receptive_field_part import default_position, example_of
from arstudio.ui.inside.sampler_chain_view import SamplerChainView

DEFAULT_PROMPT = "def "
HIDDEN_ROWS = ("num_beams", "length_penalty")
"""Knobs of the Text panel's controls that do not shape the distribution here (beam search ranks, not draws)."""


class SamplerChainPart(InsidePart):
    """A context (a text prompt, or the first values of a test example), the sampler's knobs, and the chain view."""

    title = "Sampler chain"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("samplerChainPart", parent)
        self._given = SamplerConfig()
        self._order = self._given.order
        self._token = 0
        self._pending = False
        self.logits: torch.Tensor | None = None
        self.history = torch.zeros(0, dtype=torch.long)
        self.stages: list[ChainStage] = []
        self.example = torch.zeros(0, dtype=torch.long)
        self.example_source = ""
        self.chain_view = SamplerChainView()
        self.chain_view.orderChanged.connect(self._order_changed)
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._build_side())
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.chain_view, 1)
        self.caption = QLabel(wordWrap=True, objectName="chainCaption")
        column.addWidget(self.caption)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 980])
        self.body.addWidget(splitter, 1)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda _message: self._after_job())
        self.show_model()

    def _build_side(self) -> FittingScrollArea:
        side = QWidget()
        layout = QVBoxLayout(side)
        layout.setContentsMargins(4, 4, 8, 4)
        layout.addWidget(QLabel("<b>Context</b>"))
        self.prompt_edit = QLineEdit(DEFAULT_PROMPT, side, objectName="chainPromptEdit")
        self.prompt_edit.setPlaceholderText("Prompt (may be empty)")
        self.prompt_edit.setToolTip("The text before the value whose distribution is shown.")
        self.prompt_edit.editingFinished.connect(self.compute)
        self.prompt_edit.textEdited.connect(lambda _text: self.compute())
        layout.addWidget(self.prompt_edit)
        row = QHBoxLayout()
        self.position_label = QLabel("Values given")
        row.addWidget(self.position_label)
        self.position_spin = QSpinBox(side, objectName="chainPositionSpin", keyboardTracking=False)
        self.position_spin.setToolTip("How many values of the example, in the model's order, come before the one "
                                      "shown: the distribution is that of value number N + 1.")
        self.position_spin.valueChanged.connect(lambda _value: self.compute())
        row.addWidget(self.position_spin, 1)
        layout.addLayout(row)
        layout.addWidget(QLabel("<b>Sampler</b>"))
        self.controls = SamplerControls(builtin_presets(), side)
        for name in HIDDEN_ROWS:
            knob_row = self.controls.rows[name]
            for widget in (knob_row.label, knob_row.slider, knob_row.spin):
                widget.hide()
        for widget in (self.controls.greedy, self.controls.early_stopping, self.controls.seed_spin):
            widget.hide()
        seed_label = self.controls.layout().itemAtPosition(len(self.controls.rows) + 3, 0)
        if seed_label is not None and seed_label.widget() is not None:
            seed_label.widget().hide()
        self.controls.changed.connect(self.draw)
        layout.addWidget(self.controls)
        layout.addStretch(1)
        return FittingScrollArea(side, self)

    # The model.
    def describe(self, loaded: LoadedModel) -> str:
        return ("The model's distribution of the next value (top left), then what each stage of the sampler makes of "
                "it, in the order they apply: the same candidates in every chart, with the entropy and how many "
                "values are left. Reorder the stages on the left; the last chart is what the sampler draws from.")

    def show_model(self) -> None:
        self._token += 1
        self.logits, self.stages = None, []
        loaded = self.loaded
        text = loaded is not None and loaded.spec.kind == "text"
        self.prompt_edit.setVisible(text)
        self.position_label.setVisible(loaded is not None and not text)
        self.position_spin.setVisible(loaded is not None and not text)
        self.splitter.setEnabled(loaded is not None)
        if loaded is None:
            self.caption.setText("")
            return
        self.controls.set_levels(loaded.spec.levels)
        if not text:
            self.example, self.example_source = example_of(loaded)
            self.example = self.example.flatten()[loaded.model.order.cpu()]
            self.position_spin.blockSignals(True)
            self.position_spin.setRange(0, loaded.spec.dims - 1)
            self.position_spin.setValue(default_step(loaded))
            self.position_spin.blockSignals(False)
        self.compute()

    # The settings.
    def config(self) -> SamplerConfig:
        """The knobs shown and the stage order (greedy, beams and seed as last given to `set_config`)."""
        given = self._given
        return dataclasses.replace(self.controls.config(), greedy=given.greedy, num_beams=given.num_beams,
                                   length_penalty=given.length_penalty, early_stopping=given.early_stopping,
                                   seed=given.seed, order=self._order)

    def set_config(self, config: SamplerConfig) -> None:
        """Show `config`'s knobs and stage order."""
        self._given = config
        self._order = config.order
        self.controls.set_config(dataclasses.replace(config, greedy=False, num_beams=1), keep_seed=False)
        self.draw()

    def set_prompt(self, prompt: str) -> None:
        """Make `prompt` the context (text models) and show the chain after it."""
        self.prompt_edit.setText(prompt)
        self.compute()

    def _order_changed(self, order: tuple) -> None:
        self._order = tuple(order)
        self.draw()

    # Computing.
    def context(self) -> torch.Tensor:
        """The values before the one shown, in the model's order."""
        loaded = self.loaded
        if loaded is None:
            return torch.zeros(0, dtype=torch.long)
        if loaded.spec.kind == "text":
            return torch.tensor(encode_text(self.prompt_edit.text(), loaded.spec), dtype=torch.long)
        return self.example[: self.position_spin.value()].clone()

    def compute(self) -> None:
        """Ask the model (off the GUI thread) for the next value's logits after the context."""
        loaded = self.loaded
        if loaded is None:
            return
        if self.job.is_running():
            self._pending = True
            return
        try:
            context = self.context()
        except UserError as exc:
            self._fail(str(exc))
            return
        self._token += 1
        token, model = self._token, loaded.model
        self.job.run(lambda: (token, context, next_value_logits(model, context)), "next-value distribution")

    def _on_finished(self, result: object) -> None:
        token, context, logits = result  # type: ignore[misc]
        if token == self._token and self.loaded is not None:
            self.history, self.logits = context, logits
            self.draw()
        self._after_job()

    def _after_job(self) -> None:
        if self._pending:
            self._pending = False
            self.compute()

    def _fail(self, message: str) -> None:
        self.caption.setText(message)
        self.errorRaised.emit(message)

    def draw(self) -> None:
        """Run the chain on the last logits with the current settings and show it."""
        if self.logits is None or self.loaded is None:
            return
        try:
            config = self.config()
        except UserError as exc:
            self._fail(str(exc))
            return
        self.stages = processor_chain(self.logits, config, self.history)
        self.chain_view.set_chain(self.stages, self.label_of())
        last = self.stages[-1]
        best = int(last.probs.argmax())
        what = self._what_follows()
        self.caption.setText(
            f"{what}: the model gives {self.stages[0].entropy:.2f} nats of entropy over {self.stages[0].survivors} "
            f"values; after {config.describe()}: {last.survivors} {'remains' if last.survivors == 1 else 'remain'} "
            f"with {last.entropy:.2f} nats, most probable "
            f"{self.label_of()(best)} (p = {float(last.probs[best]):.3f})."
            + (" Greedy decoding takes that most probable value." if config.greedy else ""))

    def label_of(self) -> Callable[[int], str]:
        """How a value reads in the charts: a token's text, else the number."""
        spec = self.loaded.spec if self.loaded is not None else None
        if spec is not None and spec.kind == "text":
            return lambda value: symbol_label(value, spec)
        return str

    def _what_follows(self) -> str:
        loaded = self.loaded
        assert loaded is not None
        count = len(self.history)
        if loaded.spec.kind == "text":
            return f"After the prompt ({count} tokens)"
        position = int(loaded.model.order[count])
        where = ""
        if loaded.spec.is_spatial:
            channels, height, width = loaded.spec.shape
            channel, rest = divmod(position, height * width)
            row, col = divmod(rest, width)
            where = f" (row {row}, column {col}" + (f", channel {'RGB'[channel]})" if channels == 3 else ")")
        return f"Value {count + 1} of {loaded.spec.dims}{where}, after {count} of {self.example_source}"


def default_step(loaded: LoadedModel) -> int:
    """How many values come first by default: those before the centre pixel (images), or far enough into a
    sequence that the model sees a full context."""
    model = loaded.model
    return int((model.order.cpu() == default_position(model)).nonzero()[0, 0])

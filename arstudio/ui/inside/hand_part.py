"""The Step by hand tab: generate one value at a time (arstudio.sampling.hand), see the model's whole distribution
of the next value and the sampler's, and pick the next token, pixel or sample yourself or let the sampler pick."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from arstudio.app.model_source import LoadedModel
from arstudio.app.presets import builtin_presets
from arstudio.data.mulaw import mu_law_decode
from arstudio.data.text_codec import decode_text, encode_text, symbol_label
from arstudio.errors import UserError
from arstudio.sampling import SamplerConfig
from arstudio.sampling.hand import HandGeneration, HandStep
from arstudio.ui.common.fitting_scroll import FittingScrollArea
from arstudio.ui.common.sampler_controls import SamplerControls
from arstudio.ui.inside.hand_chart import DistributionChart
from arstudio.ui.inside.order_part import MARK, OrderImage, OrderWave, image_cell
from arstudio.ui.inside.part import InsidePart

DEFAULT_PROMPT = "def "
TEXT_STEPS = 40


@dataclass(frozen=True)
class Snapshot:
    """What the view shows after an action, computed on the job's thread."""

    values: np.ndarray
    filled: np.ndarray
    step: int
    total: int
    position: int | None
    probs: np.ndarray
    raw: np.ndarray
    log_prob: float
    chosen: int
    last: HandStep | None


def snapshot(hand: HandGeneration) -> Snapshot:
    done = hand.done
    levels = hand.model.spec.levels
    probs = np.zeros(levels) if done else hand.distribution().numpy().astype(np.float64)
    raw = np.zeros(levels) if done else hand.raw_distribution().numpy().astype(np.float64)
    chosen = [s for s in hand.history if s.by != "known"]
    return Snapshot(hand.values.cpu().numpy(), hand.filled.cpu().numpy(), hand.step, hand.total, hand.position, probs,
                    raw, hand.log_prob, len(chosen), hand.history[-1] if hand.history else None)


class HandPart(InsidePart):
    """The sample so far with the next position marked, the next value's distribution, and the controls."""

    title = "Step by hand"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("handPart", parent)
        self.hand: HandGeneration | None = None
        self.state: Snapshot | None = None
        self._token = 0
        self._queued: Callable[[HandGeneration], object] | None = None
        self.sample_box = QVBoxLayout()
        self.sample_view: QWidget | None = None
        self.caption = QLabel(wordWrap=True, objectName="handCaption")
        self.chart = DistributionChart()
        self.chart.picked.connect(self.pick)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._build_side())
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(self.sample_box, 2)
        column.addWidget(self.caption)
        column.addWidget(self.chart, 3)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 900])
        self.splitter = splitter
        self.body.addWidget(splitter, 1)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.show_model()

    def _build_side(self) -> FittingScrollArea:
        side = QWidget()
        layout = QVBoxLayout(side)
        layout.setContentsMargins(4, 4, 8, 4)
        self.prompt_edit = QLineEdit(DEFAULT_PROMPT, side, objectName="handPromptEdit")
        self.prompt_edit.setPlaceholderText("Prompt (may be empty)")
        self.prompt_edit.editingFinished.connect(self.restart)
        self.length_spin = QSpinBox(side, objectName="handLengthSpin", minimum=1, maximum=100000, value=TEXT_STEPS)
        self.length_spin.setToolTip("How many values the sample has (audio and text).")
        self.length_spin.editingFinished.connect(self.restart)
        self.length_row = QWidget(side)
        row = QHBoxLayout(self.length_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Values"))
        row.addWidget(self.length_spin, 1)
        buttons = QHBoxLayout()
        self.sample_button = QPushButton("Sampler picks", side, objectName="handSampleButton")
        self.sample_button.setToolTip("Let the sampler draw the next value from its distribution (blue bars).")
        self.undo_button = QPushButton("Undo", side, objectName="handUndoButton")
        self.restart_button = QPushButton("Restart", side, objectName="handRestartButton")
        self.restart_button.setToolTip("Start again from the prompt or known values, with the seed below.")
        self.finish_button = QPushButton("Sampler finishes", side, objectName="handFinishButton")
        for button, act in ((self.sample_button, HandGeneration.pick_by_sampler),
                            (self.undo_button, HandGeneration.undo), (self.finish_button, HandGeneration.finish)):
            button.clicked.connect(lambda _checked=False, act=act: self._act(act))
        self.restart_button.clicked.connect(self.restart)
        for button in (self.sample_button, self.undo_button, self.restart_button):
            buttons.addWidget(button)
        self.choice_list = QListWidget(side, objectName="handChoiceList")
        self.choice_list.setToolTip("Every value, most probable first: double-click one (or Pick) to choose it.")
        self.choice_list.itemActivated.connect(lambda item: self.pick(int(item.data(Qt.ItemDataRole.UserRole))))
        self.pick_button = QPushButton("Pick the selected value", side, objectName="handPickButton")
        self.pick_button.clicked.connect(self._pick_selected)
        self.controls = SamplerControls(builtin_presets(), side)
        for name in ("num_beams", "length_penalty"):
            knob = self.controls.rows[name]
            for widget in (knob.label, knob.slider, knob.spin):
                widget.hide()
        self.controls.early_stopping.hide()
        self.controls.changed.connect(self._config_changed)
        for widget in (QLabel("<b>Start</b>"), self.prompt_edit, self.length_row, buttons, self.finish_button,
                       QLabel("<b>Pick yourself</b> (or click a bar)"), self.choice_list, self.pick_button,
                       QLabel("<b>Sampler</b>"), self.controls):
            (layout.addLayout if isinstance(widget, QHBoxLayout) else layout.addWidget)(widget)
        return FittingScrollArea(side, self)

    # The model.
    def describe(self, loaded: LoadedModel) -> str:
        return ("Generate one value at a time in the model's order: the grey bars are the model's distribution of the "
                "next value, the blue ones what the sampler draws from after its knobs. Click a bar or pick from the "
                "list to choose yourself, or let the sampler pick. log p is the model's own log-probability.")

    def show_model(self) -> None:
        loaded = self.loaded
        self.splitter.setEnabled(loaded is not None)
        sequence = loaded is not None and loaded.spec.is_sequence
        self.prompt_edit.setVisible(loaded is not None and loaded.spec.kind == "text")
        self.length_row.setVisible(sequence)
        if loaded is not None:
            self.controls.set_levels(loaded.spec.levels)
            if sequence:
                self.length_spin.blockSignals(True)
                self.length_spin.setValue(TEXT_STEPS if loaded.spec.kind == "text" else min(loaded.spec.dims, 400))
                self.length_spin.blockSignals(False)
        self._make_view()
        self.restart()

    def _make_view(self) -> None:
        if self.sample_view is not None:
            self.sample_box.removeWidget(self.sample_view)
            self.sample_view.deleteLater()
            self.sample_view = None
        loaded = self.loaded
        if loaded is None:
            return
        kind = loaded.spec.kind
        if kind == "audio":
            self.sample_view = OrderWave("handSampleView")
        elif kind == "text":
            self.sample_view = QTextBrowser(objectName="handSampleView")
            self.sample_view.setMaximumHeight(140)
        else:
            self.sample_view = OrderImage("handSampleView")
        self.sample_box.addWidget(self.sample_view)

    def config(self) -> SamplerConfig:
        return dataclasses.replace(self.controls.config(), num_beams=1)

    # Actions.
    def restart(self) -> None:
        """A new HandGeneration from the prompt (text), the length and the knobs shown."""
        loaded = self.loaded
        self._token += 1
        self.hand, self.state = None, None
        if loaded is None:
            self.caption.setText("")
            self.choice_list.clear()
            return
        try:
            config = self.config()
            known, length = None, None
            if loaded.spec.is_sequence:
                length = self.length_spin.value()
                if loaded.spec.kind == "text":
                    prompt = encode_text(self.prompt_edit.text(), loaded.spec)[:length]
                    known = torch.tensor(prompt, dtype=torch.long) if prompt else None
                    length = max(length, len(prompt) + 1)
        except UserError as exc:
            self._fail(str(exc))
            return
        model, token = loaded.model, self._token
        self.job.wait()
        self._queued = None
        self._run(lambda: (token, HandGeneration(model, config, known=known, length=length)), "start")

    def pick(self, value: int) -> None:
        """Choose `value` for the next position yourself."""
        self._act(lambda hand: hand.pick(value))

    def _pick_selected(self) -> None:
        if (item := self.choice_list.currentItem()) is not None:
            self.pick(int(item.data(Qt.ItemDataRole.UserRole)))

    def _config_changed(self) -> None:
        try:
            config = self.config()
        except UserError as exc:
            self._fail(str(exc))
            return
        self._act(lambda hand: setattr(hand, "config", dataclasses.replace(config, seed=hand.config.seed)))

    def _act(self, action: Callable[[HandGeneration], object]) -> None:
        hand, token = self.hand, self._token
        if hand is None:
            return
        if self.job.is_running():
            self._queued = action
            return

        def work() -> tuple[int, HandGeneration]:
            action(hand)
            return token, hand
        self._run(work, "step")

    def _run(self, work: Callable[[], tuple[int, HandGeneration]], what: str) -> None:
        def done() -> tuple[int, HandGeneration, Snapshot]:
            token, hand = work()
            return token, hand, snapshot(hand)
        self._set_enabled(False)
        self.job.run(done, what)

    def _on_finished(self, result: object) -> None:
        token, hand, state = result  # type: ignore[misc]
        if token == self._token and self.loaded is not None:
            self.hand, self.state = hand, state
            self.draw()
        self._set_enabled(True)
        if self._queued is not None:
            action, self._queued = self._queued, None
            self._act(action)

    def _on_failed(self, message: str) -> None:
        self._set_enabled(True)
        self.caption.setText(message)

    def _fail(self, message: str) -> None:
        self.caption.setText(message)
        self.errorRaised.emit(message)

    def _set_enabled(self, enabled: bool) -> None:
        done = self.state is None or self.state.position is None
        for widget in (self.sample_button, self.finish_button, self.pick_button, self.choice_list, self.chart):
            widget.setEnabled(enabled and not done)
        self.undo_button.setEnabled(enabled and self.state is not None and self.state.chosen > 0)
        self.restart_button.setEnabled(enabled)

    # Drawing.
    def label_of(self) -> Callable[[int], str]:
        spec = self.loaded.spec if self.loaded is not None else None
        if spec is not None and spec.kind == "text":
            return lambda value: symbol_label(value, spec)
        return str

    def draw(self) -> None:
        state, loaded = self.state, self.loaded
        if state is None or loaded is None:
            return
        label = self.label_of()
        self.chart.set_distribution(state.probs, state.raw, label)
        self._draw_sample(state)
        self.choice_list.clear()
        if state.position is not None:
            for value in np.lexsort((-state.raw, -state.probs)):
                item = QListWidgetItem(f"{label(int(value))}    sampler {state.probs[value]:.3f} · model "
                                       f"{state.raw[value]:.3f}")
                item.setData(Qt.ItemDataRole.UserRole, int(value))
                if state.probs[value] == 0:
                    item.setForeground(Qt.GlobalColor.gray)
                self.choice_list.addItem(item)
        self.caption.setText(self._caption(state))

    def _draw_sample(self, state: Snapshot) -> None:
        spec = self.loaded.spec  # type: ignore[union-attr]
        view = self.sample_view
        if isinstance(view, OrderImage):
            frame = np.where(state.filled, state.values, -1)
            cell = None if state.position is None else image_cell(state.position, spec.shape)
            view.set_frame(frame, spec.levels, cell)
        elif isinstance(view, OrderWave):
            wave = mu_law_decode(state.values, spec.levels - 1)
            view.set_frame(wave, state.step)
            view.marker.setValue(state.step)
            view.marker.setVisible(state.position is not None)
        elif isinstance(view, QTextBrowser):
            text = html.escape(decode_text(state.values[:state.step].tolist(), spec))
            cursor = "" if state.position is None else \
                f'<span style="background-color:{MARK};color:#000000;">&nbsp;?&nbsp;</span>'
            view.setHtml('<div style="font-family:monospace;font-size:14px;white-space:pre-wrap;">'
                         + text + cursor + "</div>")

    def _caption(self, state: Snapshot) -> str:
        spec = self.loaded.spec  # type: ignore[union-attr]
        total = f"log p = {state.log_prob:.3f} nats ({state.step} values, {state.chosen} chosen)"
        last = ""
        if state.last is not None and state.last.by != "known":
            who = "You picked" if state.last.by == "you" else "The sampler picked"
            last = f" {who} {self.label_of()(state.last.value)} (log p {state.last.log_prob:.3f})" + \
                (", a value the sampler's filters had removed." if state.last.filtered else ".")
        if state.position is None:
            return f"Done: {total}.{last}"
        where = f"value {state.step + 1} of {state.total}"
        if spec.is_spatial:
            channels, height, width = spec.shape
            channel, rest = divmod(state.position, height * width)
            row, col = divmod(rest, width)
            where += f" (row {row}, column {col}" + (f", {'RGB'[channel]})" if channels == 3 else ")")
        return f"Next: {where}. {total}.{last}"

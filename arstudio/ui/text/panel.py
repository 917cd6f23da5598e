"""The Text panel: tune decoding, stream shaded text, branch from any token, compare strategies."""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from arstudio.app.model_source import LoadedModel
from arstudio.app.presets import Preset, builtin_presets, load_presets, save_presets
from arstudio.app.text_metrics import Comparison, ComparisonRow, write_comparison
from arstudio.data import DataSpec
from arstudio.data.text_codec import decode_text, encode_text
from arstudio.errors import UserError
from arstudio.sampling import GenerationResult
from arstudio.ui.common.fitting_scroll import FittingScrollArea
from arstudio.ui.common.panel import ExplorerPanel, Worker
from arstudio.ui.common.sampler_controls import MAX_SEED, PresetList, SamplerControls
from arstudio.ui.text.comparison_view import ComparisonView
from arstudio.ui.text.jobs import Job, Outcome, TextJobs
from arstudio.ui.text.view import TokenTextView, shade

DEFAULT_NEW_TOKENS = 120
STARTING_PRESET = "balanced"
MAX_NEW_TOKENS = 4096


class TextPanel(ExplorerPanel):
    """Prompt and decoding knobs on the left; the streamed, shaded text above the strategies side by side."""

    no_model_hint = "Open a text run (for example a Transformer trained on pydocs) to generate and compare text here."
    chainRequested = Signal(str, object)
    """The prompt and the SamplerConfig, when the person asks to see the sampler chain after that prompt."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("textPanel", parent)
        self.jobs = TextJobs(self)
        self.runner = self.jobs.runner
        self.comparison: Comparison | None = None
        self.last_result: GenerationResult | None = None
        self._branch: tuple[str, list[int]] | None = None
        self._build()
        self.jobs.stepped.connect(self._on_stepped)
        self.jobs.done.connect(self._on_done)
        self.jobs.failed.connect(self._on_failed)
        self.jobs.idle.connect(self._on_idle)
        self.output.branchRequested.connect(self.branch)
        self.grid.branchRequested.connect(self.branch)
        self.set_presets(builtin_presets())
        self.controls.select_preset(STARTING_PRESET)
        self.set_model(None)

    # Building.
    def _build(self) -> None:
        self.hint = QLabel(self.no_model_hint, self, objectName="textHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("padding: 6px; background: palette(alternate-base); border-radius: 4px;")
        self.body = QSplitter(Qt.Orientation.Horizontal, self)
        self.body.addWidget(self._build_controls())
        self.body.addWidget(self._build_results())
        self.body.setStretchFactor(1, 1)
        self.body.setSizes([320, 700])
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.body, 1)

    def _build_controls(self) -> FittingScrollArea:
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(4, 4, 8, 4)
        self.prompt_edit = QPlainTextEdit(column, objectName="promptEdit")
        self.prompt_edit.setPlaceholderText("Prompt (may be empty)")
        self.prompt_edit.setMaximumHeight(52)
        self.prompt_edit.setPlainText("def ")
        layout.addWidget(QLabel("<b>Prompt</b>"))
        layout.addWidget(self.prompt_edit)
        self.controls = SamplerControls(parent=column)
        layout.addWidget(self.controls)
        self.max_tokens = QSpinBox(column, objectName="maxTokensSpin")
        self.max_tokens.setRange(1, MAX_NEW_TOKENS)
        self.max_tokens.setValue(DEFAULT_NEW_TOKENS)
        self.max_tokens.setToolTip("How many tokens to add after the prompt (beyond the model's context it slides).")
        row = QHBoxLayout()
        row.addWidget(QLabel("Max new tokens"))
        row.addWidget(self.max_tokens, 1)
        layout.addLayout(row)
        buttons = QHBoxLayout()
        self.generate_button = QPushButton("Generate", column, objectName="generateButton")
        self.generate_button.setDefault(True)
        self.cancel_button = QPushButton("Stop", column, objectName="cancelTextButton")
        self.chain_button = QPushButton("Sampler chain…", column, objectName="samplerChainButton")
        self.chain_button.setToolTip("The sampler chain: the next token's distribution after the prompt and what "
                                     "every sampler stage makes of it (Inside view).")
        self.chain_button.clicked.connect(self.request_chain)
        buttons.addWidget(self.generate_button, 2)
        buttons.addWidget(self.cancel_button, 1)
        buttons.addWidget(self.chain_button, 1)
        layout.addLayout(buttons)
        layout.addWidget(self._build_compare_box(column))
        layout.addStretch(1)
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button.clicked.connect(self.cancel)
        return FittingScrollArea(column, self)

    def _build_compare_box(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Compare strategies (same prompt and seed)", parent)
        grid = QGridLayout(box)
        self.preset_list = PresetList(box)
        self.preset_list.setMaximumHeight(150)
        self.preset_list.itemChanged.connect(self._presets_edited)
        self.preset_list.model().rowsRemoved.connect(self._presets_edited)
        grid.addWidget(self.preset_list, 0, 0, 1, 3)
        actions = [("Add current settings", "Add the sampler's current settings to the list",
                    self.add_current_preset, 1, 0, 2),
                   ("Remove", "Remove the selected preset", self.preset_list.remove_selected, 1, 2, 1),
                   ("Load…", "Load a presets file (JSON)", self._load_presets_dialog, 2, 0, 1),
                   ("Save…", "Save the list as a presets file (JSON)", self._save_presets_dialog, 2, 1, 1)]
        for text, tip, slot, row, column, span in actions:
            button = QPushButton(text, box, toolTip=tip)
            button.clicked.connect(slot)
            grid.addWidget(button, row, column, 1, span)
        self.compare_button = QPushButton("Compare", box, objectName="compareButton")
        self.compare_button.clicked.connect(self.compare)
        grid.addWidget(self.compare_button, 2, 2)
        return box

    def _build_results(self) -> QSplitter:
        results = QSplitter(Qt.Orientation.Vertical, self)
        top = QWidget(results)
        layout = QVBoxLayout(top)
        layout.setContentsMargins(0, 0, 0, 0)
        self.output = TokenTextView(top)
        self.output.setObjectName("textOutput")
        self.output.setPlaceholderText("Generated text appears here as it is written.")
        self.legend = QLabel(_legend(), top)
        self.legend.setWordWrap(True)
        status = QHBoxLayout()
        self.status = QLabel("", top, objectName="textStatus")
        self.progress_bar = QProgressBar(top, objectName="textProgress")
        self.progress_bar.setMaximumWidth(200)
        self.progress_bar.hide()
        status.addWidget(self.status, 1)
        status.addWidget(self.progress_bar)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.legend)
        layout.addLayout(status)
        results.addWidget(top)
        self.comparison_view = ComparisonView(results)
        self.grid = self.comparison_view.grid
        self.markdown_button, self.csv_button = self.comparison_view.markdown_button, self.comparison_view.csv_button
        self.markdown_button.clicked.connect(lambda: self._export_dialog("markdown"))
        self.csv_button.clicked.connect(lambda: self._export_dialog("csv"))
        results.addWidget(self.comparison_view)
        results.setSizes([280, 420])
        self.results = results
        return results

    # Model and presets.
    def fits(self, spec: DataSpec) -> bool:
        return spec.kind == "text"

    def misfit_hint(self, loaded: LoadedModel) -> str:
        return (f"{loaded.name} generates {loaded.spec.kind} data. This panel works with text models: "
                f"open a text run (e.g. a Transformer on pydocs) or use the "
                f"{'Audio' if loaded.spec.kind == 'audio' else 'Images'} tab.")

    def fit_hint(self, loaded: LoadedModel) -> str:
        return (f"{loaded.name}: {loaded.family}, "
                f"{'byte-level' if loaded.spec.vocabulary is None else 'vocabulary'} text, "
                f"{loaded.spec.levels} symbols, context {loaded.spec.shape[0]}.")

    def show_model(self, hint: str) -> None:
        self.hint.setText(hint)
        if self.loaded is not None:
            self.controls.set_levels(self.loaded.spec.levels)
        self.body.setEnabled(self.loaded is not None)
        self._update_buttons()

    def workers(self) -> tuple[Worker, ...]:
        return (self.jobs,)

    def set_presets(self, presets: list[Preset]) -> None:
        self.preset_list.set_presets(presets)
        self.controls.set_presets(presets)

    def load_presets_file(self, path: str | Path) -> bool:
        """Replace the presets with those in a JSON file; a bad file is reported and changes nothing."""
        try:
            presets = load_presets(path)
        except UserError as exc:
            self.show_error(exc)
            return False
        self.set_presets(presets)
        return True

    def add_current_preset(self) -> None:
        try:
            config = dataclasses.replace(self.controls.config(), seed=None)
        except UserError as exc:
            self.show_error(exc)
            return
        names = {p.name for p in self.preset_list.presets()}
        name = config.describe()
        while name in names:
            name += "′"
        self.preset_list.add_preset(Preset(name, config, compare=True))
        self._presets_edited()

    def _presets_edited(self) -> None:
        """Renamed, added or removed presets show in the presets combo too."""
        self.controls.set_presets(self.preset_list.presets())

    # Generation.
    def prompt_values(self) -> list[int]:
        """The prompt as token values (after a branch, exactly the values branched to)."""
        text = self.prompt_edit.toPlainText()
        if self._branch is not None and self._branch[0] == text:
            return list(self._branch[1])
        return encode_text(text, self._text_model().spec)

    def generate(self) -> None:
        """Stream one continuation of the prompt into the output view."""
        try:
            loaded = self._text_model()
            config = self.controls.config()
            self.jobs.run(loaded.model, [Job(self.output, self.prompt_values(), config, self.max_tokens.value())])
        except UserError as exc:
            self.show_error(exc)
            return
        self.last_result = None
        self.status.setText(f"Generating with {config.describe()}…")
        self._update_buttons()

    def request_chain(self) -> None:
        """Emit chainRequested with the prompt and the current sampler settings."""
        try:
            config = self.controls.config()
        except UserError as exc:
            self.show_error(exc)
            return
        self.chainRequested.emit(self.prompt_edit.toPlainText(), config)

    def compare(self) -> None:
        """The same prompt and seed through every ticked strategy, one after another, into compareGrid."""
        try:
            loaded = self._text_model()
            prompt = self.prompt_values()
            presets = self.preset_list.checked()
            if not presets:
                raise UserError("Tick at least one strategy to compare.")
            if self.is_busy():
                raise UserError("A generation is running; stop it or wait for it to finish.")
        except UserError as exc:
            self.show_error(exc)
            return
        seed = self.controls.seed if self.controls.seed is not None else secrets.randbelow(MAX_SEED)
        columns = self.grid.set_strategies([(p.name, p.config.describe()) for p in presets])
        self.comparison_view.clear_rows()
        self.comparison_view.make_room(self.results)
        self.comparison = Comparison(loaded.name, decode_text(prompt, loaded.spec), seed, ())
        self.jobs.run(loaded.model, [Job(c.view, prompt, dataclasses.replace(p.config, seed=seed),
                                         self.max_tokens.value(), c, p.name)
                                     for p, c in zip(presets, columns, strict=True)])
        self._update_buttons()

    def branch(self, values: list[int]) -> None:
        """Make `values` the prompt (text up to a token plus another candidate) and generate from it."""
        if self.loaded is None:
            return
        text = decode_text(values, self.loaded.spec)
        self._branch = (text, list(values))
        self.prompt_edit.setPlainText(text)
        if not self.is_busy():
            self.generate()

    # Export.
    def export_markdown(self, path: str | Path) -> Path | None:
        return self._export(path, "markdown")

    def export_csv(self, path: str | Path) -> Path | None:
        return self._export(path, "csv")

    def _export(self, path: str | Path, kind: str) -> Path | None:
        try:
            if self.comparison is None or not self.comparison.rows:
                raise UserError("Nothing to export yet: press Compare first.")
            return write_comparison(self.comparison, path, kind)
        except UserError as exc:
            self.show_error(exc)
            return None

    def _export_dialog(self, kind: str) -> None:
        suffix, pattern = (".md", "Markdown (*.md)") if kind == "markdown" else (".csv", "CSV (*.csv)")
        path, _ = QFileDialog.getSaveFileName(self, "Export the comparison", f"comparison{suffix}", pattern)
        if path:
            self._export(path if Path(path).suffix else path + suffix, kind)

    def _load_presets_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load sampler presets", "", "Presets (*.json)")
        if path:
            self.load_presets_file(path)

    def _save_presets_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save sampler presets", "presets.json", "Presets (*.json)")
        if path:
            try:
                save_presets(self.preset_list.presets(), path)
            except UserError as exc:
                self.show_error(exc)

    # Running jobs.
    def _text_model(self) -> LoadedModel:
        if self.loaded is None:
            raise UserError("Open a text model first: this panel generates text.")
        return self.loaded

    def _on_stepped(self, job: Job) -> None:
        if not self.progress_bar.isVisible() or self.progress_bar.maximum() != job.new_tokens:
            self.progress_bar.setRange(0, job.new_tokens)
            self.progress_bar.show()
        self.progress_bar.setValue(len(job.view.tokens))
        if job.column is not None and job.column.row is None:
            job.column.set_running()
            done = sum(c.row is not None for c in self.grid.columns)
            self.status.setText(f"Comparing: {job.name} ({done + 1}/{len(self.grid.columns)}), "
                                f"seed {job.config.seed}…")

    def _on_done(self, outcome: Outcome) -> None:
        job, spec = outcome.job, outcome.job.view.spec
        row = ComparisonRow(job.name or job.config.describe(), job.config, decode_text(outcome.values, spec),
                            tuple(outcome.values), tuple(outcome.log_probs))
        stopped = " (stopped)" if outcome.stopped else ""
        if job.column is None:
            self.last_result = outcome.result
            self.status.setText(f"{row.tokens} new tokens{stopped} with {job.config.describe()}, "
                                f"seed {outcome.result.seed}: {row.summary().replace(chr(10), ' · ')}")
            return
        self.comparison_view.set_row(job.column, row)
        if self.comparison is not None:
            self.comparison = dataclasses.replace(self.comparison, rows=(*self.comparison.rows, row))
            self.status.setText(f"Compared {len(self.comparison.rows)} strategies{stopped} with seed "
                                f"{self.comparison.seed}. Hover a token for its candidates; click one to branch.")

    def _on_failed(self, job: Job, message: str) -> None:
        if job.column is not None:
            job.column.set_failed(message)
        self.show_error(message)

    def _on_idle(self) -> None:
        self.progress_bar.hide()
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.is_busy()
        self.generate_button.setEnabled(not busy)
        self.compare_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        exportable = not busy and self.comparison is not None and bool(self.comparison.rows)
        self.markdown_button.setEnabled(exportable)
        self.csv_button.setEnabled(exportable)

def _legend() -> str:
    stops = "".join(f"<span style='background:{shade(p).name()}'>&nbsp;{p:g}&nbsp;</span>"
                    for p in (0.0, 0.25, 0.5, 0.75, 1.0))
    return (f"<small>Shade: probability of each token under the model {stops} · hover a token for the "
            "sampler's top candidates · click it to continue with another one</small>")

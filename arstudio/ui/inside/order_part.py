"""The Generation order tab: a sample the model really generates (off the GUI thread, arstudio.inside.order),
replayed value by value in the order the generation engine filled it, with positions not generated yet blank, and
beside it an order map that colours every position by the step that fills it. MADE offers its masks' orderings."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QTextBrowser, QVBoxLayout, QWidget

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.data.mulaw import mu_law_decode
from arstudio.data.text_codec import symbol_label
from arstudio.inside.connectivity import mask_count
from arstudio.inside.order import OrderedSample, generate_in_order, order_name, step_map
from arstudio.ui.common.plot_style import follow_palette, ink, major_grid_only
from arstudio.ui.inside.heat_views import HeatImage, HeatText
from arstudio.ui.inside.part import InsidePart

BLANK = (72, 78, 92)
"""The colour of a position not generated yet: a bluish grey that no grey level or colour of a sample takes."""
MARK = "#30c0ff"
FRAME_MILLISECONDS = 40
ANIMATION_SECONDS = 8.0
"""The default speed plays a whole sample in about this long."""


def frame_rgba(frame: np.ndarray, levels: int) -> np.ndarray:
    """frame [C, H, W] of values (-1: not generated yet) -> [H, W', 4] uint8: grey levels (one channel), colour
    (three), or each channel in grey side by side; blank positions in BLANK (a colour pixel: its missing channels)."""
    frame = np.asarray(frame)
    known = frame >= 0
    grey = np.where(known, np.clip(frame, 0, None) * 255.0 / max(1, levels - 1), 0).astype(np.uint8)
    if frame.shape[0] == 3:
        rgb = np.moveaxis(grey, 0, -1).copy()
        blank = ~known.any(0)
    else:
        rgb = np.repeat(np.concatenate(list(grey), axis=1)[..., None], 3, axis=-1)
        blank = ~np.concatenate(list(known), axis=1)
    rgb[blank] = BLANK
    return np.concatenate([rgb, np.full((*rgb.shape[:2], 1), 255, dtype=np.uint8)], axis=-1)


def image_cell(position: int, shape: tuple[int, ...]) -> tuple[int, int]:
    """The (row, column) of flat `position` in frame_rgba's picture of a (C, H, W) sample."""
    row, col = map_cell(position, shape)
    return (row, col % shape[2]) if shape[0] == 3 else (row, col)


def map_cell(position: int, shape: tuple[int, ...]) -> tuple[int, int]:
    """The (row, column) of flat `position` in the order map (a HeatImage: channels side by side)."""
    channel, row, col = (int(i) for i in np.unravel_index(position, shape))
    return row, channel * shape[2] + col


class OrderImage(pg.PlotWidget):
    """An image sample as far as it is generated; the value just generated outlined."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        follow_palette(self)
        self.setAspectLocked(True)
        self.invertY(True)
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.marker = pg.PlotDataItem(pen=pg.mkPen(MARK, width=2))
        self.addItem(self.marker)
        self.rgba = np.zeros((1, 1, 4), dtype=np.uint8)
        self.setMinimumSize(160, 160)

    def set_frame(self, frame: np.ndarray, levels: int, cell: tuple[int, int] | None) -> None:
        self.rgba = frame_rgba(frame, levels)
        self.image.setImage(self.rgba, autoLevels=False, levels=(0, 255))
        if cell is None:
            self.marker.setData([], [])
        else:
            row, col = cell
            self.marker.setData([col, col + 1, col + 1, col, col], [row, row, row + 1, row + 1, row])
        self.setRange(xRange=(0, self.rgba.shape[1]), yRange=(0, self.rgba.shape[0]), padding=0.02)


class OrderWave(pg.PlotWidget):
    """A waveform drawn up to the step; the rest of the clip greyed out."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        follow_palette(self)
        major_grid_only(self)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.setLabel("bottom", "sample")
        self.setLabel("left", "waveform")
        self.rest = pg.LinearRegionItem((0, 1), movable=False, brush=pg.mkBrush(*BLANK, 110), pen=pg.mkPen(None))
        self.curve = pg.PlotDataItem(pen=pg.mkPen(ink(), width=1))
        self.marker = pg.InfiniteLine(0, angle=90, pen=pg.mkPen(MARK, width=2))
        for item in (self.rest, self.curve, self.marker):
            self.addItem(item)
        self.drawn = 0
        self.setMinimumHeight(160)

    def set_frame(self, wave: np.ndarray, step: int) -> None:
        """wave [L] in [-1, 1], the first `step` samples generated."""
        self.drawn = step
        self.curve.setData(np.arange(step), np.asarray(wave[:step], dtype=np.float32))
        self.rest.setRegion((step - 0.5, len(wave) - 0.5))
        self.marker.setValue(step - 1)
        self.marker.setVisible(step > 0)
        self.setXRange(-0.5, len(wave) - 0.5, padding=0.02)
        self.setYRange(-1.05, 1.05, padding=0)


class OrderText(QTextBrowser):
    """A text as far as it is generated: its tokens, the newest boxed, then a grey dot for each one still to come."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.shown: list[str] = []

    def set_frame(self, tokens: list[str], step: int) -> None:
        self.shown = tokens[:step]
        spans = []
        for i, token in enumerate(tokens):
            if i < step:
                style = "white-space:pre;" + (f"border:2px solid {MARK};background-color:{MARK};color:#000000;"
                                              if i == step - 1 else "")
                spans.append(f'<span style="{style}">{html.escape(token)}</span>')
            else:
                spans.append(f'<span style="background-color:rgb{BLANK};color:#b0b0b0;">·</span>')
        self.setHtml('<div style="font-family:monospace;font-size:13px;line-height:160%;">' + "".join(spans)
                     + "</div>")


class GenerationOrderPart(InsidePart):
    title = "Generation order"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("generationOrderPart", parent)
        controls = QHBoxLayout()
        self.play_button = QPushButton("Play", objectName="orderPlayButton", checkable=True)
        self.play_button.toggled.connect(self._on_play)
        controls.addWidget(self.play_button)
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="orderStepSlider")
        self.slider.setMinimumWidth(160)
        self.slider.valueChanged.connect(self.draw)
        controls.addWidget(self.slider, 1)
        self.step_label = QLabel(objectName="orderStepLabel", minimumWidth=120)
        controls.addWidget(self.step_label)
        controls.addWidget(QLabel("Speed"))
        self.speed_spin = QSpinBox(objectName="orderSpeedSpin", suffix=" steps/s", minimum=1, maximum=5000)
        self.speed_spin.setToolTip("How many values the animation fills per second.")
        controls.addWidget(self.speed_spin)
        self.mask_label = QLabel("Mask")
        controls.addWidget(self.mask_label)
        self.mask_spin = QSpinBox(objectName="orderMaskSpin", keyboardTracking=False)
        self.mask_spin.setToolTip("Which of the order-agnostic MADE's masks, each with its own ordering, generates.")
        self.mask_spin.valueChanged.connect(lambda _index: self.compute())
        controls.addWidget(self.mask_spin)
        self.new_button = QPushButton("New sample", objectName="orderNewSampleButton")
        self.new_button.setToolTip("Generate another sample (the next seed) in the same order.")
        self.new_button.clicked.connect(self.new_sample)
        controls.addWidget(self.new_button)
        self.body.addLayout(controls)
        self.views = QHBoxLayout()
        self.body.addLayout(self.views, 1)
        self.caption = QLabel(wordWrap=True, objectName="orderCaption")
        self.body.addWidget(self.caption)
        self.view: OrderImage | OrderWave | OrderText | None = None
        self.order_map: HeatImage | HeatText | None = None
        self.boxes: list[QWidget] = []
        self.shown: OrderedSample | None = None
        self.seed = 0
        self.timer = QTimer(self, interval=FRAME_MILLISECONDS)
        self.timer.timeout.connect(self._tick)
        self._token = 0
        self._pending = False
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda _message: self._after_job())
        self.show_model()

    def describe(self, loaded: LoadedModel) -> str:
        return ("The order in which the model fills a sample: a sample it generates now, replayed value by value "
                "(blue-grey: not generated yet), and beside it every position coloured by the step that fills it "
                "(dark: early, bright: late). Play, or drag the step slider.")

    # Showing a model

    def mask_index(self) -> int | None:
        """The MADE mask chosen in the spin (None: the model has a single ordering)."""
        loaded = self.loaded
        return self.mask_spin.value() if loaded is not None and mask_count(loaded.model) > 1 else None

    def show_model(self) -> None:
        self._token += 1
        self.play_button.setChecked(False)
        self.shown = None
        self._clear_views()
        loaded = self.loaded
        masks = mask_count(loaded.model) if loaded is not None else 1
        for control in (self.mask_spin, self.mask_label):
            control.setVisible(masks > 1)
        for control in (self.play_button, self.slider, self.speed_spin, self.mask_spin, self.new_button):
            control.setEnabled(loaded is not None)
        if loaded is None:
            self.caption.setText("")
            self.step_label.setText("")
            return
        self.mask_spin.blockSignals(True)
        self.mask_spin.setRange(0, masks - 1)
        self.mask_spin.setValue(max(0, getattr(loaded.model, "mask_index", 0)))
        self.mask_spin.blockSignals(False)
        spec = loaded.spec
        self.view, self.order_map = self._make_views(spec)
        self.boxes = [self._titled(self.view, "The sample so far (blue-grey: not generated yet)"),
                      self._titled(self.order_map, "Order map: the step that fills each position (dark: first, "
                                                   "bright: last)")]
        self.views.addWidget(self.boxes[0], 3 if spec.is_sequence else 1)
        self.views.addWidget(self.boxes[1], 2 if spec.is_sequence else 1)
        self.seed = 0
        self.compute()

    def _make_views(self, spec: DataSpec) -> tuple[OrderImage | OrderWave | OrderText, HeatImage | HeatText]:
        if spec.is_spatial:
            return OrderImage("generationOrderView"), HeatImage("orderMapView")
        order_map: HeatImage | HeatText
        if spec.kind == "audio":
            view: OrderImage | OrderWave | OrderText = OrderWave("generationOrderView")
            order_map = HeatImage("orderMapView")
            order_map.setAspectLocked(False)
            order_map.setFixedHeight(70)
        else:
            view, order_map = OrderText("generationOrderView"), HeatText("orderMapView")
        if self.views.direction() != QHBoxLayout.Direction.TopToBottom:
            self.views.setDirection(QHBoxLayout.Direction.TopToBottom)
        return view, order_map

    @staticmethod
    def _titled(view: QWidget, title: str) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel(title, wordWrap=True))
        column.addWidget(view, 1)
        return box

    def _clear_views(self) -> None:
        for widget in self.boxes:
            if widget is not None:
                self.views.removeWidget(widget)
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        self.view = self.order_map = None
        self.boxes = []
        self.views.setDirection(QHBoxLayout.Direction.LeftToRight)

    # Generating

    def new_sample(self) -> None:
        self.seed += 1
        self.compute()

    def compute(self) -> None:
        loaded = self.loaded
        if loaded is None:
            return
        if self.job.is_running():
            self._pending = True
            return
        self._token += 1
        self.play_button.setChecked(False)
        token, model, mask, seed = self._token, loaded.model, self.mask_index(), self.seed
        self.caption.setText(f"Generating a sample in {order_name(model, mask)} ...")
        self.job.run(lambda: (token, generate_in_order(model, mask, seed)), "generation order")

    def _on_finished(self, result: object) -> None:
        token, shown = result  # type: ignore[misc]
        if token == self._token and self.loaded is not None:
            self.shown = shown
            self.speed_spin.setValue(max(1, round(shown.steps / ANIMATION_SECONDS)))
            self.slider.blockSignals(True)
            self.slider.setRange(0, shown.steps)
            self.slider.setValue(shown.steps)
            self.slider.blockSignals(False)
            self._draw_map()
            self.draw()
        self._after_job()

    def _after_job(self) -> None:
        if self._pending:
            self._pending = False
            self.compute()

    # Playing

    def _on_play(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on and self.shown is not None:
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)
            self.timer.start()
        else:
            self.timer.stop()

    def _tick(self) -> None:
        advance = max(1, round(self.speed_spin.value() * FRAME_MILLISECONDS / 1000))
        step = min(self.slider.maximum(), self.slider.value() + advance)
        self.slider.setValue(step)
        if step >= self.slider.maximum():
            self.play_button.setChecked(False)

    # Drawing

    def step(self) -> int:
        return self.slider.value()

    def _draw_map(self) -> None:
        shown, loaded = self.shown, self.loaded
        if shown is None or loaded is None:
            return
        steps = step_map(shown.order, tuple(shown.sample.shape)).numpy()
        if isinstance(self.order_map, HeatImage):
            self.order_map.set_values(steps.astype(np.float32), (0.0, float(max(1, shown.steps - 1))))
        elif isinstance(self.order_map, HeatText):
            tokens = [symbol_label(int(v), loaded.spec) for v in shown.sample.tolist()]
            self.order_map.set_values(tokens, steps / max(1, shown.steps - 1),
                                      titles=[f"step {int(s) + 1}" for s in steps])

    def draw(self) -> None:
        shown, loaded = self.shown, self.loaded
        if shown is None or loaded is None or self.view is None:
            return
        spec, step = loaded.spec, self.step()
        frame = shown.frame(step).numpy()
        position = int(shown.order[step - 1]) if step > 0 else None
        if isinstance(self.view, OrderImage):
            self.view.set_frame(frame, spec.levels, None if position is None else image_cell(position, spec.shape))
            if isinstance(self.order_map, HeatImage):
                self.order_map.outline(*(map_cell(position, spec.shape) if position is not None else (None, None)))
        elif isinstance(self.view, OrderWave):
            self.view.set_frame(mu_law_decode(shown.sample.numpy(), spec.levels - 1), step)
            if isinstance(self.order_map, HeatImage):
                self.order_map.outline(*((0, position) if position is not None else (None, None)))
        else:
            self.view.set_frame([symbol_label(int(v), spec) for v in shown.sample.tolist()], step)
        self.step_label.setText(f"step {step} of {shown.steps}")
        self.caption.setText(self._caption(step, position))

    def _caption(self, step: int, position: int | None) -> str:
        shown, loaded = self.shown, self.loaded
        assert shown is not None and loaded is not None
        spec = loaded.spec
        text = f"{loaded.name} fills its {shown.steps} values in {order_name(loaded.model, self.mask_index())}"
        if spec.is_sequence and shown.steps < spec.dims:
            text += f" (the first {shown.steps} of {spec.dims} shown)"
        if position is None:
            return text + f". Sampler seed {shown.seed}; press Play to watch it."
        value = int(shown.sample.flatten()[position])
        where = self._where(position, spec)
        shown_value = symbol_label(value, spec) if spec.kind == "text" else str(value)
        log_p = float(shown.log_probs.flatten()[position])
        return (text + f". Step {step}: {where} = {shown_value}, p = {np.exp(log_p):.3f} given the {step - 1} values "
                f"before it. Sampler seed {shown.seed}.")

    @staticmethod
    def _where(position: int, spec: DataSpec) -> str:
        if spec.is_spatial:
            channel, row, col = (int(i) for i in np.unravel_index(position, spec.shape))
            return f"row {row}, column {col}" + (f", channel {'RGB'[channel]}" if spec.shape[0] == 3 else "")
        return f"{'sample' if spec.kind == 'audio' else 'token'} {position}"

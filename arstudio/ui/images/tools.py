"""The painting side of the Images panel: brush, quick masks of unknown pixels, and where an image comes from."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from arstudio.app.image_sources import QUICK_MASKS
from arstudio.data import DataSpec
from arstudio.ui.images.paint_canvas import to_rgb


class BrushControls(QGroupBox):
    """Paint or erase, the brush size, and the value painted: a grey level or a colour."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Brush", parent)
        self.levels, self.channels = 2, 1
        self.color = QColor(255, 255, 255)
        self.paint_tool = QToolButton(self, objectName="paintTool", text="Paint", checkable=True, checked=True)
        self.erase_tool = QToolButton(self, objectName="eraseTool", text="Erase", checkable=True)
        self.paint_tool.setToolTip("Paint known pixels (left button). The right button always erases.")
        self.erase_tool.setToolTip("Make pixels unknown, for the model to fill in.")
        tools = QButtonGroup(self)
        tools.addButton(self.paint_tool)
        tools.addButton(self.erase_tool)
        self.size_spin = QSpinBox(self, objectName="brushSizeSpin", minimum=1, maximum=16, value=1, suffix=" px")
        self.level_slider = QSlider(Qt.Orientation.Horizontal, self, objectName="brushLevelSlider")
        self.level_label = QLabel(self)
        self.color_button = QPushButton("Colour…", self, objectName="brushColorButton")
        self.swatch = QLabel(self)
        self.swatch.setFixedSize(22, 22)
        self.swatch.setToolTip("The value the brush paints")
        row = QHBoxLayout()
        for tool in (self.paint_tool, self.erase_tool):
            tool.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            row.addWidget(tool)
        row.addWidget(QLabel("size"))
        row.addWidget(self.size_spin)
        value_row = QHBoxLayout()
        value_row.addWidget(self.swatch)
        value_row.addWidget(self.level_slider, 1)
        value_row.addWidget(self.level_label)
        value_row.addWidget(self.color_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(value_row)
        for signal in (tools.buttonToggled, self.size_spin.valueChanged, self.level_slider.valueChanged):
            signal.connect(self._changed)
        self.color_button.clicked.connect(self._pick_color)

    def set_spec(self, spec: DataSpec) -> None:
        self.levels, self.channels = spec.levels, spec.shape[0]
        grey = self.channels == 1
        self.level_slider.setVisible(grey)
        self.level_label.setVisible(grey)
        self.color_button.setVisible(not grey)
        self.level_slider.setRange(0, spec.levels - 1)
        self.level_slider.setValue(spec.levels - 1)
        self.size_spin.setMaximum(max(1, max(spec.shape[1:]) // 2))
        self._changed()

    @property
    def erasing(self) -> bool:
        return self.erase_tool.isChecked()

    def value(self) -> np.ndarray:
        """The painted value per channel, in 0..levels-1."""
        if self.channels == 1:
            return np.array([self.level_slider.value()], dtype=np.int64)
        rgba = (self.color.red(), self.color.green(), self.color.blue(), self.color.alpha())
        return np.array([v * self.levels // 256 for v in rgba[:self.channels]], dtype=np.int64)

    def set_value(self, value: np.ndarray) -> None:
        """Take the brush value from a pixel (the canvas's eyedropper)."""
        if self.channels == 1:
            self.level_slider.setValue(int(value[0]))
        else:
            rgb = to_rgb(np.asarray(value).reshape(-1, 1, 1), self.levels)[0, 0]
            self.color = QColor(int(rgb[0]), int(rgb[1]), int(rgb[2]))
            self._changed()

    def _pick_color(self) -> None:
        dialog = QColorDialog(self.color, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.colorSelected.connect(self._color_chosen)
        dialog.open()

    def _color_chosen(self, color: QColor) -> None:
        self.color = color
        self._changed()

    def _changed(self, *_args) -> None:
        self.level_label.setText(f"{self.level_slider.value()}/{self.levels - 1}")
        r, g, b = to_rgb(self.value().reshape(-1, 1, 1), self.levels)[0, 0]
        self.swatch.setStyleSheet(f"background: rgb({r},{g},{b}); border: 1px solid palette(mid);")
        self.changed.emit()


class MaskControls(QGroupBox):
    """Buttons that make a region unknown in one click."""

    maskRequested = Signal(str)
    allUnknown = Signal()
    allKnown = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Unknown pixels", parent)
        grid = QGridLayout(self)
        names = {"bottom half": "quickMaskBottom", "right half": "quickMaskRight", "centre": "quickMaskCentre",
                 "random": "quickMaskRandom"}
        for i, name in enumerate(QUICK_MASKS):
            button = QPushButton(name.capitalize(), self, objectName=names[name])
            button.setToolTip(f"Make the {name} of the image unknown" if name != "random"
                              else "Make a random half of the pixels unknown")
            button.clicked.connect(lambda _=False, name=name: self.maskRequested.emit(name))
            grid.addWidget(button, i // 2, i % 2)
        erase_all = QPushButton("All", self, objectName="quickMaskAll", toolTip="Make every pixel unknown")
        keep_all = QPushButton("None", self, objectName="quickMaskNone", toolTip="Make every pixel known")
        erase_all.clicked.connect(self.allUnknown)
        keep_all.clicked.connect(self.allKnown)
        grid.addWidget(erase_all, 2, 0)
        grid.addWidget(keep_all, 2, 1)


class SourceControls(QGroupBox):
    """Start from a test-set image, an image file, or a blank canvas."""

    testImageRequested = Signal(int)
    randomTestImageRequested = Signal()
    fileRequested = Signal()
    blankRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Start from", parent)
        self.test_spin = QSpinBox(self, objectName="testImageSpin", minimum=0, maximum=63, prefix="#")
        self.test_button = QPushButton("Test image", self, objectName="testImageButton")
        self.random_button = QPushButton("Random", self, objectName="randomTestImageButton")
        self.file_button = QPushButton("Image file…", self, objectName="openImageButton")
        self.blank_button = QPushButton("Blank", self, objectName="blankImageButton")
        self.test_button.setToolTip("An image of the model's test split, never seen in training")
        grid = QGridLayout(self)
        grid.addWidget(self.test_button, 0, 0)
        grid.addWidget(self.test_spin, 0, 1)
        grid.addWidget(self.random_button, 0, 2)
        grid.addWidget(self.file_button, 1, 0, 1, 2)
        grid.addWidget(self.blank_button, 1, 2)
        self.test_button.clicked.connect(lambda: self.testImageRequested.emit(self.test_spin.value()))
        self.random_button.clicked.connect(self.randomTestImageRequested)
        self.file_button.clicked.connect(self.fileRequested)
        self.blank_button.clicked.connect(self.blankRequested)

    def set_test_count(self, count: int) -> None:
        has_tests = count > 0
        self.test_spin.setMaximum(max(0, count - 1))
        for widget in (self.test_spin, self.test_button, self.random_button):
            widget.setEnabled(has_tests)
            widget.setToolTip("" if has_tests else "This model's data set is not available here; open an image "
                              "file or paint one instead.")

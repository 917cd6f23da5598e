"""Listening: the output device (and Rescan), Play, Stop, Loop, and why playback may be off."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from arstudio.ui.audio.player import AudioPlayer


class PlaybackBar(QWidget):
    """Plays clips through `player` on the chosen device. Passes on the player's playingChanged(bool), emits
    playheadMoved(seconds or None) for a clip played with follow=True and devicesChanged() after looking for
    output devices."""

    playingChanged = Signal(bool)
    playheadMoved = Signal(object)
    devicesChanged = Signal()

    def __init__(self, player: AudioPlayer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player
        self.following = True
        """Whether the playhead follows the clip playing (the Clip tab's does, a compared clip's does not)."""
        self.device_combo = QComboBox(objectName="audioDeviceCombo")
        self.device_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device_combo.setMinimumContentsLength(12)
        self.rescan_button = QPushButton("Rescan", objectName="audioRescanButton")
        self.rescan_button.setToolTip("Look for output devices again (after plugging one in).")
        self.play_button = QPushButton("Play", objectName="playButton")
        self.stop_button = QPushButton("Stop", objectName="audioStopButton", enabled=False)
        self.loop_check = QCheckBox("Loop", objectName="audioLoopCheck")
        self.playback_label = QLabel("", objectName="playbackHint", wordWrap=True)
        devices = QHBoxLayout()
        devices.addWidget(QLabel("Output"))
        devices.addWidget(self.device_combo, 1)
        devices.addWidget(self.rescan_button)
        transport = QHBoxLayout()
        transport.addWidget(self.play_button, 1)
        transport.addWidget(self.stop_button)
        transport.addWidget(self.loop_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(devices)
        layout.addLayout(transport)
        layout.addWidget(self.playback_label)
        self.stop_button.clicked.connect(lambda: self.player.stop())
        self.loop_check.toggled.connect(lambda loop: self.player.set_loop(loop))
        self.rescan_button.clicked.connect(lambda: self.show_devices(rescan=True))
        self._connect_player()

    def use_player(self, player: AudioPlayer) -> None:
        """Play through `player` from now on (e.g. one with another device query)."""
        self.player.stop()
        self.player.playingChanged.disconnect(self._on_playing_changed)
        self.player.positionChanged.disconnect(self._on_position)
        self.player = player
        self._connect_player()
        self.show_devices()

    def play(self, clip: np.ndarray, sample_rate: int, follow: bool = True) -> None:
        """Play `clip` on the chosen device, looping if Loop is ticked, the playhead following it if `follow`;
        UserError when it cannot."""
        if not follow:
            self.playheadMoved.emit(None)
        self.following = follow
        self.player.play(clip, sample_rate, self.device_combo.currentData(), self.loop_check.isChecked())

    def show_devices(self, rescan: bool = False) -> None:
        status = self.player.refresh(rescan=rescan)
        chosen = self.device_combo.currentData()
        self.device_combo.clear()
        for row, device in enumerate(status.devices):
            self.device_combo.addItem(device.label, device.index)
            self.device_combo.setItemData(row, device.label, Qt.ItemDataRole.ToolTipRole)
        index = self.device_combo.findData(chosen)
        self.device_combo.setCurrentIndex(max(index, 0))
        self.playback_label.setText(status.message)
        self.playback_label.setVisible(bool(status.message))
        tip = status.message or "Play the clip through the chosen output device."
        self.play_button.setToolTip(tip)
        self.device_combo.setToolTip(status.message or "Where the sound goes.")
        self.devicesChanged.emit()

    def update_enabled(self, has_clip: bool) -> None:
        """Play needs a device and a clip; the device is chosen while nothing plays."""
        can_play = self.player.status.available
        playing = self.player.is_playing()
        self.device_combo.setEnabled(can_play and not playing)
        self.rescan_button.setEnabled(not playing)
        self.play_button.setEnabled(can_play and has_clip and not playing)
        self.stop_button.setEnabled(playing)

    def _connect_player(self) -> None:
        self.player.playingChanged.connect(self._on_playing_changed)
        self.player.positionChanged.connect(self._on_position)

    def _on_playing_changed(self, playing: bool) -> None:
        if not playing:
            self.playheadMoved.emit(None)
        self.playingChanged.emit(playing)

    def _on_position(self, seconds: float) -> None:
        if self.following:
            self.playheadMoved.emit(seconds)

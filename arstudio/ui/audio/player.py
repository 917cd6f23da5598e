"""Playing a clip through sounddevice (PortAudio): play, stop, loop and a choice of output device.

PortAudio calls the stream callback on its own thread, so the callback only moves numbers in a
plain `Playback` object; a GUI-thread timer polls it and turns what happened into Qt signals.
sounddevice is imported lazily: without PortAudio, or without an output device, playback is off
with a message that says how to fix it, and the rest of the application is unaffected.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from arstudio.data.files.audio import resample
from arstudio.errors import UserError

POLL_MILLISECONDS = 30
PORTAUDIO_HINT = (
    "Playback is off: the PortAudio library was not found. Install it (Debian/Ubuntu: "
    "sudo apt install libportaudio2; Fedora: sudo dnf install portaudio; macOS: brew install portaudio) "
    "and restart ARStudio. Generating and saving WAV files work without it."
)
NO_DEVICE_HINT = (
    "Playback is off: no audio output device was found. Connect speakers or headphones (or start the "
    "system's sound server), then press Rescan. Generating and saving WAV files still work."
)

DeviceQuery = Callable[[], Sequence[Mapping[str, Any]]]
"""Returns every audio device as sounddevice.query_devices() describes them."""


@dataclass(frozen=True)
class OutputDevice:
    index: int
    name: str
    host_api: str = ""
    default_rate: float = 0.0
    is_default: bool = False

    @property
    def label(self) -> str:
        api = f" ({self.host_api})" if self.host_api else ""
        marker = " – default" if self.is_default and "default" not in self.name.lower() else ""
        return f"{self.name}{api}{marker}"


@dataclass(frozen=True)
class PlaybackStatus:
    """The output devices playback can use, or why it cannot play at all."""

    devices: tuple[OutputDevice, ...]
    message: str = ""

    @property
    def available(self) -> bool:
        return bool(self.devices) and not self.message


def output_devices(devices: Sequence[Mapping[str, Any]]) -> list[OutputDevice]:
    """The devices that can play sound, the default output first."""
    outputs = [
        OutputDevice(int(d.get("index", i)), str(d.get("name", f"device {i}")), str(d.get("hostapi_name", "")),
                     float(d.get("default_samplerate", 0.0)), bool(d.get("default_output", False)))
        for i, d in enumerate(devices)
        if int(d.get("max_output_channels", 0)) > 0
    ]
    return sorted(outputs, key=lambda device: not device.is_default)


def playback_status(devices: Sequence[Mapping[str, Any]]) -> PlaybackStatus:
    outputs = output_devices(devices)
    return PlaybackStatus(tuple(outputs), "" if outputs else NO_DEVICE_HINT)


def missing_portaudio_status(error: BaseException) -> PlaybackStatus:
    """The status when sounddevice cannot be imported (PortAudio missing or broken)."""
    return PlaybackStatus((), f"{PORTAUDIO_HINT} ({type(error).__name__}: {error})")


def import_sounddevice() -> ModuleType:
    """The sounddevice module; OSError when PortAudio is missing, ImportError without the package."""
    return importlib.import_module("sounddevice")


def system_devices(sd: ModuleType) -> list[dict[str, Any]]:
    """PortAudio's devices, each with its host API's name and whether it is the default output."""
    apis = sd.query_hostapis()
    try:
        default = int(sd.query_devices(kind="output")["index"])
    except (sd.PortAudioError, ValueError, KeyError):
        default = -1
    devices = []
    for device in sd.query_devices():
        entry = dict(device)
        entry["hostapi_name"] = apis[entry["hostapi"]]["name"] if 0 <= entry.get("hostapi", -1) < len(apis) else ""
        entry["default_output"] = entry.get("index") == default
        devices.append(entry)
    return devices


class Playback:
    """What the PortAudio callback shares with the GUI thread: plain numbers and an event."""

    def __init__(self, audio: np.ndarray, rate: int, loop: bool) -> None:
        self.audio = audio
        self.rate = rate
        self.loop = loop
        self.position = 0
        self.frames = 0
        self.loops = 0
        self.done = threading.Event()

    def fill(self, out: np.ndarray, stop: type[Exception]) -> None:
        """Write the next len(out) frames into out[:, 0]; raise `stop` once the clip has ended."""
        wanted, written = len(out), 0
        while written < wanted:
            chunk = self.audio[self.position:self.position + wanted - written]
            out[written:written + len(chunk), 0] = chunk
            written += len(chunk)
            self.position += len(chunk)
            if self.position < len(self.audio):
                continue
            if not self.loop:
                break
            self.position = 0
            self.loops += 1
        self.frames += written
        if written < wanted:
            out[written:] = 0
            raise stop


class AudioPlayer(QObject):
    """One clip at a time through sounddevice. Emits playingChanged(bool), positionChanged(float
    seconds) and finished() on the GUI thread."""

    playingChanged = Signal(bool)
    positionChanged = Signal(float)
    finished = Signal()

    def __init__(self, parent: QObject | None = None, query: DeviceQuery | None = None) -> None:
        super().__init__(parent)
        self._sd: ModuleType | None = None
        self._import_error: BaseException | None = None
        try:
            self._sd = import_sounddevice()
        except (OSError, ImportError) as exc:
            self._import_error = exc
        self._query = query
        self._stream: Any = None
        self.playback: Playback | None = None
        self.timer = QTimer(self, interval=POLL_MILLISECONDS)
        self.timer.timeout.connect(self._poll)
        self.status = PlaybackStatus(())
        self.refresh()

    def refresh(self, rescan: bool = False) -> PlaybackStatus:
        """Ask for the output devices again; `rescan` restarts PortAudio, the only way it sees new hardware."""
        if self._sd is None:
            self.status = missing_portaudio_status(self._import_error or OSError("sounddevice is unavailable"))
            return self.status
        if rescan and hasattr(self._sd, "_terminate") and hasattr(self._sd, "_initialize"):
            self.stop()
            self._sd._terminate()
            self._sd._initialize()
        try:
            devices = self._query() if self._query is not None else system_devices(self._sd)
        except self._sd.PortAudioError as exc:
            self.status = PlaybackStatus((), f"{NO_DEVICE_HINT} (PortAudio: {exc})")
            return self.status
        self.status = playback_status(devices)
        return self.status

    def is_playing(self) -> bool:
        return self._stream is not None

    @property
    def frames_played(self) -> int:
        return self.playback.frames if self.playback is not None else 0

    @property
    def loops(self) -> int:
        return self.playback.loops if self.playback is not None else 0

    def set_loop(self, loop: bool) -> None:
        if self.playback is not None:
            self.playback.loop = loop

    def play(self, audio: np.ndarray, rate: int, device: int | None = None, loop: bool = False) -> None:
        """Start playing mono float samples in [-1, 1]; UserError when playback is impossible."""
        if not self.status.available or self._sd is None:
            raise UserError(self.status.message or NO_DEVICE_HINT)
        if len(audio) == 0:
            raise UserError("There is nothing to play yet: generate a clip first.")
        self.stop()
        try:
            self._open(np.asarray(audio, dtype=np.float32), rate, device, loop)
        except self._sd.PortAudioError as exc:
            fallback = next((d.default_rate for d in self.status.devices if d.index == device), 0.0)
            if fallback <= 0 or int(fallback) == rate:
                raise UserError(f"The output device refused to play ({exc}); choose another device or press "
                                "Rescan.") from exc
            try:
                self._open(resample(audio, rate, int(fallback)).astype(np.float32), int(fallback), device, loop)
            except self._sd.PortAudioError as again:
                raise UserError(f"The output device refused to play ({again}); choose another device or press "
                                "Rescan.") from again
        self.timer.start()
        self.playingChanged.emit(True)

    def stop(self) -> None:
        """Stop playing now (no finished() signal)."""
        if self._stream is None:
            return
        stream, self._stream = self._stream, None
        self.timer.stop()
        try:
            stream.abort()
            stream.close()
        except self._sd.PortAudioError:
            pass
        self.playingChanged.emit(False)

    def _open(self, audio: np.ndarray, rate: int, device: int | None, loop: bool) -> None:
        sd = self._sd
        playback = Playback(audio, rate, loop)

        def callback(outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
            playback.fill(outdata, sd.CallbackStop)

        stream = sd.OutputStream(samplerate=rate, device=device, channels=1, dtype="float32", callback=callback,
                                 finished_callback=playback.done.set)
        try:
            stream.start()
        except sd.PortAudioError:
            stream.close()
            raise
        self._stream, self.playback = stream, playback

    def _poll(self) -> None:
        playback = self.playback
        if playback is None or self._stream is None:
            self.timer.stop()
            return
        self.positionChanged.emit(playback.position / playback.rate)
        if playback.done.is_set():
            stream, self._stream = self._stream, None
            self.timer.stop()
            stream.close()
            self.playingChanged.emit(False)
            self.finished.emit()

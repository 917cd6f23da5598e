"""A window's side of a run's live events: connect with the run's address, read on a thread, send controls.

Messages land in `messages` (a thread-safe queue) for the GUI thread to drain; the last one is always
`{"type": "closed"}`, when the run's process ended the stream or the connection broke.
"""

from __future__ import annotations

import queue
import socket
import threading
from typing import Any

from arstudio.training.live.wire import CONTROLS, LineReader, encode

CONNECT_SECONDS = 2.0


class LiveClient:
    def __init__(self, address: dict[str, Any]) -> None:
        """Connect to a run process at `address` (from `RunRecord.live`); raises ConnectionError."""
        try:
            self._socket = socket.create_connection((address["host"], int(address["port"])), CONNECT_SECONDS)
            self._socket.settimeout(None)
            self._socket.sendall(encode({"type": "auth", "token": address["token"]}))
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ConnectionError(f"the run's process does not answer at {address.get('port')}: {exc}") from exc
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._send_lock = threading.Lock()
        threading.Thread(target=self._read, name="arstudio-live-client", daemon=True).start()

    def send_control(self, action: str, value: Any = None) -> bool:
        """pause, resume, stop or threads (value: a count); False when the run's process is gone."""
        if action not in CONTROLS:
            raise ValueError(f"Unknown control {action!r}; use one of {CONTROLS}.")
        try:
            with self._send_lock:
                self._socket.sendall(encode({"type": "control", "action": action, "value": value}))
        except OSError:
            return False
        return True

    def close(self) -> None:
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._socket.close()

    def _read(self) -> None:
        reader = LineReader()
        try:
            while data := self._socket.recv(65536):
                for message in reader.feed(data):
                    self.messages.put(message)
        except (OSError, ConnectionError):
            pass
        self.messages.put({"type": "closed"})

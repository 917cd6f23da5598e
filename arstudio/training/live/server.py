"""The run process's side: publish events to every window that connects, take their controls.

The server listens on 127.0.0.1 on a free port; the port and a random token go into the run store
(`RunStore.set_live`), and a client must send the token first. Each client has its own writer thread and
queue, so a window that stops reading never holds the training loop up; one that falls too far behind is
dropped (it reconnects and reads the store). A client that connects late first receives the recent
history, so a window that re-attaches misses none of the steps the store has not been given yet.
"""

from __future__ import annotations

import collections
import queue
import secrets
import socket
import threading
from collections.abc import Callable
from typing import Any

from arstudio.training.live.wire import CONTROLS, LineReader, encode

HISTORY = 5000
"""Messages kept for a late client: more than a second of steps of any model (the store lags at most one)."""
BACKLOG = 20000
"""Messages queued for one client before it is dropped as too slow."""
AUTH_SECONDS = 5.0
Control = Callable[[str, Any], None]


class LiveServer:
    def __init__(self, on_control: Control, history: int = HISTORY) -> None:
        self.on_control = on_control
        self.token = secrets.token_hex(16)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._history: collections.deque[bytes] = collections.deque(maxlen=history)
        self._clients: list[queue.Queue[bytes | None]] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def address(self) -> dict[str, Any]:
        host, port = self._listener.getsockname()[:2]
        return {"host": host, "port": port, "token": self.token}

    def start(self) -> None:
        threading.Thread(target=self._accept, name="arstudio-live-accept", daemon=True).start()

    def publish(self, message: dict[str, Any], keep: bool = True) -> None:
        """Send to every client; `keep` also keeps it for clients that connect later."""
        data = encode(message)
        with self._lock:
            if keep:
                self._history.append(data)
            for outbox in list(self._clients):
                if outbox.qsize() > BACKLOG:
                    self._clients.remove(outbox)
                    outbox.put(None)
                else:
                    outbox.put(data)

    def close(self, linger: float = 2.0) -> None:
        """Stop listening; clients get what was published (waiting up to `linger` seconds), then EOF."""
        with self._lock:
            self._closed = True
            clients, self._clients = self._clients, []
        for outbox in clients:
            outbox.put(None)
        writers = [t for t in threading.enumerate() if t.name == "arstudio-live-writer"]
        for writer in writers:
            writer.join(linger / max(1, len(writers)))
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), name="arstudio-live-reader", daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        reader = LineReader()
        connection.settimeout(AUTH_SECONDS)
        try:
            messages = self._first_messages(connection, reader)
            if not messages or messages[0].get("type") != "auth" or not secrets.compare_digest(
                    str(messages[0].get("token", "")), self.token):
                connection.close()
                return
            connection.settimeout(None)
            outbox: queue.Queue[bytes | None] = queue.Queue()
            with self._lock:
                if self._closed:
                    connection.close()
                    return
                for data in self._history:
                    outbox.put(data)
                self._clients.append(outbox)
            threading.Thread(target=self._write, args=(connection, outbox), name="arstudio-live-writer",
                             daemon=True).start()
            self._controls(messages[1:])
            while data := connection.recv(65536):
                self._controls(reader.feed(data))
        except (OSError, ConnectionError):
            connection.close()

    @staticmethod
    def _first_messages(connection: socket.socket, reader: LineReader) -> list[dict[str, Any]]:
        while True:
            data = connection.recv(4096)
            if not data:
                return []
            messages = reader.feed(data)
            if messages:
                return messages

    def _controls(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            if message.get("type") == "control" and message.get("action") in CONTROLS:
                self.on_control(message["action"], message.get("value"))

    @staticmethod
    def _write(connection: socket.socket, outbox: queue.Queue[bytes | None]) -> None:
        try:
            while (data := outbox.get()) is not None:
                connection.sendall(data)
            connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            connection.close()

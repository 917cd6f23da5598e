"""Live events between a run's process and the windows watching it: JSON lines over a local socket."""

from arstudio.training.live.client import LiveClient
from arstudio.training.live.server import LiveServer
from arstudio.training.live.wire import CONTROLS, event_from_message, event_message

__all__ = ["CONTROLS", "LiveClient", "LiveServer", "event_from_message", "event_message"]

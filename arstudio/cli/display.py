"""Does an X server answer on $DISPLAY? Qt aborts when it cannot connect, so this is asked first.

Only the socket is opened (the server's local socket, or TCP port 6000+N for `host:N`, as `ssh -X` sets it);
no X request is sent. A DISPLAY of another form is not judged.
"""

from __future__ import annotations

import re
import socket

from arstudio.errors import UserError

CONNECT_TIMEOUT_S = 2.0
DISPLAY_FORM = re.compile(r"^(?P<host>[^:/]*)(?:/unix)?:(?P<number>\d+)(?:\.\d+)?$")


def x_server_answers(display: str) -> bool | None:
    """True when something listens where `display` points, False when nothing does, None for an unknown form."""
    match = DISPLAY_FORM.match(display.strip())
    if match is None:
        return None
    host, number = match["host"], int(match["number"])
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        return _connects(socket.AF_UNIX, path) or _connects(socket.AF_UNIX, "\0" + path)
    try:
        socket.create_connection((host, 6000 + number), timeout=CONNECT_TIMEOUT_S).close()
        return True
    except OSError:
        return False


def require_x_server(display: str) -> None:
    """Raise UserError where Qt's xcb platform would abort: DISPLAY unset, or no X server behind it."""
    if not display:
        raise UserError("Qt's xcb platform needs an X display, but DISPLAY is not set. Run ARStudio in a desktop "
                        "session, over `ssh -X` or under `xvfb-run arstudio`.")
    if x_server_answers(display) is False:
        raise UserError(f"No X server answers on DISPLAY={display}. Start it (or log in to the desktop again), "
                        "check DISPLAY, or run `xvfb-run arstudio` for a virtual screen.")


def _connects(family: socket.AddressFamily, address: str) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(CONNECT_TIMEOUT_S)
            probe.connect(address)
        return True
    except OSError:
        return False

"""Will Qt's platform plugin load? Checked with `ldd` before Qt starts, so a missing library is a message.

Qt aborts the process (a core dump, no way to catch it) when its platform plugin cannot be loaded. On
Linux the plugin that will be used (`libqxcb.so` for X, `libqwayland*.so` for Wayland) is found inside the
PySide6 package without importing it, and `ldd` lists its own dependencies, with those of the Qt library
it links (`libQt6XcbQpa`, `libQt6WaylandClient`): every "not found" line is a library to install.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from arstudio.errors import UserError

LDD_TIMEOUT_S = 20
UNCHECKED_PLATFORMS = frozenset({"offscreen", "minimal", "vnc"})
"""Platforms that need no system display libraries: nothing to check."""
PLATFORM_QT_LIBRARIES = {"xcb": ("libQt6XcbQpa.so.6",), "wayland": ("libQt6WaylandClient.so.6",)}
"""The Qt library each platform plugin links, whose dependencies are checked with it."""
PACKAGES = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libGLdispatch.so.0": "libglvnd0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
"""Debian/Ubuntu package of each library Qt's X and Wayland plugins link; others are derived by name."""
BUNDLED_PREFIXES = ("libQt6", "libpyside6", "libshiboken6")
"""Libraries that come inside the PySide6 wheel: missing ones mean a damaged install, not a system package."""


@dataclass(frozen=True)
class PluginCheck:
    """What was found about the platform plugin Qt would load."""

    platform: str
    plugin: Path | None = None
    missing: tuple[str, ...] = ()
    skipped: str = ""
    """Why nothing was checked (not Linux, no ldd, an offscreen platform, no PySide6); empty when checked."""

    @property
    def ok(self) -> bool:
        return self.skipped != "" or (self.plugin is not None and not self.missing)


def platforms_to_try(environ: Mapping[str, str] | None = None) -> list[str]:
    """The platforms Qt tries, in order: QT_QPA_PLATFORM's list, else Wayland first in a Wayland session."""
    env = os.environ if environ is None else environ
    named = env.get("QT_QPA_PLATFORM", "").strip()
    if named:
        return [entry.split(":")[0].strip() for entry in named.split(";") if entry.strip()]
    wayland_session = env.get("XDG_SESSION_TYPE", "").lower() == "wayland" and env.get("WAYLAND_DISPLAY")
    if wayland_session:
        return ["wayland", "xcb"] if env.get("DISPLAY") else ["wayland"]
    return ["xcb"]


def pyside_plugins_dir() -> Path | None:
    """PySide6's `Qt/plugins` folder, found without importing PySide6; None where PySide6 is not installed."""
    spec = importlib.util.find_spec("PySide6")
    for location in (spec.submodule_search_locations or []) if spec else []:
        plugins = Path(location) / "Qt" / "plugins"
        if plugins.is_dir():
            return plugins
    return None


def plugin_file(platform: str, plugins_dir: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The plugin Qt loads for `platform`: `libq<platform>.so` (for Wayland any `libqwayland*.so` where that
    name is absent), from $QT_QPA_PLATFORM_PLUGIN_PATH first, as Qt looks there first, else from PySide6."""
    env = os.environ if environ is None else environ
    folders = [Path(env["QT_QPA_PLATFORM_PLUGIN_PATH"])] if env.get("QT_QPA_PLATFORM_PLUGIN_PATH") else []
    folders += [plugins_dir / "platforms"] if plugins_dir else []
    for folder in folders:
        exact = folder / f"libq{platform}.so"
        found = [exact] if exact.is_file() else []
        found += sorted(folder.glob("libqwayland*.so")) if platform.startswith("wayland") else []
        if found:
            return found[0]
    return None


def missing_libraries(plugin: Path, also: Sequence[Path] = ()) -> tuple[str, ...]:
    """The libraries `ldd` reports "not found" for `plugin` (and the libraries in `also`), sorted, once each."""
    files = [str(plugin), *(str(path) for path in also if path.is_file())]
    try:
        done = subprocess.run(["ldd", *files], capture_output=True, text=True, timeout=LDD_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return tuple(sorted(set(re.findall(r"^\s*(\S+)\s+=>\s+not found", done.stdout, flags=re.MULTILINE))))


def check_plugin(platform: str, plugin: Path) -> PluginCheck:
    """Check one plugin file and the Qt library its platform links (from PySide6's `Qt/lib`)."""
    qt_lib = plugin.parent.parent.parent / "lib"
    linked = [qt_lib / name for name in PLATFORM_QT_LIBRARIES.get(platform.split("-")[0], ())]
    return PluginCheck(platform, plugin, missing_libraries(plugin, linked))


def check_platform(platform: str, plugins_dir: Path | None = None,
                   environ: Mapping[str, str] | None = None) -> PluginCheck:
    """Whether Qt's `platform` plugin will load here; skipped (ok) where there is nothing to check."""
    if not sys.platform.startswith("linux"):
        return PluginCheck(platform, skipped="not Linux")
    if platform in UNCHECKED_PLATFORMS:
        return PluginCheck(platform, skipped=f"the {platform} platform needs no display libraries")
    if shutil.which("ldd") is None:
        return PluginCheck(platform, skipped="ldd is not installed, so the libraries were not checked")
    plugins_dir = plugins_dir or pyside_plugins_dir()
    if plugins_dir is None:
        return PluginCheck(platform, skipped="PySide6 is not installed")
    plugin = plugin_file(platform, plugins_dir, environ)
    return check_plugin(platform, plugin) if plugin else PluginCheck(platform)


def check_platforms(environ: Mapping[str, str] | None = None) -> list[PluginCheck]:
    """A check of every platform Qt would try, in its order."""
    return [check_platform(platform, environ=environ) for platform in platforms_to_try(environ)]


def first_loading(checks: Sequence[PluginCheck]) -> PluginCheck:
    """The platform Qt ends up with: the first that loads, else the first one tried (with what it misses)."""
    return next((check for check in checks if check.ok), checks[0])


def check_qt_platform(environ: Mapping[str, str] | None = None) -> PluginCheck:
    return first_loading(check_platforms(environ))


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships `soname`: the table, else derived (libfoo.so.3 -> libfoo3)."""
    if soname in PACKAGES:
        return PACKAGES[soname]
    stem, _, version = soname.partition(".so")
    version = version.lstrip(".").split(".")[0]
    if not version:
        return stem.lower()
    return f"{stem.lower()}{'-' if stem[-1].isdigit() else ''}{version}"


def install_command(packages: Sequence[str]) -> str:
    """One line that installs `packages`: apt-get as root, else sudo apt."""
    prefix = "apt-get install -y" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo apt install"
    return f"{prefix} {' '.join(packages)}"


REINSTALL_PYSIDE = "reinstall PySide6: `pip install --force-reinstall PySide6`"


def problem(check: PluginCheck) -> str:
    """What is wrong with a failed check, in words."""
    if check.plugin is None:
        return f"PySide6 has no Qt platform plugin for {check.platform!r}"
    verb = "is" if len(check.missing) == 1 else "are"
    return f"Qt's {check.platform} platform plugin needs {', '.join(check.missing)}, which {verb} not installed"


def remedy(check: PluginCheck) -> str:
    """What brings what a failed check misses: one `apt install` line, or reinstalling PySide6."""
    if check.plugin is None or any(name.startswith(BUNDLED_PREFIXES) for name in check.missing):
        return REINSTALL_PYSIDE
    return install_command(sorted({debian_package(name) for name in check.missing}))


def missing_message(check: PluginCheck) -> str:
    """What is missing for `check` and the one line that installs it."""
    fix = remedy(check)
    if fix == REINSTALL_PYSIDE:
        return f"{problem(check)}: {fix}."
    them = "it" if len(check.missing) == 1 else "them"
    return f"{problem(check)}. Install {them} (package names for Debian/Ubuntu):\n\n    {fix}\n"


def require_qt_platform(environ: Mapping[str, str] | None = None) -> PluginCheck:
    """The platform Qt will use; UserError naming the missing libraries and the line that installs them where
    Qt would abort."""
    check = check_qt_platform(environ)
    if not check.ok:
        raise UserError(f"The workbench window cannot start: {missing_message(check)}\n"
                        "Then run arstudio again; `arstudio doctor` shows what else is missing.")
    return check

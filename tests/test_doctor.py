"""The check that Qt's platform plugin loads before Qt starts, and `arstudio doctor`.

The libraries are checked with the real `ldd`: on PySide6's own xcb plugin, and on a small plugin built here
with the system C compiler against a library that is deleted afterwards, so `ldd` truly reports it missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from arstudio.cli import qt_libraries
from arstudio.cli.display import x_server_answers

LINUX_WITH_LDD = pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None,
                                    reason="the plugin check runs on Linux, with ldd")
MISSING = "libarstudio-missing-test.so.3"
TOPICS = ("Qt platform", "Display", "PortAudio", "Output devices", "C compiler", "espeak-ng", "GPU", "Data folder")


@pytest.fixture
def plugin_folder(tmp_path: Path) -> Path:
    """A `platforms` folder whose libqxcb.so links MISSING, which no longer exists."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("needs a C compiler to build the plugin")
    dummy, platforms = tmp_path / "dummy", tmp_path / "plugins" / "platforms"
    dummy.mkdir()
    platforms.mkdir(parents=True)
    (dummy / "dummy.c").write_text("int arstudio_missing_test(void) { return 3; }\n")
    (platforms / "plugin.c").write_text("int arstudio_missing_test(void);\nint plugin(void) "
                                        "{ return arstudio_missing_test(); }\n")
    subprocess.run([cc, "-shared", "-fPIC", f"-Wl,-soname,{MISSING}", "-o", str(dummy / MISSING),
                    str(dummy / "dummy.c")], check=True)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(platforms / "libqxcb.so"), str(platforms / "plugin.c"),
                    str(dummy / MISSING)], check=True)
    shutil.rmtree(dummy)
    return platforms


def environment(**values: str | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if name not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "QT_QPA_PLATFORM_PLUGIN_PATH")}
    env.update({name: value for name, value in values.items() if value is not None})
    return env


@LINUX_WITH_LDD
def test_pyside_xcb_plugin_misses_no_library_here() -> None:
    check = qt_libraries.check_platform("xcb")
    assert check.plugin is not None and check.plugin.name == "libqxcb.so"
    assert check.missing == (), qt_libraries.missing_message(check)
    assert check.ok


@LINUX_WITH_LDD
def test_a_missing_library_is_named_with_the_line_that_installs_it(plugin_folder: Path) -> None:
    check = qt_libraries.check_plugin("xcb", plugin_folder / "libqxcb.so")
    assert check.missing == (MISSING,)
    assert not check.ok
    message = qt_libraries.missing_message(check)
    assert MISSING in message and "package names for Debian/Ubuntu" in message
    install_lines = [line.strip() for line in message.splitlines() if "apt" in line]
    assert install_lines == [qt_libraries.install_command(["libarstudio-missing-test3"])]


@LINUX_WITH_LDD
def test_the_plugin_qt_would_load_comes_from_its_plugin_path_first(plugin_folder: Path) -> None:
    env = environment(DISPLAY=":0", QT_QPA_PLATFORM_PLUGIN_PATH=str(plugin_folder))
    check = qt_libraries.check_qt_platform(env)
    assert (check.platform, check.plugin, check.missing) == ("xcb", plugin_folder / "libqxcb.so", (MISSING,))
    assert qt_libraries.check_qt_platform(environment(DISPLAY=":0")).plugin != check.plugin


def test_platforms_qt_tries() -> None:
    assert qt_libraries.platforms_to_try({"DISPLAY": ":0"}) == ["xcb"]
    assert qt_libraries.platforms_to_try({"QT_QPA_PLATFORM": "wayland;xcb"}) == ["wayland", "xcb"]
    assert qt_libraries.platforms_to_try({"QT_QPA_PLATFORM": "xcb:nograb"}) == ["xcb"]
    wayland = {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}
    assert qt_libraries.platforms_to_try(wayland) == ["wayland"]
    assert qt_libraries.platforms_to_try({**wayland, "DISPLAY": ":0"}) == ["wayland", "xcb"]
    assert qt_libraries.check_platform("offscreen").ok


def test_package_names_derived_from_the_soname() -> None:
    assert qt_libraries.debian_package("libfoo.so.3") == "libfoo3"
    assert qt_libraries.debian_package("libfoo-bar2.so.1.4") == "libfoo-bar2-1"
    assert qt_libraries.debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert qt_libraries.debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"


@pytest.mark.skipif(shutil.which("dpkg") is None or shutil.which("ldd") is None, reason="needs Debian's dpkg and ldd")
def test_package_names_match_the_packages_that_ship_the_xcb_plugins_libraries() -> None:
    check = qt_libraries.check_platform("xcb")
    assert check.plugin is not None
    ldd = subprocess.run(["ldd", str(check.plugin)], capture_output=True, text=True, check=True).stdout
    display_libraries = re.compile(r"^lib(xcb|X11|xkb|EGL|GL|OpenGL|fontconfig|freetype|dbus|wayland)")
    found = dict(re.findall(r"^\s*(\S+)\s+=>\s+(/\S+)", ldd, flags=re.MULTILINE))
    system = {name: path for name, path in found.items() if display_libraries.match(name) and "PySide6" not in path}
    assert len(system) >= 10
    for name, path in system.items():
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=True)
        package = owner.stdout.split(":")[0]
        assert qt_libraries.debian_package(name) == package, (name, path)


@LINUX_WITH_LDD
def test_open_gui_with_a_missing_library_exits_2_without_loading_qt(plugin_folder: Path) -> None:
    code = ("import sys\nfrom arstudio.cli import main\nresult = main(['gui'])\n"
            "print('PySide6 loaded' if 'PySide6' in sys.modules else 'no PySide6')\nsys.exit(result)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=environment(DISPLAY=":0", QT_QPA_PLATFORM_PLUGIN_PATH=str(plugin_folder)))
    assert done.returncode == 2, done.stderr
    assert done.stdout.strip() == "no PySide6"
    assert MISSING in done.stderr and "libarstudio-missing-test3" in done.stderr
    assert "Traceback" not in done.stderr


def test_open_gui_without_an_x_server_exits_2() -> None:
    free = next(f":{n}" for n in range(240, 260) if x_server_answers(f":{n}") is False)
    done = subprocess.run([sys.executable, "-m", "arstudio", "gui"], capture_output=True, text=True, timeout=120,
                          env=environment(DISPLAY=free))
    assert done.returncode == 2, done.stderr
    assert f"No X server answers on DISPLAY={free}" in done.stderr


def doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "arstudio", "doctor"], capture_output=True, text=True, timeout=180,
                          env=env)


def status_of(report: str, topic: str) -> str:
    line = next(line for line in report.splitlines() if line.strip().startswith(topic))
    return line.strip()[len(topic):].split()[0]


def test_doctor_reports_every_topic_and_exits_0_when_the_essentials_work(tmp_path: Path) -> None:
    done = doctor(environment(QT_QPA_PLATFORM="offscreen", ARSTUDIO_HOME=str(tmp_path / "home")))
    assert done.returncode == 0, done.stdout + done.stderr
    for topic in TOPICS:
        assert status_of(done.stdout, topic) in ("ok", "missing", "unknown", "low"), topic
    assert status_of(done.stdout, "Display") == "ok"
    assert status_of(done.stdout, "Data folder") == "ok"
    assert str(tmp_path / "home") in done.stdout and "GB free" in done.stdout
    assert status_of(done.stdout, "C compiler") == ("ok" if shutil.which("cc") or shutil.which("gcc") else "missing")
    assert status_of(done.stdout, "espeak-ng") == ("ok" if shutil.which("espeak-ng") else "missing")


@LINUX_WITH_LDD
def test_doctor_exits_2_naming_what_is_missing(plugin_folder: Path, tmp_path: Path) -> None:
    free = next(f":{n}" for n in range(240, 260) if x_server_answers(f":{n}") is False)
    done = doctor(environment(DISPLAY=free, QT_QPA_PLATFORM_PLUGIN_PATH=str(plugin_folder),
                              ARSTUDIO_HOME=str(tmp_path / "home")))
    assert done.returncode == 2
    assert status_of(done.stdout, "Qt platform") == "missing" and status_of(done.stdout, "Display") == "missing"
    assert MISSING in done.stdout and "libarstudio-missing-test3" in done.stdout
    assert "not ready: Qt platform, Display" in done.stderr

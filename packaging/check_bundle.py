"""Check a built ARStudio bundle: its command line runs and its main window appears offscreen.

    python packaging/check_bundle.py [EXECUTABLE] [--thorough]

EXECUTABLE defaults to dist/ARStudio/ARStudio (ARStudio.exe, or the .app's executable on macOS). Everything
runs with QT_QPA_PLATFORM=offscreen and a temporary HOME and ARSTUDIO_HOME, so the user's own files are never
read or written. `--thorough` also walks every panel through the quick screenshot tour (training, image
completion, audio and text generation) and trains every built-in data set for two steps.
Exits 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
MIN_SIZE = (800, 500)
TIMEOUT_S = 300
TOUR_PANELS = ("window", "train", "images", "audio", "text")
FAMILY_FOR_KIND = {"binary": "made", "image": "pixelcnn", "audio": "wavenet", "text": "transformer"}


def default_executable() -> Path:
    if sys.platform == "win32":
        return ROOT / "dist" / "ARStudio" / "ARStudio.exe"
    if sys.platform == "darwin":
        return ROOT / "dist" / "ARStudio.app" / "Contents" / "MacOS" / "ARStudio"
    return ROOT / "dist" / "ARStudio" / "ARStudio"


def isolated_environment(folder: Path) -> dict[str, str]:
    """The current environment with an offscreen Qt and a fresh HOME and ARSTUDIO_HOME under `folder`."""
    home = folder / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "ARSTUDIO_"))}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home), USERPROFILE=str(home), ARSTUDIO_HOME=str(home / "arstudio"))
    return env


def image_problem(path: Path) -> str | None:
    """What is wrong with a window screenshot (missing, smaller than MIN_SIZE, one flat colour), or None."""
    if not path.is_file():
        return f"{path} was not written"
    with Image.open(path) as image:
        if image.width < MIN_SIZE[0] or image.height < MIN_SIZE[1]:
            return f"{path} is {image.width}x{image.height}, smaller than {MIN_SIZE[0]}x{MIN_SIZE[1]}"
        if image.convert("RGB").getcolors(1) is not None:
            return f"{path} is a single colour: the window drew nothing"
    return None


def run(executable: Path, args: list[str], env: dict[str, str]) -> tuple[bool, str]:
    """Run the bundle with `args`; (exit status 0, a one-line report with the output's tail on failure)."""
    start = time.monotonic()
    try:
        done = subprocess.run([str(executable), *args], env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False, f"FAIL {' '.join(args)}: no exit after {TIMEOUT_S} s"
    took = time.monotonic() - start
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
        return False, f"FAIL {' '.join(args)}: exit status {done.returncode} after {took:.1f} s\n{tail}"
    return True, f"ok   {' '.join(args)} ({took:.1f} s)"


def dataset_kinds(executable: Path, env: dict[str, str]) -> dict[str, str]:
    """Built-in data set name -> kind, as the bundle itself lists them."""
    done = subprocess.run([str(executable), "datasets"], env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    kinds = {}
    for line in done.stdout.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1] in FAMILY_FOR_KIND:
            kinds[words[0]] = words[1]
    return kinds


def check(executable: Path, thorough: bool = False) -> list[str]:
    """Run the checks; the failures, each with what the bundle printed."""
    failures = []
    with tempfile.TemporaryDirectory(prefix="arstudio-bundle-") as tmp:
        env = isolated_environment(Path(tmp))
        shots = Path(tmp) / "shots"
        tour = Path(tmp) / "tour"
        jobs = [["datasets"], ["families"], ["screenshot", str(shots), "--panels", "window"]]
        if thorough:
            jobs.append(["screenshot", str(tour), "--quick", "--panels", ",".join(TOUR_PANELS)])
            jobs += [["train", "--dataset", name, "--family", FAMILY_FOR_KIND[kind], "--steps", "2"]
                     for name, kind in dataset_kinds(executable, env).items()]
        for args in jobs:
            passed, report = run(executable, args, env)
            print(report, flush=True)
            if not passed:
                failures.append(report)
        pictures = [shots / "window.png"] + ([tour / f"{panel}.png" for panel in TOUR_PANELS] if thorough else [])
        for picture in pictures:
            problem = image_problem(picture)
            if problem:
                failures.append(f"FAIL screenshot: {problem}")
            else:
                print(f"ok   screenshot {picture} shows a window")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("executable", nargs="?", type=Path, default=default_executable())
    parser.add_argument("--thorough", action="store_true",
                        help="also run the quick tour of every panel and train every built-in data set for 2 steps")
    args = parser.parse_args(argv)
    if not args.executable.is_file():
        print(f"check_bundle: no executable at {args.executable}; build it with `make package`", file=sys.stderr)
        return 1
    failures = check(args.executable, args.thorough)
    for failure in failures:
        print(failure, file=sys.stderr)
    print("bundle check:", "FAILED" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

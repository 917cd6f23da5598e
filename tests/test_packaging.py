"""The installed package holds every module and resource a checkout has."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_in_the_checkout_is_listed_for_installation():
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "arstudio").rglob("__init__.py")}
    resources = {"arstudio.resources", *("arstudio.resources." + ".".join(folder.relative_to(ROOT / "resources").parts)
                                         for folder in (ROOT / "resources").rglob("*")
                                         if folder.is_dir() and not folder.name.startswith(("_", ".")))}
    assert found | resources == set(settings["packages"]), "every resources folder too (setuptools warns otherwise)"
    assert settings["package-dir"] == {"arstudio.resources": "resources"}


def test_every_data_file_inside_the_packages_is_installed_with_them():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for path in (ROOT / "arstudio").rglob("*"):
        if path.is_dir() or path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts:
            continue
        package = ".".join(path.parent.relative_to(ROOT).parts)
        assert any(path.match(pattern) for pattern in data.get(package, [])), f"{path} is missing from package-data"


def test_installed_resources_come_from_the_top_level_folder():
    from arstudio.resources import resource_path

    assert resource_path("presets.json").resolve() == (ROOT / "resources" / "presets.json").resolve()
    assert resource_path("icons", "arstudio.svg").is_file()


def _packaging_module(name: str):
    """A script of packaging/ (not an importable package: its name would shadow PyPI's `packaging`)."""
    spec = importlib.util.spec_from_file_location(f"arstudio_packaging_{name}", ROOT / "packaging" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_pyinstaller_spec_is_valid_python_naming_the_entry_point():
    source = (ROOT / "packaging" / "arstudio.spec").read_text()
    compile(source, "arstudio.spec", "exec")
    assert "arstudio_main.py" in source
    assert "from arstudio.cli import main" in (ROOT / "packaging" / "arstudio_main.py").read_text()


def test_the_bundle_ships_every_file_of_the_resources_folder():
    bundle_files = _packaging_module("bundle_files")
    resources = ROOT / "resources"
    shipped = {Path(dest) / Path(src).name for src, dest in bundle_files.resource_datas()}
    expected = {
        Path("arstudio", "resources") / path.relative_to(resources)
        for path in resources.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert shipped == expected
    names = {path.name for path in shipped}
    assert {"__init__.py", "presets.json", "arstudio.svg"} <= names


def test_pydocs_reads_the_standard_library_copy_the_bundle_ships(tmp_path, monkeypatch):
    from arstudio.data import pydocs

    for src, dest in _packaging_module("bundle_files").pydocs_datas():
        (tmp_path / dest).mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, tmp_path / dest)
    bundled = pydocs.stdlib_dir(tmp_path)
    assert bundled == tmp_path / pydocs.BUNDLED_STDLIB

    real = pydocs.stdlib_dir()
    assert [p.relative_to(bundled) for p in pydocs.source_files(bundled)] == [
        p.relative_to(real) for p in pydocs.source_files(real)
    ]
    assert (bundled / pydocs.TOPICS_FILE).is_file()
    text = pydocs.gather_docs(bundled)
    assert "module json\n" in text and "topic " in text

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert pydocs.stdlib_dir() == bundled


def test_pydocs_in_a_bundle_without_the_library_copy_says_what_to_do(tmp_path):
    from arstudio.data import pydocs
    from arstudio.errors import UserError

    with pytest.raises(UserError, match="user:"):
        pydocs.gather_docs(pydocs.stdlib_dir(tmp_path))


def test_the_bundle_check_rejects_missing_small_and_blank_screenshots(tmp_path):
    from PIL import Image, ImageDraw

    check_bundle = _packaging_module("check_bundle")
    path = tmp_path / "window.png"
    assert "not written" in check_bundle.image_problem(path)

    Image.new("RGB", (640, 480), "white").save(path)
    assert "smaller" in check_bundle.image_problem(path)

    Image.new("RGB", (1200, 800), (40, 40, 40)).save(path)
    assert "single colour" in check_bundle.image_problem(path)

    image = Image.new("RGB", (1200, 800), (40, 40, 40))
    ImageDraw.Draw(image).rectangle((10, 10, 300, 60), fill=(200, 200, 200))
    image.save(path)
    assert check_bundle.image_problem(path) is None


def test_the_bundle_check_runs_offscreen_in_a_private_home(tmp_path):
    env = _packaging_module("check_bundle").isolated_environment(tmp_path)
    assert env["QT_QPA_PLATFORM"] == "offscreen"
    assert Path(env["HOME"]).is_dir() and Path(env["HOME"]).is_relative_to(tmp_path)
    assert Path(env["ARSTUDIO_HOME"]).is_relative_to(tmp_path)


def test_make_package_builds_with_the_spec_then_checks_the_bundle():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(requirement.startswith("pyinstaller") for requirement in extras["package"])
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\npackage:", 1)[1].split("\n\n", 1)[0]
    assert recipe.index("packaging/arstudio.spec") < recipe.index("packaging/check_bundle.py")

"""The installed package holds every module and resource a checkout has."""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_in_the_checkout_is_listed_for_installation():
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "arstudio").rglob("__init__.py")}
    assert found | {"arstudio.resources"} == set(settings["packages"])
    assert settings["package-dir"] == {"arstudio.resources": "resources"}


def test_installed_resources_come_from_the_top_level_folder():
    from arstudio.resources import resource_path

    assert resource_path("presets.json").resolve() == (ROOT / "resources" / "presets.json").resolve()
    assert resource_path("icons", "arstudio.svg").is_file()

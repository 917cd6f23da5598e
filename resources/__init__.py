"""Files shipped with the package: icons, presets and the stylesheet."""

from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).parent


def resource_path(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)

"""Named sampler presets: the built-in list shipped in the package, or a person's own JSON file.

The file is ``{"version": 1, "presets": [{"name": ..., "config": {SamplerConfig fields}, "compare": bool}]}``;
``compare`` marks the presets a side-by-side comparison runs by default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from arstudio.atomic import atomic_write_bytes
from arstudio.errors import UserError
from arstudio.sampling import SamplerConfig

PRESETS_RESOURCE = ("arstudio.resources", "presets.json")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Preset:
    name: str
    config: SamplerConfig
    compare: bool = False

    def to_json(self) -> dict[str, Any]:
        defaults = SamplerConfig().to_json()
        changed = {k: v for k, v in self.config.to_json().items() if v != defaults[k] and k != "seed"}
        return {"name": self.name, "compare": self.compare, "config": changed}


def builtin_presets() -> list[Preset]:
    """The presets shipped with ARStudio (works from a checkout and from an installed package)."""
    package, name = PRESETS_RESOURCE
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return parse_presets(text, "the built-in presets")


def load_presets(path: str | Path) -> list[Preset]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Could not read the presets file {path}: {exc}.") from exc
    return parse_presets(text, path.name)


def save_presets(presets: list[Preset], path: str | Path) -> None:
    data = {"version": FORMAT_VERSION, "presets": [p.to_json() for p in presets]}
    try:
        atomic_write_bytes(Path(path), (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise UserError(f"Could not write {path}: {exc.strerror or exc}. Choose another place to save.") from exc


def parse_presets(text: str, source: str) -> list[Preset]:
    """Presets from JSON text; every mistake is a UserError that names `source` and the preset."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from exc
    items = data.get("presets") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise UserError(f'{source} must be a JSON object with a non-empty "presets" list.')
    presets: list[Preset] = []
    for number, item in enumerate(items, 1):
        presets.append(_preset(item, f"preset {number} in {source}"))
    names = [p.name for p in presets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UserError(f"{source} names more than one preset {', '.join(map(repr, duplicates))}; names must differ.")
    return presets


def _preset(item: Any, where: str) -> Preset:
    if not isinstance(item, dict):
        raise UserError(f'The {where} must be an object with "name" and "config".')
    unknown = sorted(set(item) - {"name", "config", "compare"})
    if unknown:
        raise UserError(f'The {where} has unknown field(s) {", ".join(unknown)}; use "name", "config", "compare".')
    name, config, compare = item.get("name"), item.get("config", {}), item.get("compare", False)
    if not isinstance(name, str) or not name.strip():
        raise UserError(f'The {where} needs a "name" (a non-empty string).')
    if not isinstance(compare, bool):
        raise UserError(f'"compare" of preset {name!r} must be true or false.')
    try:
        return Preset(name.strip(), SamplerConfig.from_json(config), compare)
    except UserError as exc:
        raise UserError(f"Preset {name!r}: {exc}") from exc

"""Icons for the main actions, drawn as SVG in resources/icons/actions/."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QAbstractButton, QWidget

from arstudio.resources import resource_path

BUTTON_ICONS = {
    "trainButton": "train", "pauseButton": "pause", "stopButton": "stop",
    "completeButton": "generate", "cancelCompletionButton": "cancel", "imageCompareButton": "compare",
    "exportCompletionButton": "save", "exportGridButton": "save",
    "audioGenerateButton": "generate", "audioCancelButton": "cancel", "audioCompareButton": "compare",
    "audioCompareCancelButton": "cancel", "playButton": "play-audio", "audioStopButton": "stop",
    "audioSaveButton": "save", "audioRescanButton": "refresh",
    "generateButton": "generate", "cancelTextButton": "cancel", "compareButton": "compare",
    "exportMarkdownButton": "save", "exportCsvButton": "export-table",
    "runsRenameButton": "rename", "runsDeleteButton": "delete",
    "runsExportCSVButton": "export-table", "runsExploreButton": "explore", "runsResumeButton": "train",
    "runsStopButton": "stop", "runsWatchButton": "watch",
    "sweepStartButton": "train", "sweepExportCsvButton": "export-table", "sweepExportPngButton": "save",
}
"""Button object name -> icon name; one table, so panels stay free of icon code."""


@cache
def action_icon(name: str) -> QIcon:
    path = resource_path("icons", "actions", f"{name}.svg")
    if not path.is_file():
        raise FileNotFoundError(f"no icon named {name!r} in {path.parent}")
    return QIcon(str(path))


def decorate_buttons(root: QWidget) -> int:
    """Give every button under `root` that has an entry in BUTTON_ICONS its icon; returns how many."""
    count = 0
    for button in root.findChildren(QAbstractButton):
        name = BUTTON_ICONS.get(button.objectName())
        if name is not None:
            button.setIcon(action_icon(name))
            count += 1
    return count

"""The ready models' rows in the runs table: what each cell says, and the card as a tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QTableWidgetItem

from arstudio.zoo.catalog import ReadyModel

READY_ROLE = Qt.ItemDataRole.UserRole + 1
"""The ready model's name, on every cell of its row (a run's cells have none)."""
READY_STATUS = "ready model"
READY_HINT = ("Ready models are part of ARStudio: they cannot be renamed, deleted, resumed or stopped. Explore one, "
              "or train your own run on its data set and watch it approach the ready model's curve.")


def ready_cells(model: ReadyModel) -> list[tuple[str, float | str]]:
    """The row of a ready model, in the runs table's columns; its id cell (★) sorts apart from the runs' ids."""
    config, card = model.recipe.config, model.card
    if card is None:
        status, steps, best, test, wall, device = "unavailable", "", ("", float("inf")), ("", float("inf")), 0.0, ""
    else:
        validation = [nll for _, _, nll in card.curve.get("validation", [])]
        status, steps, wall = READY_STATUS, str(config.steps), card.wall_seconds
        best = (f"{min(validation):.4f}", min(validation)) if validation else ("", float("inf"))
        test = (f"{card.test.nll:.4f}", card.test.nll)
        device = "cpu" if "CPU" in card.hardware else card.hardware
    minutes = f"{int(wall) // 3600:02d}:{int(wall) % 3600 // 60:02d}:{int(wall) % 60:02d}"
    return [("★", -1.0), (f"ready: {model.name}", f"ready: {model.name}"), (config.family, config.family),
            (config.dataset, config.dataset), (status, status), (steps, float(config.steps)),
            ("100 %" if card else "", 1.0), ("", 1e18), best, test, None, (minutes, wall), (device, device)]


def ready_tooltip(model: ReadyModel) -> str:
    """The card in a few lines, or why the model cannot be used."""
    card = model.card
    if card is None:
        return model.problem or "This ready model is unavailable."
    lines = [f"Ready model {card.name}: {card.about}",
             f"{card.family} on {card.dataset}, {card.parameters:,} parameters; {card.recipe['steps']} steps of "
             f"{card.recipe.get('batch_size') or 'default'} examples, learning rate {card.recipe.get('lr')}, "
             f"seed {card.recipe.get('seed')}",
             f"Trained {card.trained} on {card.hardware} in {card.wall_seconds / 60:.1f} min (commit "
             f"{card.commit[:10]})",
             f"Test NLL {card.test.nll:.2f} nats ({card.test.bits_per_dim:.3f} bits/dim, {card.test.examples} "
             f"examples{' given the ' + card.test.given if card.test.given else ''})"]
    if card.goal:
        target = card.goal.get("nll", card.goal.get("bits_per_dim"))
        unit = "nats" if "nll" in card.goal else "bits/dim"
        lines.append(f"Goal {target} {unit}: {'met' if card.goal_met else 'not met'}")
    lines += card.notes
    lines.append("Explore it, or train your own run on the same data: its curve is drawn as the target.")
    return "\n".join(lines)


def mark_ready(item: QTableWidgetItem, model: ReadyModel) -> None:
    """Tag a cell as the ready model's and give it the row's look: italic, greyed when unavailable."""
    item.setData(READY_ROLE, model.name)
    font = QFont(item.font())
    font.setItalic(True)
    item.setFont(font)
    if not model.available:
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
    item.setToolTip(ready_tooltip(model))

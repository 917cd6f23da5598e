"""`arstudio zoo`: the ready models, their cards, and rebuilding one from its recipe."""

from __future__ import annotations

import argparse
import json

import torch

from arstudio.cli.console import ProgressLine, table
from arstudio.errors import UserError
from arstudio.training.run_store import RunStore
from arstudio.zoo.build import build, publish
from arstudio.zoo.cards import Measure, ModelCard
from arstudio.zoo.catalog import ready_model, ready_models

REBUILD_TOLERANCE = 0.02
"""A rebuild within 2% of the shipped test NLL reproduces it (thread counts and CPUs change float rounding)."""


def run(args: argparse.Namespace) -> int:
    command = args.zoo_command or "list"
    return {"list": _list, "show": _show, "build": _build, "publish": _publish}[command](args)


def _list(args: argparse.Namespace) -> int:
    rows = []
    for model in ready_models():
        card = model.card
        if card is None:
            rows.append((model.name, model.recipe.config.family, model.recipe.config.dataset, "", "", "", "",
                         f"unavailable: {model.problem}"))
            continue
        published = min((r["nll"] for r in card.references), default=None)
        rows.append((model.name, card.family, card.dataset, _nll(card.test), _nll(card.marginal) if card.marginal
                     else "", goal_text(card), "" if published is None else f"{published:.2f}", _minutes(card)))
    print(table(("name", "family", "data set", "test NLL", "-log p(x)", "goal", "paper", "trained"), rows))
    print("\n`arstudio zoo show NAME` shows a card; `arstudio zoo build NAME` retrains one from its recipe. "
          "`arstudio sample --ready NAME` and the window's runs table use them as they are.")
    return 0


def _show(args: argparse.Namespace) -> int:
    model = ready_model(args.name)
    if model.card is None:
        raise UserError(model.problem or f"The ready model {args.name} has no card.")
    print(describe_card(model.card))
    return 0


def describe_card(card: ModelCard) -> str:
    lines = [f"{card.name}: {card.about}",
             f"  {card.family} on {card.dataset}, {card.parameters:,} parameters",
             f"  recipe: {json.dumps({k: v for k, v in card.recipe.items() if v is not None})}",
             f"  trained {card.trained} on {card.hardware} in {card.wall_seconds / 60:.1f} min, commit {card.commit}",
             f"  test NLL: {_nll(card.test)}"]
    if card.marginal:
        lines.append(f"  -log p(x), every class equally likely: {_nll(card.marginal)}")
    if card.goal:
        met = {True: "met", False: "not met", None: ""}[card.goal_met]
        lines.append(f"  goal: {goal_text(card)} ({met})")
    for ref in card.references:
        lines.append(f"  published: {ref['model']} ({ref['detail']}) {ref['nll']:.2f} nats, {ref['paper']}")
    lines += [f"  note: {note}" for note in card.notes]
    return "\n".join(lines)


def _build(args: argparse.Namespace) -> int:
    if args.threads is not None:
        if args.threads < 1:
            raise UserError(f"--threads must be at least 1, got {args.threads}.")
        torch.set_num_threads(args.threads)
    shipped = ready_model(args.name)
    rebuilt = build(shipped.recipe, RunStore(args.runs_dir), callback=ProgressLine(), shipped=shipped)
    print(f"run {rebuilt.summary.run_id}: rebuilt {args.name} in {rebuilt.summary.steps} steps; test NLL "
          f"{_nll(rebuilt.test)}")
    if rebuilt.difference is None:
        print("There is no shipped card to compare with.")
        return 0
    card = shipped.card
    verdict = "reproduces" if abs(rebuilt.difference) <= REBUILD_TOLERANCE else "does NOT reproduce"
    print(f"shipped: {_nll(card.test)}; the rebuild {verdict} it ({rebuilt.difference:+.2%}, tolerance "
          f"{REBUILD_TOLERANCE:.0%})")
    return 0


def _publish(args: argparse.Namespace) -> int:
    model = ready_model(args.name)
    card = publish(RunStore(args.runs_dir), args.run, model.recipe, model.folder, commit=args.commit,
                   threads=args.threads, notes=args.note)
    print(describe_card(card))
    return 0


def goal_text(card: ModelCard) -> str:
    if "nll" in card.goal:
        return f"<= {card.goal['nll']:g} nats"
    if "bits_per_dim" in card.goal:
        return f"<= {card.goal['bits_per_dim']:g} bits/dim"
    return ""


def _nll(measure: Measure | None) -> str:
    if measure is None:
        return ""
    given = f" given the {measure.given}" if measure.given else ""
    return f"{measure.nll:.2f} nats ({measure.bits_per_dim:.3f} bits/dim, {measure.examples} examples{given})"


def _minutes(card: ModelCard) -> str:
    return f"{card.wall_seconds / 60:.1f} min, {card.hardware}"

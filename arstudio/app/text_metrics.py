"""Metrics of generated text and the comparison table as Markdown or CSV (no Qt here)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from arstudio.atomic import atomic_write_bytes
from arstudio.errors import UserError
from arstudio.sampling import SamplerConfig


def distinct_n(values: Sequence[int], n: int) -> float:
    """Distinct n-grams over all n-grams of `values` (1.0 = no repeats); 0.0 when there are none."""
    grams = [tuple(values[i:i + n]) for i in range(len(values) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def mean_log_likelihood(log_probs: Sequence[float]) -> float:
    """Mean log-probability per token in nats (NaN for no tokens)."""
    return sum(log_probs) / len(log_probs) if log_probs else math.nan


@dataclass(frozen=True)
class ComparisonRow:
    """One strategy's continuation of the shared prompt."""

    strategy: str
    config: SamplerConfig
    text: str
    values: tuple[int, ...]
    log_probs: tuple[float, ...]

    @property
    def tokens(self) -> int:
        return len(self.values)

    @property
    def mean_log_likelihood(self) -> float:
        return mean_log_likelihood(self.log_probs)

    @property
    def perplexity(self) -> float:
        return math.exp(-self.mean_log_likelihood) if self.log_probs else math.nan

    @property
    def distinct_1(self) -> float:
        return distinct_n(self.values, 1)

    @property
    def distinct_2(self) -> float:
        return distinct_n(self.values, 2)

    def summary(self) -> str:
        return (f"log p/token {self.mean_log_likelihood:.3f} nats\n"
                f"perplexity {self.perplexity:.2f} · {self.tokens} tokens\n"
                f"distinct-1 {self.distinct_1:.3f}\ndistinct-2 {self.distinct_2:.3f}")


@dataclass(frozen=True)
class Comparison:
    """One prompt continued by several strategies from the same seed; it starts with no rows and gains one
    as each strategy finishes."""

    model: str
    prompt: str
    seed: int
    rows: tuple[ComparisonRow, ...] = ()


CSV_FIELDS = ("strategy", "settings", "model", "seed", "prompt", "tokens", "mean_log_likelihood", "perplexity",
              "distinct_1", "distinct_2", "text")


def comparison_csv(comparison: Comparison) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for row in comparison.rows:
        writer.writerow([row.strategy, json.dumps(_settings(row.config)), comparison.model, comparison.seed,
                         comparison.prompt, row.tokens, f"{row.mean_log_likelihood:.6f}", f"{row.perplexity:.6f}",
                         f"{row.distinct_1:.6f}", f"{row.distinct_2:.6f}", row.text])
    return buffer.getvalue()


def comparison_markdown(comparison: Comparison) -> str:
    lines = [f"# Decoding comparison: {_cell(comparison.model)}", "",
             f"Seed {comparison.seed}. Prompt:", "", _fenced(comparison.prompt), "",
             "| strategy | settings | tokens | mean log p / token (nats) | perplexity | distinct-1 | distinct-2 |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for row in comparison.rows:
        lines.append(f"| {_cell(row.strategy)} | {_cell(row.config.describe())} | {row.tokens} | "
                     f"{row.mean_log_likelihood:.3f} | {row.perplexity:.2f} | {row.distinct_1:.3f} | "
                     f"{row.distinct_2:.3f} |")
    for row in comparison.rows:
        lines += ["", f"## {_cell(row.strategy)}", "", _fenced(comparison.prompt + row.text)]
    return "\n".join(lines) + "\n"


def write_comparison(comparison: Comparison, path: str | Path, kind: str) -> Path:
    """Write as "markdown" or "csv" (UTF-8), atomically."""
    path = Path(path)
    text = comparison_markdown(comparison) if kind == "markdown" else comparison_csv(comparison)
    try:
        atomic_write_bytes(path, text.encode("utf-8"))
    except OSError as exc:
        raise UserError(f"Could not write {path}: {exc.strerror or exc}. Choose another place to save.") from exc
    return path


def _settings(config: SamplerConfig) -> dict:
    defaults = SamplerConfig().to_json()
    return {k: v for k, v in config.to_json().items() if v != defaults[k]}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fenced(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text}\n{fence}"

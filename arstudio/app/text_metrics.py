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


REPETITION_N = 4
"""The n-gram length of the repetition rate: long enough that common letter pairs or word pairs do not count,
short enough that a loop ("yyyy", "the the the") does."""


def repetition_rate(values: Sequence[int], n: int = REPETITION_N) -> float:
    """The fraction of the text's n-grams (n consecutive tokens, overlapping) that repeat an n-gram seen earlier in
    it: 0.0 = no n-gram twice, near 1.0 = one loop. It equals 1 - distinct-n and is the rep-n of Welleck et al.
    (2019, "Neural text generation with unlikelihood training"); 0.0 when the text has fewer than n tokens.
    Example: "abcabcab" has the 4-grams abca bcab cabc abca bcab, of which the last two repeat: 2/5 = 0.4."""
    return 1.0 - distinct_n(values, n) if len(values) >= n else 0.0


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

    @property
    def repetition(self) -> float:
        return repetition_rate(self.values)

    def summary(self) -> str:
        return (f"log p/token {self.mean_log_likelihood:.3f} nats\n"
                f"perplexity {self.perplexity:.2f} · {self.tokens} tokens\n"
                f"distinct-1 {self.distinct_1:.3f}\ndistinct-2 {self.distinct_2:.3f}\n"
                f"repetition {self.repetition:.3f}")


@dataclass(frozen=True)
class Metric:
    """A figure every compared row has: `key` names the ComparisonRow property, `short` is its label in a cell."""

    key: str
    label: str
    short: str
    higher_is_better: bool
    digits: int
    description: str

    def value(self, row: ComparisonRow) -> float:
        return getattr(row, self.key)

    def text(self, row: ComparisonRow) -> str:
        return f"{self.value(row):.{self.digits}f}"

    @property
    def better(self) -> str:
        return f"{'higher' if self.higher_is_better else 'lower'} is better"


METRICS = (Metric("mean_log_likelihood", "log p/token", "log p/token", True, 3,
                  "The model's mean log-probability per generated token, in nats."),
           Metric("perplexity", "perplexity", "ppl", False, 2,
                  "exp(-log p/token): how many equally likely tokens the model was choosing among."),
           Metric("distinct_1", "distinct-1", "distinct-1", True, 3, "Unique tokens over all tokens."),
           Metric("distinct_2", "distinct-2", "distinct-2", True, 3, "Unique token pairs over all pairs."),
           Metric("repetition", "repetition", "repetition", False, 3,
                  f"The share of {REPETITION_N}-token runs that repeat an earlier one (1 - distinct-{REPETITION_N})."))
"""What the comparison shows, in order, and which way is better: a likelier text (higher log p, lower perplexity)
and a more varied one (higher distinct-n, lower repetition)."""


def extremes(rows: Sequence[ComparisonRow], metric: Metric) -> tuple[set[int], set[int]]:
    """The indices of the best and of the worst rows by `metric` (ties share a mark; NaN never counts). Both are
    empty when fewer than two distinct values are there to tell apart."""
    values = {i: metric.value(row) for i, row in enumerate(rows) if not math.isnan(metric.value(row))}
    if len(set(values.values())) < 2:
        return set(), set()
    high, low = max(values.values()), min(values.values())
    best, worst = (high, low) if metric.higher_is_better else (low, high)
    return ({i for i, v in values.items() if v == best}, {i for i, v in values.items() if v == worst})


@dataclass(frozen=True)
class Comparison:
    """One prompt continued by several strategies from the same seed; it starts with no rows and gains one
    as each strategy finishes."""

    model: str
    prompt: str
    seed: int
    rows: tuple[ComparisonRow, ...] = ()


CSV_FIELDS = ("strategy", "settings", "model", "seed", "prompt", "tokens", "mean_log_likelihood", "perplexity",
              "distinct_1", "distinct_2", "repetition", "text")


def comparison_csv(comparison: Comparison) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for row in comparison.rows:
        writer.writerow([row.strategy, json.dumps(_settings(row.config)), comparison.model, comparison.seed,
                         comparison.prompt, row.tokens, f"{row.mean_log_likelihood:.6f}", f"{row.perplexity:.6f}",
                         f"{row.distinct_1:.6f}", f"{row.distinct_2:.6f}", f"{row.repetition:.6f}", row.text])
    return buffer.getvalue()


def comparison_markdown(comparison: Comparison) -> str:
    lines = [f"# Decoding comparison: {_cell(comparison.model)}", "",
             f"Seed {comparison.seed}. Prompt:", "", _fenced(comparison.prompt), "",
             "| strategy | settings | tokens | mean log p / token (nats) | perplexity | distinct-1 | distinct-2 | "
             f"repetition ({REPETITION_N}-grams) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for row in comparison.rows:
        lines.append(f"| {_cell(row.strategy)} | {_cell(row.config.describe())} | {row.tokens} | "
                     f"{row.mean_log_likelihood:.3f} | {row.perplexity:.2f} | {row.distinct_1:.3f} | "
                     f"{row.distinct_2:.3f} | {row.repetition:.3f} |")
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

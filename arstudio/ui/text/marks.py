"""How the comparison marks the best and the worst value of each metric, in its cells and in its table."""

from __future__ import annotations

import html

from arstudio.app.text_metrics import METRICS, REPETITION_N

BEST = ("#0f5323", "#c8f0d2")
"""Text and background colours of the best value among the compared strategies: dark green on pale green. Both are
set, so the mark reads the same on the light and the dark palette."""
WORST = ("#8a1620", "#fbd3d0")
"""The worst value: dark red on pale red."""


def chip(text: str, colours: tuple[str, str]) -> str:
    """`text` as rich text in (text colour, background colour)."""
    return f"<span style='color:{colours[0]}; background-color:{colours[1]}'>{html.escape(text)}</span>"


BETTER = ", ".join(f"{'higher' if m.higher_is_better else 'lower'} {m.label}" for m in METRICS)
MARKS_TIP = (f"{chip(' green ', BEST)}: the best of the compared strategies; {chip(' red ', WORST)}: the worst. "
             f"Better is {BETTER}. ppl is the perplexity; repetition the share of {REPETITION_N}-token runs that "
             "repeat an earlier one.")

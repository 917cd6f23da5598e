"""A run's NLL beside the published results on its data set, for `arstudio eval` and `arstudio runs`."""

from __future__ import annotations

import textwrap

from arstudio.cli.console import table
from arstudio.data.references import COMPARABILITY, references_for


def best_published(dataset: str) -> str:
    """"79.20 PixelRNN": the lowest published test NLL on `dataset`, or "" when there is none."""
    published = references_for(dataset)
    return f"{published[0].nll:.2f} {published[0].model}" if published else ""


def comparison(dataset: str, split: str, nll: float, dims: int, who: str = "this model") -> str:
    """The published results on `dataset` ranked with this model's NLL on `split` among them, the gap to each,
    the papers and the protocol; "" when nothing is published. Published figures are test NLL, so another split
    only gets a pointer to the best one."""
    published = references_for(dataset)
    if not published:
        return ""
    if split != "test":
        return (f"Published test NLL on {dataset}: best {published[0].label}; `--split test` compares this model "
                "with every figure.")
    bits = nll / (dims * 0.6931471805599453)
    rows = [(f"{r.model} ({r.detail})", f"{r.nll:.2f}", f"{r.bits_per_dim(dims):.4f}", f"{nll - r.nll:+.2f}",
             r.paper.short, r.nll) for r in published]
    rows.append((who, f"{nll:.2f}", f"{bits:.4f}", "", "", nll))
    rows.sort(key=lambda row: row[-1])
    lines = [f"Published test NLL on {dataset}, nats per example:",
             table(("model", "NLL", "bits/dim", "yours - theirs", "paper"), [row[:-1] for row in rows]), "", "Papers:"]
    papers = {r.paper.short: r.paper.citation for r in published}
    lines += [f"  {short}: {citation}" for short, citation in papers.items()]
    note = f"Protocol: {published[0].protocol}. {COMPARABILITY.get(dataset, '')}".strip()
    lines += ["", *textwrap.wrap(note, 100)]
    return "\n".join(lines)

"""Writing a run's results: one JSON file and one Markdown table, under benchmarks/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.core import busy
from benchmarks.machine import one_line

OK = "ok"


def write(results: dict[str, Any], folder: Path, latest: bool = True) -> tuple[Path, Path]:
    """Write `<mode>-<time>.json/.md` and, for a whole run (`latest`), copy them to `latest-<mode>.json/.md`;
    returns the new pair."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{results['mode']}-{results['started'].replace(':', '').replace('-', '')[:15]}"
    text, markdown = json.dumps(results, indent=2, default=str) + "\n", to_markdown(results)
    paths = folder / f"{stem}.json", folder / f"{stem}.md"
    for path, content in zip(paths, (text, markdown), strict=True):
        path.write_text(content)
        if latest:
            (folder / f"latest-{results['mode']}{path.suffix}").write_text(content)
    return paths


def to_markdown(results: dict[str, Any]) -> str:
    cases = results["cases"]
    lines = [f"# ARStudio benchmarks: {results['mode']} mode", "",
             f"Run {results['started']} ({results['seconds']:.0f} s), commit {results['machine'].get('commit')}.", "",
             f"Machine: {one_line(results['machine'])}.", "", f"Memory: {results['memory_method']}", ""]
    sections = (("Generation", "generation", generation_table), ("Training throughput", "training", training_table),
                ("28x28 on binarized MNIST", "mnist", generation_table),
                ("Quality against general-purpose coders", "quality", quality_table), ("GUI", "gui", generation_table),
                ("Inside view", "inside", generation_table),
                ("Against a plain GPT in nanoGPT's style", "baseline", generation_table))
    for title, group, table in sections:
        chosen = [case for case in cases if case["group"] == group]
        if chosen:
            lines += [f"## {title}", "", *table(chosen), ""]
    notes = [f"- {case['name']}: {note}" for case in cases for note in case.get("notes", [])]
    notes += [f"- {case['name']}: other programs kept {case['other_load']:.0%} of the CPUs busy during this case, "
              "so its timings are pessimistic." for case in cases if busy(case) and case["group"] != "quality"]
    if notes:
        lines += ["## Notes", "", *notes, ""]
    return "\n".join(lines)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table; short rows are padded with empty cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row + [""] * (len(header) - len(row))) + " |" for row in rows]
    return lines


def generation_table(cases: list[dict[str, Any]]) -> list[str]:
    rows = []
    for case in cases:
        if case["status"] != OK:
            rows.append([case["title"], status(case)])
            continue
        for index, measure in enumerate(case["measures"]):
            first = index == 0
            rows.append([case["title"] if first else "", measure["label"], value(measure), measure["target"] or "",
                         met(measure["met"]), mib(case) if first else ""])
    return table(["Case", "Measure", "Value", "Target", "Met", "Peak memory"], rows)


def training_table(cases: list[dict[str, Any]]) -> list[str]:
    header = ["Family", "Data", "Batch", "Eager examples/s", "Eager dims/s", "Compiled examples/s", "Compiled dims/s",
              "Compiled / eager", "First compiled step (s)", "Peak memory eager / compiled"]
    eager = {case["options"]["family"]: case for case in cases if not case["options"]["compile"]}
    compiled = {case["options"]["family"]: case for case in cases if case["options"]["compile"]}
    rows = []
    for family, plain in eager.items():
        fast = compiled.get(family)
        if plain["status"] != OK:
            rows.append([family, plain["options"]["dataset"], status(plain)])
            continue
        m = plain["metrics"]
        row = [family, m["dataset"], str(m["batch"]), f"{m['examples_per_s']:.1f}", f"{m['dims_per_s']:,.0f}"]
        if fast is not None and fast["status"] == OK:
            f = fast["metrics"]
            row += [f"{f['examples_per_s']:.1f}", f"{f['dims_per_s']:,.0f}",
                    f"{f['examples_per_s'] / m['examples_per_s']:.2f}x", f"{f['first_step_seconds']:.1f}",
                    f"{mib(plain)} / {mib(fast)}"]
        else:
            row += [f"n/a ({status(fast)})", "", "", "", f"{mib(plain)} / n/a"]
        rows.append(row)
    return table(header, rows)


def quality_table(cases: list[dict[str, Any]]) -> list[str]:
    header = ["Data set", "Family", "CPU budget (s)", "Wall (s)", "Steps (best)", "Test examples", "Model", "xz",
              "bzip2", "gzip", "PNG", "Model / best coder", "Beats it", "Peak memory"]
    rows = []
    for case in cases:
        if case["status"] != OK:
            rows.append([case["options"]["dataset"], case["options"]["family"], status(case)])
            continue
        m = case["metrics"]
        coders = [f"{m['coders_bpd'][name]:.3f}" if name in m["coders_bpd"] else ""
                  for name in ("xz", "bzip2", "gzip", "png")]
        rows.append([m["dataset"], m["family"], f"{m['budget_seconds']:g}", f"{m['wall_seconds']:.0f}",
                     f"{m['steps']} ({m['best_step']})", str(m["test_examples"]), f"{m['model_bpd']:.3f}", *coders,
                     f"{m['ratio']:.3f} ({m['best_coder']})", met(m["ratio"] < 1), mib(case)])
    return [*table(header, rows), "",
            "All figures are bits per dimension on the test split (the same values for the model and the coders)."]


def status(case: dict[str, Any] | None) -> str:
    if case is None:
        return "not run"
    reason = case.get("reason")
    return f"{case['status']}: {reason}" if reason else case["status"]


def value(measure: dict[str, Any]) -> str:
    number = measure["value"]
    if isinstance(number, bool) or number is None:
        return str(number)
    if isinstance(number, float):
        number = f"{number:,.3f}".rstrip("0").rstrip(".") if abs(number) < 1000 else f"{number:,.0f}"
    return f"{number} {measure['unit']}".strip()


def met(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "**no**")


def mib(case: dict[str, Any] | None) -> str:
    peak = (case or {}).get("memory", {}).get("peak_mib")
    return "" if peak is None else f"{peak:,.0f} MiB"

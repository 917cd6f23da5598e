"""`arstudio sweep`: queue an ordering lab or a scaling sweep, wait while its runs train, print its table and fit."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from arstudio.cli.console import table
from arstudio.cli.parser import parse_assignments
from arstudio.errors import UserError
from arstudio.training.run_queue import start_ready
from arstudio.training.run_store import RunStore, SweepRecord
from arstudio.training.sweeps import (
    ORDERING_LAB,
    ORDERINGS,
    SCALING,
    TITLES,
    SweepRow,
    all_ended,
    compute_curves,
    plan_ordering_lab,
    plan_scaling,
    queue_sweep,
    scaling_fit,
    summarize,
    sweep_rows,
    write_sweep_csv,
)
from arstudio.training.sweeps.cells import count, number, scientific

POLL_SECONDS = 0.5


def run(args: argparse.Namespace) -> int:
    store = RunStore(args.runs_dir)
    try:
        if args.sweep_command == "list":
            return _list(store)
        if args.sweep_command == "show":
            return _show(store, store.get_sweep(args.sweep_id), args.csv)
        sweep_id = queue_sweep(store, _plan(args))
        print(f"sweep {sweep_id}: queued {len(store.sweep_runs(sweep_id))} runs in {store.runs_dir}")
        start_ready(store)
        if args.no_wait:
            print(f"The runs train in their own processes; `arstudio sweep show {sweep_id}` shows them.")
            return 0
        wait(store, sweep_id)
        return _show(store, store.get_sweep(sweep_id), args.csv, require_finished=True)
    finally:
        store.close()


def wait(store: RunStore, sweep_id: int, stream: TextIO = sys.stderr) -> list[SweepRow]:
    """Poll the sweep until none of its runs waits or trains, with one progress line per change."""
    last = ""
    try:
        while True:
            rows = sweep_rows(store, sweep_id)
            if all_ended(rows):
                return rows
            line = progress(rows)
            if line != last:
                stream.write(line + "\n")
                stream.flush()
                last = line
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        stream.write(f"\nThe sweep's runs go on in their own processes; `arstudio sweep show {sweep_id}` shows "
                     "them.\n")
        raise


def progress(rows: list[SweepRow]) -> str:
    ended = sum(not row.pending for row in rows)
    training = [f"{row.label} {row.steps}/{row.total_steps}" for row in rows if row.status in ("running", "paused")]
    return f"{ended}/{len(rows)} runs ended" + (f"; training {', '.join(training)}" if training else "")


def _plan(args: argparse.Namespace):
    hparams = None if args.hparam is None else parse_assignments(args.hparam, "hyper-parameter")
    options = None if args.data_option is None else parse_assignments(args.data_option, "data option")
    if args.sweep_command == "ordering":
        if args.orderings is None:
            orderings = [o for o in ORDERINGS if o != "agnostic" or args.family == "made"]
        else:
            orderings = [o.strip() for o in args.orderings.split(",") if o.strip()]
        return plan_ordering_lab(args.family, args.dataset, orderings, args.seeds, args.steps, hparams, options,
                                 args.name)
    return plan_scaling(args.family, args.dataset, _sizes(args.sizes), args.budget, args.steps, hparams, options,
                        args.name)


def _sizes(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"Write the sizes as whole numbers separated by commas, e.g. 16,32,64; got {text!r}.") from None


def _list(store: RunStore) -> int:
    sweeps = store.sweeps()
    if not sweeps:
        print(f"No sweeps yet in {store.runs_dir}. Start one with `arstudio sweep ordering` or `arstudio sweep "
              "scaling`.")
        return 0
    rows = []
    for sweep in sweeps:
        runs = sweep_rows(store, sweep.id)
        finished = sum(row.status == "finished" for row in runs)
        rows.append((sweep.id, TITLES.get(sweep.kind, sweep.kind), sweep.name, f"{finished}/{len(runs)}",
                     time.strftime("%Y-%m-%d %H:%M", time.localtime(sweep.created))))
    print(table(("id", "kind", "name", "finished", "created"), rows))
    return 0


def _show(store: RunStore, sweep: SweepRecord, csv_path: str | None, require_finished: bool = False) -> int:
    rows = sweep_rows(store, sweep.id)
    print(f"sweep {sweep.id}: {sweep.name} ({TITLES.get(sweep.kind, sweep.kind)})")
    headers = ("run", "label", "status", "steps", "params", "compute (FLOPs)", "test NLL", "bits/dim")
    cells = [(r.run_id, r.label, r.status, f"{r.steps}/{r.total_steps}", count(r.params), scientific(r.compute),
              number(r.test_nll), number(r.test_bpd)) for r in rows]
    if sweep.kind != SCALING:
        headers, cells = headers[:5] + headers[6:], [cell[:5] + cell[6:] for cell in cells]
    print(table(headers, cells))
    print()
    if sweep.kind == ORDERING_LAB:
        print(table(("ordering", "finished", "test NLL (mean ± std)", "bits/dim (mean ± std)"),
                    [(s.group, f"{s.finished}/{s.runs}", _pm(s.mean_nll, s.spread_nll), _pm(s.mean_bpd, s.spread_bpd))
                     for s in summarize(rows)]))
    elif sweep.kind == SCALING:
        _show_fits(store, sweep, rows)
    if csv_path:
        print(f"wrote {write_sweep_csv(sweep, rows, csv_path)}")
    if require_finished and not any(row.status == "finished" for row in rows):
        raise UserError(f"None of sweep {sweep.id}'s runs finished; `arstudio runs` says why, and each run's "
                        "process.log in its run folder holds its output.")
    return 0


def _show_fits(store: RunStore, sweep: SweepRecord, rows: list[SweepRow]) -> None:
    fit = scaling_fit(rows)
    print("fit of test bits/dim against parameters: " + (f"{fit.describe('N')}, exponent α = {fit.alpha:.3f}"
                                                         if fit else "needs two finished sizes"))
    if fit is not None and fit.alpha < 0:
        print("the loss rises with N here: at this budget the smaller sizes are the compute-optimal ones")
    curves = compute_curves(store, rows, sweep.config.get("dims"))
    if curves.fit is not None:
        print(f"fit of the compute frontier: {curves.fit.describe('C')}, exponent {curves.fit.alpha:.3f}")



def _pm(mean: float | None, spread: float) -> str:
    return "" if mean is None else f"{mean:.4f} ± {spread:.4f}"

"""Command line: choose a mode, run its cases one worker process each, write JSON and Markdown."""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from arstudio.training.device import resolve_device
from benchmarks.cases import plan, quality
from benchmarks.core import MEMORY_METHOD, Case, busy
from benchmarks.machine import describe
from benchmarks.report import write
from benchmarks.runner import run_case, start_workers

RESULTS = Path(__file__).resolve().parent / "results"
RETRIED_GROUPS = ("generation", "training")
"""Cases whose figures are rates of wall-clock time; the quality cases count CPU time instead."""
SHARED_GROUPS = ("quality",)
"""Cases that may share the machine with each other (see --jobs): their budgets are CPU time of one thread."""


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--quick", action="store_const", const="quick", dest="mode",
                       help="about two minutes: small sizes, a few seconds of training, no torch.compile")
    modes.add_argument("--smoke", action="store_const", const="smoke", dest="mode",
                       help="seconds: every code path with tiny sizes (the test suite runs this)")
    parser.set_defaults(mode="full")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only the cases whose name contains TEXT (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"folder for the results (default {RESULTS})")
    parser.add_argument("--device", default="auto", help="auto (the best available), cpu, cuda, mps")
    parser.add_argument("--quality-seconds", type=float, default=None,
                        help="CPU seconds of training per quality run (default: 300 full, 2 quick, 1 smoke)")
    parser.add_argument("--retries", type=int, default=None,
                        help="run a timed case again, up to this many times, while other programs kept over 10%% "
                             "of the CPUs busy during it; the quietest run is kept (default: 2 full, 0 otherwise)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="quality cases run at the same time (default: one per CPU core, 1 in smoke mode); "
                             "each trains one thread for a budget of CPU time, so their step counts barely change")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def run_quietly(case: Case, mode: str, device: str, retries: int) -> dict[str, Any]:
    """Run a case; run a timed one again while other programs disturbed it, and keep the quietest run."""
    print(f"{case.name} ...", end=" ", flush=True, file=sys.stderr)
    attempts = [run_case(case, mode, device)]
    record = attempts[0]
    while case.group in RETRIED_GROUPS and busy(record) and len(attempts) <= retries:
        print(f"busy ({record['other_load']:.0%} other load), again ...", end=" ", flush=True, file=sys.stderr)
        attempts.append(run_case(case, mode, device))
        record = min(attempts, key=lambda attempt: attempt.get("other_load") or 0)
    print(f"{record['status']} ({record['seconds']:.1f} s)", file=sys.stderr)
    return {**record, "attempts": len(attempts)}


def run_together(cases: list[Case], mode: str, device: str, jobs: int) -> dict[str, dict[str, Any]]:
    """Run cases that count CPU time rather than wall time, `jobs` at a time, after the timed ones."""
    if not cases:
        return {}
    if jobs > 1:
        print(f"{len(cases)} quality cases, {jobs} at a time ...", file=sys.stderr)

    def one(case: Case) -> dict[str, Any]:
        record = run_case(case, mode, device)
        print(f"{case.name}: {record['status']} ({record['seconds']:.1f} s)", file=sys.stderr)
        return {**record, "attempts": 1, "run_alongside": jobs - 1}

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return dict(zip([case.name for case in cases], pool.map(one, cases), strict=True))


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    device = resolve_device(args.device)
    cases = [case for case in plan(args.mode, args.quality_seconds)
             if not args.only or any(text in case.name for text in args.only)]
    started = time.perf_counter()
    results = {"suite": "arstudio-benchmarks", "version": 1, "mode": args.mode,
               "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": describe(device),
               "memory_method": MEMORY_METHOD, "cases": []}
    start_workers()
    retries = args.retries if args.retries is not None else (2 if args.mode == "full" else 0)
    jobs = args.jobs or (max(1, (os.cpu_count() or 1) // quality.THREADS) if args.mode != "smoke" else 1)
    records = {case.name: run_quietly(case, args.mode, str(device), retries)
               for case in cases if case.group not in SHARED_GROUPS}
    records |= run_together([case for case in cases if case.group in SHARED_GROUPS], args.mode, str(device), jobs)
    results["jobs"] = jobs
    results["cases"] = [records[case.name] for case in cases]
    results["seconds"] = time.perf_counter() - started
    results["only"] = args.only
    json_path, markdown_path = write(results, args.out, latest=not args.only)
    print(markdown_path.read_text())
    print(f"Wrote {json_path} and {markdown_path}", file=sys.stderr)
    failed = [case["name"] for case in results["cases"] if case["status"] in ("error", "timeout")]
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0

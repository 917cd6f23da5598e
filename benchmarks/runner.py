"""Runs each case in a fresh worker process, with a time limit, and collects what it returns.

Workers are forked from a server that has already imported torch (multiprocessing's forkserver),
so a case starts in a fraction of a second and its peak memory is its own.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

import torch

from benchmarks.core import Case, Context, MemoryProbe, as_json
from benchmarks.machine import busy_cpu_seconds

PRELOAD = ["torch", "arstudio.data", "arstudio.models", "arstudio.sampling", "arstudio.training", "benchmarks.cases"]


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def start_workers() -> None:
    """Start the fork server (it imports torch) before the first case, so no case pays for it."""
    process = _context().Process(target=_idle)
    process.start()
    process.join()


def _idle() -> None:
    """Nothing: the first worker, which starts the fork server."""


def run_case(case: Case, mode: str, device: str) -> dict[str, Any]:
    """The case's record for the report: its outcome, memory, wall time and status."""
    record: dict[str, Any] = {"name": case.name, "group": case.group, "title": case.title,
                              "options": case.options}
    if case.run is None or case.skip_reason:
        status = "not measured" if case.run is None else "skipped"
        return {**record, "status": status, "reason": case.skip_reason, "seconds": 0.0}
    context = _context()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_work, args=(send, case.run, mode, case.options, device), daemon=True)
    started, busy = time.perf_counter(), busy_cpu_seconds()
    process.start()
    send.close()
    payload: dict[str, Any]
    try:
        if receive.poll(case.timeout):
            payload = receive.recv()
        else:
            payload = {"status": "timeout", "reason": f"did not finish within {case.timeout:.0f} s"}
    except EOFError:
        payload = {"status": "error", "reason": "the worker process died"}
    finally:
        process.join(2)
        if process.is_alive():
            process.kill()
            process.join()
    if payload.get("status") == "error" and process.exitcode not in (0, None):
        payload.setdefault("reason", f"the worker exited with code {process.exitcode}")
    seconds = time.perf_counter() - started
    return {**record, **payload, "seconds": round(seconds, 2),
            "other_load": other_load(busy, payload.get("cpu_seconds"), seconds)}


def other_load(busy_before: float | None, own_cpu: float | None, seconds: float) -> float | None:
    """The share of the machine's CPUs that other programs kept busy while a case ran (Linux only)."""
    busy_after = busy_cpu_seconds()
    if busy_before is None or busy_after is None or own_cpu is None or seconds <= 0:
        return None
    return round(max(0.0, busy_after - busy_before - own_cpu) / (seconds * (os.cpu_count() or 1)), 3)


def _work(send: Connection, run: Any, mode: str, options: dict[str, Any], device: str) -> None:
    try:
        probe = MemoryProbe(torch.device(device))
        outcome = run(Context(mode, options, torch.device(device), probe))
        payload = {"status": outcome.status, **as_json(outcome), "memory": probe.summary(),
                   "cpu_seconds": time.process_time()}
    except Exception as exc:  # reported, not raised: one failing case must not stop the suite
        payload = {"status": "error", "reason": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    send.send(payload)
    send.close()

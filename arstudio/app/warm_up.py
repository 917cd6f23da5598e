"""Import, while the window sits idle, what a first training run would otherwise import while it trains.

A process's first optimizer imports torch._dynamo (and sympy with it: about a thousand modules), and the
digit data sets (the default data) import scikit-learn and parse its text file. Such work holds the GIL for
long stretches, so done during the first run it froze the live plot for a fifth of a second at a time. A
plain thread (no Qt) does it at start-up instead. It also builds (once per machine) or loads WaveNet's C
generation kernel, so the first clip does not wait for the compiler.
"""

from __future__ import annotations

import threading


def _import_lazily_loaded_modules() -> None:
    import torch

    from arstudio.data.builtin_digits import load_digits_arrays
    from arstudio.native.wavenet_step import kernel

    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])
    load_digits_arrays()
    kernel()


class WarmUp:
    def __init__(self) -> None:
        self._thread = threading.Thread(target=self._run, name="arstudio-warm-up", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            _import_lazily_loaded_modules()
        except Exception:  # noqa: BLE001 - only a head start: the first run imports what failed here and reports it
            pass

    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, seconds: float | None = None) -> bool:
        self._thread.join(seconds)
        return self.done()

"""Load, while the window sits idle, what its first use would otherwise load while the person waits.

The digit data sets (the default data, and the Images panel's sources) import scikit-learn and parse its
text file, and WaveNet's C generation kernel is built (once per machine) or loaded, so the first clip does
not wait for the compiler. A plain thread (no Qt) does it at start-up. Training needs no warm-up here: runs
train in processes of their own (the optimizer's import of torch._dynamo, a thousand modules, used to hold
the GIL while the plot was live).
"""

from __future__ import annotations

import threading


def _import_lazily_loaded_modules() -> None:
    from arstudio.data.builtin_digits import load_digits_arrays
    from arstudio.native.wavenet_step import kernel

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

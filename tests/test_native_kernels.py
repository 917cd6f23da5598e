"""The C kernels: where they are built, what is said when they cannot be, and bad input."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.data.paths import cache_dir
from arstudio.models import build_model
from arstudio.models.wavenet import native_stepper
from arstudio.native import build, wavenet_step

SOURCE = b"int answer(void) { return 42; }\n"


def test_a_kernel_is_built_into_the_data_folder_and_loads() -> None:
    if build.compiler() is None:
        pytest.skip("no C compiler here")
    assert build.load(wavenet_step.KERNEL) is not None, build.unavailable_reason(wavenet_step.KERNEL)
    built = list((cache_dir() / "native").glob("wavenet_step-*.so"))
    assert len(built) == 1


def test_compile_kernel_reports_a_failing_compiler_and_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "kernel.so"
    message = build.compile_kernel("false", SOURCE, target)
    assert message is not None and "failed" in message
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_compile_kernel_reports_a_compiler_that_cannot_run(tmp_path: Path) -> None:
    message = build.compile_kernel(str(tmp_path / "no-such-cc"), SOURCE, tmp_path / "kernel.so")
    assert message is not None and "did not run" in message


def test_compile_kernel_builds_a_library_that_ctypes_can_call(tmp_path: Path) -> None:
    cc = build.compiler()
    if cc is None:
        pytest.skip("no C compiler here")
    target = tmp_path / "kernel.so"
    assert build.compile_kernel(cc, SOURCE, target) is None
    assert ctypes.CDLL(str(target)).answer() == 42


@pytest.mark.parametrize("value", [-1, 16, 99])
def test_the_wavenet_kernel_refuses_values_outside_the_levels(value: int) -> None:
    if build.compiler() is None:
        pytest.skip("no C compiler here")
    model = build_model("wavenet", DataSpec("audio", (20,), 16), residual_channels=4, dilation_channels=4,
                        skip_channels=4, layers_per_cycle=2, cycles=1)
    stepper = native_stepper.stepper(model, torch.zeros(2, 20, dtype=torch.long))
    assert stepper is not None
    stepper.logits(0)
    stepper.commit(0, torch.tensor([3, value]))
    with pytest.raises(ValueError, match="0..15"):
        stepper.logits(1)


def test_a_damaged_build_in_the_cache_is_built_again(tmp_path: Path) -> None:
    cc = build.compiler()
    if cc is None:
        pytest.skip("no C compiler here")
    target = tmp_path / "kernel.so"
    target.write_bytes(b"half a library")
    library = build.load_or_build(cc, SOURCE, target)
    assert not isinstance(library, str), library
    assert library.answer() == 42


def test_a_cache_folder_that_cannot_be_made_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    message = build.load_or_build("cc", SOURCE, blocker / "native" / "kernel.so")
    assert isinstance(message, str) and "cannot be built" in message

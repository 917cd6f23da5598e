import os
from collections.abc import Iterator

import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True, scope="session")
def _private_data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the suite's caches and runs out of the user's own data folder."""
    previous = os.environ.get("ARSTUDIO_HOME")
    os.environ["ARSTUDIO_HOME"] = str(tmp_path_factory.mktemp("arstudio-home"))
    yield
    if previous is None:
        os.environ.pop("ARSTUDIO_HOME", None)
    else:
        os.environ["ARSTUDIO_HOME"] = previous


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)

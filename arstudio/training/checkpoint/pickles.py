"""Refusing pickle files: ARStudio never unpickles, and says so before reading anything else."""

from __future__ import annotations

from pathlib import Path

from arstudio.errors import UserError

PICKLE_SUFFIXES = frozenset({".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".bin", ".joblib", ".tar"})
PICKLE_REFUSAL = (
    "ARStudio never loads pickle files because they can run code; {path} looks like one (for example "
    "a torch.save file). Choose an ARStudio checkpoint (a .json file next to its .safetensors file), "
    "or convert the weights to safetensors in a Python session you trust."
)
SNIFF_BYTES = 9
"""How many leading bytes `refuse_pickle` needs to see."""


def looks_like_pickle(path: Path, head: bytes) -> bool:
    """Pickle protocol 2+ starts with 0x80; torch.save archives are zip files ('PK').

    A safetensors file starts with its header's length (any bytes), then '{'; it is not a pickle.
    """
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return True
    if head[8:9] == b"{":
        return False
    return head[:1] == b"\x80" or head[:2] == b"PK"


def refuse_pickle(path: Path, head: bytes) -> None:
    """Raise the UserError that explains why `path` is not opened, if it looks like a pickle."""
    if looks_like_pickle(path, head):
        raise UserError(PICKLE_REFUSAL.format(path=path))

"""Byte-level text from the docstrings and documentation of Python's standard library.

The text is gathered at first use from the standard library's source on this machine (parsed
with `ast`, nothing is imported), skipping test suites and site-packages, and cached as UTF-8.
A frozen application (PyInstaller) has no library sources, so it ships a copy of the ones read
here under `BUNDLED_STDLIB` in its bundle folder.
Examples are non-overlapping windows of `context` bytes; the splits take runs of neighbouring
windows so that no sentence is split between train and validation.
"""

from __future__ import annotations

import ast
import os
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from arstudio.data.cache import cached_bytes
from arstudio.data.examples import Examples
from arstudio.data.options import whole
from arstudio.data.sequences import sequence_examples
from arstudio.data.spec import DataSpec
from arstudio.errors import UserError

VERSION = 1
DEFAULT_CONTEXT = 256
MAX_CONTEXT = 65536
MIN_BYTES = 100_000
SKIPPED_DIRS = {"site-packages", "dist-packages", "__pycache__", "test", "tests", "idle_test"}
TOPICS_FILE = Path("pydoc_data") / "topics.py"
BUNDLED_STDLIB = "pydocs-stdlib"
DocNode = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def pydocs_spec(context: int = DEFAULT_CONTEXT) -> DataSpec:
    return DataSpec("text", (whole("context", context, 2, MAX_CONTEXT),), 256)


def build_pydocs(context: int = DEFAULT_CONTEXT) -> Examples:
    context = whole("context", context, 2, MAX_CONTEXT)
    text = pydocs_text()
    return sequence_examples([np.frombuffer(text, dtype=np.uint8)], context)


def pydocs_text() -> bytes:
    """The whole corpus as UTF-8, from the cache or gathered now."""
    version = f"py{sys.version_info.major}.{sys.version_info.minor}"
    return cached_bytes(f"pydocs-v{VERSION}-{version}.txt", lambda: gather_docs(stdlib_dir()).encode("utf-8"))


def stdlib_dir(bundle: Path | None = None) -> Path:
    """The standard library's source folder: the interpreter's, or the copy inside a bundle folder.

    `bundle` defaults to the running frozen application's folder (`sys._MEIPASS`), if any.
    """
    if bundle is None and getattr(sys, "frozen", False):
        bundle = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    if bundle is not None:
        return Path(bundle) / BUNDLED_STDLIB
    return Path(sysconfig.get_paths()["stdlib"])


def gather_docs(root: Path) -> str:
    """The docstrings of every module, class and function under `root`, then pydoc's topics."""
    if not root.is_dir():
        raise UserError(
            f"Python's standard library source is not at {root}, so the pydocs data set cannot be built; "
            "train on your own .txt files instead (user:<folder>)."
        )
    parts = [doc for path in source_files(root) for doc in file_docs(path, root)]
    topics = root / TOPICS_FILE
    if topics.is_file():
        parts.extend(topic_docs(topics))
    text = "".join(parts)
    if len(text) < MIN_BYTES:
        raise UserError(
            f"Python's standard library at {root} holds only {len(text)} characters of documentation, "
            "too little to learn from; train on your own .txt files instead (user:<folder>)."
        )
    return text


def source_files(root: Path) -> Iterator[Path]:
    """The library's .py files in sorted order, without tests, site-packages or pydoc's topics."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(("test", ".")))
        for name in sorted(files):
            path = Path(folder) / name
            if name.endswith(".py") and not name.startswith("test_") and path != root / TOPICS_FILE:
                yield path


def file_docs(path: Path, root: Path) -> Iterator[str]:
    """One entry per documented module, class or function of the file: its name, then its docstring."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return
    module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
    for name, node in _documented(tree, module):
        doc = ast.get_docstring(node, clean=True)
        if doc and doc.strip():
            yield f"{name}\n{_tidy(doc)}\n\n"


def _documented(node: DocNode, name: str) -> Iterator[tuple[str, DocNode]]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        yield f"def {name}({ast.unparse(node.args)})", node
    elif isinstance(node, ast.ClassDef):
        yield f"class {name}", node
    else:
        yield f"module {name}", node
    for child in node.body:
        if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _documented(child, f"{name}.{child.name}")


def topic_docs(path: Path) -> Iterator[str]:
    """The help topics of pydoc_data/topics.py (the language reference pages behind help())."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, OSError):
        return
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "topics" for t in node.targets):
            try:
                topics = ast.literal_eval(node.value)
            except ValueError:
                return
            for key, text in topics.items():
                if isinstance(key, str) and isinstance(text, str) and text.strip():
                    yield f"topic {key}\n{_tidy(text)}\n\n"


def _tidy(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())

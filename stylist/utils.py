"""Small shared helpers: the user-error type, logging, seeding, atomic writes, the cache folder."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

__all__ = [
    "StylistError",
    "get_logger",
    "seed_everything",
    "atomic_write",
    "cache_dir",
    "sha256_of_file",
]


class StylistError(ValueError):
    """An error the user can fix (a missing file, a bad option, an unreadable image).

    Command-line entry points print its message as one line and exit non-zero;
    library callers catch it like any ``ValueError``.
    """


def get_logger(name: str) -> logging.Logger:
    """Return a logger that only emits on global rank zero (quiet on DDP workers)."""
    logger = logging.getLogger(name)
    if int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) != 0:
        logger.setLevel(logging.ERROR)
    return logger


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so that CPU runs are repeatable."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success.

    An existing file at ``path`` is never half-overwritten: readers see the old file
    or the complete new one. The new file gets the usual permissions (``0o666`` minus the umask),
    not the owner-only ones of a temporary file.

    Example:
        >>> with atomic_write("out.json") as tmp:  # doctest: +SKIP
        ...     tmp.write_text("{}")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def cache_dir() -> Path:
    """Folder for converted weights and rendered masks: ``$STYLIST_CACHE`` or ``~/.cache/stylist``."""
    root = os.environ.get("STYLIST_CACHE") or Path.home() / ".cache" / "stylist"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_of_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()

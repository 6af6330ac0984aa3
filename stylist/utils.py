"""Small shared helpers: the user-error type, logging, seeding, atomic writes and the checks that
go with them, reading model files, weight lists, the cache folder."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import random
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import torch

__all__ = [
    "StylistError",
    "get_logger",
    "seed_everything",
    "atomic_write",
    "is_temporary",
    "check_writable",
    "load_torch_file",
    "normalised_weights",
    "check_whole_number",
    "is_positive_number",
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
    """Seed Python, NumPy and torch so that CPU runs are repeatable (``seed``: a whole number >= 0)."""
    check_whole_number("seed", seed, 0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success.

    An existing file at ``path`` is never half-overwritten: readers see the old file
    or the complete new one. The temporary file is removed on any exception (Ctrl-C included); a
    process killed outright can leave it behind, so readers skip such files (:func:`is_temporary`). The new file gets the usual permissions (``0o666`` minus the umask),
    not the owner-only ones of a temporary file.

    Example:
        >>> with atomic_write("out.json") as tmp:  # doctest: +SKIP
        ...     tmp.write_text("{}")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=_TEMP_MARK + path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


#: Part of every temporary name (``.<stem>.<random>.tmp<suffix>``), so that readers can skip them.
_TEMP_MARK = ".tmp"


def is_temporary(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an (unfinished or left-over) temporary file of :func:`atomic_write`."""
    name = Path(path).name
    return name.startswith(".") and _TEMP_MARK in name


def check_writable(path: str | os.PathLike) -> Path:
    """Fail now, not after a long run, when the file ``path`` could not be written.

    Creates the missing parent folders and a throw-away file next to ``path``.

    Raises:
        StylistError: a parent is a file, the folder is read-only, or ``path`` is a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise StylistError(f"cannot write {path}: it is a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=_TEMP_MARK, dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        reason = "a parent is a file" if isinstance(err, (FileExistsError, NotADirectoryError)) else err.strerror
        raise StylistError(f"cannot write {path}: {reason}") from None
    return path


def load_torch_file(path: str | os.PathLike, weights_only: bool = True) -> Any:
    """``torch.load`` of a model file on the CPU, with a truncated or foreign file reported as a
    :class:`StylistError` naming it (not an ``UnpicklingError``).

    Args:
        weights_only: ``False`` only for trusted Lightning checkpoints (they hold plain Python objects).
    """
    path = Path(path)
    if not path.is_file():
        raise StylistError(f"model file not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=weights_only)
    except Exception as err:  # noqa: BLE001 - pickle, zip and torch all raise their own types
        text = str(err).split("WeightsUnpickler error:")[-1]  # past torch's advice on weights_only
        reason = next((line.strip() for line in text.splitlines() if line.strip()), type(err).__name__)
        raise StylistError(f"cannot read model file {path} (corrupt or not a PyTorch file): {reason}") from None


def normalised_weights(weights: Sequence[float] | Mapping[Any, float] | None, n: int, what: str = "weights") -> list[float]:
    """``n`` non-negative weights scaled to sum 1 (``None``: equal weights); the one check of
    style blends and layer weights.

    Raises:
        StylistError: wrong count, a negative or non-finite weight, or a zero sum.

    Example:
        >>> normalised_weights([3, 1], 2)
        [0.75, 0.25]
    """
    if weights is None:
        return [1.0 / n] * n if n else []
    values = list(weights.values()) if isinstance(weights, Mapping) else list(weights)
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        raise StylistError(f"{what}: need numbers, got {values}") from None
    if len(values) != n or any(v < 0 or not math.isfinite(v) for v in values) or sum(values) <= 0:
        raise StylistError(f"{what}: need {n} non-negative numbers with a positive sum, got {values}")
    return [v / sum(values) for v in values]


def check_whole_number(name: str, value: Any, least: int, note: str = "") -> int:
    """``value`` if it is an ``int`` (not a ``bool``) of at least ``least``, else a user error
    ``"<name> must be a whole number >= <least><note>, got <value>"``; the one check of counts and
    sizes given in configs (iterations, threads, batch sizes, frames...).

    Example:
        >>> check_whole_number("threads", 2, 1)
        2
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise StylistError(f"{name} must be a whole number >= {least}{note}, got {value!r}")
    return value


def check_number(name: str, value: Any, least: float, below: float = math.inf) -> float:
    """``value`` if it is an ``int`` or ``float`` (not a ``bool``) with ``least <= value < below``, else
    a user error ``"<name> must be a number >= <least>, got <value>"`` (``in [least, below)`` when
    ``below`` is finite): the one check of weights and fractions given in configs.

    Example:
        >>> check_number("temporal", 0.6, 0, 1)
        0.6
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not least <= value < below:
        bounds = f">= {least:g}" if below == math.inf else f"in [{least:g}, {below:g})"
        raise StylistError(f"{name} must be a number {bounds}, got {value!r}")
    return value


def is_positive_number(value: Any) -> bool:
    """Whether ``value`` is a finite number above 0 (an ``int`` or ``float``, not a ``bool``)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and 0 < value < math.inf


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU runs bfloat16 convolutions natively (AVX512-BF16 or AMX, as oneDNN reports).

    Without them (e.g. an AVX2-only CPU), bf16 autocast is emulated and several times *slower*
    than float32 (measured: a DeepLabV3+ training step > 60 s instead of 11 s on a 2-core AVX2
    EPYC), so the CPU experiments choose their precision with it (``${cpu_bf16:...}`` in conf/).
    """
    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def warn_if_slow_bf16(what: str) -> None:
    """Log a warning when ``what`` asks for bf16 on a CPU without native bf16 (see :func:`cpu_has_fast_bf16`)."""
    if not cpu_has_fast_bf16():
        get_logger(__name__).warning(
            "%s: bf16 on a CPU without AVX512-BF16/AMX is emulated and slower than float32; turn it off", what
        )


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

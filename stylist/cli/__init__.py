"""Hydra entry points. Only this package touches Hydra and ``DictConfig``.

Each command composes its config from ``conf/``, instantiates objects, runs library code and
turns :class:`~stylist.utils.StylistError` into one line on stderr and exit status 2.
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path
from typing import Any, Callable

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue

from stylist.utils import StylistError

__all__ = ["REPO_ROOT", "CONFIG_DIR", "user_error", "user_errors_exit", "plain"]

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = str(REPO_ROOT / "conf")

if not OmegaConf.has_resolver("repo_root"):
    OmegaConf.register_new_resolver("repo_root", lambda: str(REPO_ROOT))


def user_error(err: BaseException) -> str | None:
    """The one-line message of a user error, or ``None`` for a bug.

    User errors are :class:`StylistError`, ``FileNotFoundError`` and a mandatory option left
    unset (``???``), also when Hydra or OmegaConf wrap them (an error raised while instantiating a
    ``_target_`` or resolving an interpolation).
    """
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (StylistError, FileNotFoundError)):
            return str(current)
        if isinstance(current, MissingMandatoryValue):
            key = current.full_key or current.key
            return f"missing value for '{key}': give it on the command line, e.g. {key}=..."
        current = current.__cause__
    return None


def user_errors_exit(task: Callable[[DictConfig], Any]) -> Callable[[DictConfig], Any]:
    """Wrap a Hydra task so that user errors (:func:`user_error`) print one line and exit with status 2."""

    @functools.wraps(task)
    def wrapped(cfg: DictConfig) -> Any:
        logging.captureWarnings(True)
        try:
            return task(cfg)
        except Exception as err:
            message = user_error(err)
            if message is None:
                raise
            print(f"error: {message}", file=sys.stderr)
            raise SystemExit(2) from None

    return wrapped


def plain(cfg: Any) -> Any:
    """A resolved plain-Python copy of a config node (lists and dicts), or the value itself."""
    return OmegaConf.to_container(cfg, resolve=True) if OmegaConf.is_config(cfg) else cfg

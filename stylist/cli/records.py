"""Run records: the JSON file each CLI writes next to its output, built and written in one place.

Every record holds the command's own fields (``output``, ``final_losses``, ...) and the common part
of :func:`run_record`:

* ``command``: the command line (``python -m stylist.stylize size=64 ...``) and ``overrides``: its
  Hydra overrides;
* ``settings``: the resolved config;
* ``machine``: CPU, core count, load average, native bf16, torch threads, torch and Python versions
  (:func:`machine_info`; :func:`machine_line` as one line of text);
* ``date``: UTC, ISO 8601; ``seconds_total``: the run's wall time as the command measures it.

:func:`write_record` writes it atomically as strict JSON (a NaN is written as ``null``).

Example:
    >>> record = run_record(cfg, seconds_total=1.5, output="out.png")  # doctest: +SKIP
    >>> write_record("out.json", record)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Any

import torch

from stylist.cli import plain
from stylist.utils import atomic_write, cpu_has_fast_bf16

__all__ = ["machine_info", "machine_line", "utc_now", "command_line", "command_overrides", "run_record", "to_json", "write_record"]


def _cpu_model() -> str:
    """The CPU's model name: the first ``model name`` of /proc/cpuinfo, else :func:`platform.processor`."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """Where a number was measured: CPU, cores, 1-minute load average (the other jobs sharing it),
    native bf16 (:func:`stylist.utils.cpu_has_fast_bf16`), torch threads, torch and Python versions."""
    return {
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
        "native_bf16": cpu_has_fast_bf16(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def machine_line(info: dict[str, Any] | None = None, *, load_average: bool = True) -> str:
    """:func:`machine_info` (or a stored ``info``) as one line of text, for Markdown and logs
    (``load_average=False``: without it, e.g. when a report gives the range over its runs)."""
    info = machine_info() if info is None else info
    load = f", load average {info.get('load_average')}" if load_average else ""
    bf16 = "native" if info.get("native_bf16") else "emulated"
    return (
        f"{info.get('processor')} ({info.get('machine')}), {info.get('cpus')} cores{load}, bf16 {bf16}, "
        f"{info.get('torch_threads')} torch threads, torch {info.get('torch')}"
    )


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second (``2026-01-31T12:00:00+00:00``)."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def command_overrides() -> list[str]:
    """The running Hydra job's command-line overrides (``[]`` outside a Hydra run)."""
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def command_line() -> str:
    """This process's command line, as ``python -m <module> <arguments>`` when run with ``-m``."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    program = ["python", "-m", spec.name] if spec is not None and spec.name != "__main__" else sys.argv[:1]
    return shlex.join([*program, *sys.argv[1:]])


def run_record(cfg: Any, *, seconds_total: float, **fields: Any) -> dict[str, Any]:
    """A run record: ``fields`` first, then the common part of the module docstring (a field
    named like a common key, e.g. an edited ``settings``, replaces it)."""
    common = {
        "seconds_total": seconds_total,
        "command": command_line(),
        "overrides": command_overrides(),
        "settings": plain(cfg),
        "machine": machine_info(),
        "date": utc_now(),
    }
    return {**fields, **{key: value for key, value in common.items() if key not in fields}}


def to_json(record: Any) -> str:
    """Strict JSON of ``record``; a NaN (e.g. a mean over nothing) is written as ``null``."""

    def no_nan(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: no_nan(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [no_nan(item) for item in value]
        return None if isinstance(value, float) and value != value else value

    return json.dumps(no_nan(record), indent=1, allow_nan=False)


def write_record(path: str | os.PathLike, record: dict[str, Any]) -> Path:
    """Write ``record`` to ``path`` atomically (:func:`to_json`); returns the path."""
    with atomic_write(path) as tmp:
        tmp.write_text(to_json(record))
    return Path(path)

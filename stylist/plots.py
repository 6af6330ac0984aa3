"""Plots written as PNG files (matplotlib, no display needed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from stylist.utils import atomic_write

__all__ = ["plot_loss_history", "save_figure"]


def plot_loss_history(
    history: Mapping[str, Sequence[float]],
    path: str | os.PathLike,
    title: str = "loss per iteration",
    keys: Sequence[str] = ("total", "content", "style", "tv"),
    xlabel: str = "iteration",
) -> Path:
    """Plot the named loss curves on a log scale and write a PNG atomically (non-positive values skipped)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for key in keys:
        values = list(history.get(key, []))
        points = [(i, v) for i, v in enumerate(values, start=1) if v > 0]
        if points:
            ax.plot(*zip(*points), label=key)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("weighted loss")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def save_figure(fig: Any, path: str | os.PathLike) -> Path:
    """Write a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path

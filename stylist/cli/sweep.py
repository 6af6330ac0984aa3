"""Assemble a ``--multirun`` sweep of ``stylist.stylize`` into a contact sheet and a CSV.

Runs automatically at the end of every multirun (``ContactSheetCallback`` in
``conf/hydra/default.yaml``), or by hand::

    python -m stylist.cli.sweep outputs/stylize_multirun/2026-11-26_15-00-00
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from stylist.cli import user_errors_status
from stylist.image import image_grid
from stylist.utils import StylistError, atomic_write, is_temporary

__all__ = ["assemble_sweep", "ContactSheetCallback"]


def _jobs(sweep_dir: Path) -> list[dict[str, Any]]:
    """The finished jobs of ``sweep_dir``, each with its overrides: the run record's ``overrides``
    (:func:`stylist.cli.records.run_record`), or ``.hydra/overrides.yaml`` for a record from before it had them."""
    jobs = []
    for record_path in sorted(sweep_dir.glob("*/*.json"), key=lambda p: (len(p.parent.name), p.parent.name)):
        if is_temporary(record_path):
            continue  # a write in progress, or left over by a killed job
        try:
            record = json.loads(record_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            warnings.warn(f"skipping {record_path}: not valid JSON (an interrupted job?)")
            continue
        if not isinstance(record, dict) or "output" not in record or not Path(record["output"]).is_file():
            continue
        overrides = record.get("overrides")
        if not isinstance(overrides, list):
            overrides_path = record_path.parent / ".hydra" / "overrides.yaml"
            if not overrides_path.is_file():
                continue  # not a Hydra job's record
            overrides = yaml.safe_load(overrides_path.read_text()) or []
        jobs.append({"dir": record_path.parent.name, "record": record, "overrides": dict(item.split("=", 1) for item in overrides)})
    return jobs


def assemble_sweep(sweep_dir: str | Path, cell: int = 256) -> tuple[Path, Path]:
    """Write ``contact_sheet.png`` (rows: the first swept key; columns: the others) and
    ``results.csv`` (overrides, final losses, seconds) into ``sweep_dir``.

    Raises:
        StylistError: no finished job in ``sweep_dir``.
    """
    sweep_dir = Path(sweep_dir)
    jobs = _jobs(sweep_dir)
    if not jobs:
        raise StylistError(f"no finished stylize jobs in {sweep_dir}")
    keys = list(dict.fromkeys(k for job in jobs for k in job["overrides"]))
    swept = [k for k in keys if len({job["overrides"].get(k) for job in jobs}) > 1] or keys[:1]
    row_key, col_keys = swept[0], swept[1:]
    row_values = list(dict.fromkeys(job["overrides"].get(row_key, "") for job in jobs))

    def col_label(job: dict[str, Any]) -> str:
        return " ".join(f"{k.split('.')[-1]}={job['overrides'].get(k, '')}" for k in col_keys) or job["dir"]

    col_values = list(dict.fromkeys(col_label(job) for job in jobs))
    cells = {(job["overrides"].get(row_key, ""), col_label(job)): Path(job["record"]["output"]) for job in jobs}
    from PIL import Image

    blank = Image.new("RGB", (cell, cell), "white")
    rows = [
        [Image.open(cells[(r, c)]).convert("RGB") if (r, c) in cells else blank for c in col_values]
        for r in row_values
    ]
    sheet = image_grid(rows, row_labels=[f"{row_key.split('.')[-1]}={r}" for r in row_values], col_labels=col_values, cell=cell)
    sheet_path = sweep_dir / "contact_sheet.png"
    with atomic_write(sheet_path) as tmp:
        sheet.save(tmp, format="PNG")

    loss_keys = ["total", "content", "style", "tv"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["job", *swept, *(f"final_{k}" for k in loss_keys), "seconds_total", "output"])
    for job in jobs:
        final = job["record"].get("final_losses", {})
        writer.writerow(
            [job["dir"], *(job["overrides"].get(k, "") for k in swept), *(final.get(k, "") for k in loss_keys),
             round(job["record"].get("seconds_total", 0.0), 2), job["record"]["output"]]
        )
    csv_path = sweep_dir / "results.csv"
    with atomic_write(csv_path) as tmp:
        tmp.write_text(buffer.getvalue())
    return sheet_path, csv_path


class ContactSheetCallback(Callback):
    """Hydra callback: after a multirun of ``stylist.stylize``, assemble its contact sheet."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if config.hydra.job.name != "stylize":
            return
        try:
            sheet, table = assemble_sweep(config.hydra.sweep.dir)
        except StylistError as err:
            print(f"contact sheet skipped: {err}", file=sys.stderr)
            return
        print(f"contact sheet: {sheet}\nresults: {table}")


@user_errors_status
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path)
    parser.add_argument("--cell", type=int, default=256, help="cell size in px")
    args = parser.parse_args(argv)
    sheet, table = assemble_sweep(args.sweep_dir, cell=args.cell)
    print(sheet)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

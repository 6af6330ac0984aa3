"""Photorealistic style transfer benchmark: does the colour move, region to region, while the photo
stays a photo? Every method runs on the same pairs in the same run, at one size:

* ``baseline``: global Lab mean/std transfer (:func:`stylist.color.match_lab_statistics`);
* ``photowct`` and ``photo``: :data:`stylist.methods.METHODS` with the pair's colour-coded label maps
  (``content_mask=``/``style_mask=``, the label-map path users take), their default options;
* ``photo_init``: ablation, ``photo`` with both optimisation stages skipped (its regional Lab
  histogram start and the local affine filter only), to show what the optimisation adds.

Measures (:mod:`stylist.metrics`): ``color_ratio`` ``W(out, style) / W(content, style)``,
``semantic_color_ratio`` (the same per label-map region pair, weighted by content area),
``structure`` (SSIM structure term of the grey levels), ``seconds`` per image (wall time of the
method call, loading excluded) and ``cpu_seconds`` (the process's CPU time for it: on a shared
machine the better estimate of the time on one free core). Pairs: the shared day photos with ``hoovertowernight`` as the night
style and back, and ModaNet-format street photos (val ids 801-808) with each other; label maps in
``benchmarks/photo_pairs/`` (made by ``benchmarks/photo_pairs.py``).

    OMP_NUM_THREADS=1 python benchmarks/photo_eval.py [--size 512] [--methods baseline photowct photo photo_init]
        [--pairs golden_gate-hoovertowernight ...] [--out benchmarks/results/photo_eval]
        [--set photo.stage1_iterations=40 ...]

Writes ``<out>/rows/<method>_<pair>.json`` and ``<out>/images/<method>_<pair>.png`` per run, and
rebuilds ``<out>/runs.csv``, ``<out>/summary.md`` (medians per method) and ``<out>/figure.png``
(content | style | one column per method) from all rows after every pair, so several processes
can run disjoint subsets into one folder (``--report-only`` rebuilds at the end).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import torch
import yaml

from stylist.cli.records import machine_info, machine_line, utc_now
from stylist.color import match_lab_statistics
from stylist.image import image_grid, load_image, save_image
from stylist.methods import get_method
from stylist.metrics import color_ratio, semantic_color_ratio, structure_similarity
from stylist.regions import label_map_pairs
from stylist.utils import StylistError, atomic_write

HERE = Path(__file__).resolve().parent
LABELS = HERE / "photo_pairs"
SHARED = HERE.parents[1] / "shared" / "data"
STREET = SHARED / "modanet_ccp" / "images"


def _photo(name: str) -> tuple[str, Path]:
    """A pair member: (image spec, label map)."""
    if name.isdigit():
        return str(STREET / f"{int(name):07d}.jpg"), LABELS / f"{int(name):07d}_labels.png"
    return str(SHARED / "images" / f"{name}.jpg"), LABELS / f"{name}_labels.png"


PAIRS = [
    ("golden_gate", "hoovertowernight"),
    ("tubingen", "hoovertowernight"),
    ("hoovertowernight", "golden_gate"),
    ("tubingen", "golden_gate"),
    ("801", "802"),
    ("803", "804"),
    ("805", "806"),
    ("807", "808"),
]
METHOD_NAMES = ("baseline", "photowct", "photo", "photo_init")


def _runner(method: str, options: dict[str, Any]) -> Callable[..., torch.Tensor]:
    if method == "baseline":
        return lambda content, style, content_map, style_map: match_lab_statistics(content, style)
    if method == "photo_init":  # ablation: photo's start and post-processing without its two stages
        method, options = "photo", {"stage1_iterations": 0, "stage2_iterations": 0, **options}
    cls = get_method(method)
    return lambda content, style, content_map, style_map: cls(
        content_mask=str(content_map), style_mask=str(style_map), **options
    )(content, [style], progress=False).image


def _parse_sets(items: list[str]) -> dict[str, dict[str, Any]]:
    """``["photo.stage1_iterations=40"]`` -> ``{"photo": {"stage1_iterations": 40}}`` (YAML values)."""
    options: dict[str, dict[str, Any]] = {}
    for item in items:
        key, _, value = item.partition("=")
        method, _, option = key.partition(".")
        if not option or method not in METHOD_NAMES:
            raise StylistError(f"--set takes method.option=value with a method in {METHOD_NAMES}, not '{item}'")
        options.setdefault(method, {})[option] = yaml.safe_load(value)
    return options


def _load_range(rows: list[dict[str, Any]]) -> str:
    """The range of the load averages the rows' machines recorded (``"not recorded"`` for rows from before they did)."""
    loads = [r["machine"]["load_average"] for r in rows if "load_average" in r.get("machine", {})]
    return f"{min(loads):.1f}-{max(loads):.1f}" if loads else "not recorded"


def _machine(rows: list[dict[str, Any]]) -> str:
    """The machine of the last row that records one, without its load average (``"not recorded"`` when
    no row does: rows from before they did may come from another machine)."""
    info = next((r["machine"] for r in reversed(rows) if "machine" in r), None)
    return machine_line(info, load_average=False) if info else "not recorded"


def _report(out: Path, size: int, cell: int) -> None:
    """Rebuild ``runs.csv``, ``summary.md`` and ``figure.png`` from every ``rows/*.json`` under ``out``
    (so that several processes can run disjoint subsets into one folder)."""
    rows = [json.loads(path.read_text()) for path in sorted((out / "rows").glob("*.json"))]
    pair_order = [f"{c}-{s}" for c, s in PAIRS]
    rows.sort(key=lambda r: (pair_order.index(r["pair"]) if r["pair"] in pair_order else 99, METHOD_NAMES.index(r["method"])))
    fields = ["method", "pair", "seconds", "cpu_seconds", "color_ratio", "semantic_color_ratio", "structure", "date", "command"]
    with atomic_write(out / "runs.csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: (f"{row[k]:.4f}" if isinstance(row[k], float) else row[k]) for k in fields} for row in rows)
    methods = [m for m in METHOD_NAMES if any(r["method"] == m for r in rows)]
    lines = [
        f"Medians over the pairs at {size} px; machine: {_machine(rows)}, "
        f"1-minute load average {_load_range(rows)} when the runs ended (above 1, other jobs shared the cores and wall "
        f"seconds exceed what one free core needs; CPU seconds are the process's own); "
        f"{sorted({r['date'] for r in rows})}. Commands: {sorted({r['command'] for r in rows})}.",
        "",
        "| method | pairs | colour ratio | semantic colour ratio | structure | seconds (wall) | CPU seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        med = {k: statistics.median(r[k] for r in mine) for k in fields[2:7]}
        lines.append(
            f"| {method} | {len(mine)} | {med['color_ratio']:.3f} | {med['semantic_color_ratio']:.3f} | "
            f"{med['structure']:.3f} | {med['seconds']:.1f} | {med['cpu_seconds']:.1f} |"
        )
    with atomic_write(out / "summary.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    figure_rows, labels = [], []
    for pair in [p for p in pair_order if any(r["pair"] == p for r in rows)]:
        content_name, style_name = pair.split("-")
        cells = [load_image(_photo(content_name)[0], size=size), load_image(_photo(style_name)[0], size=size)]
        for method in methods:
            path = out / "images" / f"{method}_{pair}.png"
            cells.append(load_image(path) if path.is_file() else torch.ones(1, 3, 16, 16))
        figure_rows.append(cells)
        labels.append(f"{content_name}\nx {style_name}")
    if figure_rows:
        grid = image_grid(figure_rows, row_labels=labels, col_labels=["content", "style", *methods], cell=cell)
        save_image(grid, out / "figure.png")


def main(argv: list[str] | None = None) -> None:
    import sys

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--methods", nargs="+", default=list(METHOD_NAMES), choices=METHOD_NAMES)
    parser.add_argument("--pairs", nargs="+", default=[f"{c}-{s}" for c, s in PAIRS])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "photo_eval")
    parser.add_argument("--set", nargs="*", default=[], dest="sets")
    parser.add_argument("--cell", type=int, default=256)
    parser.add_argument("--report-only", action="store_true", help="only rebuild the tables and figure")
    args = parser.parse_args(argv)
    command = "OMP_NUM_THREADS=1 python benchmarks/photo_eval.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.report_only:
        _report(args.out, args.size, args.cell)
        return
    torch.set_num_threads(1)
    options = _parse_sets(args.sets)
    pairs = [tuple(p.split("-")) for p in args.pairs]
    for content_name, style_name in pairs:
        for _, labels in (_photo(content_name), _photo(style_name)):
            if not labels.is_file():
                raise SystemExit(f"missing label map {labels}: run python benchmarks/photo_pairs.py")
    runners = {m: _runner(m, options.get(m, {})) for m in args.methods}
    for content_name, style_name in pairs:
        (content_spec, content_map), (style_spec, style_map) = _photo(content_name), _photo(style_name)
        content, style = load_image(content_spec, size=args.size), load_image(style_spec, size=args.size)
        regions = label_map_pairs(content_map, style_map, tuple(content.shape[-2:]), tuple(style.shape[-2:]))
        pair = f"{content_name}-{style_name}"
        for method, run in runners.items():
            torch.manual_seed(0)
            start, start_cpu = time.perf_counter(), time.process_time()
            image = run(content, style, content_map, style_map)
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
            row = {
                "method": method, "pair": pair, "seconds": seconds, "cpu_seconds": cpu_seconds,
                "color_ratio": color_ratio(image, content, style),
                "semantic_color_ratio": semantic_color_ratio(image, content, style, regions.content_masks, regions.style_masks),
                "structure": structure_similarity(image, content),
                "date": utc_now()[:10], "machine": machine_info(), "command": command,
            }  # fmt: skip
            print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k not in ("command", "machine")}, flush=True)
            save_image(image, args.out / "images" / f"{method}_{pair}.png")
            with atomic_write(args.out / "rows" / f"{method}_{pair}.json") as tmp:
                tmp.write_text(json.dumps(row, indent=1))
        _report(args.out, args.size, args.cell)


if __name__ == "__main__":
    main()

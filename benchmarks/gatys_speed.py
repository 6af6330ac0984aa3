"""Gatys speed and memory, as ratios to references timed in the same run.

* per-iteration cost of ``stylist.gatys.stylize`` (L-BFGS, default layers) divided by a bare
  VGG16 forward + backward to the deepest layer used (relu5_1), at 256 and 512 px
  (target: <= 1.2);
* peak resident memory of a 1024 px run (target: < 8 GB), measured in a fresh process.

    python benchmarks/gatys_speed.py [--sizes 256 512] [--memory-size 1024] [--out benchmarks/results/gatys_speed.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from stylist.backbones import get_backbone
from stylist.cli.records import machine_info, machine_line, utc_now
from stylist.losses import DEFAULT_STYLE_LAYERS
from stylist.image import load_image
from stylist.methods import Gatys
from stylist.utils import atomic_write


def bare_vgg_seconds(encoder: torch.nn.Module, size: int, repeats: int) -> float:
    """Median time of a forward to relu5_1 and a backward to the input."""
    image = torch.rand(1, 3, size, size, requires_grad=True)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        features = encoder(image, ["relu5_1"])
        features["relu5_1"].sum().backward()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gatys_seconds_per_iteration(encoder: torch.nn.Module, size: int, iterations: int) -> float:
    content, style = load_image("astronaut", size=size), load_image("swirls", size=size)
    content = torch.nn.functional.interpolate(content, size=(size, size))
    return Gatys(encoder, iterations=iterations)(content, [style], progress=False).info["seconds_per_iteration"]


def interleaved(encoder: torch.nn.Module, size: int, iterations: int, rounds: int) -> tuple[float, float]:
    """Median bare-VGG and Gatys-iteration times over alternating rounds, so that load from other
    processes hits both measurements alike."""
    bare_vgg_seconds(encoder, size, repeats=1)  # warm-up
    vgg, gatys = [], []
    for _ in range(rounds):
        vgg.append(bare_vgg_seconds(encoder, size, repeats=3))
        gatys.append(gatys_seconds_per_iteration(encoder, size, iterations))
    return statistics.median(vgg), statistics.median(gatys)


def peak_memory_gb(size: int, iterations: int) -> float:
    code = (
        "import resource, torch; from stylist.methods import Gatys; from stylist.image import load_image;"
        f"c=torch.nn.functional.interpolate(load_image('astronaut', size={size}), size=({size},{size}));"
        f"Gatys(iterations={iterations})(c, [load_image('swirls', size={size})], progress=False);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1]) / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--iterations", type=int, default=10, help="Gatys iterations per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    parser.add_argument("--memory-size", type=int, default=1024)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/gatys_speed.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    encoder = get_backbone("vgg16")
    rows = []
    for size in args.sizes:
        vgg, gatys = interleaved(encoder, size, args.iterations, args.rounds)
        rows.append({"size": size, "vgg_fwd_bwd_s": vgg, "gatys_iteration_s": gatys, "ratio": gatys / vgg})
    memory = peak_memory_gb(args.memory_size, iterations=10)
    result = {
        "rows": rows,
        "style_layers": list(DEFAULT_STYLE_LAYERS),
        "peak_rss_gb": {str(args.memory_size): memory},
        "machine": machine_info(),
        "date": utc_now(),
        "backbone_weights": encoder.weights_name,
        "max_rss_self_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
    }
    with atomic_write(args.out) as tmp:
        tmp.write_text(json.dumps(result, indent=1))
    print("| size | bare VGG16 fwd+bwd to relu5_1 (s) | Gatys iteration (s) | ratio (target <= 1.2) |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['size']} | {row['vgg_fwd_bwd_s']:.3f} | {row['gatys_iteration_s']:.3f} | {row['ratio']:.2f} |")
    print(f"\npeak RSS of a {args.memory_size} px run: {memory:.2f} GB (target < 8 GB)")
    print(f"{machine_line(result['machine'])}, {result['date']}")


if __name__ == "__main__":
    main()

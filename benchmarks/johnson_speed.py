"""Johnson inference speed, as ratios to references timed in the same run.

* ms per image of a trained TransformerNet at 256, 512 and 1024 px (median of ``--repeats``),
  for eager fp32 and the variants bf16 autocast, channels-last and ``torch.compile`` (bf16 kept only
  where its output stays within ``--bf16-tolerance`` of fp32);
* the network's achieved GFLOP/s (FLOPs counted by ``torch.utils.flop_counter``) over a large
  fp32 matmul's GFLOP/s in the same process (target >= 0.7 at 512 px);
* speed-up over Gatys at the same size: Gatys (L-BFGS from the content, the model's own training
  loss) seconds until its style loss reaches the Johnson output's, over Johnson's time
  (target >= 1000x at 512 px). Gatys is run up to ``--gatys-max-iterations``; if it has not
  reached the Johnson style loss by then, the speed-up is reported as a lower bound;
* peak resident memory of tiled inference on a 4000x3000 photo, in a fresh process.

    python benchmarks/johnson_speed.py [--model starry_night] [--threads 2] \
        [--out benchmarks/results/johnson_speed.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import torch
from hydra.utils import instantiate
from torch.utils.flop_counter import FlopCounterMode

from stylist.backbones import get_backbone
from stylist.cli.records import machine_info, machine_line, utc_now
from stylist.image import load_image
from stylist.johnson import load_transformer, stylize_image
from stylist.methods import Gatys
from stylist.utils import atomic_write
from stylist.models import metadata


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matmul_gflops(n: int, repeats: int) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / median_seconds(lambda: a @ b, repeats) / 1e9


def network_flops(net: torch.nn.Module, image: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        net(image)
    return counter.get_total_flops()


def variants(model: str) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """Name -> inference function (input and output contiguous fp32 NCHW). The eager and compiled
    variants go through the library's ``stylize_image`` (its ``bf16`` option and
    ``load_transformer(..., compile=True)``); channels-last is measured here only."""
    net = load_transformer(model)
    compiled = load_transformer(model, compile=True)
    channels_last = load_transformer(model).to(memory_format=torch.channels_last)

    def cl(x: torch.Tensor) -> torch.Tensor:
        return channels_last(x.contiguous(memory_format=torch.channels_last)).contiguous()

    def cl_bf16(x: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return channels_last(x.contiguous(memory_format=torch.channels_last)).float().contiguous()

    return {
        "eager_fp32": lambda x: stylize_image(net, x),
        "eager_bf16": lambda x: stylize_image(net, x, bf16=True),
        "channels_last_fp32": cl,
        "channels_last_bf16": cl_bf16,
        "compile_fp32": lambda x: stylize_image(compiled, x),
        "compile_bf16": lambda x: stylize_image(compiled, x, bf16=True),
    }


def gatys_seconds_to_reach(
    content: torch.Tensor, style: torch.Tensor, loss: Callable, target_style: float, max_iterations: int, encoder
) -> dict:
    result = Gatys(encoder, loss, iterations=max_iterations)(content, [style], progress=False)
    history = result.history["style"]
    reached = next((i + 1 for i, value in enumerate(history) if value <= target_style), None)
    iterations = reached or len(history)
    return {"iterations": iterations, "reached": reached is not None,
            "seconds_per_iteration": result.info["seconds_per_iteration"],
            "seconds": iterations * result.info["seconds_per_iteration"], "style_first": history[0], "style_last": history[-1]}


def peak_rss_tiled_mb(model: str, size: tuple[int, int], tile: int) -> dict:
    code = (
        "import resource, time, torch; from stylist.johnson import load_transformer, stylize_image;"
        f"torch.set_num_threads({torch.get_num_threads()}); net = load_transformer({model!r});"
        f"x = torch.rand(1, 3, {size[0]}, {size[1]}); base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        f"t = time.perf_counter(); y = stylize_image(net, x, tile_size={tile}); t = time.perf_counter() - t;"
        "print(base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, peak, seconds = out.split()
    return {"size": list(size), "tile_size": tile, "peak_rss_mb": int(peak) / 1024,
            "rss_before_inference_mb": int(before) / 1024, "seconds": float(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="starry_night")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--gatys-sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--gatys-max-iterations", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--matmul-size", type=int, default=2048)
    parser.add_argument("--bf16-tolerance", type=float, default=2 / 255, help="max mean |bf16 - fp32| to keep bf16")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/johnson_speed.json"))
    parser.add_argument("--note", default="", help="e.g. whether other jobs shared the machine")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    net = load_transformer(args.model)
    meta = metadata(args.model)
    config = meta["config"]
    loss_factory = instantiate(config["loss"])  # the model's training loss: PerceptualLoss(encoder, ...)
    style = load_image(config["model"]["style"], size=meta.get("style_size") or config["model"]["style_size"])
    encoder = get_backbone("vgg16", weights="hed")
    loss = loss_factory(encoder)
    loss.set_style(style)
    fns = variants(args.model)
    matmul = matmul_gflops(args.matmul_size, args.repeats)

    rows = []
    for size in args.sizes:
        content = torch.nn.functional.interpolate(load_image("tubingen", size=size), size=(size, size), mode="bilinear")
        flops = network_flops(net, content)
        with torch.inference_mode():
            reference = net(content)
            row = {"size": size, "gflop": flops / 1e9, "variants": {}}
            for name, fn in fns.items():
                seconds = median_seconds(lambda: fn(content), args.repeats)
                difference = float((fn(content) - reference).abs().mean())
                row["variants"][name] = {"ms": seconds * 1e3, "gflops": flops / seconds / 1e9,
                                         "fraction_of_matmul": flops / seconds / 1e9 / matmul,
                                         "mean_abs_diff_vs_fp32": difference,
                                         "quality_ok": difference <= args.bf16_tolerance}
        ok = {k: v for k, v in row["variants"].items() if v["quality_ok"]}
        row["best"] = min(ok, key=lambda k: ok[k]["ms"])
        row["ms_per_image"] = ok[row["best"]]["ms"]
        loss.set_content(content)
        with torch.no_grad():
            row["johnson_style_loss"] = loss(reference).style.item()
            row["content_photo_style_loss"] = loss(content).style.item()
        if size in args.gatys_sizes:
            gatys = gatys_seconds_to_reach(content, style, loss_factory, row["johnson_style_loss"],
                                           args.gatys_max_iterations, encoder)
            gatys["speedup"] = gatys["seconds"] / (row["ms_per_image"] / 1e3)
            gatys["speedup_is_lower_bound"] = not gatys["reached"]
            row["gatys"] = gatys
        rows.append(row)
        print(json.dumps(row, indent=1), flush=True)

    result = {
        "model": args.model, "model_width": net.width, "model_blocks": net.blocks,
        "matmul_fp32_gflops": matmul, "matmul_size": args.matmul_size, "rows": rows,
        "tiled_4000x3000": peak_rss_tiled_mb(args.model, (3000, 4000), 1024),
        "machine": machine_info(),
        "date": utc_now(),
        "note": args.note,
    }
    with atomic_write(args.out) as tmp:
        tmp.write_text(json.dumps(result, indent=1))
    print(f"large fp32 matmul: {matmul:.1f} GFLOP/s")
    print("| size | best variant | ms/image | GFLOP/s / matmul | eager fp32 ms | Gatys s to same style loss "
          "| speed-up |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        best = row["variants"][row["best"]]
        gatys = row.get("gatys")
        speed = "-" if not gatys else f"{'>' if gatys['speedup_is_lower_bound'] else ''}{gatys['speedup']:.0f}x"
        gatys_s = "-" if not gatys else f"{'>' if not gatys['reached'] else ''}{gatys['seconds']:.1f}"
        print(f"| {row['size']} | {row['best']} | {row['ms_per_image']:.1f} | {best['fraction_of_matmul']:.2f} | "
              f"{row['variants']['eager_fp32']['ms']:.1f} | {gatys_s} | {speed} |")
    print(f"tiled 4000x3000: {result['tiled_4000x3000']}")
    print(f"{machine_line(result['machine'])}, {result['date']}")


if __name__ == "__main__":
    main()

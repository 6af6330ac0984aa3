"""WCT quality and speed against Gatys, in one run (issue 14).

1. Reconstruction (alpha 0) on unseen photos at ``--size`` px long side: SSIM of the whole chain
   (relu4_1 -> relu1_1, :func:`stylist.wct.stylize` with ``alpha=0``) to the input and PSNR of each
   level's single reconstruction ``D_l(E_l(x))``; target SSIM >= 0.85.
2. Stylisation at ``--size`` px: for every pair, :func:`stylist.metrics.transfer_scores` (style
   ratio and relative content distance at 256 px) of WCT at each ``--alphas`` and of Gatys as
   ``python -m stylist.stylize method=gatys`` runs it by default (120 L-BFGS iterations); targets:
   style ratio <= 2x Gatys's and content distance <= 1.3x Gatys's.
3. Speed: seconds per ``--size`` px WCT image (median of ``--repeats``, ``--threads`` torch threads,
   any style), in float32 and, on a CPU with native bf16, under bf16 autocast (``method.bf16``,
   with its SSIM to the float32 output); target <= 2 s on 2 cores. The process CPU seconds are recorded too: on a machine
   shared with other jobs the wall time measures the load as much as the method. Beside them, the
   work per image (GFLOP of its convolutions and matrix products, ``torch.utils.flop_counter``) and
   the rate the same threads reach on one large VGG-sized 3 x 3 convolution in the same run: their
   ratio is the time the image would take if every operation ran at that rate, a floor that says
   whether a target is within reach of this CPU at all.

Every configuration comes from ``conf/stylize.yaml`` (``method=wct`` with ``method.decoders`` and
``method.alpha`` overridden, ``method=gatys`` untouched). Gatys outputs are written to
``--gatys-cache`` and re-measured from there when present (Gatys is deterministic: seed 0,
L-BFGS), so a later run that changes only WCT need not repeat minutes of optimisation per pair.

    OMP_NUM_THREADS=1 python benchmarks/wct_eval.py --decoders wct_vgg16_decoders wct_vgg16_decoders_unpool \\
        --alphas 0.6 0.8 1.0 --out benchmarks/results/wct_eval
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from torch.utils.flop_counter import FlopCounterMode

from stylist.cli import CONFIG_DIR, REPO_ROOT
from stylist.cli.compare import ssim
from stylist.cli.records import machine_info, machine_line, utc_now
from stylist.image import load_image, save_image
from stylist.metrics import transfer_scores
from stylist.utils import atomic_write, cpu_has_fast_bf16, seed_everything
from stylist.wct import encode, load_shipped, stylize
from stylist.wct.decoder import LEVELS, level_layer

SHARED = REPO_ROOT.parent / "shared" / "data"
#: Unseen photos (the decoders never trained on them).
PHOTOS = ["tubingen", "golden_gate", *(str(SHARED / f"modanet_ccp/images/{i:07d}.jpg") for i in (801, 810, 820))]
#: The issue's three pairs, then two ModaNet-CCP val photos with each painting.
PAIRS = [("tubingen", "starry_night"), ("golden_gate", "the_scream"), ("tubingen", "shipwreck")] + [
    (str(SHARED / f"modanet_ccp/images/{i:07d}.jpg"), style)
    for i in (801, 810)
    for style in ("starry_night", "the_scream", "shipwreck")
]


#: Gatys default (120 L-BFGS iterations) at 512 px as reported in issue 14 for its three pairs
#: (style ratio, content distance): the reference when this run has no Gatys output of its own.
GATYS_ISSUE_14 = {
    ("tubingen", "starry_night"): (0.039, 0.80),
    ("golden_gate", "the_scream"): (0.015, 0.42),
    ("tubingen", "shipwreck"): (0.0019, 0.53),
}


def _stem(spec: str) -> str:
    return Path(spec).stem


def stylize_config(overrides: list[str]) -> Any:
    """``conf/stylize.yaml`` composed with ``overrides`` (no Hydra run)."""
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name="stylize", overrides=overrides)


def run_method(cfg: Any, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """One stylisation as ``python -m stylist.stylize`` runs it."""
    seed_everything(cfg.seed)
    method = instantiate(cfg.method)  # its backbone and loss are injected by the config, as in the CLI
    return method(content, [style], seed=cfg.seed, progress=False).image


def psnr(image: torch.Tensor, reference: torch.Tensor) -> float:
    return -10.0 * math.log10(max(float((image.clamp(0, 1) - reference).pow(2).mean()), 1e-12))


@torch.no_grad()
def reconstruction(decoders_name: str, size: int, photos: list[str]) -> list[dict[str, Any]]:
    decoders, encoder = load_shipped(decoders_name)
    rows = []
    for photo in photos:
        image = load_image(photo, size=size)
        chain = stylize(image, image, alpha=0.0, decoders=decoders, encoder=encoder)
        row: dict[str, Any] = {"decoders": decoders_name, "photo": _stem(photo), "chain_ssim": ssim(chain, image)}
        cropped = image[..., : image.shape[-2] // 8 * 8, : image.shape[-1] // 8 * 8]
        for level in LEVELS:
            layer = level_layer(level)
            features, switches = encode(encoder, cropped, level)
            row[f"psnr_{layer}"] = psnr(decoders[layer](features, switches), cropped)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decoders", nargs="+", default=["wct_vgg16_decoders"])
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.6, 0.8, 1.0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the speed measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gatys-cache", type=Path, default=REPO_ROOT / "outputs" / "wct_eval_gatys")
    parser.add_argument("--gatys-only", action="store_true", help="fill the Gatys cache and stop")
    parser.add_argument("--pairs", nargs="+", type=int, help="indices into PAIRS to run (default all), in this order")
    parser.add_argument("--parts", nargs="+", default=["reconstruction", "pairs", "speed"],
                        choices=["reconstruction", "pairs", "speed"])  # fmt: skip
    parser.add_argument("--photos", nargs="+", type=int, help="indices into PHOTOS (default all)")
    parser.add_argument("--gatys", choices=["run", "issue"], default="run",
                        help="run: Gatys here (or its cache); issue: the numbers issue 14 reports, never run")  # fmt: skip
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results" / "wct_eval")
    parser.add_argument("--images", type=Path, default=None, help="also save every WCT output here")
    args = parser.parse_args()
    start_all = time.perf_counter()
    threads = torch.get_num_threads()
    gatys_cfg = stylize_config(["method=gatys"])
    metrics_encoder = instantiate(gatys_cfg.backbone)

    pairs_run = [PAIRS[i] for i in args.pairs] if args.pairs else PAIRS
    gatys: dict[tuple[str, str], dict[str, Any]] = {}
    for content_name, style_name in pairs_run if "pairs" in args.parts else []:
        if args.gatys == "issue":
            if (_stem(content_name), style_name) in GATYS_ISSUE_14:
                ratio, distance = GATYS_ISSUE_14[(_stem(content_name), style_name)]
                gatys[(content_name, style_name)] = {"seconds": None, "style_ratio": ratio, "content_ratio": distance,
                                                     "source": "issue 14"}  # fmt: skip
            continue
        content, style = load_image(content_name, size=args.size), load_image(style_name, size=args.size)
        cached = args.gatys_cache / f"{_stem(content_name)}_{style_name}_{args.size}.png"
        record = cached.with_suffix(".json")
        if cached.is_file() and record.is_file():
            image, seconds = load_image(cached), json.loads(record.read_text())["seconds"]
        else:
            begin = time.perf_counter()
            image = run_method(gatys_cfg, content, style)
            seconds = time.perf_counter() - begin
            save_image(image, cached)
            with atomic_write(record) as tmp:
                tmp.write_text(json.dumps({"seconds": seconds, "date": utc_now(), "threads": threads}))
        gatys[(content_name, style_name)] = {"seconds": seconds, **transfer_scores(metrics_encoder, image, content, style),
                                             "source": "this run"}  # fmt: skip
        print("gatys", _stem(content_name), style_name, gatys[(content_name, style_name)], flush=True)
    if args.gatys_only:
        return

    photos = [PHOTOS[i] for i in args.photos] if args.photos else PHOTOS
    recon = [row for name in args.decoders for row in reconstruction(name, args.size, photos)] if "reconstruction" in args.parts else []
    for row in recon:
        print("reconstruction", {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}, flush=True)

    pairs = []
    for name in args.decoders if "pairs" in args.parts else []:
        for alpha in args.alphas:
            cfg = stylize_config(["method=wct", f"method.model={name}", f"method.alpha={alpha}"])
            for content_name, style_name in pairs_run:
                if (content_name, style_name) not in gatys:
                    continue
                content, style = load_image(content_name, size=args.size), load_image(style_name, size=args.size)
                image = run_method(cfg, content, style)
                if args.images is not None:
                    save_image(image, args.images / f"{name}_a{alpha}_{_stem(content_name)}_{style_name}.png")
                scores = transfer_scores(metrics_encoder, image, content, style)
                reference = gatys[(content_name, style_name)]
                row = {
                    "decoders": name, "alpha": alpha, "content": _stem(content_name), "style": style_name, **scores,
                    "gatys_style_ratio": reference["style_ratio"], "gatys_content_ratio": reference["content_ratio"],
                    "style_vs_gatys": scores["style_ratio"] / reference["style_ratio"],
                    "content_vs_gatys": scores["content_ratio"] / reference["content_ratio"],
                }  # fmt: skip
                row["pass"] = row["style_vs_gatys"] <= 2.0 and row["content_vs_gatys"] <= 1.3
                pairs.append(row)
                print("pair", {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}, flush=True)

    torch.set_num_threads(args.threads)
    speed = []
    conv_gflops = _conv_rate() if "speed" in args.parts else None
    content, style = load_image("tubingen", size=args.size), load_image("the_scream", size=args.size)
    precisions = [False, True] if cpu_has_fast_bf16() else [False]  # bf16 only where it is native
    runs = [(name, bf16) for name in args.decoders for bf16 in precisions] if "speed" in args.parts else []
    for name, bf16 in runs:
        decoders, encoder = load_shipped(name)
        with FlopCounterMode(display=False) as counter:  # also the warm-up
            output = stylize(content, style, decoders=decoders, encoder=encoder, bf16=bf16)
        reference = stylize(content, style, decoders=decoders, encoder=encoder) if bf16 else output
        times, cpu_times = [], []
        for _ in range(args.repeats):
            begin, begin_cpu = time.perf_counter(), time.process_time()
            stylize(content, style, decoders=decoders, encoder=encoder, bf16=bf16)
            times.append(time.perf_counter() - begin)
            cpu_times.append(time.process_time() - begin_cpu)
        speed.append({
            "decoders": name, "bf16": bf16, "seconds_median": statistics.median(times), "seconds": times,
            "cpu_seconds_median": statistics.median(cpu_times), "ssim_to_float32": ssim(output, reference),
            "gflop": counter.get_total_flops() / 1e9, "conv_gflops": conv_gflops,
        })  # fmt: skip
        print("speed", speed[-1], flush=True)
    torch.set_num_threads(threads)

    result = {
        "date": utc_now(),
        "machine": machine_info(),  # at the end of the run
        "speed_threads": args.threads,
        "metrics_encoder": metrics_encoder.weights_name,
        "size": args.size,
        "default_alpha": float(stylize_config(["method=wct"]).method.alpha),
        "minutes": (time.perf_counter() - start_all) / 60,
        "reconstruction": recon,
        "gatys": [{"content": _stem(c), "style": s, **v} for (c, s), v in gatys.items()],
        "pairs": pairs,
        "speed": speed,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(args.out.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(result, indent=1))
    with atomic_write(args.out.with_suffix(".md")) as tmp:
        tmp.write_text(markdown(result))
    print(args.out.with_suffix(".md"))


def _conv_rate(repeats: int = 5) -> float:
    """GFLOP/s of one float32 3 x 3 convolution of VGG16's size (256 -> 256 channels on 128 x 128,
    conv3_2 at 512 px), best of ``repeats``, with the current torch threads: the rate this CPU
    reaches on the operation that dominates WCT."""
    conv = torch.nn.Conv2d(256, 256, 3, padding=1).eval()
    x = torch.rand(1, 256, 128, 128)
    gflop = 2 * 256 * 256 * 9 * 128 * 128 / 1e9
    with torch.no_grad():
        conv(x)
        best = math.inf
        for _ in range(repeats):
            begin = time.perf_counter()
            conv(x)
            best = min(best, time.perf_counter() - begin)
    return gflop / best


def markdown(result: dict[str, Any]) -> str:
    """The result as Markdown tables."""
    f = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = [
        f"# WCT vs Gatys at {result['size']} px ({result['date']})",
        "",
        f"Machine: {machine_line(result['machine'])} (speed: {result['speed_threads']} threads). Metrics VGG16: {result['metrics_encoder']}. Whole run "
        f"{result['minutes']:.1f} min. Shipped default alpha: {result['default_alpha']}.",
    ]
    if result["reconstruction"]:
        lines += ["", "## Reconstruction (alpha 0): whole-chain SSIM (target >= 0.85) and per-level PSNR (dB)", ""]
        keys = ["decoders", "photo", "chain_ssim", *(f"psnr_{level_layer(level)}" for level in LEVELS)]
        lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(f(row[k]) for k in keys) + " |" for row in result["reconstruction"]]
    if result["pairs"]:
        lines += ["", "## Style ratio and content distance vs Gatys (targets: <= 2x and <= 1.3x Gatys's)", ""]
        keys = ["decoders", "alpha", "content", "style", "style_ratio", "gatys_style_ratio", "style_vs_gatys",
                "content_ratio", "gatys_content_ratio", "content_vs_gatys", "pass"]  # fmt: skip
        lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(f(row[k]) for k in keys) + " |" for row in result["pairs"]]
        lines += ["", "Passing pairs per setting:", ""]
        settings = sorted({(row["decoders"], row["alpha"]) for row in result["pairs"]})
        for name, alpha in settings:
            mine = [row for row in result["pairs"] if (row["decoders"], row["alpha"]) == (name, alpha)]
            lines.append(f"- {name}, alpha {alpha}: {sum(row['pass'] for row in mine)}/{len(mine)}")
        lines += ["", "Gatys references: " + "; ".join(
            f"{g['content']} x {g['style']}: {g['source']}" + (f", {g['seconds']:.0f} s" if g["seconds"] else "")
            for g in result["gatys"]
        )]  # fmt: skip
    if result["speed"]:
        lines += ["", "## Speed (seconds per image, median; target <= 2 s on 2 cores)", ""]
        lines += [
            f"- {row['decoders']}{' (bf16 autocast)' if row.get('bf16') else ''}: {row['seconds_median']:.2f} s wall,"
            f" {row['cpu_seconds_median']:.2f} CPU s" + (f", SSIM {row['ssim_to_float32']:.3f} to float32" if row.get("bf16") else "")
            + (f"; {row['gflop']:.0f} GFLOP per image, {row['gflop'] / row['seconds_median']:.0f} GFLOP/s"
               f" = {row['gflop'] / row['seconds_median'] / row['conv_gflops']:.0%} of the {row['conv_gflops']:.0f} GFLOP/s"
               f" one float32 VGG convolution reaches here: at that rate {row['gflop'] / row['conv_gflops']:.2f} s"
               if row.get("gflop") else "")
            for row in result["speed"]
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

"""Capacity pilot: is a shipped unpooling decoder held by its size or by its training?

Continues one level's decoder of ``wct_vgg16_decoders_unpool`` for ``--minutes`` on the experiment's
training photos (pixel MSE + 0.05 SSIM, Adam), either as it is (control) or with ``--refine`` extra
residual blocks (3 x 3 conv, ReLU, 3 x 3 conv, the second zero-initialised so that training starts
from the shipped decoder's exact output) after each of its unpoolings, where the decoder rebuilds the
finer scales. Both arms see the same crops in the same order; the single-level reconstruction PSNR and
SSIM on the five validation photos are written every ``--every`` steps.

    OMP_NUM_THREADS=1 python experiments/wct_unpool_cpu/capacity_pilot.py --level 2 --refine 0 --out ctl.json
    OMP_NUM_THREADS=1 python experiments/wct_unpool_cpu/capacity_pilot.py --level 2 --refine 2 --out refine.json
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from torch import nn

from stylist.cli import CONFIG_DIR
from stylist.losses import ssim_loss
from stylist.wct import load_shipped
from stylist.wct.decoder import WCTDecoder, level_layer


class Refined(nn.Module):
    """A :class:`WCTDecoder` with ``blocks`` zero-initialised residual blocks after each unpooling."""

    def __init__(self, decoder: WCTDecoder, blocks: int) -> None:
        super().__init__()
        self.decoder = decoder
        self.extra = nn.ModuleDict()
        for index in decoder._pools:
            channels = next(m for m in list(decoder.net)[index + 1:] if isinstance(m, nn.Conv2d)).in_channels
            stack = []
            for _ in range(blocks):
                last = nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect")
                nn.init.zeros_(last.weight), nn.init.zeros_(last.bias)
                stack.append(nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"), nn.ReLU(), last))
            self.extra[str(index)] = nn.ModuleList(stack)

    def forward(self, features: torch.Tensor, switches: dict) -> torch.Tensor:
        d = self.decoder
        x = features * d.input_scale
        for index, module in enumerate(d.net):
            if index in d._pools:
                indices, size = switches[d._pools[index]]
                x = F.max_unpool2d(x, indices, 2, 2, output_size=size)
                for block in self.extra[str(index)]:
                    x = x + block(x)
            else:
                x = module(x)
        return x


def _data(size: int, batch: int):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name="train", overrides=["+experiment=wct_unpool_cpu", f"data.size={size}",
                                                      f"data.batch_size={batch}", f"data.scale=[{(size / 352) ** 2},{(size / 352) ** 2}]"])  # fmt: skip
    data = instantiate(cfg.data)
    data.setup("fit")
    return data


def _evaluate(model: nn.Module, encoder: nn.Module, layer: str, images: list[torch.Tensor]) -> dict[str, float]:
    psnr, ssim = [], []
    with torch.no_grad():
        for image in images:
            features, switches = encoder.forward_with_switches(image, [layer])
            out = model(features[layer], switches).clamp(0, 1)
            psnr.append(-10 * math.log10(float(F.mse_loss(out, image))))
            ssim.append(1 - float(ssim_loss(out, image)))
    return {"psnr": sum(psnr) / len(psnr), "ssim": sum(ssim) / len(ssim)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--refine", type=int, default=0, help="residual blocks after each unpooling (0: control)")
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    decoders, encoder = load_shipped()
    layer = level_layer(args.level)
    decoder = copy.deepcopy(decoders[layer]).train().requires_grad_(True)
    model = Refined(decoder, args.refine) if args.refine else decoder
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    data = _data(args.size, args.batch)
    val = [batch[i:i + 1] for batch in data.val_dataloader() for i in range(len(batch))]
    rows = [{"step": 0, "seconds": 0.0, **_evaluate(model, encoder, layer, val)}]
    print(rows[-1], flush=True)
    start, step = time.perf_counter(), 0
    while time.perf_counter() - start < args.minutes * 60:
        for images in data.train_dataloader():
            with torch.no_grad():
                features, switches = encoder.forward_with_switches(images, [layer])
            out = model(features[layer], switches)
            loss = F.mse_loss(out, images) + 0.05 * ssim_loss(out, images)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % args.every == 0:
                rows.append({"step": step, "seconds": time.perf_counter() - start, **_evaluate(model, encoder, layer, val)})
                print(rows[-1], flush=True)
                args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=1))
            if time.perf_counter() - start >= args.minutes * 60:
                break


if __name__ == "__main__":
    main()

"""Pilot: do skip connections make decoders that invert VGG16 cheaply on a CPU?

WCT2's skips (Yoo et al., ICCV 2019): the encoder pools by 2x2 averages and hands the decoder the
Haar details each pooling dropped, so the decoder undoes every pooling exactly
(``[[a, b], [c, d]] = m + (+-h +-v +-g)``) and only has to invert the convolutions. One
``relu{level}_1`` decoder (the project's :class:`~stylist.wct.decoder.WCTDecoder` convolutions, its
pooling steps replaced by the Haar inverse; the details enter at the decoder's working scale) is
trained for ``--minutes`` on 128 px crops (batch 4) of the wct_unpool_cpu training photos with
``pixel MSE + --inter x sum_pools |d - m| ^ 2 / |m| ^ 2`` (``d``: the decoder's estimate of the
pooled map ``m`` before each Haar inverse), Adam. Every 50 steps: PSNR / SSIM of the reconstruction
of tubingen, golden_gate and ModaNet-CCP 0000850 at 256 px (never trained on).

    OMP_NUM_THREADS=1 python experiments/wct_unpool_cpu/haar_pilot.py --level 2 --minutes 8 --inter 1
    OMP_NUM_THREADS=1 python experiments/wct_unpool_cpu/haar_pilot.py --level 4 --minutes 5 --inter 1

Results and the comparison with the shipped decoders: ``README.md`` next to this file.
"""

from __future__ import annotations

import argparse
import math
import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from stylist.backbones.vgg import layer_names, vgg16
from stylist.image import data_dirs, load_image
from stylist.losses import ssim_loss
from stylist.wct.decoder import WCTDecoder


def haar_down(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """2x2 average and the Haar details ``(h, v, g)`` of each block, stacked on channels."""
    a, b, c, d = x[..., 0::2, 0::2], x[..., 0::2, 1::2], x[..., 1::2, 0::2], x[..., 1::2, 1::2]
    return (a + b + c + d) / 4, torch.cat([a - b + c - d, a + b - c - d, a - b - c + d], 1) / 4


def haar_up(average: torch.Tensor, details: torch.Tensor) -> torch.Tensor:
    """Exact inverse of :func:`haar_down`."""
    h, v, g = details.chunk(3, 1)
    top = torch.stack([average + h + v + g, average - h + v - g], -1).flatten(-2)
    bottom = torch.stack([average + h - v - g, average - h - v + g], -1).flatten(-2)
    return torch.stack([top, bottom], -2).flatten(-3, -2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--level", type=int, default=2, choices=[2, 3, 4])
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--inter", type=float, default=1.0, help="weight of the pooled-map terms")
    args = parser.parse_args()
    torch.manual_seed(0)
    random.seed(0)
    encoder = vgg16("hed", pooling="avg")

    def encode(image: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        x, side = encoder.normalize(image), {}
        for name in layer_names():
            if name.startswith("pool"):
                x, side[name] = haar_down(x)
                side["average_" + name] = x
            else:
                x = encoder.layers[name](x)
            if name == f"relu{args.level}_1":
                return x, side
        raise AssertionError

    decoder = WCTDecoder(args.level)
    x = torch.rand(1, 3, 16, 16)
    assert torch.allclose(haar_up(*haar_down(x)), x, atol=1e-6)
    inter: list[torch.Tensor] = []

    def decode(features: torch.Tensor, side: dict[str, torch.Tensor]) -> torch.Tensor:
        scale, y = decoder.input_scale, features * decoder.input_scale
        inter.clear()
        for index, module in enumerate(decoder.net):
            if index in decoder._pools:
                pool = decoder._pools[index]
                target = side["average_" + pool] * scale
                inter.append(F.mse_loss(y, target) / target.pow(2).mean())
                y = haar_up(y, side[pool] * scale)
            else:
                y = module(y)
        return y

    shared = next(d.parent / "modanet_ccp" / "images" for d in data_dirs() if (d.parent / "modanet_ccp").is_dir())
    files = sorted(shared.glob("0000[0-7]*.jpg"))[:800] + sorted(shared.glob("000[12]*.jpg"))

    def batch(n: int = 4, crop: int = 128) -> torch.Tensor:
        out = []
        for path in random.sample(files, n):
            image = Image.open(path).convert("RGB")
            s = random.uniform(0.35, 0.7)
            image = image.resize((int(image.width * s), int(image.height * s)), Image.BILINEAR)
            x0, y0 = random.randint(0, image.width - crop), random.randint(0, image.height - crop)
            array = np.array(image.crop((x0, y0, x0 + crop, y0 + crop)))
            out.append(torch.from_numpy(array).permute(2, 0, 1).float() / 255)
        return torch.stack(out)

    vals = [load_image(name, size=256) for name in ("tubingen", "golden_gate", str(shared / "0000850.jpg"))]

    @torch.no_grad()
    def evaluate() -> str:
        scores = []
        for v in vals:
            v = v[..., : v.shape[-2] // 8 * 8, : v.shape[-1] // 8 * 8]
            y = decode(*encode(v)).clamp(0, 1)
            scores.append(f"{10 * math.log10(1 / F.mse_loss(y, v).item()):.2f}/{1 - ssim_loss(y, v).item():.3f}")
        return " ".join(scores)

    with torch.no_grad():
        decoder.calibrate(encode(batch())[0])
    optimizer = torch.optim.Adam(decoder.parameters(), lr=args.lr)
    began, step = time.time(), 0
    print(f"{len(files)} training photos; level {args.level}, lr {args.lr}, inter {args.inter}")
    while time.time() - began < args.minutes * 60:
        images = batch()
        with torch.no_grad():
            features, side = encode(images)
        loss = F.mse_loss(decode(features, side), images)
        pooled = [float(term.detach()) for term in inter]
        loss = loss + args.inter * sum(inter)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        if step % 50 == 0 or step == 1:
            print(f"step {step} {time.time() - began:.0f} s loss {loss.item():.4f} pooled-map errors "
                  f"{[round(e, 3) for e in pooled]} val PSNR/SSIM {evaluate()}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

"""Pilot: the relu{k}_1 decoder's pixel loss over its first steps, with the RGB conv's start
(0.1 x He weights, bias 0.5, as in WCTDecoder) against plain He init, on ModaNet-CCP train crops.

    OMP_NUM_THREADS=1 python experiments/wct_decoders_cpu/init_pilot.py --level 1 --steps 100
"""

from __future__ import annotations

import argparse
import glob

import torch
import torch.nn.functional as F

from stylist.backbones import get_backbone
from stylist.data.images import ImageFolderDataset
from stylist.wct.decoder import WCTDecoder


def pixel_losses(level: int, steps: int, lr: float, plain_he: bool, data: ImageFolderDataset, encoder) -> list[float]:
    torch.manual_seed(0)
    decoder = WCTDecoder(level)
    if plain_he:  # undo the RGB conv's small start
        last = [m for m in decoder.net if isinstance(m, torch.nn.Conv2d)][-1]
        torch.nn.init.kaiming_normal_(last.weight, nonlinearity="relu")
        torch.nn.init.zeros_(last.bias)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=lr)
    layer, losses = f"relu{level}_1", []
    for _ in range(steps):
        batch = torch.stack([data[i] for i in torch.randint(len(data), (4,)).tolist()])
        with torch.no_grad():
            features = encoder(batch, [layer])[layer]
        decoder.calibrate(features)
        loss = F.mse_loss(decoder(features), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--data", default="../shared/data/modanet_ccp/images/0000[0-7]*.jpg")
    args = parser.parse_args()
    # 128 px crops of photos resized to 160 px short side: (128 / 160)^2 of the shorter side squared
    data = ImageFolderDataset(sorted(glob.glob(args.data))[:200], size=128, scale=(0.64, 0.64))
    encoder = get_backbone("vgg16", weights="hed")
    print("| start of the RGB conv | lr | pixel MSE, first step | mean of the last 10 steps |")
    print("|---|---|---|---|")
    for plain_he, lr in ((True, 5e-4), (True, 1e-3), (False, 1e-3)):
        losses = pixel_losses(args.level, args.steps, lr, plain_he, data, encoder)
        name = "He init" if plain_he else "0.1 x He, bias 0.5"
        print(f"| {name} | {lr:g} | {losses[0]:.4f} | {sum(losses[-10:]) / 10:.4f} |")


if __name__ == "__main__":
    main()

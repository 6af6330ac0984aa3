"""Keep the better decoder of each level: the trained unpooling decoders (``--trained``, as exported
by ``python -m stylist.cli.export_wct``) or the earlier upsampling ones (``--baseline``), judged by
the single-level reconstruction PSNR of ``D_l(E_l(x))`` on the validation photos of the training
run (five ModaNet-CCP val photos, never the benchmark's), at the 512 px long side the decoders
serve. Rewrites ``--trained`` (weights and metadata: ``level_sources`` and ``val_psnr_512``).

    OMP_NUM_THREADS=1 python experiments/wct_unpool_cpu/assemble.py [--trained wct_vgg16_decoders] [--baseline wct_vgg16_decoders_upsample]
"""

import argparse
import math

import torch
import yaml

from stylist.cli import REPO_ROOT
from stylist.data.images import expand_sources
from stylist.image import load_image
from stylist.utils import atomic_write
from stylist.wct import encode, load_shipped, save_decoders
from stylist.wct.decoder import LEVELS, level_layer
from stylist.weights import WEIGHTS_DIR

VAL = str(REPO_ROOT.parent / "shared" / "data" / "modanet_ccp" / "images" / "00008[5-9]0.jpg")


@torch.no_grad()
def level_psnr(name: str, photos: list[torch.Tensor]) -> dict[str, float]:
    """Mean PSNR (dB) of each level's reconstruction over ``photos``."""
    decoders, encoder = load_shipped(name)
    result = {}
    for level in LEVELS:
        layer = level_layer(level)
        values = []
        for photo in photos:
            features, switches = encode(encoder, photo, level)
            mse = float((decoders[layer](features, switches).clamp(0, 1) - photo).pow(2).mean())
            values.append(-10 * math.log10(max(mse, 1e-12)))
        result[layer] = sum(values) / len(values)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trained", default="wct_vgg16_decoders")
    parser.add_argument("--baseline", default="wct_vgg16_decoders_upsample")
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    torch.set_num_threads(1)
    photos = []
    for path in expand_sources([VAL]):
        image = load_image(path, size=args.size)
        photos.append(image[..., : image.shape[-2] // 8 * 8, : image.shape[-1] // 8 * 8])
    scores = {name: level_psnr(name, photos) for name in (args.trained, args.baseline)}
    trained, _ = load_shipped(args.trained)
    baseline, _ = load_shipped(args.baseline)
    sources, chosen = {}, {}
    for level in LEVELS:
        layer = level_layer(level)
        best = max(scores, key=lambda name: scores[name][layer])
        sources[layer], chosen[layer] = best, (trained if best == args.trained else baseline)[layer]
    for layer, decoder in chosen.items():
        trained[layer] = decoder
    save_decoders(trained, WEIGHTS_DIR / f"{args.trained}.pt", half=True)
    meta_path = WEIGHTS_DIR / f"{args.trained}.yaml"
    meta = yaml.safe_load(meta_path.read_text())
    meta["level_sources"] = sources
    meta["unpool_levels"] = [int(layer[4]) for layer, d in trained.items() if bool(d.unpool)]
    meta["val_psnr_512"] = {name: {k: round(v, 2) for k, v in s.items()} for name, s in scores.items()}
    with atomic_write(meta_path) as tmp:
        tmp.write_text(yaml.safe_dump(meta, sort_keys=False))
    print(yaml.safe_dump({"level_sources": sources, "val_psnr_512": meta["val_psnr_512"]}, sort_keys=False))


if __name__ == "__main__":
    main()

"""Pilot behind the photowct levels (experiments/photorealistic/README.md): PhotoWCT without smoothing
at 256 px on golden_gate x hoovertowernight for each set of levels, with the shipped (upsampling) decoders
and, as a check, the same weights in unpooling decoders (untrained for unpooling: expected to fail).

    OMP_NUM_THREADS=1 python experiments/photorealistic/pilot_photowct_levels.py
"""
import time, torch
torch.set_num_threads(1)
from stylist.image import load_image, save_image, image_grid
from stylist.regions import label_map_pairs
from stylist.photowct import stylize
from stylist.wct import load_shipped, WCTDecoders
from stylist.metrics import semantic_color_ratio, structure_similarity
B="benchmarks/photo_pairs/"
dec, enc = load_shipped("wct_vgg16_decoders")
un = WCTDecoders(unpool=True); st = dec.state_dict(); st = {k: v for k, v in st.items() if not k.endswith("unpool")}
print(un.load_state_dict(st, strict=False)); un.eval()
rows=[]
for cn, sn in [("golden_gate","hoovertowernight")]:
  for size in [256]:
    c = load_image(f"/work/shared/data/images/{cn}.jpg", size=size); s = load_image(f"/work/shared/data/images/{sn}.jpg", size=size)
    p = label_map_pairs(B+f"{cn}_labels.png", B+f"{sn}_labels.png", tuple(c.shape[-2:]), tuple(s.shape[-2:]))
    row=[c]
    for name, d in [("up", dec), ("un", un)]:
      for levels in [(1,), (2,1), (3,2,1), (4,3,2,1)]:
        t=time.perf_counter()
        r = stylize(c, [s]*len(p.content_masks), masks=p.content_masks, style_masks=p.style_masks, decoders=d, encoder=enc, levels=levels, smooth_weight=0)
        print(name, levels, size, round(time.perf_counter()-t,2), semantic_color_ratio(r.image, c, s, p.content_masks, p.style_masks), structure_similarity(r.image, c))
        row.append(r.image)
    rows.append(row)
save_image(image_grid(rows, cell=200), "/tmp/pilot_photowct_levels.png")

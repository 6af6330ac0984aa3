"""Pilot behind the photo defaults (experiments/photorealistic/README.md): stage 1 then stage 2 on
golden_gate x hoovertowernight at 512 px, metrics after each stage and after the local affine filter.

    OMP_NUM_THREADS=1 python experiments/photorealistic/pilot_photo.py STAGE1 STAGE2 LAMBDA INIT
    (the README rows: 30 30 1e4 content; 20 20 1e4 lab; 20 20 1e4 histogram; 0 40 1e4 histogram)
"""
import time, torch, sys
torch.set_num_threads(1)
from stylist.image import load_image, save_image, image_grid
from stylist.regions import label_map_pairs
from stylist.photo import stylize
from stylist.backbones import get_backbone
from stylist.metrics import semantic_color_ratio, structure_similarity
B="benchmarks/photo_pairs/"
enc = get_backbone("vgg16", weights="auto")
n1, n2, lam = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rows=[]
for cn, sn in [("golden_gate","hoovertowernight")]:
    c = load_image(f"/work/shared/data/images/{cn}.jpg", size=512); s = load_image(f"/work/shared/data/images/{sn}.jpg", size=512)
    p = label_map_pairs(B+f"{cn}_labels.png", B+f"{sn}_labels.png", tuple(c.shape[-2:]), tuple(s.shape[-2:]))
    t=time.perf_counter()
    r = stylize(c, [s]*len(p.content_masks), masks=p.content_masks, style_masks=p.style_masks, encoder=enc, stage1_iterations=n1, stage2_iterations=0, progress=False, post_radius=None, init=sys.argv[4])
    t1=time.perf_counter()-t
    t=time.perf_counter()
    r2 = stylize(c, [s]*len(p.content_masks), masks=p.content_masks, style_masks=p.style_masks, encoder=enc, stage1_iterations=0, stage2_iterations=n2, init=r.image, matting_lambda=lam, progress=False, post_radius=None)
    t2=time.perf_counter()-t
    from stylist.matting import local_affine_filter
    from stylist.image import resize_longest
    c2 = resize_longest(c, 256)
    post = local_affine_filter(resize_longest(r2.image, 256), c2, radius=2, eps=1e-3, full_guide=c).clamp(0,1)
    print(cn, "stage1", round(t1,1), r.seconds_per_iteration, "stage2", round(t2,1), r2.seconds_per_iteration, {k: v[-1] for k, v in r2.history.items()}, {k: v[0] for k, v in r2.history.items()})
    for name, im in [("s1", r.image), ("s2", r2.image), ("post", post)]:
        print(name, round(semantic_color_ratio(im, c, s, p.content_masks, p.style_masks),3), round(structure_similarity(im, c),3), flush=True)
    save_image(image_grid([[c, s, r.image, r2.image, post]], cell=320), f"/tmp/pilot_photo_{n1}_{n2}_{int(lam)}_{sys.argv[4]}.png")

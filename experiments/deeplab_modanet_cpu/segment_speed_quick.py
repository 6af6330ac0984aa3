"""Quick segmenter timing on the current CPU (float32, the shipped weights run at long side 320 and 512; median of 3).

    OMP_NUM_THREADS=2 python experiments/deeplab_modanet_cpu/segment_speed_quick.py

(benchmarks/segment_speed.py also times the bf16 variants, which take minutes on a CPU without native bf16.)
"""
import statistics
import time

import torch
from stylist.segmentation import load_segmenter, segment
from stylist.image import load_image
from stylist.cli.records import machine_line
torch.set_num_threads(2)
photo = load_image(str(__import__("pathlib").Path(__file__).resolve().parents[3] / "shared/data/modanet_ccp/images/0000801.jpg"))
seg = load_segmenter("deeplab_modanet_ccp")
for long_side in (320, 512):
    seg.long_side = long_side
    for flip, scales in ((False, [1.0]), (True, [1.0]), (True, [1.0, 1.25, 1.5])):
        segment(photo, seg, flip=flip, scales=scales)
        times = []
        for _ in range(3):
            t = time.perf_counter(); segment(photo, seg, flip=flip, scales=scales); times.append(time.perf_counter() - t)
        print(f"long side {long_side}, flip={flip}, scales={scales}: median {statistics.median(times):.2f} s", flush=True)
print(machine_line())

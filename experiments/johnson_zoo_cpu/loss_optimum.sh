#!/usr/bin/env bash
# Is the shipped starry_night's diagonal hatching what its training loss asks for? Render golden_gate
# at 512 px with the model, and with Gatys (120 L-BFGS iterations from the photo) minimising the
# same perceptual loss (content relu2_2; style Grams relu1_2/2_2/3_3/4_3, TV 100) under three layer
# weightings: the zoo's, johnson_starry_cpu's and a relu4_3-heavier one. Writes loss_optimum.jpg.
#   OMP_NUM_THREADS=1 bash experiments/johnson_zoo_cpu/loss_optimum.sh [work dir]   # ~30 min on 1 thread
set -euo pipefail
work=${1:-outputs/loss_optimum}
python=${PYTHON:-python}
mkdir -p "$work"
$python -m stylist.stylize method=johnson method.model=starry_night content=golden_gate size=512 \
  output="$work/johnson.png" hydra.run.dir="$work/run_johnson"
gatys() { # name, style layer weights, style weight
  $python -m stylist.stylize method=gatys content=golden_gate style=starry_night size=512 \
    loss.content_layers=[relu2_2] loss.style_layers=[relu1_2,relu2_2,relu3_3,relu4_3] \
    "loss.style_layer_weights=$2" loss.content_weight=1 loss.style_weight="$3" loss.tv_weight=100 \
    output="$work/$1.png" hydra.run.dir="$work/run_$1"
}
gatys zoo "{relu1_2: 1.0e-5, relu2_2: 3.0e-4, relu3_3: 3.0e-3, relu4_3: 1.0}" 1e6
gatys starry_cpu "{relu1_2: 1.0e-6, relu2_2: 1.0e-4, relu3_3: 3.0e-3, relu4_3: 1.0}" 3e6
gatys relu4_3_heavy "{relu1_2: 1.0e-7, relu2_2: 1.0e-5, relu3_3: 1.0e-3, relu4_3: 1.0}" 3e6
$python - "$work" <<'PY'
import sys
from pathlib import Path
from stylist.image import image_grid, load_image
work = Path(sys.argv[1])
names = {"johnson": "model starry_night", "zoo": "Gatys, the zoo's loss", "starry_cpu": "Gatys, starry_cpu's loss",
         "relu4_3_heavy": "Gatys, relu4_3-heavier"}
grid = image_grid([[load_image("golden_gate", size=512), *(load_image(work / f"{n}.png") for n in names)]],
                  col_labels=["photo", *names.values()], cell=360)
grid.save("experiments/johnson_zoo_cpu/loss_optimum.jpg", quality=90)
PY

#!/usr/bin/env bash
# Paper-scale Johnson models on one GPU, COCO 2014 under $COCO (train2014/*.jpg): the three
# single-style models (johnson_starry with model.style=<painting>) and the multi-style network
# (johnson_paintings), each resumable (rerun the script: runs with a last.ckpt continue).
#   COCO=/data/coco2014 bash experiments/johnson_paintings/run_gpu.sh
# Not run yet (no GPU in the sessions that wrote it); ship with experiments/johnson_starry_cpu/ship_weights.py.
set -euo pipefail
: "${COCO:?set COCO to the folder holding train2014/}"
train() {  # task_name, overrides...
  local task=$1; shift
  local resume=()
  [[ -f outputs/train/$task/checkpoints/last.ckpt ]] && resume=(ckpt_path=last)
  python -m stylist.train trainer=gpu data.root="$COCO" task_name="$task" "${resume[@]}" "$@"
}
for painting in starry_night the_scream shipwreck; do
  train "johnson_${painting}" +experiment=johnson_starry model.style="$painting" data.val_images=[tubingen,golden_gate]
done
train johnson_paintings +experiment=johnson_paintings

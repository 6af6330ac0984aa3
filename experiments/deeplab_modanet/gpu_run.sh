#!/usr/bin/env bash
# DeepLabV3+ at paper scale on one GPU machine: +experiment=deeplab_modanet (whole network trained
# end to end, photos at long side 608 with random scale 0.5-1.5 and 512 x 384 crops, batch 16,
# 16-mixed precision), then the full-resolution evaluation.
#
#   experiments/deeplab_modanet/gpu_run.sh                     # real ModaNet under ../shared/data/modanet
#   DATA=modanet_ccp experiments/deeplab_modanet/gpu_run.sh    # the shared ModaNet-format set (no ModaNet here)
#   DEVICES=8 experiments/deeplab_modanet/gpu_run.sh           # DDP over 8 GPUs (sync batch norm)
#
# Resumes ($OUT/train/deeplab_modanet/checkpoints/last.ckpt) when run again. Extra arguments are
# passed to the training as Hydra overrides (e.g. trainer.max_epochs=5).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-python}
OUT=${OUT:-outputs/gpu}
DATA=${DATA:-modanet}
DEVICES=${DEVICES:-1}
args=(+experiment=deeplab_modanet "paths.output_dir=$OUT")
if [ "$DEVICES" -gt 1 ]; then args+=(trainer=ddp "trainer.devices=$DEVICES" trainer.accelerator=gpu trainer.precision=16-mixed); fi
if [ "$DATA" = modanet_ccp ]; then
  # 550 x 832 photos: train at long side 640 (crops 512 x 384), validate on its val file
  args+=(data=modanet_ccp data.long_side=640 "data.crop_size=[512,384]" "data.scale_range=[0.5,1.5]"
         data.batch_size=16 data.num_workers=8 trainer.max_epochs=60 callbacks.model_checkpoint.every_n_train_steps=500)
fi
last="$OUT/train/deeplab_modanet/checkpoints/last.ckpt"
if [ -f "$last" ]; then args+=(ckpt_path=last); fi
nvidia-smi --query-gpu=name,memory.total --format=csv || true
start=$(date +%s)
$PY -m stylist.train "${args[@]}" "$@"
echo "training wall time: $(( $(date +%s) - start )) s"
if [ "$DATA" = modanet_ccp ]; then
  $PY -m stylist.evaluate task=segmentation "checkpoint=$last" panel=8 "output_dir=$OUT/eval"
  $PY -m stylist.evaluate task=segmentation "checkpoint=$last" flip=false "scales=[1.0]" "output_dir=$OUT/eval_single"
fi

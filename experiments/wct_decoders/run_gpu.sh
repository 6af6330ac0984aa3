#!/usr/bin/env bash
# WCT decoders at paper scale on one GPU, MS-COCO train2014 under $COCO (Li et al. 2017: pixel +
# feature loss, 256 px crops), in the kind the library ships: unpooling through the encoder's
# switches with the SSIM term (experiments/wct_unpool_cpu). KIND=upsample trains the paper's plain
# upsampling decoders instead. Resumable: rerun the script and a run with a last.ckpt continues.
#   COCO=/data/coco2014 bash experiments/wct_decoders/run_gpu.sh [hydra overrides...]
#   COCO=/data/coco2014 KIND=upsample bash experiments/wct_decoders/run_gpu.sh trainer.max_steps=20000
# Then the chain-reconstruction benchmark on the held-out photos and, if it beats the shipped
# decoders, rename the exported <task>_gpu to the shipped name. Not run on a GPU yet (none was lent to
# the sessions that wrote it); checked end to end on CPU on 2026-12-03 with a 4-photo train2014 folder
# and trainer.accelerator=cpu trainer.precision=32-true trainer.max_steps=2 data.size=64 (trains,
# exports, benchmarks); the config is also run by tests/wct/test_decoder_training.py (fast_dev_run).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${COCO:?set COCO to the folder holding train2014/}"
PY=${PY:-python}
OUT=${OUT:-outputs/gpu}
KIND=${KIND:-unpool}
case $KIND in
  unpool) task=wct_decoders_unpool shipped=wct_vgg16_decoders_unpool
          kind=(model.unpool=true model.ssim_weight=0.05 model.init=$shipped) ;;
  upsample) task=wct_decoders shipped=wct_vgg16_decoders kind=(model.unpool=false) ;;
  *) echo "error: KIND must be unpool or upsample, not $KIND" >&2; exit 2 ;;
esac
run=$OUT/train/$task
resume=()
[[ -f $run/checkpoints/last.ckpt ]] && resume=(ckpt_path=last)
nvidia-smi --query-gpu=name,memory.total --format=csv || true
start=$(date +%s)
$PY -m stylist.train +experiment=wct_decoders paths.coco_dir="$COCO" paths.output_dir="$OUT" task_name=$task \
  "${kind[@]}" "${resume[@]}" "$@"
echo "training wall time: $(( $(date +%s) - start )) s"
$PY -m stylist.cli.export_wct "$run" --name "${task}_gpu" --half --command "COCO=... KIND=$KIND bash experiments/wct_decoders/run_gpu.sh $*" \
  --machine "$( (nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null || echo unknown GPU) | head -1)"
OMP_NUM_THREADS=2 $PY benchmarks/wct_eval.py --parts reconstruction --decoders "${task}_gpu" "$shipped" \
  --out "$OUT/wct_eval_reconstruction"

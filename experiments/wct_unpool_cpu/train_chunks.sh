#!/usr/bin/env bash
# Train the unpooling WCT decoders in resumable chunks of CHUNK steps (each well under 150 min on
# the shared 2-core machine) until DEADLINE (UTC, HH:MM) or MAX_STEPS; every chunk after the first
# resumes exactly from outputs/train/$TASK/checkpoints/last.ckpt (TASK: the run's task_name,
# default wct_unpool_cpu; a second phase, e.g. at a lower learning rate from exported decoders,
# gets its own TASK and model.init=<decoders .pt>).
#   nohup bash experiments/wct_unpool_cpu/train_chunks.sh [overrides] > outputs/wct_unpool_chunks.log 2>&1 &
set -euo pipefail
CHUNK=${CHUNK:-60}
MAX_STEPS=${MAX_STEPS:-3000}
DEADLINE=${DEADLINE:-07:05}
export OMP_NUM_THREADS=${THREADS:-1}   # torch threads of the training (leave a core free for other work)
python=${PYTHON:-python}
task=${TASK:-wct_unpool_cpu}
run_dir=outputs/train/$task
end=0
while [ "$end" -lt "$MAX_STEPS" ]; do
  if [ -f "$run_dir/checkpoints/last.ckpt" ]; then
    done_steps=$($python -c "import torch; print(torch.load('$run_dir/checkpoints/last.ckpt', map_location='cpu', weights_only=False)['global_step'])")
    resume=(ckpt_path=last)
  else
    done_steps=0
    resume=()
  fi
  end=$((done_steps + CHUNK))
  if [[ "$(date -u +%H:%M)" > "$DEADLINE" ]]; then
    echo "$(date -u +%T) deadline $DEADLINE reached at step $done_steps"
    break
  fi
  echo "$(date -u +%T) chunk: steps $done_steps -> $end"
  start=$(date +%s)
  $python -m stylist.train +experiment=wct_unpool_cpu task_name=$task trainer.max_steps=$end callbacks.progress_bar.refresh_rate=5 "${resume[@]}" "$@"
  echo "$(date -u +%T) chunk done in $(( $(date +%s) - start )) s"
done

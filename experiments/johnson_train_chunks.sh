#!/usr/bin/env bash
# Train a Johnson CPU experiment in resumable chunks of MINUTES each (the next resumes from
# checkpoints/last.ckpt; Lightning's timer counts the whole run, so chunk i ends at i x MINUTES),
# THREADS torch threads (default 1), logging CPU seconds per chunk to <run>/cpu_time.log.
#   EXPERIMENT=johnson_paintings_cpu bash experiments/johnson_train_chunks.sh CHUNKS MINUTES [overrides...]
#   EXPERIMENT=johnson_zoo_cpu STYLE=the_scream bash experiments/johnson_train_chunks.sh 1 85
# STYLE (johnson_zoo_cpu) picks the painting; FIRST=k continues with chunk k (after an interrupted
# chunk k-1); OUTPUT is paths.output_dir (default outputs).
set -euo pipefail
chunks=${1:-1} minutes=${2:-30}; shift 2 || true
experiment=${EXPERIMENT:-johnson_paintings_cpu} output=${OUTPUT:-outputs}
task=$experiment extra=()
if [[ -n ${STYLE:-} ]]; then task=${experiment}_$STYLE extra=(model.style="$STYLE"); fi
run=$output/train/$task
mkdir -p "$run"
export OMP_NUM_THREADS=${THREADS:-1} PYTHONPATH=$PWD
for ((i = ${FIRST:-1}; i <= chunks; i++)); do
  resume=()
  [[ -f $run/checkpoints/last.ckpt ]] && resume=(ckpt_path=last)
  /usr/bin/time -a -o "$run/cpu_time.log" -f "chunk user_s=%U sys_s=%S wall_s=%e threads=$OMP_NUM_THREADS" \
    python -m stylist.train +experiment="$experiment" paths.output_dir="$output" "${extra[@]}" "${resume[@]}" \
    trainer.max_time="00:$(printf %02d:%02d $((i * minutes / 60)) $((i * minutes % 60))):00" "$@"
done

#!/usr/bin/env bash
# Train johnson_paintings_cpu in resumable chunks of MINUTES each (the next resumes from
# checkpoints/last.ckpt; Lightning's timer counts the whole run, so chunk i ends at i x MINUTES),
# one torch thread, logging CPU seconds per chunk.
#   bash experiments/johnson_paintings_cpu/train_chunks.sh CHUNKS MINUTES [overrides...]
# FIRST=k continues with chunk k (after an interrupted chunk k-1).
# Chunk CPU and wall seconds go to outputs/train/johnson_paintings_cpu/cpu_time.log.
set -euo pipefail
chunks=${1:-1} minutes=${2:-30}; shift 2 || true
run=outputs/train/johnson_paintings_cpu
mkdir -p "$run"
export OMP_NUM_THREADS=1 PYTHONPATH=$PWD
for ((i = ${FIRST:-1}; i <= chunks; i++)); do
  resume=()
  [[ -f $run/checkpoints/last.ckpt ]] && resume=(ckpt_path=last)
  /usr/bin/time -a -o "$run/cpu_time.log" -f "chunk user_s=%U sys_s=%S wall_s=%e" \
    python -m stylist.train +experiment=johnson_paintings_cpu "${resume[@]}" \
    trainer.max_time="00:$(printf %02d:%02d $((i * minutes / 60)) $((i * minutes % 60))):00" "$@"
done

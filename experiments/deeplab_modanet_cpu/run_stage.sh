#!/usr/bin/env bash
# One stage, or one chunk of a training stage, of the semi-supervised 512 px recipe
# (experiments/deeplab_modanet_cpu/README.md, "Chunked plan"), run in the foreground with its log in
# $OUT/logs/ and its CPU time (user + system seconds), wall time and exit status appended to
# experiments/deeplab_modanet_cpu/stage_times.tsv. Run it under nohup; run a training stage again to
# continue it (ckpt_path=last is added when a checkpoint exists).
#
#   experiments/deeplab_modanet_cpu/run_stage.sh STAGE [hydra overrides / script options]
#   STAGE: cache | teacher | eval_teacher | pseudo | student_cache | student | eval_student | baseline_eval
# ROUND=2 (3, ...) repeats pseudo | student_cache | student | eval_student with the previous round's
# student as the labeller and the start: pseudo_labels2/, task deeplab_modanet_cpu512_student2, ...
# LABELLER=deeplab_modanet_ccp (a shipped segmenter's name or a .ckpt) labels and starts that round
# instead, e.g. on a machine where the previous round's checkpoints are gone.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-/work/main/.venv/bin/python}
OUT=${OUT:-/work/runs/seg512}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} PYTHONPATH=$PWD
TIMES=${TIMES:-experiments/deeplab_modanet_cpu/stage_times.tsv}
stage=${1:?usage: run_stage.sh STAGE [overrides]}
shift
ROUND=${ROUND:-1}
teacher=$OUT/train/deeplab_modanet_cpu512
if [ "$ROUND" -le 1 ]; then
  labeller=${LABELLER:-$teacher/checkpoints/last.ckpt} suffix= round=()
else
  suffix=$ROUND previous=$([ "$ROUND" -gt 2 ] && echo $((ROUND - 1)))
  labeller=${LABELLER:-$OUT/train/deeplab_modanet_cpu512_student$previous/checkpoints/last.ckpt}
  round=("task_name=deeplab_modanet_cpu512_student$suffix" "model.init_from=$labeller"
         "data.pseudo_labels.dir=$OUT/pseudo_labels$suffix")
fi
student=$OUT/train/deeplab_modanet_cpu512_student$suffix
resume() { if [ -f "$1/checkpoints/last.ckpt" ]; then echo ckpt_path=last; fi; }
case $stage in
  cache) cmd=("$PY" experiments/deeplab_modanet_cpu/build_cache.py +experiment=deeplab_modanet_cpu512 "paths.output_dir=$OUT") ;;
  teacher) cmd=("$PY" -m stylist.train +experiment=deeplab_modanet_cpu512 "paths.output_dir=$OUT" $(resume "$teacher")) ;;
  eval_teacher) cmd=("$PY" -m stylist.evaluate task=segmentation "checkpoint=$teacher/checkpoints/last.ckpt" panel=8 "output_dir=$OUT/eval_teacher") ;;
  pseudo) cmd=("$PY" experiments/deeplab_modanet_cpu/pseudo_labels.py "$labeller" "$OUT/pseudo_labels$suffix" --flip) ;;
  student_cache) cmd=("$PY" experiments/deeplab_modanet_cpu/build_cache.py +experiment=deeplab_modanet_cpu512_student "paths.output_dir=$OUT" "${round[@]}") ;;
  student) cmd=("$PY" -m stylist.train +experiment=deeplab_modanet_cpu512_student "paths.output_dir=$OUT" "${round[@]}" $(resume "$student")) ;;
  eval_student) cmd=("$PY" -m stylist.evaluate task=segmentation "checkpoint=$student/checkpoints/last.ckpt" panel=8 "output_dir=$OUT/eval_student$suffix") ;;
  baseline_eval) cmd=("$PY" -m stylist.evaluate task=segmentation checkpoint=deeplab_modanet_ccp "output_dir=$OUT/eval_shipped") ;;
  *) echo "unknown stage '$stage' (cache | teacher | eval_teacher | pseudo | student_cache | student | eval_student | baseline_eval)" >&2; exit 2 ;;
esac
mkdir -p "$OUT/logs"
log=$OUT/logs/$stage-$(date -u +%Y%m%dT%H%M%S).log
times=$(mktemp)
echo "$(date -u +%FT%TZ) $stage${suffix:+ (round $ROUND)}: ${cmd[*]} $*" | tee "$log"
/usr/bin/time -f "%U %S %e" -o "$times" "${cmd[@]}" "$@" >> "$log" 2>&1
rc=$?
read -r user sys wall < <(tail -1 "$times")
rm -f "$times"
[ -f "$TIMES" ] || printf "finished_utc\tstage\tcpu_s\twall_s\texit\tlog\n" > "$TIMES"
printf "%s\t%s\t%.0f\t%.0f\t%s\t%s\n" "$(date -u +%FT%TZ)" "$stage$suffix" "$(awk "BEGIN{print $user + $sys}")" "$wall" "$rc" "$log" >> "$TIMES"
exit $rc

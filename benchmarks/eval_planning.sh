#!/usr/bin/env bash
# The terminal suite on the embedded model in json, plan and dag actions (docs/planning.md).
#
# The three formats run at the same time so that they share whatever load the machine has;
# wall times are comparable with each other, not with quieter runs. Pass rate, steps and
# tokens do not depend on load (greedy decoding). TASKS picks a subset; re-running resumes.
# Usage: benchmarks/eval_planning.sh
#        TASKS="count-lines csv-total" FORMATS="json plan" benchmarks/eval_planning.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_STEPS=${MAX_STEPS:-4}
TIMEOUT=${TIMEOUT:-900}
FORMATS=${FORMATS:-"json plan dag"}
TASKS=${TASKS:-"csv-total csv-distinct-cities count-lines count-log-files create-file exit-code json-version fifth-line"}
OUT=${OUT:-benchmarks/results/plan-dag}
MODEL=${MODEL:-local}

selected=()
for task in $TASKS; do selected+=(--task "$task"); done
for format in $FORMATS; do
  .venv/bin/picoagent eval terminal --model "$MODEL" --actions "$format" --runs 1 --max-steps "$MAX_STEPS" \
    --timeout "$TIMEOUT" "${selected[@]}" --out "$OUT/terminal-$format" > "$OUT-$format.log" 2>&1 &
done
wait
for format in $FORMATS; do tail -n 20 "$OUT-$format.log"; done

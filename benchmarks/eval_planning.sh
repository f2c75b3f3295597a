#!/usr/bin/env bash
# The shipped suites on the embedded model in json, plan and dag actions, each with and without
# the rules critic (docs/planning.md).
#
# One eval at a time by default: two embedded models on two cores slow each other far more
# than twofold (llama.cpp's threads spin at barriers; a reply took 114 s for 15 tokens beside
# three other evals). SIDE_BY_SIDE=1 runs the formats at once, for pass rates only: they do
# not depend on load (greedy decoding) unless runs meet their time limit. TASKS picks a
# subset; re-running resumes.
# Usage: benchmarks/eval_planning.sh
#        SUITES="debug tools" FORMATS="json plan" CRITICS=rules benchmarks/eval_planning.sh
#        SUITES=terminal TASKS="count-lines csv-total" benchmarks/eval_planning.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_STEPS=${MAX_STEPS:-6}
TIMEOUT=${TIMEOUT:-300}
SUITES=${SUITES:-"terminal debug qa web tools"}
FORMATS=${FORMATS:-"json plan dag"}
CRITICS=${CRITICS:-"off rules"}
TASKS=${TASKS:-}
OUT=${OUT:-benchmarks/results/plan-dag}
MODEL=${MODEL:-local}
# Worked examples per task; empty means the model's default (0 with an adapter, 2 for the base alone).
EXAMPLES=${EXAMPLES:-}
SIDE_BY_SIDE=${SIDE_BY_SIDE:-0}

selected=()
for task in $TASKS; do selected+=(--task "$task"); done
mkdir -p "$OUT"
for suite in $SUITES; do
  for critic in $CRITICS; do
    for format in $FORMATS; do
      name="$suite-$format-critic-$critic"
      .venv/bin/picoagent eval "$suite" --model "$MODEL" --actions "$format" --critic "$critic" --runs 1 \
        ${EXAMPLES:+--examples "$EXAMPLES"} --max-steps "$MAX_STEPS" --timeout "$TIMEOUT" "${selected[@]}" \
        --out "$OUT/$name" > "$OUT/$name.log" 2>&1 &
      [ "$SIDE_BY_SIDE" = 1 ] || wait
    done
    wait
    for format in $FORMATS; do echo "== $suite, $format, critic $critic"; tail -n 12 "$OUT/$suite-$format-critic-$critic.log"; done
  done
done

#!/usr/bin/env bash
# Baseline of the shipped suites with the embedded default model (Gemma 3 270M with picoagent's
# tuned adapter, `--model local`), or any other model spec (MODEL=local:base for the base alone).
#
# Slow on purpose-free hardware: ~15 tok/s on 2 shared cores, so steps are capped (MAX_STEPS)
# and each task gets at most TIMEOUT seconds. Re-running resumes: finished tasks are skipped.
# Usage: benchmarks/eval_baseline.sh            # every suite, json and code actions
#        SUITES=terminal FORMATS=json benchmarks/eval_baseline.sh
#        EXAMPLES=0 OUT=benchmarks/results/eval-no-examples benchmarks/eval_baseline.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_STEPS=${MAX_STEPS:-6}
TIMEOUT=${TIMEOUT:-300}
RUNS=${RUNS:-1}
SUITES=${SUITES:-"terminal debug qa web tools"}
FORMATS=${FORMATS:-"json code"}
OUT=${OUT:-benchmarks/results/eval-baseline}
# Worked examples per task; empty means the model's default (0 with an adapter, 2 for the base alone).
EXAMPLES=${EXAMPLES:-}
# The model spec: local (the embedded default), local:base, local+adapter:FILE.gguf, openai:NAME, ...
MODEL=${MODEL:-local}

for format in $FORMATS; do
  for suite in $SUITES; do
    echo "== $suite, $format actions"
    start=$(date +%s)
    .venv/bin/picoagent eval "$suite" --model "$MODEL" --actions "$format" --runs "$RUNS" \
      ${EXAMPLES:+--examples "$EXAMPLES"} --max-steps "$MAX_STEPS" --timeout "$TIMEOUT" --out "$OUT/$suite-$format"
    echo "== $suite, $format: $(( $(date +%s) - start )) s"
  done
done

"""The whole training pipeline at tiny scale, through the CLI, on the real 270M base.

About ten generated tasks in two families -> trajectories replayed through the real loop
(checks pass) -> dataset -> two optimizer steps of LoRA -> GGUF adapter -> the embedded
backend loads it and writes a schema-valid action. The real base, not a tiny model: two
steps on it take seconds once its fp32 copy is cached, and only the real vocabulary and
template test that the samples are what the backend renders.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from picoagent.evals.results import read_records

pytestmark = pytest.mark.slow
pytest.importorskip("torch")


def picoagent(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "picoagent.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def test_generate_dataset_fit_export_and_run(tmp_path: Path) -> None:
    from picoagent.actions.json_format import JsonFormat
    from picoagent.models import load_model
    from picoagent.models.constrained import GrammarDecoder
    from picoagent.models.local import _schema_gbnf
    from picoagent.train.dataset import read_samples
    from picoagent.train.factory import FAMILIES
    from picoagent.train.trajectories import rendering_format

    families = ",".join(sorted(FAMILIES)[:2])
    done = picoagent("train", "generate", "--families", families, "--count", "10", "--formats", "json", "--seed", "7", "--out", "gen", cwd=tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    records = read_records(tmp_path / "gen" / "json")
    assert len(records) == 10 and all(record["passed"] for record in records), [r["error"] for r in records if not r["passed"]]
    again = picoagent("train", "generate", "--families", families, "--count", "10", "--formats", "json", "--seed", "7", "--out", "gen", cwd=tmp_path)
    assert "replayed 0 tasks (10 already done)" in again.stdout, "a second run resumes instead of redoing"

    done = picoagent("train", "dataset", "gen", "--out", "data.jsonl", "--val-percent", "20", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    samples = read_samples(tmp_path / "data.jsonl")
    assert len(samples) == 10 and {s.split for s in samples} <= {"train", "val"}
    vocabulary = load_model("local", n_ctx=512)
    grammar = _schema_gbnf(json.dumps(rendering_format("json").constraint().schema))
    for sample in samples:  # every target is what the constrained decoder may write, end of turn included
        for start, end in sample.targets:
            decoder = GrammarDecoder(vocabulary.llm, grammar)
            assert decoder.follows(sample.input_ids[start:end]), vocabulary.llm.detokenize(sample.input_ids[start:end])
            decoder.close()

    done = picoagent("train", "fit", "data.jsonl", "--out", "adapter", "--max-steps", "2", "--batch", "2", "--lora-r", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "trained 2 steps" in done.stdout
    done = picoagent("train", "export", "adapter", "--out", "tuned.gguf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "tuned.gguf").stat().st_size > 100_000

    tuned = load_model(f"local+adapter:{tmp_path / 'tuned.gguf'}", n_ctx=2048)
    action_format = rendering_format("json")
    assert isinstance(action_format, JsonFormat)
    reply = tuned.complete(
        [{"role": "system", "content": action_format.instructions()}, {"role": "user", "content": "How many lines are in the file list.txt?"}],
        constraint=action_format.constraint(),
        max_tokens=200,
    )
    action = action_format.parse(reply.text)
    assert action.tool in {"shell", "read_file", "write_file", "edit_file", "final_answer"}


def test_bad_input_to_each_command_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    cases = [
        (("train", "generate", "--families", "no-such-family", "--out", "x"), "unknown families no-such-family"),
        (("train", "generate", "--formats", "yaml", "--out", "x"), "--formats takes"),
        (("train", "dataset", "missing-dir", "--out", "d.jsonl"), "not an eval results directory"),
        (("train", "fit", "bad.jsonl", "--out", "a"), "bad.jsonl:1: not a dataset sample"),
        (("train", "fit", "bad.jsonl", "--out", "a", "--base", "missing.gguf"), "base model not found"),
        (("train", "fit", "bad.jsonl", "--out", "a", "--precision", "fp16"), "unknown precision 'fp16': use auto, bf16 or fp32"),
        (("train", "fit", "bad.jsonl", "--out", "a", "--device", "tpu"), "unknown device 'tpu': use auto, cpu or cuda"),
        (("train", "export", "nowhere", "--out", "x.gguf"), "not an adapter directory"),
    ]
    refused = {}
    for args, message in cases:
        done = picoagent(*args, cwd=tmp_path)
        refused[args[-1]] = done
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for option in ("fp16", "tpu"):
        assert "loading" not in refused[option].stdout, "a bad option is refused before the base model loads (a minute the first time)"

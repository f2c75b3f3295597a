"""Training samples: the rendered conversation, the model's replies as the only targets, clear errors on bad data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.evals.results import ResultsDir
from picoagent.models.scripted import ScriptedModel
from picoagent.train.dataset import build_dataset, read_samples, split_of
from tests.conftest import action


class CharTokenizer:
    """One token per byte, and one per special marker: enough to check where targets fall."""

    SPECIAL = {b"<start_of_turn>": 1001, b"<end_of_turn>": 1002}

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        tokens = [1000] if add_bos else []
        index = 0
        while index < len(text):
            for marker, token in self.SPECIAL.items():
                if text.startswith(marker, index):
                    tokens.append(token)
                    index += len(marker)
                    break
            else:
                tokens.append(text[index])
                index += 1
        return tokens

    def text(self, tokens: list[int]) -> str:
        names = {token: marker.decode() for marker, token in self.SPECIAL.items()}
        return "".join(names.get(token, chr(token)) for token in tokens if token != 1000)


def scripted_run(config: Config, outputs: list[str], task: str = "How many lines are in fruit.txt?"):
    (config.workspace / "fruit.txt").write_text("apple\nbanana\n")
    return run_task(task, config, model=ScriptedModel(outputs, name="reference"))


def test_a_sample_is_the_whole_conversation_with_the_replies_as_targets(config: Config, tmp_path: Path) -> None:
    config.examples = 0
    replies = [action("shell", thought="Count them.", command="wc -l fruit.txt"), action("final_answer", thought="wc said 2.", answer="2")]
    scripted_run(config, replies)
    tokenizer = CharTokenizer()
    report = build_dataset([config.runs_dir], tmp_path / "data.jsonl", tokenizer, max_tokens=100_000, val_percent=0)
    assert report.samples["train"] == 1
    (sample,) = read_samples(tmp_path / "data.jsonl")
    assert [tokenizer.text(sample.input_ids[a:b]) for a, b in sample.targets] == [reply + "<end_of_turn>" for reply in replies]
    text = tokenizer.text(sample.input_ids)
    assert text.startswith("<start_of_turn>user\nYou are an agent")  # the system prompt folded into the first user turn
    assert "<start_of_turn>user\nObservation:\n2 fruit.txt\n[exit code 0]<end_of_turn>" in text
    assert sample.input_ids[0] == 1000 and sample.input_ids.count(1000) == 1, "one BOS, at the start"


def test_an_unparseable_reply_stays_in_the_prompt_but_is_not_a_target(config: Config, tmp_path: Path) -> None:
    config.examples = 0
    scripted_run(config, ["I will count the lines", action("final_answer", answer="2")])
    tokenizer = CharTokenizer()
    build_dataset([config.runs_dir], tmp_path / "data.jsonl", tokenizer, max_tokens=100_000, val_percent=0)
    (sample,) = read_samples(tmp_path / "data.jsonl")
    assert "I will count the lines<end_of_turn>" in tokenizer.text(sample.input_ids)
    assert [tokenizer.text(sample.input_ids[a:b]) for a, b in sample.targets] == [action("final_answer", answer="2") + "<end_of_turn>"]


def test_runs_that_failed_or_answered_only_when_forced_are_left_out(config: Config, tmp_path: Path) -> None:
    config.examples = 0
    config.max_steps = 1
    # One step, then the last call answers: an answer under pressure is not a demonstration.
    scripted_run(config, [action("shell", command="ls"), action("final_answer", answer="2")])
    data = tmp_path / "data.jsonl"
    data.write_text("an earlier dataset\n")
    with pytest.raises(ConfigError, match=r"no usable trajectories in the sources \(skipped: 1 not answered on its own\)"):
        build_dataset([config.runs_dir], data, CharTokenizer(), max_tokens=100_000)
    assert data.read_text() == "an earlier dataset\n", "a failed build loses nothing"
    with pytest.raises(ConfigError, match="not an eval results directory"):
        build_dataset([tmp_path / "nothing"], data, CharTokenizer(), max_tokens=100_000)


def test_from_eval_results_only_passed_runs_become_samples(config: Config, tmp_path: Path) -> None:
    config.examples = 0
    passed = scripted_run(config, [action("final_answer", answer="2")])
    failed = scripted_run(config, [action("final_answer", answer="9")])
    results = ResultsDir(tmp_path / "results", {"model": "m", "actions": "json"})
    for run, result in enumerate((passed, failed)):
        results.append({"suite": "fam", "task": f"t{run}", "run": 0, "passed": result.answer == "2", "status": result.status, "run_id": result.run_id, "trace_path": result.trace_path})
    report = build_dataset([tmp_path / "results"], tmp_path / "data.jsonl", CharTokenizer(), max_tokens=100_000, val_percent=0)
    assert report.samples.total() == 1
    assert read_samples(tmp_path / "data.jsonl")[0].task == "t0"


def test_a_dataset_does_not_depend_on_the_order_the_runs_finished_in(config: Config, tmp_path: Path) -> None:
    config.examples = 0
    runs = {task: scripted_run(config, [action("final_answer", answer="2")], task=f"Count the lines ({task}).") for task in ("t0", "t1", "t2")}
    built = []
    for finished in (["t2", "t0", "t1"], ["t1", "t2", "t0"]):
        results = ResultsDir(tmp_path / "-".join(finished), {"model": "m", "actions": "json"})
        for task in finished:
            results.append({"suite": "fam", "task": task, "run": 0, "passed": True, "status": runs[task].status, "run_id": runs[task].run_id, "trace_path": runs[task].trace_path})
        data = tmp_path / f"{'-'.join(finished)}.jsonl"
        build_dataset([results.path], data, CharTokenizer(), max_tokens=100_000, val_percent=0)
        built.append(data.read_bytes())
    assert [sample.task for sample in read_samples(tmp_path / "t2-t0-t1.jsonl")] == ["t0", "t1", "t2"]
    assert built[0] == built[1], "the same runs give the same bytes, so a checkpoint's dataset sha256 still matches"


def test_the_split_is_fixed_per_task_and_holds_out_about_the_share_asked() -> None:
    splits = [split_of("files", f"files-s0-{n}", 10) for n in range(2000)]
    assert splits == [split_of("files", f"files-s0-{n}", 10) for n in range(2000)]
    assert 140 < splits.count("val") < 260


def test_a_corrupt_dataset_line_is_one_clear_error(tmp_path: Path) -> None:
    good = {"run_id": "r", "suite": "s", "task": "t", "actions": "json", "split": "train", "input_ids": [1, 2, 3], "targets": [[1, 3]]}
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(good) + "\n" + '{"run_id": "r", "input_ids": [1, 2\n')
    with pytest.raises(ConfigError, match=r"data.jsonl:2: not a dataset sample"):
        read_samples(path)
    path.write_text(json.dumps({**good, "targets": [[2, 9]]}) + "\n")
    with pytest.raises(ConfigError, match=r"data.jsonl:1: target ranges do not fit"):
        read_samples(path)
    with pytest.raises(ConfigError, match="no dataset at"):
        read_samples(tmp_path / "missing.jsonl")

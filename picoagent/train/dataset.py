"""Training samples from traces: the prompt exactly as the embedded backend renders it.

A sample is one whole run: every message the model saw, in the Gemma template the local
backend uses (system prompt folded into the first user turn), tokenized by the same
llama.cpp tokenizer, with the loss on every reply the model wrote. One forward pass
covers every step of a trajectory.

Replies are tokenized on their own, after the open `<start_of_turn>model\\n` turn, the way
they were generated; everything between replies is tokenized the way the next prompt is.
A reply that failed to parse stays in the prompt (the model saw it) but is not a target.

Sources are eval results directories (only runs whose checks passed), which is what
`picoagent train generate` writes, or traces and runs directories of the user's own runs
(only runs that ended answered on their own, not in the last call).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from picoagent.errors import ConfigError
from picoagent.evals.results import RESULTS_NAME, read_records, record_key
from picoagent.models.base import Message
from picoagent.models.templates import gemma_parts
from picoagent.trace.recorder import TRACE_NAME, read_events

VAL_PERCENT = 10
END_OF_TURN = "<end_of_turn>"


class Tokenizer(Protocol):
    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]: ...


@dataclass(frozen=True)
class TracePick:
    """One trace chosen as training data, with what it is an instance of."""

    path: Path
    suite: str
    task: str


@dataclass
class Sample:
    run_id: str
    suite: str
    task: str
    actions: str
    split: str
    input_ids: list[int]
    # Half-open token ranges [start, end) the loss is computed on: the model's replies.
    targets: list[tuple[int, int]]

    def to_json(self) -> str:
        return json.dumps(
            {
                "run_id": self.run_id,
                "suite": self.suite,
                "task": self.task,
                "actions": self.actions,
                "split": self.split,
                "input_ids": self.input_ids,
                "targets": self.targets,
            }
        )

    @property
    def target_tokens(self) -> int:
        return sum(end - start for start, end in self.targets)


@dataclass
class DatasetReport:
    samples: Counter[str] = field(default_factory=Counter)
    tokens: Counter[str] = field(default_factory=Counter)
    target_tokens: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


def _results_picks(directory: Path) -> Iterator[TracePick]:
    # Records are in the order the workers finished; sorted, the same traces always give the same
    # bytes, so a fit's checkpoint (which names its dataset's sha256) resumes on a rebuilt dataset.
    for record in sorted(read_records(directory), key=record_key):
        if not record.get("passed"):
            continue
        trace = directory / "runs" / str(record.get("run_id")) / TRACE_NAME
        if not trace.is_file() and record.get("trace_path"):
            trace = Path(record["trace_path"])
        yield TracePick(trace, record["suite"], record["task"])


def find_traces(sources: Iterable[Path]) -> list[TracePick]:
    """The traces the sources name: results directories, runs directories or trace files."""
    picks: list[TracePick] = []
    for source in sources:
        source = Path(source)
        if (source / RESULTS_NAME).is_file():
            picks.extend(_results_picks(source))
        elif source.is_dir() and any(source.glob(f"*/{RESULTS_NAME}")):
            for results in sorted(source.glob(f"*/{RESULTS_NAME}")):
                picks.extend(_results_picks(results.parent))
        elif source.is_file() and source.name == TRACE_NAME:
            picks.append(TracePick(source, "runs", source.parent.name))
        elif source.is_dir() and any(source.glob(f"*/{TRACE_NAME}")):
            picks.extend(TracePick(trace, "runs", trace.parent.name) for trace in sorted(source.glob(f"*/{TRACE_NAME}")))
        else:
            raise ConfigError(f"{source}: not an eval results directory, a runs directory or a {TRACE_NAME}")
    return picks


def conversation(events: list[dict[str, Any]], *, checked: bool) -> tuple[list[Message], list[bool]] | str:
    """The run's messages and, per assistant message, whether it is a target; or why it is unusable."""
    start = next((event for event in events if event["type"] == "run_start"), None)
    end = next((event for event in events if event["type"] == "run_end"), None)
    if start is None or end is None:
        return "incomplete trace"
    if any(event["type"] == "context_condensed" for event in events):
        return "context was condensed"  # the replies were written against another prompt
    result = end["result"]
    if not checked and (result["status"] != "answered" or result.get("last_call")):
        return "not answered on its own"
    messages: list[Message] = []
    targets: list[bool] = []
    for event in events:
        if event["type"] != "step":
            continue
        messages.extend({"role": message["role"], "content": message["content"]} for message in event["messages"])
        messages.append({"role": "assistant", "content": event["raw"]})
        targets.append("error" not in event and "action" in event)
    if not any(targets):
        return "no valid reply"
    return messages, targets


def encode(messages: list[Message], targets: list[bool], tokenizer: Tokenizer) -> tuple[list[int], list[tuple[int, int]]]:
    """Token ids of the rendered conversation and the token ranges of its target replies."""
    input_ids: list[int] = []
    spans: list[tuple[int, int]] = []
    pending = ""  # template and user text since the last reply, tokenized as the next prompt would be
    replies = iter(targets)
    parts = gemma_parts(messages)
    index = 0
    while index < len(parts):
        kind, text = parts[index]
        if kind != "model":
            pending += text
            index += 1
            continue
        input_ids += tokenizer.tokenize(pending.encode(), add_bos=not input_ids, special=True)
        pending = ""
        reply = tokenizer.tokenize((text + END_OF_TURN).encode(), add_bos=False, special=True)
        if next(replies):
            spans.append((len(input_ids), len(input_ids) + len(reply)))
        input_ids += reply
        index += 2  # the reply's own end-of-turn is part of the target
    return input_ids, spans


def split_of(suite: str, task: str, val_percent: int = VAL_PERCENT) -> str:
    """A fixed split per task instance, stratified by suite (a generated task's family)."""
    digest = int(hashlib.sha256(f"{suite}/{task}".encode()).hexdigest()[:8], 16)
    return "val" if digest % 100 < val_percent else "train"


def build_dataset(sources: Iterable[Path], out: Path, tokenizer: Tokenizer, *, max_tokens: int, val_percent: int = VAL_PERCENT) -> DatasetReport:
    """Write one JSONL line per usable trace; returns counts per split and reasons for skips."""
    picks = find_traces(sources)
    if not picks:
        raise ConfigError("the sources hold no runs that passed their checks")
    report = DatasetReport()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with partial.open("w", encoding="utf-8") as file:
        for pick in picks:
            if not pick.path.is_file():
                report.skipped["trace missing"] += 1
                continue
            events = read_events(pick.path)
            found = conversation(events, checked=pick.suite != "runs")
            if isinstance(found, str):
                report.skipped[found] += 1
                continue
            input_ids, spans = encode(*found, tokenizer)
            if len(input_ids) > max_tokens:
                report.skipped[f"longer than {max_tokens} tokens"] += 1
                continue
            start = next(event for event in events if event["type"] == "run_start")
            split = split_of(pick.suite, pick.task, val_percent)
            sample = Sample(pick.path.parent.name, pick.suite, pick.task, start.get("actions", ""), split, input_ids, spans)
            file.write(sample.to_json() + "\n")
            report.samples[split] += 1
            report.tokens[split] += len(input_ids)
            report.target_tokens[split] += sample.target_tokens
    if not report.samples:
        partial.unlink()
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(report.skipped.items()))
        raise ConfigError(f"no usable trajectories in the sources (skipped: {reasons})")
    partial.replace(out)  # a killed or empty build leaves the previous dataset, never half a new one
    return report


def read_samples(path: Path) -> list[Sample]:
    """Every sample of a dataset file; a malformed line is one clear error naming the line."""
    if not Path(path).is_file():
        raise ConfigError(f"no dataset at {path}: build one with `picoagent train dataset`")
    samples = []
    with Path(path).open(encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                samples.append(
                    Sample(
                        str(data["run_id"]), str(data["suite"]), str(data["task"]), str(data["actions"]), str(data["split"]),
                        [int(token) for token in data["input_ids"]], [(int(a), int(b)) for a, b in data["targets"]],
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{path}:{number}: not a dataset sample ({type(exc).__name__}: {exc})") from None
            sample = samples[-1]
            if not sample.targets or any(not 0 < a < b <= len(sample.input_ids) for a, b in sample.targets):
                raise ConfigError(f"{path}:{number}: target ranges do not fit the sample's {len(sample.input_ids)} tokens")
    if not samples:
        raise ConfigError(f"{path} holds no samples")
    return samples

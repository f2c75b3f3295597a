"""The critic: reviews an answer before a run ends with it (`--critic off|rules|model[:SPEC]`).

The loop asks it once per answer, within the run's limits and at most
Config.critic_max_reviews times; a rejected answer goes back to the model as a user turn
carrying the critique. Two critics:

- `rules`: no model. Rejects an answer that is empty or a placeholder, that copies a worked
  example's answer, that is not the kind of thing the task asked for (a number, a path), or
  whose numbers appear in no observation of the run.
- `model`: a model (the run's own, or `model:SPEC`) gives a schema-constrained verdict
  `{accept, critique}`, asked as one more turn of the run's own transcript, so that a local
  model reuses its KV cache.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from picoagent.agent.structured import structured_reply
from picoagent.answers import normalize, numbers_in
from picoagent.deadline import Deadline
from picoagent.errors import ConfigError
from picoagent.exec.shell import without_status
from picoagent.memory.examples import Example
from picoagent.models.base import Message, Model, Usage

CRITIQUE_MAX = 300
CRITIC_NAMES = ("off", "rules", "model")


class Verdict(BaseModel):
    """What a critic decides about one answer; the model critic's reply has exactly this shape."""

    model_config = ConfigDict(extra="ignore")
    accept: bool
    critique: str = Field(default="", max_length=CRITIQUE_MAX)


@dataclass
class Evidence:
    """What the run has seen so far: the task, each step's action and observation, the whole prompt."""

    task: str
    # (action, observation) per executed step, the action as its repeat key (the call or the code).
    steps: list[tuple[str, str]] = field(default_factory=list)
    # The transcript as the model saw it, its last turn the reply that gave the answer.
    messages: list[Message] = field(default_factory=list)
    # The worked examples shown before the task.
    examples: Sequence[Example] = ()


@dataclass
class Review:
    """One review as the trace records it. `verdict` is None when the critic could not decide
    (its model failed or ran out of time): the answer then stands, unreviewed."""

    critic: str
    verdict: Verdict | None
    usage: Usage = field(default_factory=Usage)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"critic": self.critic, "accept": None if self.verdict is None else self.verdict.accept}
        if self.verdict is not None:
            data["critique"] = self.verdict.critique
        if self.usage.total_tokens:
            data["usage"] = self.usage.to_dict()
        if self.error:
            data["error"] = self.error
        return data


class Critic(Protocol):
    name: str

    def review(self, evidence: Evidence, answer: str, *, deadline: Deadline | None = None) -> Review: ...


# What tiny models write when they copy the prompt's shape instead of an answer.
PLACEHOLDERS = frozenset(
    "answer|the answer|your answer|your answer here|final answer|the final answer|answer here|str|string|text|"
    "result|the result|value|null|n/a|na|todo|tbd|unknown|x|...|…|?|<answer>|answer: str".split("|")
)
# <answer>, {answer}, ..., ___: a template's slot, not a value (a JSON object or list is a value).
PLACEHOLDER_SHAPE = re.compile(r"^(<[^<>]*>|\{\s*\w*\s*\}|[.…?_\-]*)$")
# The task asks for a number: the answer must contain one (digits or a word).
WANTS_NUMBER = re.compile(r"\bhow (?:many|much)\b|\banswer with (?:the|a|one) (?:number|count|total)\b|\bnumber only\b", re.IGNORECASE)
NUMBER_WORDS = re.compile(r"\b(?:zero|none|no|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|thousand)\b", re.IGNORECASE)
# The task asks for a path or a file name: the answer must contain something like one.
WANTS_PATH = re.compile(r"\banswer with (?:its|the|a|that)\b[^.?!]{0,30}\b(?:path|file ?name|filename)\b", re.IGNORECASE)
PATH_LIKE = re.compile(r"[\w.-]*/[\w./-]*|[\w-]+\.\w{1,8}\b|^[\w.-]+$")
# A value an action writes itself (`echo 27`, `print(103.0)`), not part of a name (`python3`).
WRITTEN_VALUE = r"(?<![\w.]){}(?![\w])"


def _same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _contains_number(values: Sequence[float], value: float) -> bool:
    return any(_same_number(value, other) for other in values)


def example_answers(examples: Sequence[Example]) -> dict[str, str]:
    """Each example's final answer (normalized) -> its task, for examples that end with one."""
    answers: dict[str, str] = {}
    for example in examples:
        last = example.steps[-1]
        answer = last.args.get("answer") if last.tool == "final_answer" else None
        if isinstance(answer, str) and answer.strip():
            answers[normalize(answer)] = example.task
    return answers


class RulesCritic:
    """Checks that need no model; each rejection says what to do instead."""

    name = "rules"

    def review(self, evidence: Evidence, answer: str, *, deadline: Deadline | None = None) -> Review:
        return Review(self.name, self.verdict(evidence, answer))

    def verdict(self, evidence: Evidence, answer: str) -> Verdict:
        normal = normalize(answer)
        if not normal or normal in PLACEHOLDERS or PLACEHOLDER_SHAPE.match(normal):
            return Verdict(accept=False, critique=f"{_quote(answer)} is not an answer but a placeholder. Find the real answer with the tools, then call final_answer with it.")
        copied = example_answers(evidence.examples).get(normal)
        if copied is not None and not self._appears_in_output(evidence, answer):
            return Verdict(
                accept=False,
                critique=_bounded(f"{_quote(answer)} is the answer of the worked example {_quote(copied, 80)}, not of your task. Look at your own task's files with the tools and answer from what they show."),
            )
        if WANTS_NUMBER.search(evidence.task) and not numbers_in(answer) and not NUMBER_WORDS.search(answer):
            return Verdict(accept=False, critique="The task asks for a number and your answer has none. Find the number with the tools, then answer with it.")
        if WANTS_PATH.search(evidence.task) and not PATH_LIKE.search(answer.strip()):
            return Verdict(accept=False, critique="The task asks for a path or file name and your answer has none. List the files with the tools, then answer with the path.")
        numbers = numbers_in(answer)
        grounded = self._grounding_numbers(evidence) if numbers else []
        if numbers and not any(_contains_number(grounded, number) for number in numbers):
            shown = ", ".join(f"{number:g}" for number in numbers[:3])
            return Verdict(
                accept=False,
                critique=f"The number {shown} in your answer appears in no output of this run. Run a command that prints the answer, then answer with what it printed.",
            )
        return Verdict(accept=True)

    @staticmethod
    def _grounding_numbers(evidence: Evidence) -> list[float]:
        """Numbers the task states or an observation shows. A number an action printed from its
        own text (`echo 27`, `print(103.0)`) grounds nothing: the model wrote it, no tool found it."""
        found = numbers_in(evidence.task)
        for action, observation in evidence.steps:
            written = _written_numbers(action)
            # The shell's "[exit code 0]" is the engine's, not a number the command found.
            found += [number for number in numbers_in(without_status(observation)) if not _contains_number(written, number)]
        return found

    @staticmethod
    def _appears_in_output(evidence: Evidence, answer: str) -> bool:
        """Whether an observation shows `answer` without its action having written it."""
        target = normalize(answer)
        echoed = re.compile(WRITTEN_VALUE.format(re.escape(target)))
        return any(target in normalize(observation) and not echoed.search(normalize(action)) for action, observation in evidence.steps)


def _written_numbers(action: str) -> list[float]:
    """The numbers an action spells out as values; digits inside names (python3, sqlite3, utf8) are not."""
    return [float(match.group()) for match in re.finditer(WRITTEN_VALUE.format(r"[-+]?\d+(?:\.\d+)?"), action)]


REVIEW_REQUEST = (
    "Before this answer is accepted, check it.\n"
    "Task: {task}\n"
    "Answer: {answer}\n"
    "Accept it only if the tool outputs above show that it is right and it is what the task asks for. "
    'Reply with a JSON object: {{"accept": true or false, "critique": "if not accepted, what is wrong and what to do next"}}'
)
REVIEW_MAX_TOKENS = 160


class ModelCritic:
    """A model's verdict, asked as one more user turn after the run's own transcript."""

    def __init__(self, model: Model):
        self.model = model
        self.name = f"model:{model.name}"

    def review(self, evidence: Evidence, answer: str, *, deadline: Deadline | None = None) -> Review:
        question: Message = {"role": "user", "content": REVIEW_REQUEST.format(task=evidence.task, answer=answer)}
        reply = structured_reply(self.model, [*evidence.messages, question], Verdict, max_tokens=REVIEW_MAX_TOKENS, deadline=deadline)
        return Review(self.name, reply.value, usage=reply.usage, error=reply.error)


def parse_critic_spec(spec: str) -> tuple[str, str | None]:
    """`off`, `rules`, `model` or `model:SPEC` -> (kind, model spec or None); ConfigError otherwise."""
    kind, _, model_spec = spec.partition(":")
    if kind not in CRITIC_NAMES or (model_spec and kind != "model") or (kind == "model" and spec.endswith(":")):
        raise ConfigError(f"unknown critic {spec!r}: use off, rules, model or model:SPEC")
    return kind, model_spec or None


def make_critic(spec: str, model: Model, *, n_ctx: int) -> Critic | None:
    """The critic a `--critic` spec names, or None for `off`. `model` is the run's own model."""
    kind, model_spec = parse_critic_spec(spec)
    if kind == "off":
        return None
    if kind == "rules":
        return RulesCritic()
    if model_spec is None:
        return ModelCritic(model)
    from picoagent.models import load_model

    return ModelCritic(load_model(model_spec, n_ctx=n_ctx))


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f'"{text if len(text) <= limit else text[: limit - 1] + "…"}"'


def _bounded(text: str) -> str:
    return text if len(text) <= CRITIQUE_MAX else text[: CRITIQUE_MAX - 1] + "…"

"""Building blocks of generated tasks: reference steps with varied thoughts, answer forms, name pools.

A family writes one task from a seeded `random.Random`: it picks names and contents, computes
the answer in Python, and writes the steps a careful agent would take. The replay
(evals/reference.py) runs those steps with the real tools, and the task's checks confirm that
the commands really produce the answer the steps give.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

# How often a task starts by looking (ls, head, .schema, read_file) before the command that
# answers, and how often it makes a plausible mistake first and repairs it. The 270M model
# does neither by itself; about half and a fifth of the training trajectories show them.
LOOK_SHARE = 0.5
MISTAKE_SHARE = 0.18

# Answer-form requests, by the kind of answer. None of these sentences is used by the
# shipped eval suites (a test checks): the model must learn the idea, not the suite's words.
ANSWER_FORMS: dict[str, list[str]] = {
    "number": [
        "Reply with just the number.",
        "Give only the number.",
        "Respond with the number alone.",
        "Only the number, please.",
        "Your answer should be a bare number.",
    ],
    "name": [
        "Give the name only.",
        "Reply with just the name.",
        "Respond with the name and nothing else.",
        "Only the name, please.",
    ],
    "path": [
        "Give its path relative to the workspace.",
        "Reply with the relative path only.",
        "Respond with the path from the workspace root, nothing more.",
        "Only the relative path, please.",
    ],
    "line": [
        "Reply with the exact line.",
        "Give that line exactly as it appears.",
        "Copy the line exactly, nothing else.",
        "Respond with the full line, unchanged.",
    ],
    "value": [
        "Reply with just the value.",
        "Give the value alone.",
        "Respond with the value and nothing else.",
        "Only the value, please.",
    ],
    "text": [
        "Reply with the text alone.",
        "Give just that text.",
        "Respond with the text, nothing more.",
        "Only the text, please.",
        "Give the complete output, exactly as printed.",
        "Reply with the whole printed line, every word of it.",
    ],
}

# What the final answer of a task that changes files says; the checks read the files.
DONE_THOUGHTS = [
    "The output confirms it, so the task is done.",
    "That check shows the change is in place.",
    "The result looks right; I can stop here.",
    "Verified. Nothing else to do.",
]

# Name pools. None of these names is a file or folder name of the shipped eval suites.
WORDS = (
    "amber birch cobalt delta ember falcon garnet harbor indigo juniper kestrel lagoon maple nectar "
    "onyx pepper quartz raven saffron tundra umber velvet willow yarrow zephyr acorn basalt cedar "
    "dune fjord glacier heron iris jasper kelp lichen marble nutmeg orchid pebble quill reef sorrel "
    "thistle violet walnut"
).split()
STEMS = (
    "ledger tally roster journal digest census manifest registry catalogue almanac bulletin chronicle "
    "dossier gazette inventory_log minutes_book logbook memo_pad planner portfolio schedule survey "
    "timesheet tracker worklist yearbook"
).split()
FOLDERS = (
    "archive_q2 field-notes intake vault staging drafts outbox inbox_old scratch depot annex cellar "
    "attic pantry harvest orchard quarry meadow lagoon_files summit basecamp workshop studio"
).split()
PEOPLE = "Aiko Bram Cleo Dmitri Esme Farid Greta Hugo Ines Jonas Kira Lev Mara Niko Olga Pavel Quinn Rosa Soren Tala Umar Vera Wren Yusuf Zoe".split()
CITIES = "Oslo Porto Lyon Quito Accra Perth Hanoi Cusco Turku Graz Split Bergen Cork Malmo Lima Kyoto Tartu Bilbao".split()
ITEMS = "kettle lantern compass blanket thermos hammock skillet backpack headlamp trowel canteen poncho".split()
TEAMS = "otters lynx badgers herons foxes wolves hawks bisons".split()


def file_name(rng: random.Random, extension: str) -> str:
    """A file name no suite uses: a stem, sometimes with a word or a year, and the extension."""
    stem = rng.choice(STEMS)
    roll = rng.random()
    if roll < 0.35:
        stem = f"{stem}_{rng.randint(2019, 2031)}"
    elif roll < 0.6:
        stem = f"{rng.choice(WORDS)}_{stem}"
    return f"{stem}.{extension}"


def folder_name(rng: random.Random) -> str:
    return rng.choice(FOLDERS)


def misspelled(rng: random.Random, name: str) -> str:
    """A plausible wrong version of a file or table name: a letter dropped, an s added, a stem swapped."""
    stem, dot, extension = name.partition(".")
    choices = [stem + "s", stem[:-1] if len(stem) > 3 else stem + "x", stem.replace("_", "-") if "_" in stem else stem + "_old"]
    wrong = rng.choice([c for c in choices if c != stem] or [stem + "s"])
    return wrong + dot + extension


def say(rng: random.Random, variants: list[str], **values: Any) -> str:
    """One of several wordings of a thought, filled in: thoughts must not be one template per family."""
    return rng.choice(variants).format(**values)


def form(rng: random.Random, kind: str) -> str:
    return rng.choice(ANSWER_FORMS[kind])


@dataclass
class Draft:
    """One generated task before it becomes an eval Task: instruction, setup, checks, reference steps."""

    instruction: str
    checks: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    files: dict[str, str] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    repo: list[dict[str, Any]] = field(default_factory=list)
    max_steps: int = 10


class Steps:
    """The reference steps of one task, in order; every method adds one tool call."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.items: list[dict[str, Any]] = []
        # Decided once per task, so a family can shape its steps around them.
        self.look = rng.random() < LOOK_SHARE
        self.mistake = rng.random() < MISTAKE_SHARE

    def _add(self, thought: str, tool: str, args: dict[str, Any], error: bool) -> None:
        step: dict[str, Any] = {"thought": thought, "tool": tool, "args": args}
        if error:
            step["expect_error"] = True
        self.items.append(step)

    def shell(self, thought: str, command: str, *, error: bool = False) -> None:
        self._add(thought, "shell", {"command": command}, error)

    def read(self, thought: str, path: str, *, error: bool = False) -> None:
        self._add(thought, "read_file", {"path": path}, error)

    def write(self, thought: str, path: str, content: str) -> None:
        self._add(thought, "write_file", {"path": path, "content": content}, False)

    def edit(self, thought: str, path: str, old: str, new: str, *, error: bool = False) -> None:
        self._add(thought, "edit_file", {"path": path, "old_text": old, "new_text": new}, error)

    def answer(self, thought: str, answer: str) -> list[dict[str, Any]]:
        self._add(thought, "final_answer", {"answer": answer}, False)
        return self.items

    def done(self) -> list[dict[str, Any]]:
        """End a task that changes files: the answer says what was done; the checks read the files."""
        return self.answer(say(self.rng, DONE_THOUGHTS), "Done.")

    # Shared openings ------------------------------------------------------------------

    def list_folder(self, folder: str = ".") -> None:
        where = "the workspace" if folder == "." else f"{folder}/"
        command = "ls" if folder == "." else f"ls {folder}"
        if self.rng.random() < 0.3:
            command = "ls -la" if folder == "." else f"ls -la {folder}"
        self.shell(
            say(self.rng, [
                "First, see what is in {where}.",
                "Look at {where} before doing anything.",
                "List {where} to know which files exist.",
                "Check the contents of {where} first.",
            ], where=where),
            command,
        )

    def wrong_file_then_find(self, wrong_command: str, wrong: str, folder: str = ".") -> None:
        """A command on a misremembered file name that fails, then a listing that shows the real one."""
        self.shell(
            say(self.rng, ["Start with {wrong}.", "Try {wrong} directly.", "Run it on {wrong}."], wrong=wrong),
            wrong_command,
            error=True,
        )
        where = "the workspace" if folder == "." else f"{folder}/"
        self.shell(
            say(self.rng, [
                "There is no {wrong}. List {where} to find the right name.",
                "{wrong} does not exist; check which files {where} has.",
                "No such file. Look at {where} for the real name.",
                "The name was wrong. See what {where} actually holds.",
            ], wrong=wrong, where=where),
            "ls" if folder == "." else f"ls {folder}",
        )

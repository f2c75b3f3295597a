"""The task factory: every family's tasks verify, generation is deterministic, the suites stay held out."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from picoagent.errors import ConfigError
from picoagent.evals.reference import replay_steps, verify
from picoagent.evals.tasks import load_suite
from picoagent.evals.workspace import prepared
from picoagent.train.factory import FAMILIES, generate_tasks, write_suites
from tests.heldout import names_in, sentences, suite_names_among, suite_sentences

LOOK_COMMANDS = ("ls", "head", "find", "cat", "jq '.[0]'", "grep -n", "git log", "sqlite3")


def replayed(task):
    """The task's reference steps run in a fresh workspace: their observations."""
    with tempfile.TemporaryDirectory(prefix="picoagent-factory-") as tmp:
        workspace = Path(tmp).resolve()
        with prepared(task, workspace):
            return replay_steps(task, workspace)


def check_task(task) -> None:
    outcome = verify(task)
    assert outcome.error is None, f"{task.id}: {outcome.error}"
    assert all(r.passed for r in outcome.reference), f"{task.id}: {[r.detail for r in outcome.reference if not r.passed]}"
    assert not all(r.passed for r in outcome.wrong), f"{task.id}: a wrong answer passes"
    observations = replayed(task)
    answer = observations[-1].final_answer
    if any(check.type in ("answer", "numeric") for check in task.checks):
        # Stop once the answer has been seen: the observation right before final_answer holds it.
        assert answer in observations[-2].text, f"{task.id}: {answer!r} is not in the last observation {observations[-2].text[:200]!r}"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_writes_tasks_that_verify(family):
    for task in generate_tasks([family], 2, seed=11):
        check_task(task)


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_larger_sample_of_every_family_verifies(family):
    for seed in (1, 2, 3):
        for task in generate_tasks([family], 10, seed=seed):
            check_task(task)


def test_generation_is_deterministic_and_spread_evenly():
    first = generate_tasks(None, 3 * len(FAMILIES), seed=7)
    again = generate_tasks(None, 3 * len(FAMILIES), seed=7)
    other = generate_tasks(None, 3 * len(FAMILIES), seed=8)
    assert [t.model_dump() for t in first] == [t.model_dump() for t in again]
    assert [t.instruction for t in first] != [t.instruction for t in other]
    assert len({t.id for t in first} | {t.id for t in other}) == 6 * len(FAMILIES), "ids are unique across seeds too"
    assert {family: sum(t.suite == family for t in first) for family in FAMILIES} == dict.fromkeys(FAMILIES, 3)
    assert first[0].id == f"{first[0].suite}-s7-0"


def test_unknown_families_are_a_clear_error():
    with pytest.raises(ConfigError, match="unknown task families: nope"):
        generate_tasks(["nope"], 3, seed=0)


def test_each_family_varies_its_wording_names_and_answers():
    for family in FAMILIES:
        tasks = generate_tasks([family], 40, seed=3)
        openings = {" ".join(t.instruction.split()[:3]) for t in tasks}
        assert len({t.instruction for t in tasks}) == 40, family
        assert len(openings) >= 4, f"{family}: {openings}"
        thoughts = [step.thought for t in tasks for step in t.reference.steps]
        assert len(set(thoughts)) >= len(thoughts) // 4, f"{family}: thoughts repeat too much"


def test_behaviours_are_taught_in_the_intended_shares():
    tasks = generate_tasks(None, 20 * len(FAMILIES), seed=5)
    with_mistake = [t for t in tasks if any(step.expect_error for step in t.reference.steps)]
    looking = [t for t in tasks if len(t.reference.steps) > 2 and t.reference.steps[0].args.get("command", "").startswith(LOOK_COMMANDS) or t.reference.steps[0].tool == "read_file"]
    assert 0.12 <= len(with_mistake) / len(tasks) <= 0.32, len(with_mistake) / len(tasks)
    assert len(looking) / len(tasks) >= 0.4, len(looking) / len(tasks)
    for task in with_mistake:
        first_error = next(i for i, step in enumerate(task.reference.steps) if step.expect_error)
        assert not task.reference.steps[first_error + 1].expect_error, f"{task.id}: a mistake is followed by a step that finds the truth"


def test_steps_fit_the_bounds_of_the_action_formats():
    for task in generate_tasks(None, 10 * len(FAMILIES), seed=9):
        for step in task.reference.steps:
            assert len(step.thought) <= 300
            assert len(step.args.get("command", "")) <= 600, task.id
            assert len(step.args.get("content", "")) <= 4000, task.id


def test_written_suites_load_back_unchanged(tmp_path):
    tasks = generate_tasks(None, 2 * len(FAMILIES), seed=4)
    paths = write_suites(tasks, tmp_path)
    assert sorted(path.parent.name for path in paths) == sorted(FAMILIES)
    loaded = [task for path in paths for task in load_suite(path.parent)]
    strip = {"source"}
    assert sorted((t.model_dump(exclude=strip) for t in loaded), key=str) == sorted((t.model_dump(exclude=strip) for t in tasks), key=str)


def names_and_sentences(seeds: range, per_family: int) -> tuple[set[str], set[str]]:
    """File and folder names, and sentences of instructions and thoughts, of generated tasks."""
    names: set[str] = set()
    generated_sentences: set[str] = set()
    for seed in seeds:
        for task in generate_tasks(None, per_family * len(FAMILIES), seed=seed):
            thoughts = [step.thought for step in task.reference.steps]
            text = "\n".join([task.instruction, *task.setup.files, *task.setup.commands, *thoughts, *(str(step.args) for step in task.reference.steps)])
            text += "\n".join(path for commit in task.setup.repo for path in commit.files)
            names |= names_in(text)
            for sentence_source in (task.instruction, *thoughts):
                generated_sentences |= sentences(sentence_source)
    return names, generated_sentences


def test_generated_tasks_use_no_file_name_folder_name_or_sentence_of_the_eval_suites():
    names, generated_sentences = names_and_sentences(range(1), 12)
    assert len(names) > 100 and len(generated_sentences) > 300
    assert suite_names_among(names) == []
    assert sorted(generated_sentences & suite_sentences()) == []


@pytest.mark.slow
def test_many_seeds_of_generated_tasks_stay_held_out():
    names, generated_sentences = names_and_sentences(range(1, 7), 30)
    assert len(names) > 200 and len(generated_sentences) > 500
    assert suite_names_among(names) == []
    assert sorted(generated_sentences & suite_sentences()) == []


def test_csv_tables_vary_in_width_and_thoughts_number_the_header_before_using_a_field():
    import re

    widths, numbered = set(), 0
    for task in generate_tasks(["csv"], 60, seed=12):
        (table,) = [text for path, text in task.setup.files.items() if not path.endswith("_over.csv")]
        header = table.splitlines()[0].split(",")
        widths.add(len(header))
        for step in task.reference.steps:
            used = re.findall(r"(?:field|column) (\d)\b", step.thought)
            if not used:
                continue
            listing = ", ".join(f"{k} {name}" for k, name in enumerate(header, 1))
            assert listing in step.thought, f"{task.id}: {step.thought!r} does not number the header {header}"
            numbered += 1
    assert widths == {2, 3, 4, 5}, "a fixed width teaches a field number, not reading the header"
    assert numbered >= 30


def test_half_the_sqlite_databases_have_four_tables_and_their_queries_join_what_the_schema_holds():
    import re

    four, joins, months = 0, 0, 0
    tasks = generate_tasks(["sqlite"], 120, seed=31)
    for task in tasks:
        (seed_sql,) = task.setup.files.values()
        tables = set(re.findall(r"CREATE TABLE (\w+)", seed_sql))
        query = next(s.args["command"] for s in reversed(task.reference.steps) if s.tool == "shell")
        used = set(re.findall(r"(?:FROM|JOIN) (\w+)", query))
        assert used and used <= tables, f"{task.id}: {query} uses a table the schema lacks"
        if len(tables) < 4:
            continue
        four += 1
        joins += "JOIN" in query
        assert task.reference.steps[-3].args["command"].endswith(".schema"), f"{task.id}: the schema comes right before the query"
        example = re.search(r"(?:like|for example) (\d{4}-\d\d)", task.instruction)
        if example:
            months += 1
            assert example.group(1) != task.reference.steps[-1].args["answer"], f"{task.id}: the example month is the answer"
    assert 0.3 * len(tasks) <= four <= 0.7 * len(tasks)
    assert joins >= 10 and months >= 2, "joins over two and three tables, and month grouping, are taught"


def test_a_null_from_jq_leads_to_looking_at_one_record_and_a_typed_search_skips_the_decoy():
    import re
    import subprocess

    repaired = 0
    for task in generate_tasks(["json"], 150, seed=8):
        commands = [step.args.get("command", "") for step in task.reference.steps]
        # A flat sum followed by a look at one record: the repair (a plain sum task stops after its sum).
        flat = [i for i, c in enumerate(commands[:-1]) if re.fullmatch(r"jq '\[\.\[\]\.\w+\] \| add' \S+", c) and commands[i + 1].startswith("jq '.[0]'")]
        if not flat:
            continue
        observations = replayed(task)
        assert observations[flat[0]].text.startswith("null"), f"{task.id}: the flat path prints null"
        assert re.fullmatch(r"jq '\[\.\[\]\.\w+\[\]\.\w+\] \| add' \S+", commands[flat[0] + 2]), f"{task.id}: then the nested path"
        repaired += 1
    assert repaired >= 2, "some nested sums start with the flat path and repair it"

    typed = [t for t in generate_tasks(["files"], 120, seed=9) if "--include" in t.reference.steps[-2].args.get("command", "")]
    assert len(typed) >= 5
    for task in typed[:3]:
        needle, root = task.reference.steps[-2].args["command"].split()[-2:]
        with tempfile.TemporaryDirectory(prefix="picoagent-factory-") as tmp, prepared(task, Path(tmp).resolve()):
            matches = subprocess.run(["grep", "-rl", needle, root], cwd=tmp, capture_output=True, text=True).stdout.split()
        assert len(matches) == 2 and task.reference.steps[-1].args["answer"] in matches, f"{task.id}: a file of another type holds the text too"


def test_every_error_count_is_at_least_one_so_the_reference_grep_does_not_fail():
    """`grep -c` prints 0 and exits 1 when nothing matches: a failed step, and the task dropped
    (logs-s2000-971 was, among 15,000 tasks, before its folder got one ERROR line)."""
    counts = {task.id: task.checks[0].expected for task in generate_tasks(["logs"], 1000, 2000) if "ERROR" in task.instruction and task.checks[0].type == "numeric"}
    assert len(counts) > 100 and min(counts.values()) >= 1
    assert counts["logs-s2000-971"] == 1

"""Counting and text: grep, sed, awk, sort and uniq over generated text files."""

from __future__ import annotations

import random

from picoagent.train.builder import WORDS, Draft, Steps, file_name, form, misspelled, say


def _lines(rng: random.Random, count: int, vocabulary: list[str]) -> list[str]:
    return [" ".join(rng.choices(vocabulary, k=rng.randint(3, 8))) for _ in range(count)]


def _open(steps: Steps, rng: random.Random, name: str, failing: str) -> None:
    """Look at the file first, or misremember its name and find it, or neither."""
    if steps.mistake:
        wrong = misspelled(rng, name)
        steps.wrong_file_then_find(failing.replace(name, wrong), wrong)
    elif steps.look:
        steps.shell(say(rng, ["Look at the first lines of {name}.", "Peek at {name} before counting.", "See what {name} looks like."], name=name), f"head -n 5 {name}")


def lines_with_word(rng: random.Random) -> Draft:
    name = file_name(rng, rng.choice(["txt", "log", "md"]))
    vocabulary = rng.sample(WORDS, 12)
    word = vocabulary[0]
    lines = _lines(rng, rng.randint(10, 50), vocabulary)
    n = sum(word in line.split() for line in lines)
    if n == 0:
        lines[0] += f" {word}"
        n = 1
    instruction = say(rng, [
        "How many lines of {name} contain the word {word}?",
        "Count the lines in {name} that mention {word}.",
        "In {name}, on how many lines does {word} appear?",
        "Tell me the number of lines of {name} where the word {word} occurs.",
    ], name=name, word=word) + " " + form(rng, "number")
    steps = Steps(rng)
    _open(steps, rng, name, f"grep -c {word} {name}")
    steps.shell(say(rng, ["grep -cw counts the lines holding the word {word}.", "Count matching lines with grep -cw.", "Use grep -cw so only the whole word {word} counts."], word=word), f"grep -cw {word} {name}")
    steps.answer(say(rng, ["grep counted {n} lines.", "grep printed {n}, the number of lines with {word}.", "{word} is on {n} lines."], n=n, word=word), str(n))
    return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files={name: "\n".join(lines) + "\n"})


def nth_line(rng: random.Random) -> Draft:
    name = file_name(rng, rng.choice(["txt", "md"]))
    lines = _lines(rng, rng.randint(6, 30), WORDS)
    number = rng.randint(2, len(lines))
    line = lines[number - 1]
    ordinal = {1: "st", 2: "nd", 3: "rd"}.get(number if number < 20 else number % 10, "th")
    instruction = say(rng, [
        "What is line {k} of {name}?",
        "Show me the {k}{o} line of {name}.",
        "Print line number {k} of the file {name}.",
        "Which text is on the {k}{o} line of {name}?",
    ], k=number, o=ordinal, name=name) + " " + form(rng, "line")
    steps = Steps(rng)
    _open(steps, rng, name, f"sed -n {number}p {name}")
    steps.shell(say(rng, ["sed -n {k}p prints only line {k}.", "Print line {k} of {name} with sed.", "Take line {k} with sed -n."], k=number, name=name), f"sed -n {number}p {name}")
    steps.answer(say(rng, ["sed printed line {k}.", "That is line {k}, word for word.", "Line {k} reads as shown."], k=number), line)
    return Draft(instruction, [{"type": "answer", "expected": line}], steps.items, files={name: "\n".join(lines) + "\n"})


def frequent_word(rng: random.Random) -> Draft:
    name = file_name(rng, "txt")
    vocabulary = rng.sample(WORDS, 8)
    lines = _lines(rng, rng.randint(8, 20), vocabulary)
    winner = rng.choice(vocabulary)
    lines = [f"{line} {winner}" if rng.random() < 0.6 else line for line in lines] + [f"{winner} {winner}"]
    def count(word: str) -> int:
        return sum(line.split().count(word) for line in lines)

    while count(winner) <= max(count(word) for word in vocabulary if word != winner):
        lines.append(winner)
    instruction = say(rng, [
        "Which word occurs most often in {name}?",
        "Find the most frequent word in {name}.",
        "What word appears the most times in {name}?",
        "In {name}, which word is used most?",
    ], name=name) + " " + form(rng, "value")
    steps = Steps(rng)
    _open(steps, rng, name, f"tr -s ' ' '\\n' < {name}")
    steps.shell(
        say(rng, ["Put one word per line, count each with sort | uniq -c, biggest first.", "Split into words, count them with uniq -c and sort by count.", "tr, sort, uniq -c and sort -rn rank the words."]),
        f"tr -s ' ' '\\n' < {name} | sort | uniq -c | sort -rn | head -n 3",
    )
    steps.answer(say(rng, ["{w} is at the top of the counts.", "The top line is {w}, so it is the most frequent.", "uniq -c ranks {w} first."], w=winner), winner)
    return Draft(instruction, [{"type": "answer", "expected": winner}], steps.items, files={name: "\n".join(lines) + "\n"})


def distinct_lines(rng: random.Random) -> Draft:
    name = file_name(rng, rng.choice(["txt", "log"]))
    pool = rng.sample(WORDS, rng.randint(3, 15))
    lines = [f"{rng.choice(pool)}" for _ in range(rng.randint(len(pool) + 2, 40))]
    n = len(set(lines))
    instruction = say(rng, [
        "{name} has one word per line, with repeats. How many different words does it hold?",
        "Count the distinct lines of {name}.",
        "How many unique lines are there in {name}?",
        "Ignoring duplicates, how many lines does {name} have?",
    ], name=name) + " " + form(rng, "number")
    steps = Steps(rng)
    _open(steps, rng, name, f"sort -u {name}")
    steps.shell(say(rng, ["sort -u drops repeats; wc -l counts what is left.", "Keep unique lines with sort -u and count them."]), f"sort -u {name} | wc -l")
    steps.answer(say(rng, ["wc printed {n}: {n} distinct lines.", "There are {n} unique lines.", "{n} different values after sort -u."], n=n), str(n))
    return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files={name: "\n".join(lines) + "\n"})


def unique_to_file(rng: random.Random) -> Draft:
    """Duplicates removed into a new file: the answer is the file, so the output must be redirected."""
    source = file_name(rng, rng.choice(["txt", "list"]))
    target = rng.choice([f"{source.rsplit('.', 1)[0]}_unique.txt", file_name(rng, "txt")])
    while target == source:
        target = file_name(rng, "txt")
    pool = [f"{w}@{rng.choice(['mail.test', 'post.test', 'inbox.test'])}" for w in rng.sample(WORDS, rng.randint(3, 8))] if rng.random() < 0.5 else rng.sample(WORDS, rng.randint(3, 8))
    lines = [rng.choice(pool) for _ in range(rng.randint(len(pool) + 2, 20))]
    instruction = say(rng, [
        "{src} has one entry per line, some repeated. Create {dst} with each distinct entry once, sorted.",
        "Write the sorted distinct lines of {src} to a new file {dst}.",
        "Make {dst}: the lines of {src}, sorted, with every duplicate removed.",
    ], src=source, dst=target)
    steps = Steps(rng)
    if steps.look:
        steps.shell(say(rng, ["Look at {src} first.", "See the entries in {src}."], src=source), f"head -n 5 {source}")
    steps.shell(say(rng, ["sort -u sorts and drops repeats; > writes the result to {dst}.", "Redirect sort -u into {dst}: the task wants a file, not a count."], dst=target), f"sort -u {source} > {target}")
    steps.shell(say(rng, ["Check {dst}.", "Read {dst} back to confirm."], dst=target), f"cat {target}")
    steps.done()
    expected = "".join(f"{line}\n" for line in sorted(set(lines)))
    return Draft(instruction, [{"type": "file", "path": target, "equals": expected}], steps.items, files={source: "\n".join(lines) + "\n"})


def replace_word(rng: random.Random) -> Draft:
    name = file_name(rng, rng.choice(["txt", "md"]))
    vocabulary = rng.sample(WORDS, 10)
    old, new = vocabulary[0], rng.choice([w for w in WORDS if w not in vocabulary])
    lines = _lines(rng, rng.randint(4, 15), vocabulary)
    if not any(old in line.split() for line in lines):
        lines[0] = f"{old} {lines[0]}"
    expected = "\n".join(" ".join(new if w == old else w for w in line.split()) for line in lines) + "\n"
    instruction = say(rng, [
        "Replace every occurrence of the word {old} with {new} in {name}.",
        "In {name}, change each {old} to {new}.",
        "Edit {name} so that the word {old} becomes {new} everywhere.",
        "Swap all instances of {old} in {name} for {new}, in place.",
    ], old=old, new=new, name=name)
    steps = Steps(rng)
    if steps.look:
        steps.shell(say(rng, ["See where {old} appears in {name}.", "Find the lines with {old} first."], old=old, name=name), f"grep -n {old} {name}")
    steps.shell(say(rng, ["sed -i with the g flag replaces every {old} in place.", "Substitute {old} with {new} in the file using sed -i."], old=old, new=new), f"sed -i 's/\\b{old}\\b/{new}/g' {name}")
    steps.shell(say(rng, ["Count the lines that now hold {new}.", "Make sure the replacement worked."], new=new), f"grep -c {new} {name}")
    steps.done()
    checks = [{"type": "file", "path": name, "equals": expected}]
    return Draft(instruction, checks, steps.items, files={name: "\n".join(lines) + "\n"})


KINDS = [lines_with_word, nth_line, frequent_word, distinct_lines, unique_to_file, replace_word]


def text(rng: random.Random) -> Draft:
    return rng.choice(KINDS)(rng)

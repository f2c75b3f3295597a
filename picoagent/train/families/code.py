"""Files as code and configuration: git history, writing a file to a spec, editing a config, fixing a Python bug."""

from __future__ import annotations

import json
import random

from picoagent.train.builder import ITEMS, PEOPLE, WORDS, Draft, Steps, file_name, folder_name, form, say

# Git history ------------------------------------------------------------------------

MESSAGES = ["Add {f}", "Create {f}", "Introduce {f}", "Start {f}"]
CHANGE_MESSAGES = ["Update {f}", "Tweak {f}", "Adjust values in {f}", "Revise {f}", "Change {f}"]


def git_history(rng: random.Random) -> Draft:
    names = [f"{word}.{rng.choice(['cfg', 'md', 'txt', 'py'])}" for word in rng.sample(WORDS, rng.randint(2, 4))]
    setting = file_name(rng, "cfg")
    key = rng.choice(["limit", "retries", "workers", "timeout", "batch"])
    values = rng.sample(range(2, 300), rng.randint(2, 4))
    commits: list[dict] = [{"message": say(rng, MESSAGES, f=setting), "files": {setting: f"{key}={values[0]}\n"}}]
    for value in values[1:]:
        commits.append({"message": say(rng, CHANGE_MESSAGES, f=setting) + f" ({key} {value})", "files": {setting: f"{key}={value}\n"}})
    for name in names:
        commits.insert(rng.randint(1, len(commits)), {"message": say(rng, MESSAGES, f=name), "files": {name: f"{rng.choice(WORDS)}\n"}})
    last_single = commits[-1]
    kind = rng.choice(["count", "added_by", "earlier_value", "last_changed", "touches", "restore"])
    steps = Steps(rng)
    if steps.look and kind != "count":
        steps.shell(say(rng, ["Look at the history first.", "See the commits with git log --oneline.", "Start with the commit list."]), "git log --oneline")
    if kind == "count":
        n = len(commits)
        instruction = say(rng, ["How many commits does the git repository in the workspace have?", "Count the commits in this repository's history.", "What is the number of commits on the current branch?", "This folder is a git repository. How many commits are there?"])
        instruction = say(rng, ["The repository tracks {f} and {g}. ", "{f} and {g} live in this repository. ", ""], f=setting, g=names[0]) + instruction + " " + form(rng, "number")
        steps.shell(say(rng, ["One line per commit, counted.", "git log --oneline | wc -l counts commits."]), "git log --oneline | wc -l")
        steps.answer(say(rng, ["wc printed {n}.", "There are {n} commits.", "The history has {n} commits."], n=n), str(n))
        return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, repo=commits)
    if kind == "added_by":
        target = rng.choice(names)
        message = next(c["message"] for c in commits if target in c["files"])
        instruction = say(rng, ["Which commit added {f}? Give its message.", "What is the message of the commit that created {f}?", "Find the commit that first brought {f} into the repository and tell me its message."], f=target) + " " + form(rng, "text")
        steps.shell(say(rng, ["--diff-filter=A keeps only the commit that added the file.", "git log for {f}, added only, message only."], f=target), f"git log --diff-filter=A --format=%s -- {target}")
        steps.answer(say(rng, ["git printed the message: {m}", "The commit is \"{m}\".", "It was added in \"{m}\"."], m=message), message)
        return Draft(instruction, [{"type": "answer", "expected": message}], steps.items, repo=commits)
    if kind == "earlier_value":
        if len(values) < 3:
            values.append(rng.randint(300, 400))
            commits.append({"message": f"Set {key} to {values[-1]}", "files": {setting: f"{key}={values[-1]}\n"}})
        previous = values[-2]
        instruction = say(rng, ["{f} sets {k}. What was its value before the last change to {f}?", "Before the most recent commit that touched {f}, what was {k} set to?", "Look in the git history: which value did {k} in {f} have before its latest change?"], f=setting, k=key) + " " + form(rng, "number")
        steps.shell(say(rng, ["List the commits that changed {f}.", "git log on {f} shows its changes."], f=setting), f"git log --oneline -- {setting}")
        steps.shell(say(rng, ["Show {f} as it was one change earlier.", "Print the file from the second-latest commit that touched it."], f=setting), f"git show $(git log --format=%h -n 2 -- {setting} | tail -n 1):{setting}")
        steps.answer(say(rng, ["Before the change it read {k}={v}.", "The earlier value was {v}.", "git show printed {k}={v}."], k=key, v=previous), str(previous))
        return Draft(instruction, [{"type": "numeric", "expected": previous}], steps.items, repo=commits)
    if kind == "last_changed":
        changed = next(iter(last_single["files"]))
        instruction = say(rng, ["Which file did the most recent commit change?", "What file was touched by the last commit?", "Name the file the latest commit modified or added."])
        instruction = say(rng, ["The history has {n} commits. ", "This repository has {n} commits. ", "Among the {n} commits here, look at the newest. ", ""], n=len(commits)) + instruction + " " + form(rng, "name")
        steps.shell(say(rng, ["--name-only lists the files of the last commit.", "git show HEAD with file names only."]), "git show --name-only --format= HEAD")
        steps.answer(say(rng, ["The last commit changed {f}.", "git printed {f}.", "It touched {f}."], f=changed), changed)
        return Draft(instruction, [{"type": "answer", "expected": changed}], steps.items, repo=commits)
    if kind == "touches":
        n = sum(setting in c["files"] for c in commits)
        instruction = say(rng, ["How many commits changed {f}?", "In how many commits does {f} appear?", "Count the commits that touched {f}."], f=setting) + " " + form(rng, "number")
        steps.shell(say(rng, ["git log -- {f} lists only its commits; count them.", "Count the commits that touched {f}."], f=setting), f"git log --oneline -- {setting} | wc -l")
        steps.answer(say(rng, ["wc printed {n}.", "{n} commits touched it.", "{f} changed in {n} commits."], n=n, f=setting), str(n))
        return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, repo=commits)
    victim = rng.choice(names)
    content = next(c["files"][victim] for c in commits if victim in c["files"])
    commits.append({"message": f"Remove {victim}", "delete": [victim]})
    instruction = say(rng, ["{f} was deleted in a recent commit. Bring it back with its last content.", "Restore the file {f}, which a commit removed, from the git history.", "Someone deleted {f}. Recover it from git."], f=victim)
    steps.shell(say(rng, ["Find the commit that deleted {f}.", "git log shows which commit removed {f}."], f=victim), f"git log --oneline --diff-filter=D -- {victim}")
    steps.shell(say(rng, ["Check out {f} from the parent of that commit.", "Take {f} from just before its deletion."], f=victim), f"git checkout HEAD~1 -- {victim} && cat {victim}")
    steps.done()
    return Draft(instruction, [{"type": "file", "path": victim, "equals": content}], steps.items, repo=commits)


# Writing a file to a spec -----------------------------------------------------------


def write_spec(rng: random.Random) -> Draft:
    kind = rng.choice(["lines", "json", "csv", "script", "nested"])
    steps = Steps(rng)
    if kind in ("lines", "nested"):
        lines = [" ".join(rng.sample(WORDS, rng.randint(1, 3))) for _ in range(rng.randint(1, 4))]
        path = file_name(rng, "txt") if kind == "lines" else f"{folder_name(rng)}/{rng.choice(WORDS)}/{file_name(rng, 'txt')}"
        listed = "; ".join(lines)
        instruction = say(rng, [
            "Create {p} with exactly these lines, in order: {l}.",
            "Write the file {p}. It must hold {n} line(s): {l}.",
            "Make a file {p} containing the following lines (one per line): {l}.",
            "Put these lines into a new file {p}, in this order: {l}.",
        ], p=path, l=listed, n=len(lines))
        if steps.look:
            steps.list_folder()
        steps.write(say(rng, ["write_file creates {p}{m}.", "Write the lines to {p}.", "Create {p} with the lines, one per line."], p=path, m=" and its folders" if "/" in path else ""), path, "\n".join(lines) + "\n")
        steps.shell(say(rng, ["Check the file.", "Print it to confirm."]), f"cat {path}")
        steps.done()
        return Draft(instruction, [{"type": "file", "path": path, "equals": "\n".join(lines) + "\n"}], steps.items)
    if kind == "json":
        path = file_name(rng, "json")
        name, port, debug = rng.choice(WORDS), rng.randint(1024, 9999), rng.random() < 0.5
        instruction = say(rng, [
            "Write {p}: a JSON object with name set to \"{n}\", port set to {o} (a number) and debug set to {d}.",
            "Create the JSON file {p} holding an object whose name is \"{n}\", whose port is the number {o}, and whose debug flag is {d}.",
            "Make {p} contain a JSON object with three keys: name \"{n}\", port {o}, debug {d}.",
        ], p=path, n=name, o=port, d=str(debug).lower())
        content = json.dumps({"name": name, "port": port, "debug": debug}, indent=2) + "\n"
        steps.write(say(rng, ["Write the object as JSON.", "write_file with the JSON text."]), path, content)
        steps.shell(say(rng, ["Check it parses with jq.", "Validate it with jq."]), f"jq . {path}")
        steps.done()
        check = {"type": "command", "run": f"jq -e '.name == \"{name}\" and .port == {port} and .debug == {str(debug).lower()}' {path}"}
        return Draft(instruction, [check], steps.items)
    if kind == "csv":
        path = file_name(rng, "csv")
        rows = [(person, rng.choice(ITEMS), rng.randint(1, 9)) for person in rng.sample(PEOPLE, rng.randint(2, 4))]
        listed = "; ".join(f"{p} {i} {q}" for p, i, q in rows)
        instruction = say(rng, [
            "Create {p} with the header person,item,qty and one row for each of: {l}.",
            "Write a CSV file {p}: header person,item,qty, then these rows in order: {l}.",
            "Make {p}, a CSV with columns person,item,qty holding: {l}.",
        ], p=path, l=listed)
        content = "person,item,qty\n" + "".join(f"{p},{i},{q}\n" for p, i, q in rows)
        steps.write(say(rng, ["Write the header and rows.", "write_file with the CSV text."]), path, content)
        steps.shell(say(rng, ["Check the file.", "Print it to confirm."]), f"cat {path}")
        steps.done()
        return Draft(instruction, [{"type": "file", "path": path, "equals": content}], steps.items)
    script = f"{rng.choice(WORDS)}_{rng.choice(['hello', 'banner', 'greet', 'motd'])}.sh"
    message = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.randint(1, 99)}"
    instruction = say(rng, [
        "Write an executable bash script {s} that prints exactly: {m}",
        "Create {s}, a bash script that outputs the line \"{m}\", and make it executable.",
        "Make a script {s} that echoes {m}. It must be executable.",
    ], s=script, m=message)
    steps.write(say(rng, ["Write the script with a shebang and an echo.", "Create {s}."], s=script), script, f"#!/bin/bash\necho \"{message}\"\n")
    steps.shell(say(rng, ["Make it executable and run it to check.", "chmod +x, then try it."]), f"chmod +x {script} && ./{script}")
    steps.done()
    checks = [{"type": "command", "run": f'test -x {script} && [ "$(./{script})" = "{message}" ]'}]
    return Draft(instruction, checks, steps.items)


# Editing a config -------------------------------------------------------------------


def _config(rng: random.Random) -> tuple[str, list[tuple[str, str]], str, str]:
    """A config file name, its (key, value) pairs, and the line format: 'ini', 'env' or 'yaml'."""
    style = rng.choice(["ini", "env", "yaml", "toml"])
    keys = rng.sample(["port", "host", "log_level", "workers", "timeout", "cache_size", "region", "retries"], 5)
    pairs = []
    for key in keys:
        value = {"port": str(rng.randint(1024, 9999)), "host": rng.choice(["localhost", "0.0.0.0", "127.0.0.1"]), "log_level": rng.choice(["debug", "info", "warn"]),
                 "region": rng.choice(["north", "east", "west"])}.get(key, str(rng.randint(1, 120)))
        pairs.append((key.upper() if style == "env" else key, value))
    extension = {"ini": rng.choice(["ini", "cfg", "conf"]), "env": "env", "yaml": rng.choice(["yaml", "yml"]), "toml": "toml"}[style]
    return file_name(rng, extension), pairs, style, rng.choice(["server", "service", "app", "worker"])


def _line(style: str, key: str, value: str, spaced: bool) -> str:
    if style == "yaml":
        return f"  {key}: {value}"
    if style == "toml":
        return f'{key} = "{value}"' if not value.isdigit() else f"{key} = {value}"
    return f"{key} = {value}" if spaced and style == "ini" else f"{key}={value}"


def _render(style: str, section: str, pairs: list[tuple[str, str]], spaced: bool) -> str:
    head = {"ini": f"[{section}]\n", "toml": f"[{section}]\n", "yaml": f"{section}:\n", "env": f"# {section} settings\n"}[style]
    return head + "".join(_line(style, key, value, spaced) + "\n" for key, value in pairs)


def config_edit(rng: random.Random) -> Draft:
    path, pairs, style, section = _config(rng)
    spaced = rng.random() < 0.5
    index = rng.randrange(len(pairs))
    key, old_value = pairs[index]
    new_value = str(int(old_value) + rng.randint(1, 50)) if old_value.isdigit() else rng.choice([v for v in ["staging", "warn", "error", "south", "example.org"] if v != old_value])
    original = _render(style, section, pairs, spaced)
    changed = [*pairs[:index], (key, new_value), *pairs[index + 1 :]]
    expected = _render(style, section, changed, spaced)
    instruction = say(rng, [
        "In {p}, change {k} from {o} to {n}. Leave everything else as it is.",
        "Set {k} to {n} in the config file {p}; keep the other settings unchanged.",
        "Edit {p} so that {k} is {n} instead of {o}.",
        "The setting {k} in {p} should be {n}. Update it and nothing else.",
    ], p=path, k=key, o=old_value, n=new_value)
    steps = Steps(rng)
    old_line, new_line = _line(style, key, old_value, spaced), _line(style, key, new_value, spaced)
    if steps.mistake:
        guessed = old_line.replace(" = ", "=") if " = " in old_line else old_line.replace("=", " = ").replace(": ", ":")
        steps.edit(say(rng, ["Replace the {k} line directly.", "Edit {k} without reading first."], k=key), path, guessed.strip(), new_line.strip(), error=True)
        steps.read(say(rng, ["old_text was not found; read the file to copy the exact text.", "The text differs from my guess. Read {p}.", "No match. Look at how {p} writes {k}."], p=path, k=key), path)
    else:
        steps.read(say(rng, ["Read {p} to see the exact line for {k}.", "Look at {p} before editing.", "First read the config to copy the line exactly."], p=path, k=key), path)
    steps.edit(say(rng, ["Replace the {k} line with the new value.", "edit_file swaps {o} for {n} on the {k} line.", "Change just that one line."], k=key, o=old_value, n=new_value), path, old_line.strip(), new_line.strip())
    if rng.random() < 0.6:
        steps.shell(say(rng, ["Check the new line.", "Confirm the change with grep."]), f"grep -n {key} {path}")
    steps.done()
    return Draft(instruction, [{"type": "file", "path": path, "equals": expected}], steps.items, files={path: original})


# Fixing a Python bug ----------------------------------------------------------------

# (function source with the bug, the buggy line, the fixed line, test body lines, what was wrong)
BUGS = [
    ("def clamp(value, low, high):\n    return max(low, min(value, low))\n", "min(value, low)", "min(value, high)",
     ["self.assertEqual(clamp(5, 1, 10), 5)", "self.assertEqual(clamp(20, 1, 10), 10)", "self.assertEqual(clamp(-3, 1, 10), 1)"], "clamp compared with low instead of high"),
    ("def word_count(text):\n    return len(text.split(' '))\n", "text.split(' ')", "text.split()",
     ["self.assertEqual(word_count('a b c'), 3)", "self.assertEqual(word_count('  spaced   out  '), 2)"], "word_count split on single spaces"),
    ("def last_items(items, n):\n    return items[-n:-1]\n", "items[-n:-1]", "items[-n:]",
     ["self.assertEqual(last_items([1, 2, 3, 4], 2), [3, 4])", "self.assertEqual(last_items(['a', 'b'], 1), ['b'])"], "last_items dropped the final item"),
    ("def to_fahrenheit(celsius):\n    return celsius * 9 / 5 + 23\n", "+ 23", "+ 32",
     ["self.assertEqual(to_fahrenheit(0), 32)", "self.assertEqual(to_fahrenheit(100), 212)"], "to_fahrenheit added 23 instead of 32"),
    ("def initials(name):\n    return ''.join(part[1] for part in name.split())\n", "part[1]", "part[0]",
     ["self.assertEqual(initials('Ada Lovelace'), 'AL')", "self.assertEqual(initials('Alan Mathison Turing'), 'AMT')"], "initials took the second letter"),
    ("def count_above(values, limit):\n    return sum(1 for value in values if value >= limit)\n", "value >= limit", "value > limit",
     ["self.assertEqual(count_above([1, 5, 7], 5), 1)", "self.assertEqual(count_above([], 0), 0)"], "count_above counted values equal to the limit"),
    ("def percent(part, whole):\n    return round(part / whole * 10, 1)\n", "* 10,", "* 100,",
     ["self.assertEqual(percent(1, 4), 25.0)", "self.assertEqual(percent(3, 3), 100.0)"], "percent multiplied by 10, not 100"),
    ("def mean(values):\n    return sum(values) / (len(values) + 1)\n", "(len(values) + 1)", "len(values)",
     ["self.assertEqual(mean([2, 4]), 3)", "self.assertEqual(mean([5]), 5)"], "mean divided by one too many"),
]


def python_fix(rng: random.Random) -> Draft:
    source, wrong, right, asserts, cause = rng.choice(BUGS)
    function = source.split("(")[0].removeprefix("def ")
    module = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{rng.choice(['helpers', 'tools', 'calc', 'kit', 'funcs', 'utils', 'lib', 'ops'])}"
    test_file = f"test_{module}.py"
    test_source = (
        f"import unittest\n\nfrom {module} import {function}\n\n\nclass {function.title().replace('_', '')}Test(unittest.TestCase):\n"
        + "".join(f"    def test_case_{i}(self):\n        {line}\n\n" for i, line in enumerate(asserts, 1))
        + "\nif __name__ == '__main__':\n    unittest.main()\n"
    )
    filler = f"\n\ndef {rng.choice(WORDS)}_label(text):\n    return text.strip().title()\n"
    module_source = (filler + "\n\n" + source) if rng.random() < 0.5 else (source + filler)
    instruction = say(rng, [
        "The tests in {t} fail. Fix the bug in {m}.py so that python3 -m unittest passes. Do not change the tests.",
        "python3 -m unittest reports a failure. Find the bug in {m}.py and fix it; the test file must stay as it is.",
        "Make the unit tests pass by fixing {m}.py (run them with python3 -m unittest). Leave {t} untouched.",
        "Something in {m}.py is broken and {t} catches it. Repair the code, not the tests.",
    ], t=test_file, m=module)
    steps = Steps(rng)
    steps.shell(say(rng, ["Run the tests to see what fails.", "First, see the failure.", "Start by running the test suite."]), "python3 -m unittest", error=True)
    if steps.look:
        steps.read(say(rng, ["Read the test to see what is expected.", "Look at what {t} checks.", "See the expected values in the test."], t=test_file), test_file)
    steps.read(say(rng, ["{f} fails. Read {m}.py.", "Open {m}.py to find the bug in {f}.", "Look at the code of {f}."], f=function, m=module), f"{module}.py")
    steps.edit(say(rng, ["Fix it: {c}.", "The bug: {c}. Correct that expression.", "{c}; change it."], c=cause), f"{module}.py", wrong, right)
    steps.shell(say(rng, ["Run the tests again.", "Re-run python3 -m unittest to confirm.", "Check that the tests pass now."]), "python3 -m unittest")
    steps.answer(say(rng, ["The tests pass now: OK.", "unittest printed OK, so the fix works.", "All tests pass."]), f"Fixed {function} in {module}.py: {cause}.")
    checks = [{"type": "command", "run": "python3 -m unittest"}, {"type": "unchanged", "paths": [test_file]}]
    return Draft(instruction, checks, steps.items, files={f"{module}.py": module_source.lstrip("\n"), test_file: test_source}, max_steps=12)

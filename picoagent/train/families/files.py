"""Files and folders: find by extension, the largest or empty file, which file holds a word, sizes, lines."""

from __future__ import annotations

import random

from picoagent.train.builder import WORDS, Draft, Steps, file_name, folder_name, form, misspelled, say

EXTENSIONS = ["log", "txt", "md", "csv", "json", "py", "yaml", "ini"]


def _tree(rng: random.Random, root: str, count: int, extensions: list[str]) -> dict[str, str]:
    """`count` files with distinct word names under root and one or two levels of subfolders."""
    subfolders = ["", *rng.sample(WORDS, 3)]
    names = rng.sample(WORDS, count)
    tree = {}
    for name in names:
        sub = rng.choice(subfolders)
        if sub and rng.random() < 0.3:
            sub = f"{sub}/{rng.choice(WORDS)}"
        path = "/".join(part for part in (root, sub, f"{name}.{rng.choice(extensions)}") if part)
        tree[path] = f"{rng.choice(WORDS)} {rng.randint(1, 999)}\n"
    return tree


def count_by_extension(rng: random.Random) -> Draft:
    root = folder_name(rng)
    extension, *others = rng.sample(EXTENSIONS, 3)
    tree = _tree(rng, root, rng.randint(6, 12), [extension, *others])
    tree.setdefault(f"{root}/{rng.choice(WORDS)}_extra.{extension}", "x\n")
    n = sum(path.endswith(f".{extension}") for path in tree)
    instruction = say(rng, [
        "How many .{ext} files are there in {root}/ and all of its subfolders?",
        "Count the files ending in .{ext} anywhere under {root}/.",
        "{root}/ holds files in nested folders. How many of them have the .{ext} extension?",
        "Find every .{ext} file below {root}/, at any depth, and tell me how many there are.",
    ], ext=extension, root=root) + " " + form(rng, "number")
    steps = Steps(rng)
    wrong = misspelled(rng, root)
    if steps.mistake:
        steps.wrong_file_then_find(f"find {wrong} -type f -name '*.{extension}'", f"{wrong}/")
    elif steps.look:
        steps.shell(say(rng, ["See which files {root}/ holds, at every depth.", "List everything under {root}/ first."], root=root), f"find {root} -type f")
    steps.shell(
        say(rng, ["Find the .{ext} files under {root}/ and count them.", "Count the .{ext} files with find and wc -l.", "find lists the .{ext} files at any depth; wc -l counts them."], ext=extension, root=root),
        f"find {root} -type f -name '*.{extension}' | wc -l",
    )
    steps.answer(say(rng, ["find counted {n} .{ext} files.", "wc printed {n}, so there are {n} .{ext} files.", "The count is {n}."], n=n, ext=extension), str(n))
    return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files=tree)


def largest(rng: random.Random) -> Draft:
    root = folder_name(rng)
    names = rng.sample(WORDS, rng.randint(4, 6))
    extension = rng.choice(EXTENSIONS)
    sizes = rng.sample(range(100, 9000, 37), len(names))
    tree = {f"{root}/{name}.{extension}": "z" * (size - 1) + "\n" for name, size in zip(names, sizes)}
    biggest = f"{names[sizes.index(max(sizes))]}.{extension}"
    smallest = f"{names[sizes.index(min(sizes))]}.{extension}"
    want_small = rng.random() < 0.3
    target = smallest if want_small else biggest
    adjective = "smallest" if want_small else rng.choice(["largest", "biggest"])
    instruction = say(rng, [
        "Which file in {root}/ is the {adj}?",
        "Find the {adj} file in the folder {root}/.",
        "Of the files in {root}/, which one is {adj} in size?",
        "Look in {root}/ and tell me which file is the {adj}.",
    ], root=root, adj=adjective) + " " + form(rng, "name")
    steps = Steps(rng)
    if steps.mistake:
        wrong = misspelled(rng, root)
        steps.wrong_file_then_find(f"ls -S {wrong}", f"{wrong}/")
    elif steps.look:
        steps.list_folder(root)
    command = f"ls -S {root} | " + ("tail -n 1" if want_small else "head -n 1")
    steps.shell(say(rng, ["Sort {root}/ by size with ls -S and keep the {end} entry.", "ls -S puts the biggest first; take the {end} one."], root=root, end="last" if want_small else "first"), command)
    steps.answer(say(rng, ["{name} is the {adj} file.", "ls -S shows {name} as the {adj}.", "The {adj} one is {name}."], name=target, adj=adjective), target)
    return Draft(instruction, [{"type": "answer", "expected": [target, f"{root}/{target}"]}], steps.items, files=tree)


def holds_word(rng: random.Random) -> Draft:
    root = folder_name(rng)
    tree = _tree(rng, root, rng.randint(5, 9), ["txt", "md"])
    needle = f"{rng.choice(['token', 'code', 'ticket', 'ref'])}-{rng.randint(1000, 9999)}"
    holder = rng.choice(sorted(tree))
    tree[holder] = f"{rng.choice(WORDS)} notes\nsee {needle} for details\n"
    instruction = say(rng, [
        "One file under {root}/ mentions {needle}. Which file is it?",
        "Which file in {root}/ (subfolders included) contains the text {needle}?",
        "Somewhere in {root}/ a file contains {needle}. Find it.",
        "Search {root}/ for the file that contains {needle}.",
    ], root=root, needle=needle) + " " + form(rng, "path")
    steps = Steps(rng)
    if steps.mistake:
        wrong = misspelled(rng, root)
        steps.wrong_file_then_find(f"grep -rl {needle} {wrong}", f"{wrong}/")
    elif steps.look:
        steps.shell(say(rng, ["List the files under {root}/ first.", "See what {root}/ contains."], root=root), f"find {root} -type f")
    steps.shell(say(rng, ["grep -rl lists the files under {root}/ that contain {needle}.", "Search {root}/ recursively for {needle}, printing file names only."], root=root, needle=needle), f"grep -rl {needle} {root}")
    steps.answer(say(rng, ["grep found it only in {path}.", "The only match is {path}.", "{path} contains {needle}."], path=holder, needle=needle), holder)
    return Draft(instruction, [{"type": "answer", "expected": [holder, f"./{holder}"]}], steps.items, files=tree)


def holds_word_of_type(rng: random.Random) -> Draft:
    """The text is in two files, one of the asked type: grep alone finds both, --include one."""
    root = folder_name(rng)
    wanted, other = rng.sample(["py", "md", "txt", "yaml", "sh"], 2)
    tree = _tree(rng, root, rng.randint(5, 9), [wanted, other])
    needle = rng.choice(["FIXME", "HACK", "XXX", "NOTE"]) if rng.random() < 0.5 else f"{rng.choice(['flag', 'marker'])}_{rng.randint(10, 99)}"
    holder = f"{root}/{rng.choice(WORDS)}/{rng.choice(WORDS)}_{rng.randint(1, 9)}.{wanted}"
    decoy = f"{root}/{rng.choice(WORDS)}_{rng.choice(WORDS)}.{other}"
    tree[holder] = f"x = {rng.randint(1, 9)}\n# {needle}: {rng.choice(WORDS)}\n"
    tree[decoy] = f"{rng.choice(WORDS)} {needle} list\n"
    instruction = say(rng, [
        "Only one of the .{ext} files below {root}/ has {needle} in it. Name that file.",
        "Which .{ext} file in {root}/ mentions {needle}? Other kinds of files do not count.",
        "Among the .{ext} files under {root}/, find the one with the text {needle}.",
    ], ext=wanted, root=root, needle=needle) + " " + form(rng, "path")
    steps = Steps(rng)
    if steps.mistake:
        steps.shell(say(rng, ["Search {root}/ for {needle}.", "grep -rl for {needle} in {root}/."], root=root, needle=needle), f"grep -rl {needle} {root}")
        steps.shell(say(rng, ["Two matches, and {decoy} is not a .{ext} file. Search .{ext} files only.", "Only .{ext} files count; {decoy} is a .{other}. Narrow the search with --include."], decoy=decoy, ext=wanted, other=other), f"grep -rl --include='*.{wanted}' {needle} {root}")
    else:
        if steps.look:
            steps.shell(say(rng, ["List the .{ext} files under {root}/ first.", "Which .{ext} files are there?"], ext=wanted, root=root), f"find {root} -name '*.{wanted}'")
        steps.shell(say(rng, ["grep -rl with --include='*.{ext}' searches only .{ext} files.", "Restrict the search to .{ext} files so other files cannot match."], ext=wanted), f"grep -rl --include='*.{wanted}' {needle} {root}")
    steps.answer(say(rng, ["The only .{ext} match is {path}.", "{path} is the .{ext} file with {needle}."], ext=wanted, path=holder, needle=needle), holder)
    return Draft(instruction, [{"type": "answer", "expected": [holder, f"./{holder}"]}], steps.items, files=tree)


def rename_extension(rng: random.Random) -> Draft:
    root = folder_name(rng)
    old, new = rng.choice([("jpeg", "jpg"), ("htm", "html"), ("markdown", "md"), ("text", "txt"), ("yml", "yaml"), ("tif", "tiff")])
    keep = rng.choice([e for e in ("png", "csv", "log", "json") if e not in (old, new)])
    stems = rng.sample(WORDS, rng.randint(3, 7))
    renamed, kept = stems[:-1], stems[-1:]
    tree = {f"{root}/{stem}.{old}": f"{stem}\n" for stem in renamed} | {f"{root}/{stem}.{keep}": f"{stem}\n" for stem in kept}
    instruction = say(rng, [
        "Give every .{old} file in {root}/ the extension .{new} instead; leave the other files alone.",
        "In {root}/, rename each file ending in .{old} so it ends in .{new}.",
        "Change the extension of all .{old} files under {root}/ to .{new}, keeping their names.",
    ], old=old, new=new, root=root)
    steps = Steps(rng)
    steps.shell(say(rng, ["See which files {root}/ holds.", "List {root}/ first."], root=root), f"ls {root}")
    steps.shell(
        say(rng, ["A loop over {root}/*.{old}: mv each to its name without .{old}, plus .{new}.", "For each .{old} file, ${{f%.{old}}} strips the extension; mv it to that plus .{new}."], root=root, old=old, new=new),
        f'for f in {root}/*.{old}; do mv "$f" "${{f%.{old}}}.{new}"; done',
    )
    steps.shell(say(rng, ["Check the new names.", "List {root}/ again to confirm."], root=root), f"ls {root}")
    steps.done()
    expected = " && ".join([*(f"test -f {root}/{stem}.{new} && test ! -e {root}/{stem}.{old}" for stem in renamed), *(f"test -f {root}/{stem}.{keep}" for stem in kept), f"[ $(ls {root} | wc -l) -eq {len(stems)} ]"])
    return Draft(instruction, [{"type": "command", "run": expected}], steps.items, files=tree)


def total_size(rng: random.Random) -> Draft:
    root = folder_name(rng)
    extension, other = rng.sample(EXTENSIONS, 2)
    names = rng.sample(WORDS, rng.randint(4, 7))
    tree = {}
    total = 0
    for index, name in enumerate(names):
        size = rng.randint(20, 3000)
        ext = extension if index < 2 or rng.random() < 0.5 else other
        tree[f"{root}/{name}.{ext}"] = "q" * (size - 1) + "\n"
        total += size if ext == extension else 0
    instruction = say(rng, [
        "What is the total size in bytes of the .{ext} files directly inside {root}/?",
        "Add up the sizes, in bytes, of all .{ext} files in {root}/ (not in subfolders).",
        "How many bytes do the .{ext} files in {root}/ take together?",
        "Sum the byte sizes of every .{ext} file in the folder {root}/.",
    ], ext=extension, root=root) + " " + form(rng, "number")
    steps = Steps(rng)
    if steps.look:
        steps.list_folder(root)
    steps.shell(say(rng, ["cat the .{ext} files together and count the bytes with wc -c.", "wc -c on their concatenation gives the total bytes."], ext=extension), f"cat {root}/*.{extension} | wc -c")
    steps.answer(say(rng, ["wc -c printed {n}, the total in bytes.", "Together they hold {n} bytes.", "The total is {n} bytes."], n=total), str(total))
    return Draft(instruction, [{"type": "numeric", "expected": total}], steps.items, files=tree)


def empty_file(rng: random.Random) -> Draft:
    root = folder_name(rng)
    tree = _tree(rng, root, rng.randint(4, 8), EXTENSIONS)
    empty = rng.choice(sorted(tree))
    tree[empty] = ""
    instruction = say(rng, [
        "Exactly one file under {root}/ is empty. Which file is it?",
        "Find the empty file somewhere in {root}/.",
        "Which file in {root}/ or its subfolders has no content at all?",
        "One of the files below {root}/ is zero bytes long. Which?",
    ], root=root) + " " + form(rng, "path")
    steps = Steps(rng)
    if steps.look:
        steps.shell(say(rng, ["List the files under {root}/ with their sizes.", "See what {root}/ holds and how big each file is."], root=root), f"find {root} -type f -printf '%s %p\\n'")
    steps.shell(say(rng, ["find -empty lists empty files.", "Ask find for files of size zero under {root}/."], root=root), f"find {root} -type f -empty")
    steps.answer(say(rng, ["find printed {path}, the only empty file.", "{path} is the empty one.", "Only {path} is empty."], path=empty), empty)
    return Draft(instruction, [{"type": "answer", "expected": [empty, f"./{empty}"]}], steps.items, files=tree)


def line_count(rng: random.Random) -> Draft:
    name = file_name(rng, rng.choice(["txt", "md", "log"]))
    lines = [" ".join(rng.choices(WORDS, k=rng.randint(2, 7))) for _ in range(rng.randint(5, 60))]
    n = len(lines)
    instruction = say(rng, [
        "How many lines are in {name}?",
        "Count the lines of the file {name}.",
        "What is the line count of {name}?",
        "Tell me how many lines {name} contains.",
    ], name=name) + " " + form(rng, "number")
    steps = Steps(rng)
    if steps.mistake:
        wrong = misspelled(rng, name)
        steps.wrong_file_then_find(f"wc -l {wrong}", wrong)
    elif steps.look:
        steps.list_folder()
    steps.shell(say(rng, ["Count the lines of {name} with wc -l.", "wc -l counts the lines in {name}."], name=name), rng.choice([f"wc -l < {name}", f"wc -l {name}"]))
    steps.answer(say(rng, ["wc printed {n}, so {name} has {n} lines.", "{name} has {n} lines.", "The count is {n} lines."], n=n, name=name), str(n))
    extra = {file_name(rng, "txt"): "spare\n"} if rng.random() < 0.5 else {}
    return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files={**extra, name: "\n".join(lines) + "\n"})


KINDS = [holds_word_of_type, rename_extension, count_by_extension, largest, holds_word, total_size, empty_file, line_count]


def files(rng: random.Random) -> Draft:
    return rng.choice(KINDS)(rng)

"""The system around the files: logs, archives, permissions, processes (exit codes, timeouts, env, streams, jobs)."""

from __future__ import annotations

import random
from collections import Counter

from picoagent.train.builder import PEOPLE, WORDS, Draft, Steps, file_name, folder_name, form, misspelled, say

SCRIPTS = "nightly probe warmup sync_mirror rotate_keys reindex snapshot_job fetch_feeds tidy_cache bake_assets gauge pinger".split()
COMPONENTS = ["auth", "billing", "cache", "mailer", "scheduler", "uploader"]
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
PAGES = ["/", "/login", "/cart", "/search", "/api/items", "/help"]


def script_name(rng: random.Random) -> str:
    stem = rng.choice(SCRIPTS)
    return f"{rng.choice(WORDS)}_{stem}.sh" if rng.random() < 0.6 else f"{stem}.sh"


# Logs -------------------------------------------------------------------------------


def _app_log(rng: random.Random, count: int) -> list[str]:
    lines, second = [], rng.randint(0, 3600)
    for _ in range(count):
        second += rng.randint(1, 90)
        stamp = f"2031-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} {second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        lines.append(f"{stamp} {rng.choice(LEVELS)} {rng.choice(COMPONENTS)} {rng.choice(WORDS)} {rng.choice(['started', 'failed', 'retried', 'done', 'slow'])}")
    return lines


def _as_error(line: str) -> str:
    """An app log line with its level made ERROR: a task about errors needs at least one, or
    its reference `grep -c` prints 0 and exits 1, a failed step in the replay."""
    parts = line.split()
    return " ".join([*parts[:2], "ERROR", *parts[3:]])


def _access_log(rng: random.Random, count: int) -> list[str]:
    addresses = [f"10.{rng.randint(0, 9)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(rng.randint(3, 9))]
    return [
        f'{rng.choice(addresses)} - - [12/Mar/2031:{rng.randint(10, 23)}:{rng.randint(10, 59)}:{rng.randint(10, 59)} +0000] "GET {rng.choice(PAGES)} HTTP/1.1" {rng.choice([200, 200, 200, 301, 404, 500])} {rng.randint(100, 9000)}'
        for _ in range(count)
    ]


def logs(rng: random.Random) -> Draft:
    kind = rng.choice(["errors", "status", "addresses", "first_error", "component", "folder"])
    steps = Steps(rng)
    name = file_name(rng, "log")

    def opening(failing: str) -> None:
        if steps.mistake:
            wrong = misspelled(rng, name)
            steps.wrong_file_then_find(failing.replace(name, wrong), wrong)
        elif steps.look:
            steps.shell(say(rng, ["Look at a few lines of {name} to learn its format.", "Peek at the start of {name}.", "See how the lines of {name} are laid out."], name=name), f"head -n 4 {name}")

    if kind == "folder":
        root = folder_name(rng)
        logs = {f"{root}/{word}.log": _app_log(rng, rng.randint(4, 20)) for word in rng.sample(WORDS, rng.randint(2, 5))}
        if not any(line.split()[2] == "ERROR" for lines in logs.values() for line in lines):
            first = next(iter(logs.values()))
            first[-1] = _as_error(first[-1])
        files = {path: "\n".join(lines) + "\n" for path, lines in logs.items()}
        files[f"{root}/{rng.choice(WORDS)}_old.txt"] = "2031-01-01 00:00:00 ERROR auth not a log file\n"
        n = sum(line.split()[2] == "ERROR" for lines in logs.values() for line in lines)
        instruction = say(rng, ["How many ERROR lines are there in all the .log files of {root}/ together?", "Count the ERROR entries across every .log file in {root}/.", "Over all .log files in {root}/, how many lines have the level ERROR?"], root=root) + " " + form(rng, "number")
        if steps.look:
            steps.list_folder(root)
        steps.shell(say(rng, ["cat the .log files together and count the ERROR lines.", "grep -h over {root}/*.log finds the ERROR lines; wc counts them."], root=root), f"cat {root}/*.log | grep -c ' ERROR '")
        steps.answer(say(rng, ["grep counted {n} ERROR lines.", "There are {n} in total.", "{n} ERROR lines across the logs."], n=n), str(n))
        return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files=files)
    if kind in ("status", "addresses"):
        lines = _access_log(rng, rng.randint(8, 40))
        text = "\n".join(lines) + "\n"
        if kind == "status":
            counts = Counter(line.split()[8] for line in lines)
            top, top_count = counts.most_common(1)[0]
            if list(counts.values()).count(top_count) > 1:
                lines.append(lines[[line.split()[8] for line in lines].index(top)])
                text = "\n".join(lines) + "\n"
            instruction = say(rng, ["{name} is a web server access log. Which HTTP status code appears most often?", "What is the most common status code in the access log {name}?", "In {name}, which response status occurs the most?"], name=name) + " " + form(rng, "value")
            opening(f"head -n 4 {name}")
            steps.shell(say(rng, ["The status is field 9: count each code and sort.", "awk takes field 9, uniq -c counts the codes."]), f"awk '{{print $9}}' {name} | sort | uniq -c | sort -rn | head -n 3")
            steps.answer(say(rng, ["{s} is at the top of the counts.", "Status {s} is the most frequent.", "The first line is {s}."], s=top), top)
            return Draft(instruction, [{"type": "answer", "expected": top}], steps.items, files={name: text})
        n = len({line.split()[0] for line in lines})
        instruction = say(rng, ["How many different client IP addresses appear in {name}?", "Count the distinct IP addresses in the access log {name}.", "{name} logs web requests. From how many unique addresses?"], name=name) + " " + form(rng, "number")
        opening(f"head -n 4 {name}")
        steps.shell(say(rng, ["The address is the first field: unique values, counted.", "awk prints field 1; sort -u and wc -l count the distinct ones."]), f"awk '{{print $1}}' {name} | sort -u | wc -l")
        steps.answer(say(rng, ["wc printed {n}.", "There are {n} distinct addresses.", "{n} unique clients."], n=n), str(n))
        return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files={name: text})
    lines = _app_log(rng, rng.randint(8, 40))
    if not any(line.split()[2] == "ERROR" for line in lines):
        lines[-1] = _as_error(lines[-1])
    text = "\n".join(lines) + "\n"
    if kind == "errors":
        n = sum(line.split()[2] == "ERROR" for line in lines)
        instruction = say(rng, ["How many ERROR lines does {name} have?", "Count the log entries of level ERROR in {name}.", "In {name}, how many lines are errors?", "Tell me how many errors {name} recorded."], name=name) + " " + form(rng, "number")
        opening(f"grep -c ERROR {name}")
        steps.shell(say(rng, ["grep -c counts the ERROR lines.", "Count lines with the level ERROR."]), f"grep -c ' ERROR ' {name}")
        steps.answer(say(rng, ["grep printed {n}.", "{name} has {n} ERROR lines.", "The count is {n}."], n=n, name=name), str(n))
        return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files={name: text})
    if kind == "first_error":
        first = next(line for line in lines if line.split()[2] == "ERROR")
        time = first.split()[1]
        instruction = say(rng, ["At what time was the first ERROR logged in {name}? Give it as HH:MM:SS.", "When did {name} record its first error? Reply with the time, HH:MM:SS.", "Find the first ERROR line of {name} and give its time (HH:MM:SS)."], name=name)
        opening(f"grep -m 1 ERROR {name}")
        steps.shell(say(rng, ["grep -m 1 stops at the first ERROR line.", "Print only the first ERROR line."]), f"grep -m 1 ' ERROR ' {name}")
        steps.answer(say(rng, ["The first ERROR line is at {t}.", "It was logged at {t}.", "grep shows {t} on the first error."], t=time), time)
        return Draft(instruction, [{"type": "answer", "expected": time}], steps.items, files={name: text})
    warns = Counter(line.split()[3] for line in lines if line.split()[2] in ("WARN", "ERROR"))
    ranked = warns.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        lines.append(next(line for line in lines if line.split()[3] == ranked[0][0] and line.split()[2] in ("WARN", "ERROR")))
        text = "\n".join(lines) + "\n"
    top = ranked[0][0]
    instruction = say(rng, ["Which component logged the most WARN or ERROR lines in {name}?", "In {name} the fourth field is the component. Which one has the most warnings and errors combined?", "Find the component with the most WARN plus ERROR entries in {name}."], name=name) + " " + form(rng, "name")
    opening(f"head -n 4 {name}")
    steps.shell(say(rng, ["Keep WARN and ERROR lines, take field 4, count per component.", "awk filters the levels and prints the component; uniq -c counts."]), f"awk '$3 == \"WARN\" || $3 == \"ERROR\" {{print $4}}' {name} | sort | uniq -c | sort -rn | head -n 3")
    steps.answer(say(rng, ["{c} is at the top.", "{c} has the most.", "The counts put {c} first."], c=top), top)
    return Draft(instruction, [{"type": "answer", "expected": top}], steps.items, files={name: text})


# Archives ---------------------------------------------------------------------------


def archives(rng: random.Random) -> Draft:
    kind = rng.choice(["tar_count", "tar_read", "tar_create", "gzip_lines", "zip_count", "zip_extract"])
    steps = Steps(rng)
    root = folder_name(rng)
    members = {f"{root}/{word}.{rng.choice(['txt', 'md', 'csv'])}": f"{rng.choice(WORDS)} {rng.randint(10, 99)}\n" for word in rng.sample(WORDS, rng.randint(3, 7))}
    for word in rng.sample(WORDS, rng.randint(1, 3)):
        members[f"{root}/{rng.choice(WORDS)}/{word}.txt"] = f"{word} {rng.randint(10, 99)}\n"
    stem = file_name(rng, "x").removesuffix(".x")
    if kind in ("tar_count", "tar_read"):
        archive = f"{stem}.tar.gz"
        setup = [f"tar -czf {archive} {root} && rm -r {root}"]
        if kind == "tar_count":
            n = len(members)
            instruction = say(rng, ["How many files (not folders) does {a} contain?", "Count the regular files inside the archive {a}.", "{a} is a compressed tar archive. How many files are in it, folders aside?"], a=archive) + " " + form(rng, "number")
            if steps.mistake:
                steps.shell(say(rng, ["Try unzip -l on {a}.", "List {a} with unzip."], a=archive), f"unzip -l {archive}", error=True)
                steps.shell(say(rng, ["It is not a zip file; .tar.gz needs tar. List it with tar -tzf.", "unzip cannot read a tar.gz. Use tar -tzf."]), f"tar -tzf {archive}")
            elif steps.look:
                steps.shell(say(rng, ["List the archive first.", "See what {a} holds."], a=archive), f"tar -tzf {archive}")
            steps.shell(say(rng, ["Folder entries end in /; count the rest.", "tar -tzf lists entries; drop folders, count files."]), f"tar -tzf {archive} | grep -v '/$' | wc -l")
            steps.answer(say(rng, ["wc printed {n}.", "The archive holds {n} files.", "{n} files, folders excluded."], n=n), str(n))
            return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files=members, commands=setup)
        inside = rng.choice(sorted(members))
        content = members[inside].strip()
        base = inside.rsplit("/", 1)[1]
        instruction = say(rng, ["The archive {a} contains a file named {b} somewhere. What does it say?", "Read the file {b} from inside {a} without unpacking everything. What text is in it?", "What is written in {b}, which is packed inside {a}?"], a=archive, b=base) + " " + form(rng, "text")
        steps.shell(say(rng, ["List the archive to find the full path of {b}.", "Find where {b} sits inside {a}."], b=base, a=archive), f"tar -tzf {archive}")
        steps.shell(say(rng, ["tar -xzOf prints one member to stdout.", "Print {p} from the archive with -O."], p=inside), f"tar -xzOf {archive} {inside}")
        steps.answer(say(rng, ["The file says: {c}", "tar printed {c}.", "Its text is {c}."], c=content), content)
        return Draft(instruction, [{"type": "answer", "expected": content}], steps.items, files=members, commands=setup)
    if kind == "tar_create":
        archive = f"{stem}.tar.gz"
        instruction = say(rng, ["Pack the folder {r}/ with everything in it into a gzip-compressed tar archive called {a}.", "Create {a}, a .tar.gz of the {r}/ folder.", "Make a compressed tarball {a} holding {r}/ and its files."], r=root, a=archive)
        if steps.look:
            steps.list_folder(root)
        steps.shell(say(rng, ["tar -czf creates the gzip-compressed archive.", "Create the archive with tar -czf."]), f"tar -czf {archive} {root}")
        steps.shell(say(rng, ["List it to check the files are inside.", "Check the archive's contents."]), f"tar -tzf {archive}")
        steps.done()
        sample = rng.choice(sorted(members))
        check = {"type": "command", "run": f"tar -tzf {archive} | grep -Eq '^(\\./)?{sample}$'"}
        return Draft(instruction, [check], steps.items, files=members)
    if kind == "gzip_lines":
        name = file_name(rng, "txt")
        lines = [" ".join(rng.sample(WORDS, 3)) for _ in range(rng.randint(5, 200))]
        instruction = say(rng, ["{n}.gz is a gzip-compressed text file. How many lines does it have once decompressed?", "Count the lines inside {n}.gz.", "How many lines are in the compressed file {n}.gz?"], n=name) + " " + form(rng, "number")
        if steps.mistake:
            steps.shell(say(rng, ["Count with wc -l on {n}.", "wc -l {n} should do it."], n=name), f"wc -l {name}", error=True)
            steps.shell(say(rng, ["Only the .gz exists. List the workspace.", "No plain file. See what is there."]), "ls")
        elif steps.look:
            steps.shell(say(rng, ["Peek at the decompressed start.", "zcat the first lines to see it."]), f"zcat {name}.gz | head -n 3")
        steps.shell(say(rng, ["zcat decompresses to stdout; wc -l counts.", "Count the decompressed lines."]), f"zcat {name}.gz | wc -l")
        steps.answer(say(rng, ["wc printed {n}.", "It has {n} lines.", "{n} lines once decompressed."], n=len(lines)), str(len(lines)))
        return Draft(instruction, [{"type": "numeric", "expected": len(lines)}], steps.items, files={name: "\n".join(lines) + "\n"}, commands=[f"gzip {name}"])
    archive = f"{stem}.zip"
    setup = [f"zip -qrD {archive} {root} && rm -r {root}"]
    if kind == "zip_count":
        n = len(members)
        instruction = say(rng, ["How many files are packed in {a}?", "Count the files inside the zip archive {a}.", "{a} holds some files. How many?"], a=archive) + " " + form(rng, "number")
        if steps.mistake:
            steps.shell(say(rng, ["List it with tar -tzf.", "Try tar on {a}."], a=archive), f"tar -tzf {archive}", error=True)
            steps.shell(say(rng, ["tar cannot read a zip. unzip -l lists it and counts the files.", "It is a zip, not a tarball: use unzip -l."]), f"unzip -l {archive}")
        else:
            steps.shell(say(rng, ["unzip -l lists the files with a total at the end.", "List {a}; the last line counts the files."], a=archive), f"unzip -l {archive}")
        steps.answer(say(rng, ["The total line says {n} files.", "unzip -l counts {n} files.", "{n} files in the archive."], n=n), str(n))
        return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files=members, commands=setup)
    inside = rng.choice(sorted(members))
    instruction = say(rng, ["Extract just {p} from {a}, keeping its folder path. Leave the other files packed.", "From {a}, unpack only the file {p} (to {p}).", "Take {p} out of {a} and nothing else."], p=inside, a=archive)
    if steps.look:
        steps.shell(say(rng, ["List the archive first.", "See the paths inside {a}."], a=archive), f"unzip -l {archive}")
    steps.shell(say(rng, ["unzip with a member name extracts only that file.", "Name the one member on the unzip command line."]), f"unzip {archive} {inside}")
    steps.shell(say(rng, ["Check what is on disk now.", "Confirm only that file came out."]), f"find {root} -type f")
    steps.done()
    others = [path for path in members if path != inside]
    checks = [{"type": "file", "path": inside, "equals": members[inside]}, {"type": "command", "run": f"test ! -e {others[0]}"}]
    return Draft(instruction, checks, steps.items, files=members, commands=setup)


# Permissions ------------------------------------------------------------------------

PERMISSION_WORDS = {"7": "rwx", "6": "rw", "5": "r-x", "4": "r", "0": "nothing"}
MODES = {"600": "only the owner can read and write it", "640": "the owner can read and write, the group can read, others get nothing", "700": "only the owner may read, write and execute it", "750": "the owner has full rights, the group can read and execute, others have none", "644": "everyone can read it but only the owner can write"}


def permissions(rng: random.Random) -> Draft:
    kind = rng.choice(["not_executable", "make_run", "set_mode", "mode_of", "world_writable"])
    steps = Steps(rng)
    root = folder_name(rng)
    if kind == "make_run":
        script = script_name(rng)
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        word = rng.choice(WORDS)
        output = f"{word} {a * b}"
        instruction = say(rng, ["Make {s} executable and run it as ./{s}. What output do you get?", "{s} is not executable yet. Fix that, execute it directly, and tell me its output.", "Give {s} execute permission, run ./{s}, and report what it prints."], s=script) + " " + form(rng, "text")
        if steps.mistake:
            steps.shell(say(rng, ["Run ./{s}.", "Execute ./{s} directly."], s=script), f"./{script}", error=True)
            steps.shell(say(rng, ["Permission denied: it needs the execute bit. chmod +x, then run.", "Not executable yet; add +x and run again."]), f"chmod +x {script} && ./{script}")
        else:
            if steps.look:
                steps.shell(say(rng, ["Check its current permissions.", "See the mode of {s}."], s=script), f"ls -l {script}")
            steps.shell(say(rng, ["chmod +x, then run it.", "Add the execute bit and run ./{s}."], s=script), f"chmod +x {script} && ./{script}")
        steps.answer(say(rng, ["It printed {o}.", "The output is {o}.", "./{s} printed {o}."], o=output, s=script), output)
        checks = [{"type": "answer", "expected": output}, {"type": "command", "run": f"test -x {script}"}]
        return Draft(instruction, checks, steps.items, files={script: f"#!/bin/bash\necho \"{word} $(( {a} * {b} ))\"\n"})
    names = rng.sample(WORDS, rng.randint(3, 6))
    if kind == "not_executable":
        odd = rng.choice(names)
        files = {f"{root}/{name}": f"#!/bin/sh\necho {name}\n" for name in names}
        setup = [f"chmod 755 {root}/*", f"chmod 644 {root}/{odd}"]
        instruction = say(rng, ["All files in {r}/ should be executable, but one is not. Which?", "Find the file in {r}/ that lacks the execute permission.", "One script in {r}/ cannot be executed. Name it."], r=root) + " " + form(rng, "name")
        if steps.look:
            steps.shell(say(rng, ["ls -l shows the permission bits.", "Look at the modes in {r}/."], r=root), f"ls -l {root}")
        else:
            steps.shell(say(rng, ["find ! -perm -u+x lists files the owner cannot execute.", "Ask find for files without the user execute bit."]), f"find {root} -type f ! -perm -u+x")
        steps.answer(say(rng, ["{f} is the one without x.", "Only {f} lacks the execute bit.", "{f} is not executable."], f=odd), odd)
        return Draft(instruction, [{"type": "answer", "expected": [odd, f"{root}/{odd}"]}], steps.items, files=files, commands=setup)
    if kind == "world_writable":
        writable = rng.sample(names, rng.randint(1, len(names) - 1))
        files = {f"{root}/{name}.txt": f"{name}\n" for name in names}
        setup = [f"chmod 644 {root}/*", *(f"chmod 666 {root}/{name}.txt" for name in writable)]
        instruction = say(rng, ["How many files in {r}/ can be written by anyone (others have write permission)?", "Count the world-writable files in {r}/.", "In {r}/, how many files give write access to others?"], r=root) + " " + form(rng, "number")
        if steps.look:
            steps.shell(say(rng, ["ls -l shows who may write.", "Look at the modes first."]), f"ls -l {root}")
        steps.shell(say(rng, ["find -perm -o+w selects files others can write; wc counts them.", "Count files with the others-write bit."]), f"find {root} -type f -perm -o+w | wc -l")
        steps.answer(say(rng, ["wc printed {n}.", "{n} files are world-writable.", "There are {n}."], n=len(writable)), str(len(writable)))
        return Draft(instruction, [{"type": "numeric", "expected": len(writable)}], steps.items, files=files, commands=setup)
    target = file_name(rng, rng.choice(["txt", "env", "conf"]))
    if kind == "mode_of":
        mode = rng.choice(sorted(MODES))
        instruction = say(rng, ["What are the permissions of {t} in octal (like 755)?", "Give the octal mode of {t}.", "Which numeric permission mode does {t} have?"], t=target) + " " + form(rng, "number")
        if steps.look:
            steps.shell(say(rng, ["ls -l shows the bits.", "Check the file with ls -l first."]), f"ls -l {target}")
        steps.shell(say(rng, ["stat -c %a prints the octal mode.", "Read the mode with stat."]), f"stat -c %a {target}")
        steps.answer(say(rng, ["stat printed {m}.", "The mode is {m}.", "{t} has mode {m}."], m=mode, t=target), mode)
        return Draft(instruction, [{"type": "answer", "expected": mode}], steps.items, files={target: "k=v\n"}, commands=[f"chmod {mode} {target}"])
    mode = rng.choice(sorted(MODES))
    instruction = say(rng, ["Change the permissions of {t} so that {d}.", "Set the mode of {t}: {d}.", "Fix the permissions on {t} so {d}."], t=target, d=MODES[mode])
    if steps.look:
        steps.shell(say(rng, ["Check the current mode.", "See the permissions now."]), f"ls -l {target}")
    # The digits worked out one class at a time: the tuned model picked 750 for "only the owner" when it jumped to a number.
    digits = ", ".join(f"{who} {PERMISSION_WORDS[digit]} = {digit}" for who, digit in zip(("Owner", "group", "others"), mode))
    steps.shell(say(rng, ["{d}: that is mode {m}.", "{d}, so in octal {m}; chmod it."], d=digits, m=mode), f"chmod {mode} {target}")
    steps.shell(say(rng, ["Confirm with stat.", "Check the new mode."]), f"stat -c %a {target}")
    steps.done()
    return Draft(instruction, [{"type": "command", "run": f'[ "$(stat -c %a {target})" = {mode} ]'}], steps.items, files={target: "k=v\n"}, commands=[f"chmod 666 {target}"])


# Processes --------------------------------------------------------------------------


def processes(rng: random.Random) -> Draft:
    kind = rng.choice(["exit_code", "timeout", "env", "stderr_count", "stdout_only", "background"])
    steps = Steps(rng)
    script = script_name(rng)
    run = "bash"
    if steps.mistake and kind in ("exit_code", "env", "stdout_only"):
        steps.shell(say(rng, ["Run ./{s}.", "Execute ./{s}."], s=script), f"./{script}", error=True)
        steps.shell(say(rng, ["Permission denied: it is not executable. Look at it.", "./{s} cannot be executed; read the script instead."], s=script), f"cat {script}")
    elif steps.look and kind != "background":
        steps.shell(say(rng, ["Read the script first.", "See what {s} does.", "Look at {s} before running it."], s=script), f"cat {script}")
    if kind == "exit_code":
        code = rng.randint(1, 9)
        needed = file_name(rng, "conf")
        body = f"#!/bin/bash\necho 'checking {needed}'\n[ -f {needed} ] || exit {code}\nexit 0\n"
        instruction = say(rng, ["Run {s} with bash. Which exit code does it return?", "What exit status does {s} end with when run by bash?", "Execute {s} using bash and tell me its exit code."], s=script) + " " + form(rng, "number")
        steps.shell(say(rng, ["Run it and print $? right after.", "echo $? shows the exit code."]), f"{run} {script}; echo $?")
        steps.answer(say(rng, ["The last line is the exit code, {c}.", "It exited with {c}.", "$? was {c}."], c=code), str(code))
        return Draft(instruction, [{"type": "numeric", "expected": code}], steps.items, files={script: body})
    if kind == "timeout":
        limit = rng.randint(1, 2)
        finishes = rng.random() < 0.4
        code = rng.randint(2, 9)
        body = f"#!/bin/bash\necho started\n{'exit ' + str(code) if finishes else 'sleep 40'}\n"
        expected = code if finishes else 124
        instruction = say(rng, ["Run {s} with bash under the timeout command with a limit of {l} seconds. What exit status do you get?", "Use timeout to give {s} at most {l} seconds (run it with bash). Which exit code results?", "Limit {s} to {l} seconds with timeout and bash; report the exit status.", "Put a {l}-second limit on {s} with the timeout command. Which exit status comes back?"], s=script, l=limit) + " " + form(rng, "number")
        if steps.mistake:
            steps.shell(say(rng, ["timeout {l} {s}, then echo $?.", "Run {s} under timeout."], l=limit, s=script), f"timeout {limit} {script}", error=True)
            steps.shell(say(rng, ["timeout could not start {s}: it is not a command on the PATH. Run it through bash.", "No such command: {s} needs bash in front of it."], s=script), f"timeout {limit} bash {script}; echo $?")
        else:
            steps.shell(say(rng, ["timeout {l} bash, then echo $?.", "Run it under timeout and print the status."], l=limit), f"timeout {limit} bash {script}; echo $?")
        steps.answer(say(rng, ["The status printed is {c}.", "timeout reported {c}.", "It ended with {c}."], c=expected), str(expected))
        return Draft(instruction, [{"type": "numeric", "expected": expected}], steps.items, files={script: body}, max_steps=8)
    if kind == "env":
        variable = rng.choice(["TARGET", "REGION", "STAGE", "PROFILE", "LABEL"])
        value = rng.choice([rng.choice(WORDS), rng.choice(PEOPLE)])  # values keep their case: Vera, not vera
        body = f'#!/bin/bash\nif [ -z "${variable}" ]; then echo "{variable} is not set" >&2; exit 2; fi\necho "using ${{{variable}}} at level {rng.randint(1, 9)}"\n'
        output = f"using {value} at level {body.split('level ')[1].split(chr(34))[0]}"
        instruction = say(rng, ["Run {s} with bash and the environment variable {v} set to {x}. What is printed?", "Set {v}={x} in the environment and run {s} with bash. What is the output?", "What does {s} print when run by bash with {v} set to {x}?"], s=script, v=variable, x=value) + " " + form(rng, "line")
        steps.shell(say(rng, ["Set the variable just for this command.", "Prefix the command with {v}={x}."], v=variable, x=value), f"{variable}={value} bash {script}")
        steps.answer(say(rng, ["It printed: {o}", "The output is {o}.", "{s} printed {o}."], o=output, s=script), output)
        return Draft(instruction, [{"type": "answer", "expected": output}], steps.items, files={script: body})
    lines = [(rng.choice(["out", "err"]), f"{rng.choice(WORDS)} {rng.randint(1, 99)}") for _ in range(rng.randint(3, 9))]
    lines[0], lines[-1] = ("out", lines[0][1]), ("err", lines[-1][1])
    body = "#!/bin/bash\n" + "".join(f"echo '{text}'\n" if stream == "out" else f"echo '{text}' >&2\n" for stream, text in lines)
    if kind == "stderr_count":
        n = sum(stream == "err" for stream, _ in lines)
        instruction = say(rng, ["How many lines does {s} write to standard error when run with bash?", "Run {s} with bash: how many of its lines go to stderr?", "Count the stderr lines of {s} (run it with bash)."], s=script) + " " + form(rng, "number")
        steps.shell(say(rng, ["Send stderr into the pipe and drop stdout, then count.", "2>&1 >/dev/null keeps only stderr for wc."]), f"bash {script} 2>&1 >/dev/null | wc -l")
        steps.answer(say(rng, ["wc counted {n} stderr lines.", "{n} lines go to stderr.", "It writes {n} lines on stderr."], n=n), str(n))
        return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files={script: body})
    out_lines = [text for stream, text in lines if stream == "out"]
    if kind == "stdout_only":
        result = file_name(rng, "txt")
        instruction = say(rng, ["Run {s} with bash and save only its standard output to {r}, without the stderr lines.", "Capture the stdout of {s} (run with bash) in {r}; discard stderr.", "Write what {s} prints on stdout into {r} (bash {s}); errors must not go in."], s=script, r=result)
        steps.shell(say(rng, ["Redirect stdout to {r} and stderr to /dev/null.", "> {r} keeps stdout; 2>/dev/null drops stderr."], r=result), f"bash {script} > {result} 2>/dev/null")
        steps.shell(say(rng, ["Check the file.", "Look at {r}."], r=result), f"cat {result}")
        steps.done()
        return Draft(instruction, [{"type": "file", "path": result, "equals": "\n".join(out_lines) + "\n"}], steps.items, files={script: body})
    # background jobs: two scripts, each appends its line after a pause
    other = script_name(rng)
    while other == script:
        other = script_name(rng)
    out = file_name(rng, "txt")
    first, second = rng.randint(10, 99), rng.randint(10, 99)
    files = {script: f"#!/bin/bash\nsleep 1\necho {first} >> {out}\n", other: f"#!/bin/bash\nsleep 1\necho {second} >> {out}\n"}
    instruction = say(rng, ["Start {a} and {b} with bash in the background at the same time, wait for both, then add up the two numbers they wrote to {o}.", "Run {a} and {b} in parallel (bash, background jobs), wait until both finish, and give the sum of the numbers in {o}.", "Launch {a} and {b} as background jobs with bash, wait for them, then sum the numbers in {o}."], a=script, b=other, o=out) + " " + form(rng, "number")
    if steps.look:
        steps.shell(say(rng, ["Read both scripts first.", "See what the two scripts do."]), f"cat {script} {other}")
    steps.shell(say(rng, ["& starts each in the background; wait blocks until both are done; then sum.", "Background both, wait, then add the lines with awk."]), f"bash {script} & bash {other} & wait; awk '{{s+=$1}} END {{print s}}' {out}")
    steps.answer(say(rng, ["awk printed {n}, the sum.", "The two numbers add up to {n}.", "The sum is {n}."], n=first + second), str(first + second))
    checks = [{"type": "numeric", "expected": first + second}, {"type": "command", "run": f"[ $(wc -l < {out}) -eq 2 ]"}]
    return Draft(instruction, checks, steps.items, files=files)

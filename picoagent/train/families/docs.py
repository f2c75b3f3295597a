"""Questions over a folder of documents, and tasks that chain two skills (find, then count; unpack, then read)."""

from __future__ import annotations

import random

from picoagent.train.builder import CITIES, ITEMS, PEOPLE, WORDS, Draft, Steps, file_name, folder_name, form, say

# (keyword the answer line holds, the sentence stating the fact, questions about it, answer kind, value)
# The keyword is in both the sentence and every question: searching the folder for it finds the line.
FACTS = [
    ("parking", "Each team may book up to {v} parking spaces per day.", ["How many parking spaces may a team book per day?", "What is the daily limit of parking spaces per team?"], "number", lambda r: r.randint(2, 9)),
    ("overtime", "Overtime is paid at {v} percent of the hourly rate.", ["At what percent of the hourly rate is overtime paid?", "Which percentage applies to overtime pay?"], "number", lambda r: r.choice([125, 140, 150, 175, 200])),
    ("gym", "The gym subsidy is {v} EUR per month.", ["How many EUR per month is the gym subsidy?", "What monthly amount does the gym subsidy pay?"], "number", lambda r: r.randint(15, 60)),
    ("sabbatical", "A sabbatical can last at most {v} months.", ["How many months can a sabbatical last at most?", "What is the longest sabbatical allowed, in months?"], "number", lambda r: r.randint(2, 12)),
    ("badge", "A lost badge costs {v} EUR to replace.", ["What does replacing a lost badge cost, in EUR?", "How many EUR is charged for a lost badge?"], "number", lambda r: r.randint(5, 40)),
    ("on-call", "An on-call shift lasts {v} hours.", ["How many hours does an on-call shift last?", "What is the length of one on-call shift in hours?"], "number", lambda r: r.choice([8, 12, 24, 48])),
    ("training budget", "The yearly training budget per person is {v} EUR.", ["How large is the yearly training budget per person, in EUR?", "What training budget does each person get per year?"], "number", lambda r: r.randint(5, 30) * 100),
    ("meeting room", "The largest meeting room seats {v} people.", ["How many people does the largest meeting room seat?", "What is the capacity of the biggest meeting room?"], "number", lambda r: r.randint(8, 40)),
    ("notice period", "The notice period is {v} weeks.", ["How many weeks is the notice period?", "What notice period applies, in weeks?"], "number", lambda r: r.randint(2, 12)),
    ("coffee", "The office coffee budget is {v} EUR per quarter.", ["How many EUR per quarter is the coffee budget?", "What is the quarterly coffee budget?"], "number", lambda r: r.randint(2, 9) * 50),
    ("helpdesk", "Questions about accounts go to the helpdesk at {v}.", ["Which address does the helpdesk use?", "What is the email address of the helpdesk?"], "text", lambda r: f"{r.choice(['help', 'desk', 'support', 'it'])}@{r.choice(WORDS)}.example"),
    ("mentor", "Every newcomer gets a mentor; this year the mentor program is run by {v}.", ["Who runs the mentor program?", "Which person leads the mentor program this year?"], "text", lambda r: r.choice(PEOPLE)),
    ("offsite", "The team offsite takes place in {v}.", ["In which city is the team offsite?", "Where does the team offsite take place?"], "text", lambda r: r.choice(CITIES)),
    ("freeze", "The code freeze starts on {v}.", ["On which date does the code freeze start?", "When does the code freeze begin? Use the date as written."], "text", lambda r: f"2031-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"),
    ("codename", "The next release has the codename {v}.", ["What is the codename of the next release?", "Which codename does the next release carry?"], "text", lambda r: r.choice(WORDS).title()),
]
FILLER = [
    "Please keep shared spaces tidy.", "Questions about this page go to your lead.", "This page is reviewed every year.",
    "Visitors sign in at the front desk.", "The kitchen is cleaned on Fridays.", "Printers are on every floor.",
    "Team photos are on the intranet.", "Bikes go in the courtyard.", "All dates are in UTC.",
]
DOC_TITLES = ["policies", "team_guide", "faq", "office_notes", "benefits", "runbook", "welcome", "practices", "calendar_notes"]


def _documents(rng: random.Random, folder: str) -> tuple[dict[str, str], str, list[str], str, str]:
    """A folder of 2-4 documents holding facts: the files, and one fact's keyword, questions, kind and value."""
    facts = rng.sample(FACTS, rng.randint(3, 6))
    titles = rng.sample(DOC_TITLES, rng.randint(2, 4))
    extensions = [rng.choice(["md", "txt"]) for _ in titles]
    bodies: list[list[str]] = [[f"# {t.replace('_', ' ').title()}", ""] if e == "md" else [t.replace("_", " ").upper(), ""] for t, e in zip(titles, extensions)]
    chosen = None
    for index, (keyword, sentence, questions, kind, make) in enumerate(facts):
        value = str(make(rng))
        body = rng.choice(bodies)
        body.extend([rng.choice(FILLER), sentence.format(v=value)])
        if index == 0:
            chosen = (keyword, questions, kind, value)
    for body in bodies:
        body.append(rng.choice(FILLER))
    files = {f"{folder}/{t}.{e}": "\n".join(b) + "\n" for t, e, b in zip(titles, extensions, bodies)}
    keyword, questions, kind, value = chosen
    return files, keyword, questions, kind, value


def documents(rng: random.Random) -> Draft:
    folder = folder_name(rng)
    if rng.random() < 0.3:
        return _stock_list(rng, folder)
    files, keyword, questions, kind, value = _documents(rng, folder)
    opening = say(rng, [
        "The {d}/ folder has a few team documents. ",
        "Some internal notes are in {d}/. ",
        "Look through the documents in {d}/. ",
        "The files under {d}/ describe how the team works. ",
    ], d=folder)
    instruction = opening + rng.choice(questions) + " " + form(rng, "number" if kind == "number" else "value")
    steps = Steps(rng)
    if steps.look:
        steps.list_folder(folder)
    if steps.mistake:
        wrong = rng.choice(["pension", "bonus", "locker", "shuttle", "laundry", "uniform"])
        steps.shell(say(rng, ["Search the folder for {w}.", "Maybe the page says {w}; grep for it."], w=wrong), f"grep -rni {wrong} {folder}/", error=True)
        steps.shell(say(rng, ["No match for {w}. Search for {k} instead, the word in the question.", "Nothing found. The question is about {k}: grep that."], w=wrong, k=keyword), f"grep -rni '{keyword}' {folder}/")
    else:
        steps.shell(say(rng, [
            "Search every document for {k}, ignoring case.",
            "grep -rni finds the line about {k} and its file.",
            "The question is about {k}; grep the folder for it.",
        ], k=keyword), f"grep -rni '{keyword}' {folder}/")
    steps.answer(say(rng, ["The matching line says {v}.", "grep found the sentence: it is {v}.", "The document states {v}."], v=value), value)
    check = {"type": "numeric", "expected": float(value)} if kind == "number" else {"type": "answer", "expected": value}
    return Draft(instruction, [check], steps.items, files=files)


def _stock_list(rng: random.Random, folder: str) -> Draft:
    """A CSV among the documents: sum or count over it, after finding it and reading its header."""
    name = file_name(rng, "csv")
    categories = rng.sample(["tools", "camping", "kitchen", "lighting", "textiles", "spares"], 3)
    columns = rng.sample(["item", "category", "units"], 3)
    rows = [{"item": item, "category": rng.choice(categories), "units": rng.choice([0, 0, *range(1, 40)])} for item in rng.sample(ITEMS, rng.randint(5, 10))]
    csv_text = ",".join(columns) + "\n" + "".join(",".join(str(row[c]) for c in columns) + "\n" for row in rows)
    files, *_ = _documents(rng, folder)
    files[f"{folder}/{name}"] = csv_text
    path = f"{folder}/{name}"
    category_k, units_k = columns.index("category") + 1, columns.index("units") + 1
    steps = Steps(rng)
    steps.list_folder(folder)
    steps.shell(say(rng, ["{n} is the stock list; read its header.", "Look at the columns of {n}.", "head shows which field is which in {n}."], n=name), f"head -n 3 {path}")
    if rng.random() < 0.5:
        category = rng.choice(categories)
        answer = sum(row["units"] for row in rows if row["category"] == category)
        question = say(rng, ["How many units of {c} items are in stock in total?", "What is the total number of units in the {c} category?"], c=category)
        steps.shell(say(rng, ["category is field {a}, units field {b}: sum the units of {c}.", "awk adds field {b} where field {a} is {c}."], a=category_k, b=units_k, c=category), f"awk -F, '${category_k} == \"{category}\" {{s += ${units_k}}} END {{print s + 0}}' {path}")
    else:
        answer = sum(row["units"] == 0 for row in rows)
        question = say(rng, ["How many items in the stock list have 0 units?", "Count the stock list items that are out of stock (0 units)."])
        steps.shell(say(rng, ["units is field {b}: count the rows where it is 0.", "awk counts data rows whose field {b} is 0."], b=units_k), f"awk -F, 'NR > 1 && ${units_k} == 0' {path} | wc -l")
    steps.answer(say(rng, ["awk printed {n}.", "The result is {n}.", "That gives {n}."], n=answer), str(answer))
    instruction = say(rng, ["The {d}/ folder holds team documents and a stock list. ", "Among the files in {d}/ is a stock list. "], d=folder) + question + " " + form(rng, "number")
    return Draft(instruction, [{"type": "numeric", "expected": answer}], steps.items, files=files)


def multi_step(rng: random.Random) -> Draft:
    """Two skills in a row: find the file, then count in it; unpack an archive, then read what is inside."""
    folder = folder_name(rng)
    steps = Steps(rng)
    if rng.random() < 0.5:
        words = rng.sample(WORDS, 6)
        marker = words[0]
        names = [file_name(rng, "txt") for _ in range(rng.randint(3, 5))]
        names = list(dict.fromkeys(names))
        target = rng.choice(names)
        files = {}
        for name in names:
            lines = [" ".join(rng.choices(words[1:], k=rng.randint(2, 5))) for _ in range(rng.randint(3, 15))]
            if name == target:
                lines.insert(rng.randrange(len(lines) + 1), f"{marker} {rng.choice(words[1:])}")
            files[f"{folder}/{name}"] = "\n".join(lines) + "\n"
        count = files[f"{folder}/{target}"].count("\n")
        instruction = say(rng, [
            "One file in {d}/ mentions {m}. How many lines does that file have?",
            "Find the file under {d}/ that contains the word {m}, then count its lines.",
            "Which file in {d}/ has {m} in it? Tell me its number of lines.",
        ], d=folder, m=marker) + " " + form(rng, "number")
        steps.shell(say(rng, ["First find which file holds {m}.", "grep -rl lists the file with {m}."], m=marker), f"grep -rl {marker} {folder}/")
        steps.shell(say(rng, ["It is {f}; count its lines.", "Now wc -l on {f}."], f=target), f"wc -l < {folder}/{target}")
        steps.answer(say(rng, ["wc printed {n}.", "{f} has {n} lines."], n=count, f=target), str(count))
        return Draft(instruction, [{"type": "numeric", "expected": count}], steps.items, files=files)
    archive = file_name(rng, "tar.gz")
    inner = file_name(rng, "csv")
    values = [rng.randint(1, 99) for _ in range(rng.randint(3, 9))]
    column = rng.choice(["points", "hours", "units", "score"])
    csv_text = f"name,{column}\n" + "".join(f"{rng.choice(PEOPLE)},{v}\n" for v in values)
    total = sum(values)
    instruction = say(rng, [
        "{a} holds a CSV file. What is the sum of its {c} column?",
        "Unpack {a} and add up the {c} column of the CSV inside.",
        "Inside {a} is a CSV with a {c} column. What does that column total?",
    ], a=archive, c=column) + " " + form(rng, "number")
    steps.shell(say(rng, ["List the archive first.", "See what {a} contains.", "tar -tzf shows the members of {a}."], a=archive), f"tar -tzf {archive}")
    steps.shell(say(rng, ["Extract it.", "Unpack the archive here."]), f"tar -xzf {archive}")
    steps.shell(say(rng, ["Sum the second field, skipping the header.", "awk adds up {c}."], c=column), f"awk -F, 'NR > 1 {{s += $2}} END {{print s}}' {folder}/{inner}")
    steps.answer(say(rng, ["awk printed {n}.", "The {c} total is {n}."], n=total, c=column), str(total))
    return Draft(
        instruction,
        [{"type": "numeric", "expected": total}],
        steps.items,
        files={f"{folder}/{inner}": csv_text},
        commands=[f"tar -czf {archive} {folder} && rm -r {folder}"],
    )

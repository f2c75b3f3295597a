"""Structured data: CSV with awk and cut, JSON with jq, SQLite with the sqlite3 CLI (schema first)."""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass

from picoagent.train.builder import CITIES, ITEMS, PEOPLE, TEAMS, Draft, Steps, file_name, form, misspelled, say

# CSV columns: name -> (values, what the instruction calls it, the wrong name a hurried reader guesses).
TEXT_COLUMNS = {"name": (PEOPLE, "name", "person"), "city": (CITIES, "city", "town"), "item": (ITEMS, "item", "product"), "team": (TEAMS, "team", "group")}
NUMBER_COLUMNS = {"qty": ((1, 40), "quantity", "quantity"), "price": ((2, 300), "price", "unit_price"), "score": ((0, 100), "score", "points"), "hours": ((1, 12), "hours", "time")}


def _table(rng: random.Random) -> tuple[list[str], list[dict[str, object]]]:
    # Two to five columns: with always four, the tuned model learned "field 3" rather than reading the header.
    columns = rng.sample(sorted(TEXT_COLUMNS), rng.randint(1, 2)) + rng.sample(sorted(NUMBER_COLUMNS), rng.randint(1, 3))
    rng.shuffle(columns)
    rows = []
    for _ in range(rng.randint(6, 22)):
        row: dict[str, object] = {}
        for column in columns:
            if column in TEXT_COLUMNS:
                row[column] = rng.choice(TEXT_COLUMNS[column][0][: rng.randint(3, 8)])
            else:
                low, high = NUMBER_COLUMNS[column][0]
                row[column] = rng.randint(low, high)
        rows.append(row)
    return columns, rows


def _csv_text(columns: list[str], rows: list[dict[str, object]]) -> str:
    return "\n".join([",".join(columns), *(",".join(str(row[c]) for c in columns) for row in rows)]) + "\n"


def csv(rng: random.Random) -> Draft:
    columns, rows = _table(rng)
    name = file_name(rng, "csv")
    text_column = rng.choice([c for c in columns if c in TEXT_COLUMNS])
    number_column = rng.choice([c for c in columns if c in NUMBER_COLUMNS])
    text_k, number_k = columns.index(text_column) + 1, columns.index(number_column) + 1
    number_word, wrong_column = NUMBER_COLUMNS[number_column][1], NUMBER_COLUMNS[number_column][2]
    text_word = TEXT_COLUMNS[text_column][1]
    kind = rng.choice(["sum", "top", "distinct", "rows", "filter", "max"])
    steps = Steps(rng)
    # Without a look at the header the instruction must name the columns; with one it need not.
    shown = "" if steps.look or steps.mistake else say(rng, ["{name} has the columns {header}. ", "The columns of {name} are {header}. ", "Columns in {name}: {header}. "], name=name, header=",".join(columns))
    if steps.mistake and kind in ("sum", "top", "max"):
        steps.shell(
            say(rng, ["Sum the {w} with Python's csv module.", "Read {name} with csv.DictReader and use the {wrong} column.", "Try the {wrong} column."], w=number_word, name=name, wrong=wrong_column),
            f"python3 -c \"import csv; print(sum(float(r['{wrong_column}']) for r in csv.DictReader(open('{name}'))))\"",
            error=True,
        )
        steps.shell(say(rng, ["KeyError: there is no {wrong} column. Read the header.", "Wrong column name. Check the header line of {name}.", "The column is not called {wrong}; look at the header."], wrong=wrong_column, name=name), f"head -n 1 {name}")
    elif steps.mistake:
        wrong = misspelled(rng, name)
        steps.wrong_file_then_find(f"head -n 3 {wrong}", wrong)
        steps.shell(say(rng, ["Now look at the header of {name}.", "Read the first lines of {name}."], name=name), f"head -n 3 {name}")
    elif steps.look:
        steps.shell(say(rng, ["Look at the header and first rows of {name} to find the columns.", "Check which column is which in {name}.", "head shows the column order of {name}."], name=name), f"head -n 3 {name}")
    # The header numbered out loud before a field number is used: a small model copies the
    # position from that list instead of guessing it.
    fields = say(rng, ["Fields: {f}.", "Numbering the header: {f}.", "The header in order: {f}."], f=", ".join(f"{k} {c}" for k, c in enumerate(columns, 1)))
    position = fields + " " + say(rng, ["{col} is column {k}.", "The {col} column is field {k}."], col=number_column, k=number_k)
    if kind == "sum":
        total = sum(int(row[number_column]) for row in rows)
        instruction = shown + say(rng, ["What is the sum of the {w} column in {name}?", "Add up the {w} values of {name}.", "What do the {w} figures in {name} total?", "Give the total {w} over all rows of {name}."], w=number_word, name=name) + " " + form(rng, "number")
        steps.shell(f"{position} Sum it with awk, skipping the header.", f"awk -F, 'NR>1 {{s+=${number_k}}} END {{print s}}' {name}")
        steps.answer(say(rng, ["awk printed {n}, the total.", "The {w} column adds up to {n}.", "The sum is {n}."], n=total, w=number_word), str(total))
        return Draft(instruction, [{"type": "numeric", "expected": total}], steps.items, files={name: _csv_text(columns, rows)})
    if kind == "top":
        totals: dict[str, int] = defaultdict(int)
        for row in rows:
            totals[str(row[text_column])] += int(row[number_column])
        ranked = sorted(totals.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            rows.append({**rows[0], text_column: ranked[0][0], number_column: 1})
            totals[ranked[0][0]] += 1
        best = max(totals, key=lambda key: totals[key])
        instruction = shown + say(rng, ["In {name}, which {t} has the highest total {w}?", "Which {t} in {name} adds up to the most {w}?", "Group {name} by {t} and sum the {w}: which {t} comes out on top?", "Find the {t} with the largest summed {w} in {name}."], name=name, t=text_word, w=number_word) + " " + form(rng, "name")
        steps.shell(
            fields + " " + say(rng, ["{t} is field {a} and {w} field {b}: total per {t} with awk, sort, keep the top.", "Group by field {a} ({t}), sum field {b} ({w}), then sort biggest first."], t=text_column, w=number_column, a=text_k, b=number_k),
            f"awk -F, 'NR>1 {{t[${text_k}]+=${number_k}}} END {{for (k in t) print t[k], k}}' {name} | sort -rn | head -n 3",
        )
        steps.answer(say(rng, ["{b} is at the top with {n}.", "The first line is {n} {b}, the highest total.", "{b} has the largest total, {n}."], b=best, n=totals[best]), best)
        return Draft(instruction, [{"type": "answer", "expected": best}], steps.items, files={name: _csv_text(columns, rows)})
    if kind == "max":
        top = max(int(row[number_column]) for row in rows)
        winners = [row for row in rows if int(row[number_column]) == top]
        for row in winners[1:]:
            row[number_column] = top - 1
        winner = str(winners[0][text_column])
        instruction = shown + say(rng, ["Which row of {name} has the highest {w}? Tell me its {t}.", "What is the {t} on the row with the largest {w} in {name}?", "Look up the {t} of the single row with the top {w} in {name}."], name=name, w=number_word, t=text_word) + " " + form(rng, "name")
        steps.shell(fields + " " + say(rng, ["Sort the rows by field {b} ({c}) as numbers, biggest first.", "{c} is field {b}: sort -t, -k{b} -rn puts the largest {w} on top."], b=number_k, c=number_column, w=number_word), f"tail -n +2 {name} | sort -t, -k{number_k},{number_k} -rn | head -n 2")
        steps.answer(say(rng, ["The top row's {t} is {v}.", "The first row has {w} {n}; its {t} is {v}.", "{v} is on the row with the most {w}."], t=text_word, v=winner, w=number_word, n=top), winner)
        return Draft(instruction, [{"type": "answer", "expected": winner}], steps.items, files={name: _csv_text(columns, rows)})
    if kind == "distinct":
        n = len({row[text_column] for row in rows})
        instruction = shown + say(rng, ["How many different values are in the {t} column of {name}?", "Count the distinct {t} entries in {name}.", "How many unique {t} values does {name} have?", "In {name}, how many distinct values does the {t} column take?"], t=text_word, name=name) + " " + form(rng, "number")
        steps.shell(fields + " " + say(rng, ["{t} is field {a}: cut it out, drop the header, keep unique values, count.", "Take field {a} ({t}) without the header, sort -u, wc -l."], t=text_column, a=text_k), f"tail -n +2 {name} | cut -d, -f{text_k} | sort -u | wc -l")
        steps.answer(say(rng, ["wc printed {n} distinct values.", "There are {n} different {t} values.", "{n} unique entries."], n=n, t=text_word), str(n))
        return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files={name: _csv_text(columns, rows)})
    if kind == "rows":
        n = len(rows)
        instruction = say(rng, ["How many data rows does {name} have, not counting the header?", "Count the records in {name}, leaving out the header line.", "{name} starts with a header. How many rows follow it?", "What is the number of rows below the header of {name}?"], name=name) + " " + form(rng, "number")
        steps.shell(say(rng, ["Count the lines after the header.", "tail -n +2 skips the header; wc -l counts the rest."]), f"tail -n +2 {name} | wc -l")
        steps.answer(say(rng, ["wc printed {n}.", "{name} has {n} data rows.", "There are {n} rows under the header."], n=n, name=name), str(n))
        return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files={name: _csv_text(columns, rows)})
    # filter
    threshold = sorted(int(row[number_column]) for row in rows)[len(rows) // 2]
    out = file_name(rng, "csv").replace(".csv", "_over.csv")
    kept = [row for row in rows if int(row[number_column]) > threshold]
    instruction = shown + say(rng, [
        "Copy the rows of {name} whose {w} is greater than {x} into {out}, with the header line first and the rows in their original order.",
        "Write {out}: the header of {name}, then only the rows with {w} above {x}, in the same order.",
        "Make {out} from {name}, keeping the header and every row where {w} exceeds {x}.",
    ], name=name, w=number_word, x=threshold, out=out)
    steps.shell(fields + " " + say(rng, ["Keep line 1 and the rows where field {b} ({w}) > {x}.", "{w} is field {b}: awk keeps the header and rows whose {w} is over {x}."], b=number_k, x=threshold, w=number_column), f"awk -F, 'NR==1 || ${number_k} > {threshold}' {name} > {out}")
    steps.shell(say(rng, ["Count the lines of {out} to check it.", "Check the new file."], out=out), f"wc -l {out}")
    steps.done()
    checks = [{"type": "file", "path": out, "equals": _csv_text(columns, kept)}]
    return Draft(instruction, checks, steps.items, files={name: _csv_text(columns, rows)})


# JSON -------------------------------------------------------------------------------


def json_data(rng: random.Random) -> Draft:
    if rng.random() < 0.3:
        return rng.choice([_json_nested_sum, _json_to_csv])(rng)
    name = file_name(rng, "json")
    flag = rng.choice(["paid", "shipped", "enabled", "verified"])
    number = rng.choice(["qty", "score", "minutes", "weight"])
    label = rng.choice(["name", "title", "label"])
    pool = rng.sample(PEOPLE + ITEMS, 12)
    records = [{label: pool[i], number: rng.randint(1, 500), flag: rng.random() < 0.5} for i in range(rng.randint(4, 12))]
    kind = rng.choice(["count", "sum", "max", "field", "length"])
    steps = Steps(rng)
    if steps.mistake:
        wrong = misspelled(rng, name)
        steps.wrong_file_then_find(f"jq length {wrong}", wrong)
    if kind == "field":
        document = {"service": {label: rng.choice(pool).lower(), "port": rng.randint(1024, 65000), "workers": rng.randint(1, 32)}, "owner": rng.choice(PEOPLE)}
        key = rng.choice([f"service.{label}", "service.port", "service.workers", "owner"])
        value = str(document[key] if "." not in key else document["service"][key.split(".")[1]])
        text = json.dumps(document, indent=2) + "\n"
        instruction = say(rng, ["What is the value of {k} in {name}?", "Read {k} from {name}.", "{name} is a config file. What does it set {k} to?", "Look up the {k} setting in {name}."], k=key, name=name) + " " + form(rng, "value")
        if steps.look:
            steps.shell(say(rng, ["Look at {name} to see its structure.", "See how {name} is laid out first."], name=name), f"cat {name}")
        steps.shell(say(rng, ["jq -r .{k} prints that value.", "Read .{k} with jq."], k=key), f"jq -r .{key} {name}")
        steps.answer(say(rng, ["jq printed {v}.", "{k} is {v}.", "The value is {v}."], v=value, k=key), value)
        return Draft(instruction, [{"type": "answer", "expected": value}], steps.items, files={name: text})
    text = json.dumps(records, indent=2 if rng.random() < 0.6 else None) + "\n"
    if steps.look:
        steps.shell(say(rng, ["Look at the first record to learn the keys.", "See what one entry of {name} holds.", "Check the keys of the records first."], name=name), f"jq '.[0]' {name}")
    if kind == "count":
        n = sum(record[flag] for record in records)
        if n == 0:
            records[0][flag] = True
            n = 1
            text = json.dumps(records, indent=2) + "\n"
        instruction = say(rng, ["{name} is a list of records. How many have {f} set to true?", "Count the entries of {name} whose {f} field is true.", "In {name}, how many records are {f}?", "How many items in {name} have \"{f}\": true?"], name=name, f=flag) + " " + form(rng, "number")
        steps.shell(say(rng, ["Select the records with {f} true and count them.", "jq select keeps the {f} ones; length counts."], f=flag), f"jq '[.[] | select(.{flag})] | length' {name}")
        steps.answer(say(rng, ["jq counted {n}.", "{n} records have {f} true.", "The count is {n}."], n=n, f=flag), str(n))
        return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files={name: text})
    if kind == "sum":
        total = sum(int(record[number]) for record in records)
        instruction = say(rng, ["What is the sum of the {k} field over all records in {name}?", "Add up {k} across every entry of {name}.", "Total the {k} values in {name}.", "{name} holds a list; what do its {k} fields add up to?"], k=number, name=name) + " " + form(rng, "number")
        steps.shell(say(rng, ["Collect every .{k} and add them with jq.", "jq add sums the {k} values."], k=number), f"jq '[.[].{number}] | add' {name}")
        steps.answer(say(rng, ["jq printed {n}, the total.", "They add up to {n}.", "The sum is {n}."], n=total), str(total))
        return Draft(instruction, [{"type": "numeric", "expected": total}], steps.items, files={name: text})
    if kind == "max":
        top = max(int(record[number]) for record in records)
        for record in [r for r in records if r[number] == top][1:]:
            record[number] = top - 1
        text = json.dumps(records, indent=2) + "\n"
        winner = next(str(record[label]) for record in records if record[number] == top)
        instruction = say(rng, ["Which record in {name} has the highest {k}? Give its {l}.", "Find the entry of {name} with the largest {k} and tell me its {l}.", "What is the {l} of the item with the most {k} in {name}?"], name=name, k=number, l=label) + " " + form(rng, "name")
        steps.shell(say(rng, ["max_by(.{k}) picks the record; print its {l}.", "jq max_by finds the top {k}."], k=number, l=label), f"jq -r 'max_by(.{number}) | .{label}' {name}")
        steps.answer(say(rng, ["jq printed {w}.", "{w} has the highest {k}.", "The top one is {w}."], w=winner, k=number), winner)
        return Draft(instruction, [{"type": "answer", "expected": winner}], steps.items, files={name: text})
    n = len(records)
    instruction = say(rng, ["How many records does the list in {name} hold?", "Count the entries in {name}.", "What is the length of the JSON array in {name}?", "How many objects are in {name}?"], name=name) + " " + form(rng, "number")
    steps.shell(say(rng, ["jq length counts the array's items.", "Count the items with jq length."]), f"jq length {name}")
    steps.answer(say(rng, ["jq printed {n}.", "The list has {n} entries.", "There are {n} records."], n=n), str(n))
    return Draft(instruction, [{"type": "numeric", "expected": n}], steps.items, files={name: text})


def _json_nested_sum(rng: random.Random) -> Draft:
    """A sum over lists inside the records: the flat path prints null, which means look at one record."""
    name = file_name(rng, "json")
    outer, inner, number = rng.choice([("lines", "qty", "units"), ("parts", "count", "pieces"), ("entries", "amount", "amount"), ("stops", "minutes", "minutes")])
    pool = rng.sample(PEOPLE + ITEMS, 8)
    records = [{"id": i + 1, "who": rng.choice(pool), outer: [{"item": rng.choice(ITEMS), inner: rng.randint(1, 30)} for _ in range(rng.randint(1, 4))]} for i in range(rng.randint(2, 7))]
    total = sum(entry[inner] for record in records for entry in record[outer])
    text = json.dumps(records, indent=2 if rng.random() < 0.6 else None) + "\n"
    instruction = say(rng, [
        "{name} is a list of records, each holding a list called {o}. What do all the {k} values inside them add up to?",
        "Sum the {k} field over every element of every {o} list in {name}.",
        "In {name}, each record has {o}, a list of objects that each carry a {k} field. Total those {k} values.",
    ], name=name, o=outer, k=inner) + " " + form(rng, "number")
    steps = Steps(rng)
    if steps.mistake:
        steps.shell(say(rng, ["Sum .{k} over the records with jq add.", "jq add over every .{k}."], k=inner), f"jq '[.[].{inner}] | add' {name}")
        steps.shell(say(rng, ["null: the records have no {k} of their own. Look at one record.", "jq printed null, so that path is wrong. See the first record's shape."], k=inner), f"jq '.[0]' {name}")
    elif steps.look:
        steps.shell(say(rng, ["See the shape of one record first.", "Look at the first record to find where {k} sits."], k=inner), f"jq '.[0]' {name}")
    steps.shell(say(rng, ["{k} sits inside each {o} list: .[].{o}[].{k} reaches every one.", "Go through each record's {o} list to the {k} values and add them."], k=inner, o=outer), f"jq '[.[].{outer}[].{inner}] | add' {name}")
    steps.answer(say(rng, ["jq printed {n}.", "They add up to {n}.", "The total is {n}."], n=total), str(total))
    return Draft(instruction, [{"type": "numeric", "expected": total}], steps.items, files={name: text})


def _json_to_csv(rng: random.Random) -> Draft:
    """A CSV written from a JSON list: a header line, then one line per record, in the asked column order."""
    name = file_name(rng, "json")
    target = name.replace(".json", ".csv")
    fields = rng.sample(["name", "city", "score", "team", "hours"], rng.randint(2, 3))
    records = []
    for person in rng.sample(PEOPLE, rng.randint(2, 6)):
        record: dict[str, object] = {"name": person, "city": rng.choice(CITIES), "score": rng.randint(0, 100), "team": rng.choice(TEAMS), "hours": rng.randint(1, 12)}
        records.append({key: record[key] for key in rng.sample(sorted(record), len(record))})
    header = ",".join(fields)
    rows = [",".join(str(record[field]) for field in fields) for record in records]
    instruction = say(rng, [
        "Turn the list in {name} into {dst}: a header line {h}, then one line per record with those fields, no quotes.",
        "Write {dst} from {name}, with the columns {h} (header first, values unquoted, one record per line).",
        "Convert {name} to CSV in {dst}. First line: {h}. Then each record's {f}, comma-separated, unquoted.",
    ], name=name, dst=target, h=header, f=", ".join(fields))
    steps = Steps(rng)
    steps.shell(say(rng, ["See the keys of one record.", "Look at the first record of {name}."], name=name), f"jq '.[0]' {name}")
    template = ",".join(f"\\(.{field})" for field in fields)
    steps.shell(
        say(rng, ["echo the header, then jq -r prints each record's {f} joined by commas; both go to {dst}.", "The header by echo, the rows by jq -r string interpolation, all redirected into {dst}."], f=", ".join(fields), dst=target),
        f"(echo {header}; jq -r '.[] | \"{template}\"' {name}) > {target}",
    )
    steps.shell(say(rng, ["Check {dst}.", "Read {dst} back."], dst=target), f"cat {target}")
    steps.done()
    return Draft(instruction, [{"type": "file", "path": target, "equals": "\n".join([header, *rows]) + "\n"}], steps.items, files={name: json.dumps(records, indent=2) + "\n"})


# SQLite -----------------------------------------------------------------------------

# (people table, its text column, its number column, event table, event text column, event number column)
THEMES = [
    ("members", "city", "joined", "loans", "title", "days"),
    ("growers", "region", "acres", "crops", "crop", "tons"),
    ("drivers", "depot", "age", "trips", "route", "km"),
    ("divers", "club", "dives", "logs_dive", "site", "depth"),
]
VALUES = {
    "city": CITIES, "region": ["north", "south", "coast", "hills", "valley"], "depot": ["east", "west", "central", "airport"],
    "club": ["seals", "orcas", "rays", "eels"], "title": ITEMS, "crop": ["rye", "oats", "barley", "flax", "beans"],
    "route": ["r1", "r2", "r3", "r4", "r5"], "site": ["wreck", "wall", "cove", "pinnacle"],
}


def sqlite(rng: random.Random) -> Draft:
    # Half the databases have four tables, where the question's words must be matched to the
    # schema's tables and joins (the tuned model had learned "two tables: people and events").
    if rng.random() < 0.5:
        return _four_tables(rng)
    people, p_text, p_number, events, e_text, e_number = rng.choice(THEMES)
    db = file_name(rng, "db")
    names = rng.sample(PEOPLE, rng.randint(4, 8))
    person_rows = [(i + 1, name, rng.choice(VALUES[p_text]), rng.randint(1, 60)) for i, name in enumerate(names)]
    event_rows = [(i + 1, rng.randint(1, len(names)), rng.choice(VALUES[e_text]), rng.randint(1, 90)) for i in range(rng.randint(5, 25))]
    sql = [
        f"CREATE TABLE {people} (id INTEGER PRIMARY KEY, name TEXT, {p_text} TEXT, {p_number} INTEGER);",
        f"CREATE TABLE {events} (id INTEGER PRIMARY KEY, {people[:-1]}_id INTEGER REFERENCES {people}(id), {e_text} TEXT, {e_number} INTEGER);",
        *(f"INSERT INTO {people} VALUES ({i}, '{n}', '{t}', {x});" for i, n, t, x in person_rows),
        *(f"INSERT INTO {events} VALUES ({i}, {p}, '{t}', {x});" for i, p, t, x in event_rows),
    ]
    seed_file = db.replace(".db", "_seed.sql")
    kind = rng.choice(["count", "sum_for", "top", "lookup", "rows"])
    foreign = f"{people[:-1]}_id"
    if kind == "count":
        value = rng.choice([row[2] for row in person_rows])
        answer = str(sum(row[2] == value for row in person_rows))
        question = say(rng, ["How many {p} have {c} '{v}'?", "Count the {p} whose {c} is {v}.", "In {db}, how many rows of {p} are in {c} {v}?"], p=people, c=p_text, v=value, db=db)
        query = f"SELECT COUNT(*) FROM {people} WHERE {p_text} = '{value}';"
        table = people
    elif kind == "sum_for":
        who = rng.choice(person_rows)
        answer = str(sum(row[3] for row in event_rows if row[1] == who[0]))
        question = say(rng, ["What is the total {x} of the {e} of {n}?", "Add up {x} over all {e} that belong to {n}.", "Sum the {x} column of {e} for {n}."], x=e_number, e=events, n=who[1])
        query = f"SELECT COALESCE(SUM({events}.{e_number}), 0) FROM {events} JOIN {people} ON {people}.id = {events}.{foreign} WHERE {people}.name = '{who[1]}';"
        table = events
    elif kind == "top":
        totals: dict[int, int] = defaultdict(int)
        for row in event_rows:
            totals[row[1]] += row[3]
        ranked = sorted(totals.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            event_rows.append((len(event_rows) + 1, ranked[0][0], rng.choice(VALUES[e_text]), 1))
            sql.append(f"INSERT INTO {events} VALUES ({len(event_rows)}, {ranked[0][0]}, '{event_rows[-1][2]}', 1);")
            totals[ranked[0][0]] += 1
        best = max(totals, key=lambda key: totals[key])
        answer = names[best - 1]
        question = say(rng, ["Which of the {p} has the largest total {x} over their {e}? Give the name.", "Whose {e} add up to the most {x}?", "Find the person in {p} with the highest summed {x} in {e}."], p=people, x=e_number, e=events)
        query = f"SELECT {people}.name, SUM({e_number}) AS total FROM {events} JOIN {people} ON {people}.id = {events}.{foreign} GROUP BY {people}.id ORDER BY total DESC LIMIT 3;"
        table = events
    elif kind == "lookup":
        who = rng.choice(person_rows)
        answer = str(who[3])
        question = say(rng, ["What is the {x} of {n} in the {p} table?", "Look up {n}'s {x}.", "Which {x} value does {n} have?"], x=p_number, n=who[1], p=people)
        query = f"SELECT {p_number} FROM {people} WHERE name = '{who[1]}';"
        table = people
    else:
        # Either table: the question's noun names the table to count, not the biggest one.
        table = rng.choice([people, events])
        answer = str(len(event_rows if table == events else person_rows))
        question = say(rng, ["How many rows does the {e} table hold?", "Count the records in {e}.", "What is the number of {e} stored?", "How many {e} are there?"], e=table)
        query = f"SELECT COUNT(*) FROM {table};"
    answer_kind = "name" if kind == "top" else "number"
    instruction = say(rng, ["{db} is a SQLite database. ", "The SQLite file {db} holds the data. ", "Use the database {db}. ", ""], db=db) + question + " " + form(rng, answer_kind)
    if db not in instruction:
        instruction = instruction.replace(question, f"{question[:-1]} (database: {db}){question[-1]}")
    steps = Steps(rng)
    if steps.mistake:
        wrong_table = table[:-1] if rng.random() < 0.5 else f"{table}_list"
        steps.shell(
            say(rng, ["Query the {w} table directly.", "Guess the table is {w} and run the query.", "Run the query on {w}."], w=wrong_table),
            f'sqlite3 {db} "{query.replace(table, wrong_table)}"',
            error=True,
        )
        steps.shell(say(rng, ["No such table. Read the schema to get the real names.", "{w} does not exist; look at the schema.", "Wrong table name. Check the schema first."], w=wrong_table), f"sqlite3 {db} .schema")
    else:
        steps.shell(
            say(rng, ["Read the schema first to learn the tables and columns.", "Check the tables and columns of {db} before querying.", "Schema first: what tables does {db} have?", "Look at the schema of {db}."], db=db),
            f"sqlite3 {db} .schema",
        )
    steps.shell(say(rng, ["Now query {t} with the real column names.", "Write the SQL against {t}.", "The schema shows {t}; run the query."], t=table), f'sqlite3 {db} "{query}"')
    steps.answer(say(rng, ["The query returned {a}.", "sqlite3 printed {a}.", "The result is {a}, straight from the table."], a=answer), answer)
    check = {"type": "answer", "expected": answer} if kind == "top" else {"type": "numeric", "expected": float(answer)}
    return Draft(
        instruction,
        [check],
        steps.items,
        files={seed_file: "\n".join(sql) + "\n"},
        commands=[f"sqlite3 {db} < {seed_file} && rm {seed_file}"],
    )


@dataclass(frozen=True)
class Business:
    """A four-table database: parties, things with a cost, headers (a party's visits) with a date
    and a status, and lines (which things, how many) under each header."""

    what: str
    party: str
    party_one: str
    place: str
    places: tuple[str, ...]
    thing: str
    thing_one: str
    label: str
    kind: str
    kinds: tuple[str, ...]
    cost: str
    head: str
    head_one: str
    date: str
    status: str
    statuses: tuple[str, ...]
    line: str
    qty: str


BUSINESSES = [
    Business("a lending library", "readers", "reader", "city", tuple(CITIES[:7]), "books", "book", "title", "genre", ("fiction", "poetry", "history", "travel"), "fee",
             "loans", "loan", "loaned_on", "state", ("open", "returned", "late"), "loan_lines", "copies"),
    Business("a plant nursery", "clients", "client", "region", ("north", "south", "coast", "hills", "valley"), "plants", "plant", "label", "kind", ("shrub", "herb", "tree", "vine"), "cost",
             "sales", "sale", "sold_on", "stage", ("paid", "shipped", "refunded"), "sale_lines", "units"),
    Business("a canteen", "guests", "guest", "hometown", tuple(CITIES[7:14]), "dishes", "dish", "dish_name", "course", ("starter", "main", "dessert"), "tariff",
             "tickets", "ticket", "served_on", "phase", ("open", "settled", "voided"), "ticket_lines", "portions"),
    Business("a repair workshop", "mechanics", "mechanic", "workshop", ("east", "west", "central", "airport"), "parts", "part", "part_name", "family", ("engine", "brake", "light", "seat"), "unit_cost",
             "jobs", "job", "started_on", "status", ("queued", "done", "dropped"), "job_parts", "pieces"),
]
THING_NAMES = {
    "books": ["Dune", "Emma", "Ulysses", "Beloved", "Ivanhoe", "Walden", "Kindred", "Matilda"],
    "plants": ["lavender", "rosemary", "olive", "ivy", "fern", "maple", "jasmine", "thyme"],
    "dishes": ["soup", "risotto", "curry", "tart", "salad", "stew", "pudding", "noodles"],
    "parts": ["gasket", "rotor", "bulb", "piston", "caliper", "belt", "valve", "hinge"],
}
STORE_KINDS = ["count_place", "count_status", "count_kind", "priciest", "value_for_status", "most_heads", "most_units", "without_heads", "busiest_month", "distinct_things", "lookup_cost"]


def _unique_top(totals: dict[object, float]) -> object | None:
    """The key with the largest total, or None when two share it (the question would have two answers)."""
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def _four_tables(rng: random.Random) -> Draft:
    b = rng.choice(BUSINESSES)
    db = file_name(rng, "db")
    names = rng.sample(PEOPLE, rng.randint(5, 10))
    parties = [(i + 1, name, rng.choice(b.places)) for i, name in enumerate(names)]
    labels = rng.sample(THING_NAMES[b.thing], rng.randint(4, 8))
    things = [(i + 1, label, rng.choice(b.kinds), rng.choice([rng.randint(2, 60), rng.randint(2, 60) + 0.5])) for i, label in enumerate(labels)]
    year = rng.randint(2019, 2031)
    heads = [(i + 1, rng.randint(1, len(parties)), f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", rng.choice(b.statuses)) for i in range(rng.randint(6, 18))]
    lines = [(h[0], t, rng.randint(1, 5)) for h in heads for t in rng.sample(range(1, len(things) + 1), rng.randint(1, 3))]
    fk_party, fk_thing, fk_head = f"{b.party_one}_id", f"{b.thing_one}_id", f"{b.head_one}_id"
    sql = [
        f"CREATE TABLE {b.party} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, {b.place} TEXT NOT NULL);",
        f"CREATE TABLE {b.thing} (id INTEGER PRIMARY KEY, {b.label} TEXT NOT NULL, {b.kind} TEXT NOT NULL, {b.cost} REAL NOT NULL);",
        f"CREATE TABLE {b.head} (id INTEGER PRIMARY KEY, {fk_party} INTEGER NOT NULL REFERENCES {b.party}(id), {b.date} TEXT NOT NULL, {b.status} TEXT NOT NULL);",
        f"CREATE TABLE {b.line} ({fk_head} INTEGER NOT NULL REFERENCES {b.head}(id), {fk_thing} INTEGER NOT NULL REFERENCES {b.thing}(id), {b.qty} INTEGER NOT NULL);",
        *(f"INSERT INTO {b.party} VALUES ({i}, '{n}', '{p}');" for i, n, p in parties),
        *(f"INSERT INTO {b.thing} VALUES ({i}, '{n}', '{k}', {c});" for i, n, k, c in things),
        *(f"INSERT INTO {b.head} VALUES ({i}, {p}, '{d}', '{s}');" for i, p, d, s in heads),
        *(f"INSERT INTO {b.line} VALUES ({h}, {t}, {q});" for h, t, q in lines),
    ]
    cost_of = {t[0]: t[3] for t in things}
    status_of = {h[0]: h[3] for h in heads}
    join_thing = f"JOIN {b.thing} ON {b.thing}.id = {b.line}.{fk_thing}"
    join_head = f"JOIN {b.head} ON {b.head}.id = {b.line}.{fk_head}"
    join_party = f"JOIN {b.party} ON {b.party}.id = {b.head}.{fk_party}"
    answer: object = None
    for kind in rng.sample(STORE_KINDS, len(STORE_KINDS)):
        if kind == "count_place":
            value = rng.choice(parties)[2]
            answer = sum(p[2] == value for p in parties)
            where = value if b.places[0] in CITIES else f"the {value}"
            question = say(rng, ["How many {p} live in {w}?", "Count the {p} whose {c} is {v}.", "What number of {p} have '{v}' as their {c}?"], p=b.party, c=b.place, v=value, w=where)
            query, tables, reason = f"SELECT COUNT(*) FROM {b.party} WHERE {b.place} = '{value}';", [b.party], f"{b.place} is a column of {b.party}"
        elif kind == "count_status":
            value = rng.choice(heads)[3]
            answer = sum(h[3] == value for h in heads)
            question = say(rng, ["How many {h} are {v}?", "Count the {h} with {s} {v}.", "What number of {h} have the {s} '{v}'?"], h=b.head, s=b.status, v=value)
            query, tables, reason = f"SELECT COUNT(*) FROM {b.head} WHERE {b.status} = '{value}';", [b.head], f"the {b.status} is kept in {b.head}"
        elif kind == "count_kind":
            value = rng.choice(things)[2]
            answer = sum(t[2] == value for t in things)
            question = say(rng, ["How many {t} are of the {k} {v}?", "Count the {t} whose {k} is {v}.", "What number of {v} {t} are listed?"], t=b.thing, k=b.kind, v=value)
            query, tables, reason = f"SELECT COUNT(*) FROM {b.thing} WHERE {b.kind} = '{value}';", [b.thing], f"{b.kind} belongs to {b.thing}"
        elif kind == "priciest":
            top = _unique_top({t[1]: t[3] for t in things})
            if top is None:
                continue
            answer = top
            question = say(rng, ["Which of the {t} has the highest {c}? Give its {l}.", "What is the {l} of the most costly entry in {t}?", "Name the {t_one} with the largest {c}."], t=b.thing, t_one=b.thing_one, c=b.cost, l=b.label)
            query, tables, reason = f"SELECT {b.label}, {b.cost} FROM {b.thing} ORDER BY {b.cost} DESC LIMIT 3;", [b.thing], f"the {b.cost} is a column of {b.thing}; sort by it"
        elif kind == "value_for_status":
            value = rng.choice(heads)[3]
            total = sum(q * cost_of[t] for h, t, q in lines if status_of[h] == value)
            answer = float(total)
            question = say(rng, ["What is the total value ({q} times {c}) of all {v} {h}?", "Add up {q} × {c} over the lines of every {h_one} whose {s} is {v}.", "Sum {q} multiplied by {c} for the {h} marked {v}."], q=b.qty, c=b.cost, v=value, h=b.head, h_one=b.head_one, s=b.status)
            query = f"SELECT SUM({b.line}.{b.qty} * {b.thing}.{b.cost}) FROM {b.line} {join_thing} {join_head} WHERE {b.head}.{b.status} = '{value}';"
            tables, reason = [b.line, b.thing, b.head], f"{b.qty} is in {b.line}, {b.cost} in {b.thing} and {b.status} in {b.head}: join the three"
        elif kind == "most_heads":
            counts: dict[object, float] = defaultdict(float)
            for h in heads:
                counts[h[1]] += 1
            top = _unique_top(counts)
            if top is None:
                continue
            answer = names[int(top) - 1]
            question = say(rng, ["Which of the {p} has the most {h}? Give the name.", "Who among the {p} made the largest number of {h}?", "Name the {p_one} with the most {h}."], p=b.party, p_one=b.party_one, h=b.head)
            query = f"SELECT {b.party}.name, COUNT(*) AS n FROM {b.head} {join_party} GROUP BY {b.party}.id ORDER BY n DESC LIMIT 3;"
            tables, reason = [b.head, b.party], f"each row of {b.head} has a {fk_party}; count per {b.party_one} and join for the name"
        elif kind == "most_units":
            units: dict[object, float] = defaultdict(float)
            for _, t, q in lines:
                units[t] += q
            top = _unique_top(units)
            if top is None:
                continue
            answer = labels[int(top) - 1]
            question = say(rng, ["Which of the {t} has the most {q} in total over all {h}? Give its {l}.", "Over every {h_one}, which {t_one} adds up to the largest number of {q}?", "Find the {t_one} with the highest summed {q}."], t=b.thing, t_one=b.thing_one, q=b.qty, h=b.head, h_one=b.head_one, l=b.label)
            query = f"SELECT {b.thing}.{b.label}, SUM({b.line}.{b.qty}) AS total FROM {b.line} {join_thing} GROUP BY {b.thing}.id ORDER BY total DESC LIMIT 3;"
            tables, reason = [b.line, b.thing], f"{b.qty} is in {b.line}; sum it per {fk_thing} and join {b.thing} for the {b.label}"
        elif kind == "without_heads":
            # At least one party without a header, or the question is a trick.
            used = {h[1] for h in heads}
            if len(used) == len(parties):
                continue
            answer = len(parties) - len(used)
            question = say(rng, ["How many {p} have no {h} at all?", "Count the {p} who never appear in {h}.", "What number of {p} have not made a single {h_one}?"], p=b.party, h=b.head, h_one=b.head_one)
            query = f"SELECT COUNT(*) FROM {b.party} WHERE id NOT IN (SELECT {fk_party} FROM {b.head});"
            tables, reason = [b.party, b.head], f"a {b.party_one} without {b.head} has an id that no {fk_party} holds"
        elif kind == "busiest_month":
            months: dict[object, float] = defaultdict(float)
            for h in heads:
                months[h[2][:7]] += 1
            top = _unique_top(months)
            if top is None:
                continue
            answer = top
            # The example month is never the answer, or copying it would pass.
            example = f"{year}-{rng.choice([m for m in range(1, 13) if f'{year}-{m:02d}' != top]):02d}"
            question = say(rng, ["In which month were the most {h} made? Give it as year-month, for example {e}.", "Which month (year and month, like {e}) has the largest number of {h}?"], h=b.head, e=example)
            query = f"SELECT substr({b.date}, 1, 7) AS month, COUNT(*) AS n FROM {b.head} GROUP BY month ORDER BY n DESC LIMIT 3;"
            tables, reason = [b.head], f"{b.date} starts with year-month: group {b.head} by its first 7 characters"
        elif kind == "distinct_things":
            who = rng.choice([p for p in parties if any(h[1] == p[0] for h in heads)])
            own = {h[0] for h in heads if h[1] == who[0]}
            answer = len({t for h, t, _ in lines if h in own})
            question = say(rng, ["How many different {t} has {n} ever had?", "Count the distinct {t} in all {h} of {n}.", "Over all of {n}'s {h}, how many different {t} appear?"], t=b.thing, h=b.head, n=who[1])
            query = f"SELECT COUNT(DISTINCT {b.line}.{fk_thing}) FROM {b.line} {join_head} {join_party} WHERE {b.party}.name = '{who[1]}';"
            tables, reason = [b.line, b.head, b.party], f"{b.line} links to {b.head} by {fk_head}, and {b.head} to {b.party} by {fk_party}"
        else:
            item = rng.choice(things)
            answer = float(item[3])
            question = say(rng, ["What is the {c} of the {t_one} {n}?", "Look up the {c} of {n} in {t}.", "How much is the {c} for {n}?"], c=b.cost, t_one=b.thing_one, n=item[1], t=b.thing)
            query, tables, reason = f"SELECT {b.cost} FROM {b.thing} WHERE {b.label} = '{item[1]}';", [b.thing], f"{b.cost} and {b.label} are both columns of {b.thing}"
        break
    answer_kind = "month" if kind == "busiest_month" else "name" if isinstance(answer, str) else "number"
    instruction = say(rng, ["{db} is the SQLite database of {w}. ", "The SQLite file {db} holds the records of {w}. ", "{w_cap} keeps its data in the SQLite database {db}. "], db=db, w=b.what, w_cap=b.what[0].upper() + b.what[1:])
    instruction += question + ("" if answer_kind == "month" else " " + form(rng, answer_kind))
    steps = Steps(rng)
    if steps.mistake:
        # A hurried guess at a column name, then the schema that shows the real one.
        guessed = {b.status: "status" if b.status != "status" else "state", b.place: "country", b.kind: "category", b.cost: "price"}
        wrong = next((guessed[c] for c in guessed if re.search(rf"\b{c}\b", query)), None)
        real = next(c for c in guessed if guessed[c] == wrong) if wrong else None
        if wrong and real:
            wrong_query = re.sub(rf"\b{real}\b", wrong, query)
            steps.shell(say(rng, ["Guess the column is called {w}.", "Query it directly, assuming a {w} column.", "Try the query with {w}."], w=wrong), f'sqlite3 {db} "{wrong_query}"', error=True)
            steps.shell(say(rng, ["No such column {w}. Read the schema for the real names.", "There is no {w} column; check the schema.", "Wrong column name: look at the schema first."], w=wrong), f"sqlite3 {db} .schema")
        else:
            steps.shell(say(rng, ["Four tables, probably: read the schema before any query.", "Look at the schema of {db} first."], db=db), f"sqlite3 {db} .schema")
    else:
        steps.shell(
            say(rng, ["Read the schema first: which table holds what?", "Schema first, to match the question's words to tables and columns.", "Look at the tables and columns of {db} before writing SQL.", "What tables does {db} have? Read the schema."], db=db),
            f"sqlite3 {db} .schema",
        )
    table_words = " and ".join(tables)
    steps.shell(say(rng, ["The schema shows {r}. Query {t}.", "From the schema: {r}, so the query uses {t}.", "Matching the question to the schema: {r}."], r=reason, t=table_words), f'sqlite3 {db} "{query}"')
    shown = _sql_text(answer)
    steps.answer(say(rng, ["The query returned {a}.", "sqlite3 printed {a} first.", "The answer is {a}, from the first row."], a=shown), shown)
    check = {"type": "numeric", "expected": float(answer)} if answer_kind == "number" else {"type": "answer", "expected": shown}
    seed_file = db.replace(".db", "_seed.sql")
    return Draft(instruction, [check], steps.items, files={seed_file: "\n".join(sql) + "\n"}, commands=[f"sqlite3 {db} < {seed_file} && rm {seed_file}"])


def _sql_text(value: object) -> str:
    """A value as sqlite3 prints it: 12.0 as 12.0, 12.5 as 12.5, integers bare."""
    if isinstance(value, float):
        return repr(round(value, 2))
    return str(value)

"""Structured data: CSV with awk and cut, JSON with jq."""

from __future__ import annotations

import json
import random
from collections import defaultdict

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

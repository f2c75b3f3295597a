"""SQLite with the sqlite3 CLI, schema first: two-table and four-table databases."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from picoagent.train.builder import CITIES, ITEMS, PEOPLE, Draft, Steps, file_name, form, say

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
    return _database_draft(instruction, check, steps, db, sql)


def _database_draft(instruction: str, check: dict[str, object], steps: Steps, db: str, sql: list[str]) -> Draft:
    """The task, its database built in setup from a seed SQL file that is then removed."""
    seed_file = db.replace(".db", "_seed.sql")
    return Draft(instruction, [check], steps.items, files={seed_file: "\n".join(sql) + "\n"}, commands=[f"sqlite3 {db} < {seed_file} && rm {seed_file}"])


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


def _unique_top(totals: Mapping[object, float]) -> object | None:
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
            top = _unique_top(Counter(h[1] for h in heads))
            if top is None:
                continue
            answer = names[int(top) - 1]
            question = say(rng, ["Which of the {p} has the most {h}? Give the name.", "Who among the {p} made the largest number of {h}?", "Name the {p_one} with the most {h}."], p=b.party, p_one=b.party_one, h=b.head)
            query = f"SELECT {b.party}.name, COUNT(*) AS n FROM {b.head} {join_party} GROUP BY {b.party}.id ORDER BY n DESC LIMIT 3;"
            tables, reason = [b.head, b.party], f"each row of {b.head} has a {fk_party}; count per {b.party_one} and join for the name"
        elif kind == "most_units":
            units: Counter[int] = Counter()
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
            top = _unique_top(Counter(h[2][:7] for h in heads))
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
        guess = next(((real, wrong) for real, wrong in guessed.items() if re.search(rf"\b{real}\b", query)), None)
        if guess:
            real, wrong = guess
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
    return _database_draft(instruction, check, steps, db, sql)


def _sql_text(value: object) -> str:
    """A value as sqlite3 prints it: 12.0 as 12.0, 12.5 as 12.5, integers bare."""
    if isinstance(value, float):
        return repr(round(value, 2))
    return str(value)

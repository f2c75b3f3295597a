"""Example of a Python task module: tasks that bring their own tools.

This is the shape an adapter for a published tool-use benchmark takes: turn each of its
items into a task dict (the YAML keys), give the task a `tools` factory that returns the
benchmark's functions bound to fresh state, and check the answer with the benchmark's own
rule through a `python` check. The tools reach the agent through run_task(extra_tools=...),
so the tasks run in every action format.
"""

from __future__ import annotations

from pathlib import Path

from picoagent.evals.checkers import numbers_in

# The "benchmark": a tiny warehouse API and questions with known answers.
STOCK = {"A-17": 40, "B-02": 0, "C-33": 125}
PRICES_EUR = {"A-17": 12.5, "B-02": 99.0, "C-33": 3.2}
RATES = {("EUR", "USD"): 1.1, ("EUR", "GBP"): 0.85}

ITEMS = [
    {"id": "stock-value-usd", "question": "What is the total value in USD of all units of item A-17 in stock?", "answer": 40 * 12.5 * 1.1},
    {"id": "out-of-stock", "question": "Which of the items A-17, B-02 and C-33 is out of stock? Answer with its code.", "answer": "B-02"},
    {"id": "cheapest-gbp", "question": "How much does one unit of the cheapest of A-17, B-02 and C-33 cost in GBP?", "answer": 3.2 * 0.85},
]


def make_tools(workspace: Path) -> list:
    """The warehouse API for one run; `workspace` is unused because the state is in memory."""
    def get_stock(sku: str) -> int:
        """Units of an item in stock.

        Args:
            sku: The item code, e.g. A-17.
        """
        if sku not in STOCK:
            raise KeyError(f"unknown item {sku!r}; known items: {', '.join(STOCK)}")
        return STOCK[sku]

    def get_price(sku: str) -> float:
        """Price of one unit of an item, in EUR.

        Args:
            sku: The item code, e.g. A-17.
        """
        if sku not in PRICES_EUR:
            raise KeyError(f"unknown item {sku!r}; known items: {', '.join(PRICES_EUR)}")
        return PRICES_EUR[sku]

    def convert_currency(amount: float, to_currency: str) -> float:
        """Convert an amount of EUR into another currency.

        Args:
            amount: The amount in EUR.
            to_currency: USD or GBP.
        """
        rate = RATES.get(("EUR", to_currency.upper()))
        if rate is None:
            raise ValueError(f"no rate from EUR to {to_currency}; use USD or GBP")
        return round(amount * rate, 4)

    return [get_stock, get_price, convert_currency]


def _checker(expected: float | str):
    def check(answer: str | None, workspace: Path) -> tuple[bool, str]:
        if answer is None:
            return False, "no answer"
        if isinstance(expected, str):
            return expected.lower() in answer.lower(), f"expected {expected!r} in {answer!r}"
        found = numbers_in(answer)
        return any(abs(n - expected) <= 0.01 for n in found[-1:]), f"expected {expected:.2f} as the last number in {answer!r}"

    return check


def _answer_text(expected: float | str) -> str:
    return expected if isinstance(expected, str) else f"{expected:.2f}"


TASKS = [
    {
        "id": item["id"],
        "instruction": item["question"] + " Use the warehouse tools.",
        "limits": {"max_steps": 8},
        "tools": make_tools,
        "checks": [{"type": "python", "function": _checker(item["answer"])}],
        "reference": {"answer": _answer_text(item["answer"])},
    }
    for item in ITEMS
]

"""The registry derives a tool from one typed, documented function, and refuses anything less."""

from __future__ import annotations

from typing import Literal

import pytest

from picoagent.tools.registry import (
    Tool,
    ToolDefinitionError,
    ToolRegistry,
    parse_docstring,
)


def lookup(city: str, days: int = 3, unit: Literal["c", "f"] = "c") -> dict:
    """Look up the weather forecast for a city.

    Args:
        city: Name of the city,
            possibly with a country.
        days: How many days ahead.
        unit: Temperature unit.

    Returns:
        A forecast.
    """
    return {"city": city, "days": days, "unit": unit}


def test_name_description_schema_and_prompt_come_from_the_function() -> None:
    tool = Tool.from_function(lookup)
    assert tool.name == "lookup"
    assert tool.description == "Look up the weather forecast for a city."
    schema = tool.parameters_schema()
    assert schema["required"] == ["city"]
    assert schema["properties"]["city"] == {"type": "string", "description": "Name of the city, possibly with a country.", "maxLength": 600}
    assert schema["properties"]["days"]["type"] == "integer" and schema["properties"]["days"]["default"] == 3
    assert schema["properties"]["unit"]["enum"] == ["c", "f"]
    assert schema["additionalProperties"] is False
    assert "lookup(city: str, days: int = 3, unit: 'c' | 'f' = 'c')" in tool.prompt_text()
    assert "days: How many days ahead." in tool.prompt_text()


def test_untyped_parameter_is_refused() -> None:
    def bad(city) -> str:
        """Do it.

        Args:
            city: The city.
        """

    with pytest.raises(ToolDefinitionError, match="parameter 'city' has no type hint"):
        Tool.from_function(bad)


def test_undocumented_parameter_is_refused() -> None:
    def bad(city: str, days: int) -> str:
        """Do it.

        Args:
            city: The city.
        """

    with pytest.raises(ToolDefinitionError, match="parameter 'days' has no description"):
        Tool.from_function(bad)


def test_missing_docstring_is_refused() -> None:
    def bad(city: str) -> str:
        return city

    with pytest.raises(ToolDefinitionError, match="no docstring description"):
        Tool.from_function(bad)


def test_duplicate_names_are_refused() -> None:
    registry = ToolRegistry([lookup])
    with pytest.raises(ToolDefinitionError, match="already registered"):
        registry.register(lookup)


def test_call_validates_and_coerces() -> None:
    registry = ToolRegistry([lookup])
    observation = registry.call("lookup", {"city": "Oslo", "days": "5"})
    assert not observation.is_error
    assert '"days": 5' in observation.text
    assert observation.tool_calls[0]["tool"] == "lookup"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, "city: Field required"),
        ({"city": "Oslo", "unit": "k"}, "unit: Input should be 'c' or 'f'"),
        ({"city": "Oslo", "wind": True}, "wind: Extra inputs are not permitted"),
        ("Oslo", "must be a JSON object"),
    ],
)
def test_bad_arguments_explain_themselves(args, expected) -> None:
    observation = ToolRegistry([lookup]).call("lookup", args)
    assert observation.is_error
    assert expected in observation.text


def test_string_arguments_are_bounded() -> None:
    observation = ToolRegistry([lookup]).call("lookup", {"city": "x" * 601})
    assert observation.is_error and "at most 600 characters" in observation.text


def test_long_results_are_truncated_keeping_head_and_tail() -> None:
    def dump(n: int) -> str:
        """Produce n lines.

        Args:
            n: Number of lines.
        """
        return "\n".join(f"line {i}" for i in range(n))

    text = ToolRegistry([dump], output_limit=500).call("dump", {"n": 1000}).text
    assert len(text) <= 500
    assert text.startswith("line 0") and text.endswith("line 999") and "characters omitted" in text


def test_cleanups_all_run_even_if_one_fails() -> None:
    ran = []
    registry = ToolRegistry()
    registry.add_cleanup(lambda: ran.append("first"))
    registry.add_cleanup(lambda: 1 / 0)
    registry.add_cleanup(lambda: ran.append("last"))
    registry.close()
    assert ran == ["last", "first"]


def test_docstring_sections() -> None:
    description, args = parse_docstring(lookup.__doc__)
    assert description == "Look up the weather forecast for a city."
    assert args == {"city": "Name of the city, possibly with a country.", "days": "How many days ahead.", "unit": "Temperature unit."}


def test_varargs_become_one_list_argument() -> None:
    def total(first: int, /, *rest: int, scale: int = 1) -> int:
        """Add integers.

        Args:
            first: The first integer.
            *rest: More integers.
            scale: A factor for the sum.
        """
        return (first + sum(rest)) * scale

    tool = Tool.from_function(total)
    assert tool.parameters_schema()["properties"]["rest"]["type"] == "array"
    assert "rest: list[int]" in tool.signature_text
    registry = ToolRegistry([tool])
    assert registry.call("total", {"first": 1, "rest": [2, 3], "scale": 2}).text == "12"
    assert registry.call("total", {"first": 5}).text == "5"
    assert registry.call("total", {"first": 1, "rest": ["x"]}).is_error


def test_kwargs_are_refused_with_what_to_do_instead() -> None:
    def options(**settings: str) -> str:
        """Take settings.

        Args:
            **settings: Settings.
        """
        return ""

    with pytest.raises(ToolDefinitionError, match=r"\*\*settings is not allowed: take a dict parameter instead"):
        Tool.from_function(options)


def test_a_tool_stays_callable_as_its_function() -> None:
    assert Tool.from_function(lookup)("Oslo", days=1) == {"city": "Oslo", "days": 1, "unit": "c"}

"""JSON Schema to GBNF: the grammar llama.cpp enforces while the embedded model generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from picoagent.actions.json_format import JsonFormat
from picoagent.models.grammar import UnsupportedSchemaError, schema_to_gbnf
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry


def test_bounded_strings_use_native_repetition() -> None:
    gbnf = schema_to_gbnf({"type": "object", "properties": {"a": {"type": "string", "maxLength": 400}}, "required": ["a"]})
    assert "char{0,400}" in gbnf
    assert gbnf.count("\n") < 15, "no rule per character"


def test_unbounded_strings_get_a_default_bound() -> None:
    assert "char{0,2000}" in schema_to_gbnf({"type": "string"})


def test_properties_keep_schema_order_and_optional_ones_are_optional() -> None:
    gbnf = schema_to_gbnf(
        {"type": "object", "properties": {"thought": {"type": "string"}, "tool": {"const": "x"}, "n": {"type": "integer"}}, "required": ["thought", "tool"]}
    )
    root = next(line for line in gbnf.splitlines() if line.startswith("value ::="))
    assert root.index("thought") < root.index("tool") < root.index('\\"n\\"')
    assert '("," space' in root


def test_unsupported_schema_raises() -> None:
    with pytest.raises(UnsupportedSchemaError):
        schema_to_gbnf({"type": "object", "patternProperties": {}, "properties": {"a": {"not": {}}}, "required": ["a"]})


@pytest.mark.slow
def test_llama_cpp_accepts_the_action_grammar(tmp_path: Path) -> None:
    from llama_cpp import LlamaGrammar

    schema = JsonFormat(ToolRegistry(builtin_tools(tmp_path))).constraint().schema
    LlamaGrammar.from_string(schema_to_gbnf(schema), verbose=False)  # raises on a grammar llama.cpp can't parse

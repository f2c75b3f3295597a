"""JSON Schema to GBNF, for llama.cpp's constrained sampling.

llama-cpp-python's converter spells `maxLength: 400` as 400 nested optional rules,
which is slow to build and to sample through. We emit llama.cpp's native `{m,n}`
repetition instead. Only the schema features our actions use are covered (objects with
known properties, strings with length bounds, numbers, booleans, null, const, enum,
anyOf, arrays); anything else raises, so a tool can't silently lose its constraint.
"""

from __future__ import annotations

import json
import re
from typing import Any

PRIMITIVES = {
    "space": '" "?',
    "char": r'[^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})',
    "boolean": '("true" | "false") space',
    "null": '"null" space',
    "integer": '"-"? ([0-9] | [1-9] [0-9]{1,15}) space',
    "number": '"-"? ([0-9] | [1-9] [0-9]{1,15}) ("." [0-9]{1,15})? ([eE] [-+]? [0-9]{1,3})? space',
}

# Bound for strings and arrays the schema leaves unbounded: small models otherwise
# generate until max_tokens.
DEFAULT_MAX_STRING = 2000
DEFAULT_MAX_ITEMS = 50


class UnsupportedSchemaError(ValueError):
    pass


class _Converter:
    def __init__(self, schema: dict[str, Any]):
        self.root_schema = schema
        self.rules: dict[str, str] = {}

    def add(self, name: str, body: str) -> str:
        name = re.sub(r"[^a-zA-Z0-9-]+", "-", name).strip("-") or "rule"
        candidate, index = name, 1
        while candidate in self.rules and self.rules[candidate] != body:
            index += 1
            candidate = f"{name}-{index}"
        self.rules[candidate] = body
        return candidate

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if not ref:
            return schema
        if not ref.startswith("#/"):
            raise UnsupportedSchemaError(f"only local $ref is supported, not {ref}")
        target: Any = self.root_schema
        for part in ref[2:].split("/"):
            target = target[part]
        return self.resolve(target)

    def visit(self, schema: dict[str, Any], name: str) -> str:
        schema = self.resolve(schema)
        if "const" in schema:
            return self.add(name, f"{json.dumps(json.dumps(schema['const']))} space")
        if "enum" in schema:
            options = " | ".join(json.dumps(json.dumps(value)) for value in schema["enum"])
            return self.add(name, f"({options}) space")
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [self.visit(option, f"{name}-{i}") for i, option in enumerate(schema[key])]
                return self.add(name, " | ".join(options))
        kind = schema.get("type")
        if isinstance(kind, list):
            options = [self.visit({**schema, "type": k}, f"{name}-{k}") for k in kind]
            return self.add(name, " | ".join(options))
        if kind == "string":
            low = int(schema.get("minLength", 0))
            high = int(schema.get("maxLength", DEFAULT_MAX_STRING))
            return self.add(name, f'"\\"" char{{{low},{high}}} "\\"" space')
        if kind in ("integer", "number", "boolean", "null"):
            return kind
        if kind == "array":
            item = self.visit(schema.get("items", {"type": "string"}), f"{name}-item")
            high = int(schema.get("maxItems", DEFAULT_MAX_ITEMS))
            if high < 1:
                return self.add(name, '"[" space "]" space')
            return self.add(name, f'"[" space ({item} ("," space {item}){{0,{high - 1}}})? "]" space')
        if kind == "object" or "properties" in schema:
            return self.visit_object(schema, name)
        raise UnsupportedSchemaError(f"schema at {name!r} is not supported for grammar generation: {json.dumps(schema)[:200]}")

    def visit_object(self, schema: dict[str, Any], name: str) -> str:
        properties = schema.get("properties", {})
        if not properties:
            return self.add(name, '"{" space "}" space')
        required = [key for key in properties if key in set(schema.get("required", []))]
        optional = [key for key in properties if key not in required]
        pair = {key: f'{json.dumps(json.dumps(key))} space ":" space {self.visit(properties[key], f"{name}-{key}")}' for key in properties}
        # Properties come in schema order: required ones always, optional ones each maybe.
        # With no required property the first optional one must not start with a comma.
        if required:
            body = ' "," space '.join(pair[key] for key in required)
            body += "".join(f' ("," space {pair[key]})?' for key in optional)
        else:
            body = f"({pair[optional[0]]}" + "".join(f' ("," space {pair[key]})?' for key in optional[1:]) + ")?"
        return self.add(name, f'"{{" space {body} "}}" space')


def schema_to_gbnf(schema: dict[str, Any]) -> str:
    converter = _Converter(schema)
    top = converter.visit(schema, "value")
    lines = [f"root ::= {top}"]
    lines += [f"{name} ::= {body}" for name, body in converter.rules.items()]
    lines += [f"{name} ::= {body}" for name, body in PRIMITIVES.items()]
    return "\n".join(lines) + "\n"


def schema_rules(schema: dict[str, Any], name: str, rules: dict[str, str]) -> str:
    """Add the rules for `schema` to `rules` and return its top rule's name.

    For grammars that embed JSON values in other text (the ReAct format's Action Input);
    the caller adds PRIMITIVES once. Sharing `rules` across schemas keeps names unique.
    """
    converter = _Converter(schema)
    converter.rules = rules
    return converter.visit(schema, name)

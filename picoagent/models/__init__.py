"""Model backends behind one protocol, chosen by a spec string."""

from __future__ import annotations

from pathlib import Path

from picoagent.errors import ConfigError
from picoagent.models.base import Completion, Constraint, Message, Model, Timings, Usage

__all__ = ["Completion", "Constraint", "Message", "Model", "Timings", "Usage", "load_model"]

SPEC_HELP = "use local (the embedded model with picoagent's tuned adapter), local:base (without it), local:PATH.gguf, local+adapter:ADAPTER.gguf, openai:NAME or scripted:FILE.json"
ADAPTER_MARK = "+adapter:"


def portable_spec(spec: str) -> str:
    """The spec with its files as absolute paths, so a process with another working directory loads the same."""

    def absolute(path: str) -> str:
        return str(Path(path).expanduser().resolve()) if path else path

    base, mark, adapter = spec.partition(ADAPTER_MARK)
    kind, colon, arg = base.partition(":")
    is_file = kind == "scripted" or (kind == "local" and arg != "base")
    return f"{kind}{colon}{absolute(arg) if is_file else arg}{mark}{absolute(adapter)}"


def load_model(spec: str, *, n_ctx: int = 8192, api_timeout_s: float = 120.0) -> Model:
    """Build the model a `--model` spec names; `api_timeout_s` is the read timeout of an API request."""
    base, _, adapter = spec.partition(ADAPTER_MARK)
    kind, _, arg = base.partition(":")
    if adapter and kind != "local":
        raise ConfigError(f"an adapter goes on an embedded model: local{ADAPTER_MARK}ADAPTER.gguf or local:BASE.gguf{ADAPTER_MARK}ADAPTER.gguf, not {spec!r}")
    if kind == "local":
        from picoagent.models.local import LocalModel
        from picoagent.models.weights import DEFAULT_ADAPTER, default_model_path

        if arg == "base":
            return LocalModel(default_model_path(), adapter=adapter or None, n_ctx=n_ctx)
        if not arg and not adapter and DEFAULT_ADAPTER.is_file():
            adapter = str(DEFAULT_ADAPTER)
        return LocalModel(arg or default_model_path(), adapter=adapter or None, n_ctx=n_ctx)
    if kind == "openai":
        from picoagent.models.openai_compat import OpenAIModel

        return OpenAIModel(arg, timeout_s=api_timeout_s)
    if kind == "scripted":
        from picoagent.models.scripted import ScriptedModel

        if not arg:
            raise ConfigError("scripted model spec needs a file: --model scripted:FILE.json")
        return ScriptedModel.from_file(arg)
    raise ConfigError(f"unknown model spec {spec!r}: {SPEC_HELP}")

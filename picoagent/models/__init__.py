"""Model backends behind one protocol, chosen by a spec string."""

from __future__ import annotations

from pathlib import Path

from picoagent.errors import ConfigError
from picoagent.models.base import Completion, Constraint, Message, Model, Timings, Usage

__all__ = ["Completion", "Constraint", "Message", "Model", "Timings", "Usage", "load_model"]

SPEC_HELP = "use local, local:PATH.gguf, local+adapter:ADAPTER.gguf, openai:NAME or scripted:FILE.json"
ADAPTER_MARK = "+adapter:"


def portable_spec(spec: str) -> str:
    """The spec with its files as absolute paths, so a process with another working directory loads the same."""

    def absolute(path: str) -> str:
        return str(Path(path).expanduser().resolve()) if path else path

    base, mark, adapter = spec.partition(ADAPTER_MARK)
    kind, colon, arg = base.partition(":")
    return f"{kind}{colon}{absolute(arg) if kind in ('local', 'scripted') else arg}{mark}{absolute(adapter)}"


def load_model(spec: str, *, n_ctx: int = 8192) -> Model:
    """Build the model a `--model` spec names."""
    base, _, adapter = spec.partition(ADAPTER_MARK)
    kind, _, arg = base.partition(":")
    if adapter and kind != "local":
        raise ConfigError(f"an adapter goes on an embedded model: local{ADAPTER_MARK}ADAPTER.gguf or local:BASE.gguf{ADAPTER_MARK}ADAPTER.gguf, not {spec!r}")
    if kind == "local":
        from picoagent.models.local import LocalModel
        from picoagent.models.weights import default_model_path

        return LocalModel(arg or default_model_path(), adapter=adapter or None, n_ctx=n_ctx)
    if kind == "openai":
        from picoagent.models.openai_compat import OpenAIModel

        return OpenAIModel(arg)
    if kind == "scripted":
        from picoagent.models.scripted import ScriptedModel

        if not arg:
            raise ConfigError("scripted model spec needs a file: --model scripted:FILE.json")
        return ScriptedModel.from_file(arg)
    raise ConfigError(f"unknown model spec {spec!r}: {SPEC_HELP}")

"""Model backends behind one protocol, chosen by a spec string."""

from __future__ import annotations

from picoagent.errors import ConfigError
from picoagent.models.base import Completion, Constraint, Message, Model, Timings, Usage

__all__ = ["Completion", "Constraint", "Message", "Model", "Timings", "Usage", "load_model"]

SPEC_HELP = "use local (the embedded model with picoagent's tuned adapter), local:base (without it), local:PATH.gguf, local+adapter:ADAPTER.gguf, openai:NAME or scripted:FILE.json"
ADAPTER_MARK = "+adapter:"


def load_model(spec: str, *, n_ctx: int = 8192) -> Model:
    """Build the model a `--model` spec names."""
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

        return OpenAIModel(arg)
    if kind == "scripted":
        from picoagent.models.scripted import ScriptedModel

        if not arg:
            raise ConfigError("scripted model spec needs a file: --model scripted:FILE.json")
        return ScriptedModel.from_file(arg)
    raise ConfigError(f"unknown model spec {spec!r}: {SPEC_HELP}")

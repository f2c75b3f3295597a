"""picoagent: a local-first engine for LLM agents, built for small open-weight models."""

__version__ = "0.1.0"

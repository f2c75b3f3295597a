"""Errors that reach the user as one readable line.

Anything raised as a PicoagentError is the user's or the environment's problem
(bad flag, missing file, unreachable server), not a bug: the CLI prints its
message and exits non-zero without a traceback.
"""


class PicoagentError(Exception):
    """A problem the user can fix; its message is shown as-is."""


class ConfigError(PicoagentError):
    """A bad option, model spec or configuration value."""


class ModelError(PicoagentError):
    """A model backend failed: unreachable server, unloadable weights, exhausted script."""

"""User-facing errors.

Every failure a user can cause (bad option, unreadable file, unknown scattering
model, unreachable database) is raised as a :class:`SasnetsError` whose message
is one sentence naming the file or option and what to do.  The CLI prints that
sentence on one line and exits non-zero; it never shows a traceback for them.
"""

__all__ = ["SasnetsError", "UsageError", "DataError", "StoreError", "PluginError"]


class SasnetsError(Exception):
    """A failure the user can act on; ``str(err)`` is the one-line message."""

    exit_code = 1

    def __str__(self):  # keep it to one line whatever the caller passed
        return " ".join(super().__str__().split())


class UsageError(SasnetsError):
    """A bad option or argument value."""

    exit_code = 2


class DataError(SasnetsError):
    """A file or curve that cannot be read or used."""


class StoreError(SasnetsError):
    """A store that cannot be opened, read or written."""


class PluginError(SasnetsError):
    """A plugin that fails to load or registers something invalid."""

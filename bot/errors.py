"""Errors a user can act on.

Every failure the user can fix (a bad link, an empty doc, a missing key, a model outage) is raised as a
`DocdebateError` whose message is one sentence saying what happened and what to do. The CLI prints it as
one line; Slack shows it as an ephemeral message. Anything else is a bug and is logged as one.
"""

from __future__ import annotations


class DocdebateError(Exception):
    """A failure with a message fit to show the user as is."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(DocdebateError):
    """A setting is missing or wrong."""

    exit_code = 78  # EX_CONFIG


class SourceError(DocdebateError):
    """The document could not be read: bad link, no access, empty, binary, too large."""

    exit_code = 66  # EX_NOINPUT


class PersonaError(DocdebateError):
    """A persona file is malformed, or an unknown persona was asked for."""

    exit_code = 64  # EX_USAGE


class ModelError(DocdebateError):
    """The model service failed in a way retries did not fix (outage, auth, spend limit, timeout)."""

    exit_code = 69  # EX_UNAVAILABLE


class SlackError(DocdebateError):
    """Slack refused or failed a call the bot made. Plain data (Slack's error code, whether a later try may
    succeed), so it survives the workflow engine's serialisation where slack_sdk's own error does not."""

    exit_code = 69

    def __init__(self, message: str, error: str = "", retryable: bool = False) -> None:
        super().__init__(message)
        self.error, self.retryable = error, retryable

    def __reduce__(self) -> tuple[type[SlackError], tuple[str, str, bool]]:
        return type(self), (self.message, self.error, self.retryable)


class CaseError(DocdebateError):
    """An eval case is malformed: its labels do not parse, or an anchor is not verbatim in its document."""

    exit_code = 65  # EX_DATAERR

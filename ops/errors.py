"""Expected outcomes other than success, each with its exit code (documented in docs/operations.md)."""

import re

from botocore.exceptions import BotoCoreError, ClientError

# Failures of an AWS call: clean-up and reporting paths catch both (a lost connection is a BotoCoreError).
AWS_ERRORS = (ClientError, BotoCoreError)

REFUSED = 1
USAGE = 2
AWS_FAILURE = 3
TIMED_OUT = 4


class OpsError(Exception):
    """An expected failure: printed as one line, no traceback."""

    exit_code = AWS_FAILURE


class Refused(OpsError):
    """The command refused to act (or a check failed); nothing was changed."""

    exit_code = REFUSED


class UsageError(OpsError):
    """Bad outputs file, options or AWS environment settings."""

    exit_code = USAGE


class Failed(OpsError):
    """An AWS call or a waited-for resource failed."""

    exit_code = AWS_FAILURE


class TimedOut(OpsError):
    """A wait exceeded --timeout."""

    exit_code = TIMED_OUT


class CheckFailed(OpsError):
    """A verification (backups, drill RTO) did not pass."""

    exit_code = REFUSED


class ExitWith(OpsError):
    """Exit with a given code and no message (`run`: the container's exit code)."""

    def __init__(self, code: int):
        super().__init__("")
        self.exit_code = code


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return " ".join(text.split())


def error_code(error: ClientError) -> str:
    """The AWS error code of a ClientError."""
    return error.response.get("Error", {}).get("Code", "")


def html_title(text: str) -> str:
    """The <title> of an HTML page, else its first 60 characters, on one line."""
    found = re.search(r"<title[^>]*>(.*?)</title>", text, flags=re.IGNORECASE | re.DOTALL)
    return one_line(found.group(1) if found else text[:60])


def error_text(error: ClientError) -> str:
    """`Code: message` of a ClientError, on one line."""
    info = error.response.get("Error", {})
    return one_line(f"{info.get('Code', 'Error')}: {info.get('Message', str(error))}")


def aws_error_text(error: Exception) -> str:
    """error_text of a ClientError, else the one-line message of the error."""
    return error_text(error) if isinstance(error, ClientError) else one_line(str(error))

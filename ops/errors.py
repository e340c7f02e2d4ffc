"""Expected outcomes other than success, each with its exit code (documented in docs/operations.md)."""

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
    """Bad outputs file or options."""

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

"""`python -m ops <command> --outputs FILE [options]`: argument parsing, dispatch, one-line errors, signals."""

import argparse
import os
import sys
import traceback
from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from ops import app_secrets, backups, logs, maintenance, outputs, restore, shell, status, tasks, traffic
from ops.aws import Aws
from ops.errors import AWS_FAILURE, OpsError, error_text, one_line
from ops.interrupt import Interrupted, installed
from ops.progress import Waiter

DEFAULT_POLL = 15.0
FOLLOW_POLL = 2.0  # logs --follow and run: new lines within a couple of seconds
DUMP_PREFIX = "pg_dump/"  # where the nightly dump task writes (components/db_dump.py)
SPLIT_AT_DASHES = ("run", "exec")  # commands whose COMMAND follows `--`


def positive(value: str) -> float:
    """An argparse type: a number > 0."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {value}")
    return number


def utc_time(value: str) -> datetime:
    """An argparse type: ISO 8601 time, UTC unless it says otherwise."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def wait_options(parser: argparse.ArgumentParser, timeout_help: str) -> None:
    """--timeout and --poll-seconds of the commands that wait."""
    parser.add_argument("--timeout", type=positive, metavar="SECONDS", help=timeout_help)
    parser.add_argument("--poll-seconds", type=positive, default=DEFAULT_POLL, metavar="SECONDS",
                        help=f"interval between progress checks (default {DEFAULT_POLL:g})")


def poll_option(parser: argparse.ArgumentParser) -> None:
    """--poll-seconds of the commands that follow log lines."""
    parser.add_argument("--poll-seconds", type=positive, default=FOLLOW_POLL, metavar="SECONDS",
                        help=f"interval between reads (default {FOLLOW_POLL:g})")


def traffic_commands(sub, common) -> None:
    """status, rollback, maintenance."""
    status_ = sub.add_parser("status", parents=[common], help="services, traffic per route, target health, "
                                                              "maintenance")
    status_.add_argument("--service", metavar="NAME", help="only this service (default: every service)")
    rollback = sub.add_parser("rollback", parents=[common],
                              help="shift all production traffic of a service to its other target groups")
    rollback.add_argument("--service", metavar="NAME", help="public service (default: the only public one)")
    rollback.add_argument("--to", choices=["blue", "green"], help="target group to send all traffic to")
    rollback.add_argument("--force", action="store_true",
                          help="shift even when ECS deployments cannot be listed (none is stopped then)")
    maint = sub.add_parser("maintenance", parents=[common], help="switch the ops maintenance rules on or off")
    maint.add_argument("state", choices=["on", "off"])
    maint.add_argument("--admin-path", action="append", metavar="PATTERN",
                       help="path pattern that bypasses maintenance (repeat; replaces maintenanceAdminPaths)")
    maint.add_argument("--allow-cidr", action="append", metavar="CIDR",
                       help="source CIDR that bypasses maintenance (repeat; replaces maintenanceAllowedCidrs)")
    maint.add_argument("--message", default=maintenance.DEFAULT_MESSAGE, help="message of the 503 JSON body")


def data_commands(sub, common) -> None:
    """backup, verify-backups, restore-drill."""
    backup = sub.add_parser("backup", parents=[common], help="manual snapshot now, copied to the backup region")
    wait_options(backup, "give up waiting after this many seconds (default 7200)")
    verify = sub.add_parser("verify-backups", parents=[common], help="check RPO and backup freshness")
    verify.add_argument("--rpo-hours", type=positive, default=1.0, help="recovery point objective (default 1)")
    verify.add_argument("--max-age-hours", type=positive, default=24.0,
                        help="max age of the newest backups (default 24)")
    verify.add_argument("--dump-prefix", default=DUMP_PREFIX,
                        help=f"key prefix of the nightly pg_dump files in the bucket (default {DUMP_PREFIX})")
    drill = sub.add_parser("restore-drill", parents=[common], help="restore into a new instance, time it, delete it")
    drill.add_argument("--restore-time", type=utc_time, metavar="ISO8601",
                       help="point in time, UTC unless an offset is given (default: latest restorable)")
    drill.add_argument("--keep", action="store_true", help="keep the drill instance instead of deleting it")
    drill.add_argument("--rto-hours", type=positive, default=4.0, help="recovery time objective (default 4)")
    wait_options(drill, "give up waiting after this many seconds (default: the RTO)")


def app_commands(sub, common) -> None:
    """logs, run, exec, secrets."""
    log = sub.add_parser("logs", parents=[common], help="log lines of a service, job or <service>-migrations")
    log.add_argument("name", nargs="?", metavar="NAME", help="default: the only public service")
    log.add_argument("--since", type=logs.duration, default=timedelta(minutes=10), metavar="DURATION",
                     help="how far back: 15m, 2h, 1d, 1h30m (default 10m)")
    log.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until Ctrl-C")
    log.add_argument("--filter", metavar="PATTERN", help="CloudWatch Logs filter pattern, e.g. ERROR or '\"user 42\"'")
    poll_option(log)
    run = sub.add_parser("run", parents=[common], usage="python -m ops run [NAME] --outputs FILE [--no-wait] "
                                                        "-- COMMAND...",
                         help="one task from a service's (or job's) task definition, command overridden")
    run.add_argument("name", nargs="?", metavar="NAME", help="service or job (default: the only public service)")
    run.add_argument("--no-wait", action="store_true", help="print the task ARN and return at once")
    poll_option(run)
    exec_ = sub.add_parser("exec", parents=[common], usage="python -m ops exec [NAME] --outputs FILE [--task ID] "
                                                           "[-- COMMAND...]",
                           help="interactive shell (or COMMAND) in a running task, through ECS Exec")
    exec_.add_argument("name", nargs="?", metavar="NAME", help="service (default: the only public service)")
    exec_.add_argument("--task", metavar="ID", help="task ID or ARN (default: the first that accepts ECS Exec)")
    secret = sub.add_parser("secrets", help="list, set or rotate the app's secrets (values never shown)")
    actions = secret.add_subparsers(dest="action", required=True, metavar="action")
    listing = actions.add_parser("list", parents=[common], help="secret names a service receives, and from where")
    listing.add_argument("--service", metavar="NAME", help="service (default: the only public one)")
    for action, text in (("set", "store a value read from stdin, roll the services using it"),
                         ("rotate", "store a new generated value, roll the services using it")):
        actions.add_parser(action, parents=[common], help=text).add_argument("secret", metavar="NAME",
                                                                            help="env var name, e.g. JWT_SECRET")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    parser = argparse.ArgumentParser(prog="python -m ops", description="Day-2 operations of a nodeapi stack.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--outputs", required=True, metavar="FILE", help="JSON of `pulumi stack output --json`")
    traffic_commands(sub, common)
    data_commands(sub, common)
    app_commands(sub, common)
    return parser


def overridden(args: argparse.Namespace) -> frozenset:
    """Outputs keys an option replaces (so they need not be in the file)."""
    keys = set()
    if getattr(args, "admin_path", None) is not None:
        keys.add("maintenanceAdminPaths")
    if getattr(args, "allow_cidr", None) is not None:
        keys.add("maintenanceAllowedCidrs")
    return frozenset(keys)


def run_maintenance(aws: Aws, args: argparse.Namespace, data: dict, now: datetime) -> None:
    """maintenance on|off."""
    if args.state == "off":
        return maintenance.turn_off(aws, data, now)
    paths = args.admin_path if args.admin_path is not None else data["maintenanceAdminPaths"]
    cidrs = args.allow_cidr if args.allow_cidr is not None else data["maintenanceAllowedCidrs"]
    paths, cidrs = maintenance.check_paths(paths), maintenance.normalize_cidrs(cidrs)
    return maintenance.turn_on(aws, data, paths, cidrs, args.message, now)


def run_secrets(aws: Aws, args: argparse.Namespace, data: dict) -> None:
    """secrets list|set|rotate."""
    if args.action == "list":
        app_secrets.list_secrets(aws, data, args.service)
    elif args.action == "set":
        app_secrets.set_secret(aws, data, args.secret, sys.stdin)
    else:
        app_secrets.rotate_secret(aws, data, args.secret)


def utc_now() -> datetime:
    """The current time (UTC); names of snapshots and drill instances derive from it."""
    return datetime.now(UTC)


def dispatch(args: argparse.Namespace, data: dict) -> None:
    """Run the chosen command."""
    aws = Aws(data["region"], data.get("backupRegion"))
    now = utc_now()
    command = args.command
    if command == "status":
        status.status(aws, data, args.service)
    elif command == "rollback":
        traffic.rollback(aws, data, args.service, args.to, args.force)
    elif command == "maintenance":
        run_maintenance(aws, args, data, now)
    elif command == "backup":
        backups.backup(aws, data, Waiter(args.timeout or 7200, args.poll_seconds), now)
    elif command == "verify-backups":
        backups.verify(aws, data, now, timedelta(hours=args.rpo_hours), timedelta(hours=args.max_age_hours),
                       args.dump_prefix)
    elif command == "restore-drill":
        rto = timedelta(hours=args.rto_hours)
        waiter = Waiter(args.timeout or rto.total_seconds(), args.poll_seconds)
        restore.restore_drill(aws, data, waiter, now, args.restore_time, args.keep, rto)
    elif command == "logs":
        logs.logs(aws, data, args.name, args.since, args.follow, args.filter, args.poll_seconds)
    elif command == "run":
        tasks.run(aws, data, args.name, args.remainder, not args.no_wait, args.poll_seconds)
    elif command == "exec":
        shell.exec_session(aws, data, args.name, args.remainder, args.task)
    elif command == "secrets":
        run_secrets(aws, args, data)


def split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """(options, COMMAND) of `run`/`exec`: everything after the first `--` is the command, untouched."""
    if argv and argv[0] in SPLIT_AT_DASHES and "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1:]
    return argv, []


def parse(argv: list[str]) -> argparse.Namespace:
    """Parsed arguments (SystemExit on a usage error, as argparse does)."""
    options, remainder = split_command(argv)
    args = build_parser().parse_args(options)
    args.remainder = remainder
    return args


def report(command: str, error: BaseException) -> int:
    """Print the one-line reason of a failure; its exit code."""
    if isinstance(error, OpsError):
        if str(error):
            print(f"ops {command}: {error}", file=sys.stderr)
        return error.exit_code
    if isinstance(error, ClientError):
        print(f"ops {command}: AWS error in {error.operation_name}: {error_text(error)}", file=sys.stderr)
        return AWS_FAILURE
    if isinstance(error, BotoCoreError):  # no credentials, unknown profile, endpoint unreachable, non-AWS answer
        print(f"ops {command}: {one_line(str(error))}", file=sys.stderr)
        return AWS_FAILURE
    if isinstance(error, ResponseParserError):  # an answer that is neither AWS XML/JSON nor an HTML page
        print(f"ops {command}: the endpoint's answer is not an AWS response ({one_line(str(error))[:200]}); check "
              "AWS_ENDPOINT_URL and any proxy", file=sys.stderr)
        return AWS_FAILURE
    if isinstance(error, Interrupted):
        print(f"ops {command}: interrupted ({error.name})", file=sys.stderr)
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        print(f"ops {command}: interrupted", file=sys.stderr)
        return 130
    if os.environ.get("OPS_DEBUG"):
        traceback.print_exception(error)
    print(f"ops {command}: unexpected {type(error).__name__}: {one_line(str(error))} (OPS_DEBUG=1 prints the "
          "traceback)", file=sys.stderr)
    return AWS_FAILURE


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit code (0 success, see docs/operations.md for the others)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parse(argv)
    except SystemExit as exit_:  # argparse has printed the usage error
        return int(exit_.code or 0)
    with installed():
        try:
            dispatch(args, outputs.load(args.outputs, args.command, overridden(args)))
        except BaseException as error:  # noqa: BLE001 - every failure ends as one line and an exit code
            if isinstance(error, SystemExit):
                raise
            return report(args.command, error)
    return 0

"""`python -m ops <command> --outputs FILE [options]`: argument parsing, dispatch, one-line errors."""

import argparse
import sys
from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from ops import backups, maintenance, outputs, restore, status, traffic
from ops.aws import Aws
from ops.deployments import error_text
from ops.errors import AWS_FAILURE, OpsError
from ops.progress import Waiter

DEFAULT_POLL = 15.0
DUMP_PREFIX = "pg_dump/"  # where the nightly dump task writes (components/db_dump.py)


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


def add_commands(sub) -> None:
    """One subparser per command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--outputs", required=True, metavar="FILE", help="JSON of `pulumi stack output --json`")
    sub.add_parser("status", parents=[common], help="traffic, target health, web service, maintenance")
    rollback = sub.add_parser("rollback", parents=[common],
                              help="shift all production traffic to the other target group")
    rollback.add_argument("--to", choices=["blue", "green"], help="target group to send all traffic to")
    maint = sub.add_parser("maintenance", parents=[common], help="switch the ops maintenance rules on or off")
    maint.add_argument("state", choices=["on", "off"])
    maint.add_argument("--admin-path", action="append", metavar="PATTERN",
                       help="path pattern that bypasses maintenance (repeat; replaces maintenanceAdminPaths)")
    maint.add_argument("--allow-cidr", action="append", metavar="CIDR",
                       help="source CIDR that bypasses maintenance (repeat; replaces maintenanceAllowedCidrs)")
    maint.add_argument("--message", default=maintenance.DEFAULT_MESSAGE, help="message of the 503 JSON body")
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    parser = argparse.ArgumentParser(prog="python -m ops", description="Day-2 operations of a nodeapi stack.")
    add_commands(parser.add_subparsers(dest="command", required=True, metavar="command"))
    return parser


def overridden(args: argparse.Namespace) -> frozenset:
    """Outputs keys an option replaces (so they need not be in the file)."""
    keys = set()
    if getattr(args, "admin_path", None) is not None:
        keys.add("maintenanceAdminPaths")
    if getattr(args, "allow_cidr", None) is not None:
        keys.add("maintenanceAllowedCidrs")
    return frozenset(keys)


def run_maintenance(aws: Aws, args: argparse.Namespace, data: dict) -> None:
    """maintenance on|off."""
    if args.state == "off":
        return maintenance.turn_off(aws, data)
    paths = args.admin_path if args.admin_path is not None else data["maintenanceAdminPaths"]
    cidrs = args.allow_cidr if args.allow_cidr is not None else data["maintenanceAllowedCidrs"]
    paths, cidrs = maintenance.check_paths(paths), maintenance.normalize_cidrs(cidrs)
    return maintenance.turn_on(aws, data, paths, cidrs, args.message)


def utc_now() -> datetime:
    """The current time (UTC); names of snapshots and drill instances derive from it."""
    return datetime.now(UTC)


def dispatch(args: argparse.Namespace, data: dict) -> None:
    """Run the chosen command."""
    aws = Aws(data["region"], data.get("backupRegion"))
    now = utc_now()
    if args.command == "status":
        status.status(aws, data)
    elif args.command == "rollback":
        traffic.rollback(aws, data, args.to)
    elif args.command == "maintenance":
        run_maintenance(aws, args, data)
    elif args.command == "backup":
        backups.backup(aws, data, Waiter(args.timeout or 7200, args.poll_seconds), now)
    elif args.command == "verify-backups":
        backups.verify(aws, data, now, timedelta(hours=args.rpo_hours), timedelta(hours=args.max_age_hours),
                       args.dump_prefix)
    elif args.command == "restore-drill":
        rto = timedelta(hours=args.rto_hours)
        waiter = Waiter(args.timeout or rto.total_seconds(), args.poll_seconds)
        restore.restore_drill(aws, data, waiter, now, args.restore_time, args.keep, rto)


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit code (0 success, see docs/operations.md for the others)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage error
        return int(exit_.code or 0)
    try:
        dispatch(args, outputs.load(args.outputs, args.command, overridden(args)))
    except OpsError as error:
        print(f"ops {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except ClientError as error:
        print(f"ops {args.command}: AWS error in {error.operation_name}: {error_text(error)}", file=sys.stderr)
        return AWS_FAILURE
    except BotoCoreError as error:  # no credentials, unknown profile, endpoint unreachable...
        print(f"ops {args.command}: {error}", file=sys.stderr)
        return AWS_FAILURE
    except KeyboardInterrupt:
        print(f"ops {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0

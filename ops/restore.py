"""`restore-drill`: point-in-time restore into a new instance, timed against the RTO, then deleted."""

import re
import sys
from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from ops.backups import fmt_age, iso
from ops.errors import AWS_ERRORS, CheckFailed, Refused, UsageError, aws_error_text
from ops.interrupt import shielded
from ops.progress import Waiter, fmt_elapsed

MAX_IDENTIFIER = 63  # RDS DB instance identifier limit
INSTANCE_FAILED = frozenset({"failed", "incompatible-restore", "incompatible-parameters", "incompatible-network",
                             "inaccessible-encryption-credentials", "restore-error", "storage-full",
                             "deleting", "not found"})
DRILL_TAGS = [{"Key": "nodeapi:drill", "Value": "true"}]


def drill_identifier(db: str, now: datetime) -> str:
    """`<db>-drill-YYYYMMDDHHMM` (UTC); UsageError if RDS would reject it as too long."""
    name = f"{db}-drill-{now:%Y%m%d%H%M}"
    if len(name) > MAX_IDENTIFIER:
        raise UsageError(f"drill identifier {name} is longer than {MAX_IDENTIFIER} characters")
    return name


def is_drill_identifier(name: str, live: str) -> bool:
    """Whether a name is a drill instance of the live instance (and so never the live one)."""
    return name != live and re.fullmatch(re.escape(live) + r"-drill-\d{12}", name) is not None


def instance_state(rds, identifier: str) -> str:
    """The status of a DB instance, or `not found`."""
    try:
        return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["DBInstanceStatus"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "DBInstanceNotFound":
            return "not found"
        raise


def restore_args(outputs: dict, name: str, restore_time: datetime | None) -> dict:
    """Parameters of RestoreDBInstanceToPointInTime for a private, throwaway drill instance."""
    when = {"RestoreTime": restore_time} if restore_time else {"UseLatestRestorableTime": True}
    return {"SourceDBInstanceIdentifier": outputs["dbInstanceIdentifier"], "TargetDBInstanceIdentifier": name,
            "DBSubnetGroupName": outputs["dbSubnetGroupName"], "VpcSecurityGroupIds": outputs["dbSecurityGroupIds"],
            "PubliclyAccessible": False, "MultiAZ": False, "DeletionProtection": False,
            "Tags": DRILL_TAGS + [{"Key": "nodeapi:drill-source", "Value": outputs["dbInstanceIdentifier"]}],
            **when}


def delete_drill(rds, name: str, live: str) -> None:
    """Delete a drill instance without a final snapshot; refuses any other identifier."""
    if not is_drill_identifier(name, live):
        raise Refused(f"refused: {name} is not a drill instance of {live}; not deleting it")
    rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
    print(f"deleting drill instance {name} (no final snapshot)")


def rto_verdict(elapsed: float, rto: timedelta) -> tuple[bool, str]:
    """Whether the restore met the RTO, and the report line."""
    ok = elapsed <= rto.total_seconds()
    return ok, f"restore took {fmt_elapsed(elapsed)} (RTO {fmt_age(rto)}): {'within' if ok else 'EXCEEDS'} RTO"


def cleanup_hint(name: str) -> str:
    """How to remove a drill instance the command had to leave behind."""
    return (f"drill instance {name} left in place; when it can be deleted run: aws rds delete-db-instance "
            f"--db-instance-identifier {name} --skip-final-snapshot --delete-automated-backups")


def abandon_drill(rds, name: str, live: str) -> None:
    """The drill did not finish: delete its instance if RDS lets us (it may refuse while the instance is being
    created), else print the command that deletes it later."""
    with shielded(f"deleting drill instance {name}", then_raise=False):
        try:
            if instance_state(rds, name) == "not found":
                print(f"no drill instance {name} exists", file=sys.stderr)
                return
            delete_drill(rds, name, live)
        except AWS_ERRORS as error:
            print(f"RDS did not delete {name} now ({aws_error_text(error)})", file=sys.stderr)
            print(cleanup_hint(name), file=sys.stderr)


def restore_drill(aws, outputs: dict, waiter: Waiter, now: datetime, restore_time: datetime | None,
                  keep: bool, rto: timedelta) -> None:
    """Restore, wait, report against the RTO, delete unless keep."""
    rds, live = aws.client("rds"), outputs["dbInstanceIdentifier"]
    name = drill_identifier(live, now)
    if instance_state(rds, name) != "not found":
        raise Refused(f"refused: DB instance {name} already exists; nothing changed")
    requested = False
    try:
        with shielded(f"requesting the restore into {name}"):
            rds.restore_db_instance_to_point_in_time(**restore_args(outputs, name, restore_time))
            requested = True
            print(f"restoring {live} to {iso(restore_time) if restore_time else 'its latest restorable time'} "
                  f"as {name}")
        elapsed = waiter.wait(f"instance {name}", lambda: instance_state(rds, name), {"available"}, INSTANCE_FAILED)
    except BaseException:  # interrupted, timed out, failed, throttled, connection lost...
        if requested and keep:
            print(cleanup_hint(name), file=sys.stderr)
        elif requested:
            abandon_drill(rds, name, live)
        raise
    ok, verdict = rto_verdict(elapsed, rto)
    print(verdict)
    if keep:
        print(f"kept drill instance {name} (--keep); delete it when done")
    else:
        with shielded(f"deleting drill instance {name}"):
            delete_drill(rds, name, live)
    if not ok:
        raise CheckFailed(f"restore drill exceeded the RTO of {fmt_age(rto)}")

"""`backup` (manual snapshot + cross-region copy) and `verify-backups` (RPO and freshness checks)."""

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from ops.errors import AWS_ERRORS, CheckFailed, aws_error_text, error_text
from ops.interrupt import shielded
from ops.progress import Waiter

SNAPSHOT_FAILED = frozenset({"failed", "error", "deleted", "deleting"})
BACKUP_TAGS = [{"Key": "nodeapi:backup", "Value": "ops-manual"}]

Found = tuple[datetime, str] | None  # (when, what) of the newest backup of a kind


def manual_snapshot_id(db: str, now: datetime) -> str:
    """`<db>-manual-YYYYMMDD-HHMMSS` (UTC)."""
    return f"{db}-manual-{now:%Y%m%d-%H%M%S}"


def snapshot_state(rds, snapshot_id: str) -> str:
    """The status of a DB snapshot."""
    return rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot_id)["DBSnapshots"][0]["Status"]


def state_or_unknown(rds, snapshot_id: str) -> str:
    """The snapshot's status, for a report that must not fail itself."""
    try:
        return snapshot_state(rds, snapshot_id)
    except AWS_ERRORS as error:
        return f"unknown ({aws_error_text(error)})"


def copy_command(outputs: dict, snapshot_arn: str, snapshot_id: str) -> str:
    """The AWS CLI line that starts the cross-region copy by hand."""
    return (f"aws rds copy-db-snapshot --region {outputs['backupRegion']} --source-region {outputs['region']} "
            f"--source-db-snapshot-identifier {snapshot_arn} --target-db-snapshot-identifier {snapshot_id} "
            f"--kms-key-id {outputs['backupKmsKeyArn']} --copy-tags")


def progress_note(state: str) -> str:
    """`; RDS finishes it on its own` while a snapshot is still being made."""
    return "; RDS finishes it on its own" if state in ("creating", "pending", "copying") else ""


def where_backup_stands(aws, outputs: dict, snapshot: dict, copy_started: bool) -> None:
    """After an interruption or failure: which snapshot exists, and whether the cross-region copy started."""
    snapshot_id = snapshot["DBSnapshotIdentifier"]
    state = state_or_unknown(aws.client("rds"), snapshot_id)
    print(f"snapshot {snapshot_id} exists in {outputs['region']} (status {state}){progress_note(state)}",
          file=sys.stderr)
    if copy_started:
        copy_state = state_or_unknown(aws.backup_client("rds"), snapshot_id)
        print(f"the copy to {outputs['backupRegion']} has started (status {copy_state}){progress_note(copy_state)}",
              file=sys.stderr)
    else:
        print(f"the copy to {outputs['backupRegion']} has NOT started; once the snapshot is available, run: "
              f"{copy_command(outputs, snapshot['DBSnapshotArn'], snapshot_id)}", file=sys.stderr)


def backup(aws, outputs: dict, waiter: Waiter, now: datetime) -> None:
    """Snapshot the instance, wait, copy it to the backup region with the backup KMS key, wait."""
    rds, rds_copy = aws.client("rds"), aws.backup_client("rds")
    region, backup_region = outputs["region"], outputs["backupRegion"]
    snapshot_id = manual_snapshot_id(outputs["dbInstanceIdentifier"], now)
    snapshot, copy_started = None, False
    try:
        with shielded(f"creating snapshot {snapshot_id}"):
            snapshot = rds.create_db_snapshot(DBInstanceIdentifier=outputs["dbInstanceIdentifier"],
                                              DBSnapshotIdentifier=snapshot_id, Tags=BACKUP_TAGS)["DBSnapshot"]
        waiter.wait(f"snapshot {snapshot_id}", lambda: snapshot_state(rds, snapshot_id), {"available"},
                    SNAPSHOT_FAILED)
        print(f"snapshot: {snapshot['DBSnapshotArn']}")
        # SourceRegion makes botocore presign the request the backup region needs to read an encrypted snapshot.
        with shielded(f"starting the copy of {snapshot_id} to {backup_region}"):
            copy = rds_copy.copy_db_snapshot(
                SourceDBSnapshotIdentifier=snapshot["DBSnapshotArn"], TargetDBSnapshotIdentifier=snapshot_id,
                KmsKeyId=outputs["backupKmsKeyArn"], SourceRegion=region, CopyTags=True)["DBSnapshot"]
            copy_started = True
        waiter.wait(f"copy {snapshot_id} ({backup_region})", lambda: snapshot_state(rds_copy, snapshot_id),
                    {"available"}, SNAPSHOT_FAILED)
    except BaseException:
        if snapshot is not None:
            with shielded("reporting the backup state", then_raise=False):
                where_backup_stands(aws, outputs, snapshot, copy_started)
        raise
    print(f"copy: {copy['DBSnapshotArn']} (KMS key {copy.get('KmsKeyId', outputs['backupKmsKeyArn'])})")


@dataclass(frozen=True)
class Check:
    """One verified property."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """`PASS name: detail`."""
        return f"{'PASS' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def fmt_age(delta: timedelta) -> str:
    """`42m`, `3h05m`, `2d04h` (negative ages from clock skew count as 0)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def iso(when: datetime) -> str:
    """`2026-01-02T03:04:05Z` (boto3 datetimes are timezone-aware)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rpo_check(latest: datetime | None, now: datetime, rpo: timedelta) -> Check:
    """The latest restorable time is no older than the RPO."""
    name = "point-in-time recovery"
    if latest is None:
        return Check(name, False, "no latest restorable time (automated backups disabled?)")
    age = now - latest
    return Check(name, age <= rpo, f"latest restorable time {iso(latest)}, {fmt_age(age)} ago (RPO {fmt_age(rpo)})")


def fresh_check(name: str, found: Found, missing: str, now: datetime, max_age: timedelta) -> Check:
    """The newest backup of a kind exists and is no older than max_age."""
    if found is None:
        return Check(name, False, missing)
    when, what = found
    age = now - when
    return Check(name, age <= max_age, f"{what} at {iso(when)}, {fmt_age(age)} ago (max {fmt_age(max_age)})")


def newest(found: list[tuple[datetime, str]]) -> Found:
    """The most recent (when, what), or None."""
    return max(found, default=None, key=lambda item: item[0])


def newest_snapshot(rds, db: str) -> Found:
    """The newest available snapshot (automated or manual) of the instance in the client's region."""
    found = []
    for page in rds.get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=db):
        for snap in page["DBSnapshots"]:
            # A copy's own creation time says nothing about how old its data is.
            when = snap.get("OriginalSnapshotCreateTime") or snap.get("SnapshotCreateTime")
            if snap.get("Status") == "available" and when:
                found.append((when, f"snapshot {snap['DBSnapshotIdentifier']}"))
    return newest(found)


def newest_recovery_point(backup, vault: str, resource_arn: str) -> Found:
    """The newest completed recovery point of the resource in an AWS Backup vault."""
    found, token = [], None
    while True:
        page = backup.list_recovery_points_by_backup_vault(
            BackupVaultName=vault, ByResourceArn=resource_arn, **({"NextToken": token} if token else {}))
        found += [(rp["CreationDate"], f"recovery point in vault {vault}")
                  for rp in page.get("RecoveryPoints", []) if rp.get("Status") == "COMPLETED"]
        token = page.get("NextToken")
        if not token:
            return newest(found)


def newest_dump(s3, bucket: str, prefix: str) -> Found:
    """The newest object under the dump prefix of the logical-dump bucket."""
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found += [(o["LastModified"], f"s3://{bucket}/{o['Key']}") for o in page.get("Contents", [])
                  if not o["Key"].endswith("/")]
    return newest(found)


@dataclass(frozen=True)
class RegionBackups:
    """Where to look for recent backups of the instance in one region."""

    region: str
    vault: str
    db: str
    db_arn: str


def region_check(aws, where: RegionBackups, now: datetime, max_age: timedelta) -> Check:
    """A snapshot, or failing that a vault recovery point, newer than max_age exists in the region."""
    name = f"backups in {where.region}"
    snap = fresh_check(name, newest_snapshot(aws.client("rds", where.region), where.db),
                       f"no snapshot of {where.db}", now, max_age)
    if snap.ok:
        return snap
    try:
        found = newest_recovery_point(aws.client("backup", where.region), where.vault, where.db_arn)
    except ClientError as error:
        return Check(name, False, f"{snap.detail}; vault {where.vault}: {error_text(error)}")
    point = fresh_check(name, found, f"no recovery point in vault {where.vault}", now, max_age)
    return point if point.ok else Check(name, False, f"{snap.detail}; {point.detail}")


def live_instance(rds, db: str) -> dict:
    """The live DB instance description."""
    return rds.describe_db_instances(DBInstanceIdentifier=db)["DBInstances"][0]


def verify(aws, outputs: dict, now: datetime, rpo: timedelta, max_age: timedelta, dump_prefix: str) -> None:
    """Run every check, print one line each; CheckFailed naming the failures."""
    db = outputs["dbInstanceIdentifier"]
    instance = live_instance(aws.client("rds"), db)
    checks = [rpo_check(instance.get("LatestRestorableTime"), now, rpo)]
    for region, vault in ((outputs["region"], outputs["backupVaultName"]),
                          (outputs["backupRegion"], outputs["backupCopyVaultName"])):
        checks.append(region_check(aws, RegionBackups(region, vault, db, instance["DBInstanceArn"]), now, max_age))
    bucket = outputs["backupBucketName"]
    checks.append(fresh_check("logical dump", newest_dump(aws.client("s3"), bucket, dump_prefix),
                              f"no dump in s3://{bucket}/{dump_prefix}", now, max_age))
    for check in checks:
        print(check.line())
    if failed := [c.name for c in checks if not c.ok]:
        raise CheckFailed(f"{len(failed)} of {len(checks)} checks failed: {', '.join(failed)}")

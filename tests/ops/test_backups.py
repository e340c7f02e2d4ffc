"""`backup` and `verify-backups` against moto (AWS Backup recovery points stubbed: moto lacks the API)."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from ops import cli
from tests.ops.world import BACKUP_REGION, REGION

PARTS = ("data",)
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
ACCOUNT = "123456789012"
DUMP_KEY = "pg_dump/app-20260304T020000Z.dump"  # as components/db_dump.py names them


@pytest.fixture
def frozen(monkeypatch):
    """Commands see NOW as the current time (names derive from it)."""
    monkeypatch.setattr(cli, "utc_now", lambda: NOW)


def recovery_points(stub, world, points: list[dict]):
    """The copy vault's recovery points of the instance, as AWS Backup would list them."""
    backup = stub("backup", BACKUP_REGION)
    db_arn = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{world.stack}"
    backup.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": points},
                        {"BackupVaultName": "nodeapi-copy", "ByResourceArn": db_arn})
    return backup


def point(age: timedelta, status: str = "COMPLETED") -> dict:
    return {"RecoveryPointArn": f"arn:aws:backup:{BACKUP_REGION}:{ACCOUNT}:recovery-point:{status}-{age}",
            "Status": status, "CreationDate": datetime.now(UTC) - age}


def test_backup_snapshots_waits_and_copies_with_the_backup_key(world, run, frozen):
    name = f"{world.stack}-manual-20260304-050607"
    result = run("backup", "--poll-seconds", "0.01")
    key = world.outputs["backupKmsKeyArn"]
    assert (result.code, result.out) == (0, f"snapshot: arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:{name}\n"
                                            f"copy: arn:aws:rds:{BACKUP_REGION}:{ACCOUNT}:snapshot:{name} "
                                            f"(KMS key {key})\n")
    assert result.err.splitlines() == [f"[00:00] snapshot {name} available",
                                       f"[00:00] copy {name} ({BACKUP_REGION}) available"]
    source = world.client("rds").describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]
    copy = world.client("rds", BACKUP_REGION).describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]
    assert (source["SnapshotType"], source["DBInstanceIdentifier"]) == ("manual", world.stack)
    assert (copy["Status"], copy["KmsKeyId"]) == ("available", key)


def test_backup_of_a_missing_instance_fails_in_one_line(world, run, tmp_path):
    (tmp_path / "other.json").write_text(json.dumps({**world.outputs, "dbInstanceIdentifier": "nodeapi-gone"}))
    result = run("backup", outputs=tmp_path / "other.json")
    assert (result.code, result.out, result.err) == (
        3, "", "ops backup: AWS error in CreateDBSnapshot: DBInstanceNotFound: DBInstance nodeapi-gone not found.\n")


def test_verify_backups_passes_after_a_backup_and_a_dump(world, run):
    assert run("backup", "--poll-seconds", "0.01").code == 0
    world.client("s3").put_object(Bucket=world.outputs["backupBucketName"], Key=DUMP_KEY, Body=b"x")
    result = run("verify-backups")
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    patterns = [
        r"PASS point-in-time recovery: latest restorable time \S+Z, 0m ago \(RPO 1h00m\)",
        rf"PASS backups in {REGION}: snapshot {world.stack}-manual-\d{{8}}-\d{{6}} at \S+Z, 0m ago \(max 1d00h\)",
        rf"PASS backups in {BACKUP_REGION}: snapshot {world.stack}-manual-\d{{8}}-\d{{6}} at \S+Z, 0m ago "
        r"\(max 1d00h\)",
        rf"PASS logical dump: s3://{world.outputs['backupBucketName']}/{DUMP_KEY} at \S+Z, 0m ago \(max 1d00h\)",
    ]
    assert len(lines) == len(patterns) and all(re.fullmatch(p, line) for p, line in zip(patterns, lines)), lines


def test_verify_backups_lists_every_failure(world, run, stub):
    recovery_points(stub, world, [point(timedelta(hours=30)), point(timedelta(hours=1), "PARTIAL")])
    world.client("s3").put_object(Bucket=world.outputs["backupBucketName"], Key="notes.txt", Body=b"not a dump")
    result = run("verify-backups")
    assert result.code == 1
    lines = result.out.splitlines()
    assert re.fullmatch(r"PASS point-in-time recovery: .*", lines[0])
    assert re.fullmatch(rf"PASS backups in {REGION}: snapshot rds:{world.stack}-[\d-]+ at \S+Z, 0m ago \(max 1d00h\)",
                        lines[1])
    assert re.fullmatch(rf"FAIL backups in {BACKUP_REGION}: no snapshot of {world.stack}; recovery point in vault "
                        r"nodeapi-copy at \S+Z, 1d06h ago \(max 1d00h\)", lines[2])
    assert lines[3:] == [f"FAIL logical dump: no dump in s3://{world.outputs['backupBucketName']}/pg_dump/"]
    assert result.err == f"ops verify-backups: 2 of 4 checks failed: backups in {BACKUP_REGION}, logical dump\n"


def test_verify_backups_accepts_a_recent_vault_recovery_point(world, run, stub):
    recovery_points(stub, world, [point(timedelta(hours=30)), point(timedelta(hours=2))])
    world.client("s3").put_object(Bucket=world.outputs["backupBucketName"], Key=DUMP_KEY, Body=b"x")
    result = run("verify-backups")
    assert (result.code, result.err) == (0, "")
    assert re.fullmatch(rf"PASS backups in {BACKUP_REGION}: recovery point in vault nodeapi-copy at \S+Z, "
                        r"2h00m ago \(max 1d00h\)", result.out.splitlines()[2])


def test_verify_backups_reports_a_vault_it_cannot_read(world, run, stub):
    stub("backup", BACKUP_REGION).add_client_error("list_recovery_points_by_backup_vault", "AccessDeniedException",
                                                   "no backup:ListRecoveryPointsByBackupVault")
    result = run("verify-backups")
    assert result.code == 1
    assert result.out.splitlines()[2] == (
        f"FAIL backups in {BACKUP_REGION}: no snapshot of {world.stack}; "
        "vault nodeapi-copy: AccessDeniedException: no backup:ListRecoveryPointsByBackupVault")


def test_a_copy_that_fails_to_start_says_what_exists_and_how_to_copy(world, run, frozen, via_proxy):
    via_proxy.add("CopyDBSnapshot", do="error", code="KMSKeyNotAccessibleFault", message="no grant")
    name = f"{world.stack}-manual-20260304-050607"
    result = run("backup", "--poll-seconds", "0.01")
    source = f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:{name}"
    assert (result.code, result.out) == (3, f"snapshot: {source}\n")
    assert result.err.splitlines()[1:] == [
        f"snapshot {name} exists in {REGION} (status available)",
        f"the copy to {BACKUP_REGION} has NOT started; once the snapshot is available, run: aws rds copy-db-snapshot "
        f"--region {BACKUP_REGION} --source-region {REGION} --source-db-snapshot-identifier {source} "
        f"--target-db-snapshot-identifier {name} --kms-key-id {world.outputs['backupKmsKeyArn']} --copy-tags",
        "ops backup: AWS error in CopyDBSnapshot: KMSKeyNotAccessibleFault: no grant"]


def test_a_failed_copy_wait_says_the_copy_started(world, run, frozen, via_proxy):
    via_proxy.add("DescribeDBSnapshots", nth=2, do="error", code="Throttling", message="Rate exceeded")
    name = f"{world.stack}-manual-20260304-050607"
    result = run("backup", "--poll-seconds", "0.01")
    assert result.code == 3
    assert result.err.splitlines()[-3:] == [
        f"snapshot {name} exists in {REGION} (status available)",
        f"the copy to {BACKUP_REGION} has started (status available)",
        "ops backup: AWS error in DescribeDBSnapshots: Throttling: Rate exceeded"]

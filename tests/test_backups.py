"""KMS keys, the backup bucket (and its replica), and the AWS Backup plan in both stacks."""

import pytest

from components.backup_bucket import bucket_name
from tests.data_helpers import KEY, data_variant, key_arn, state_of
from tests.data_tier_graph import use_data_tier_graphs
from tests.helpers import ABSENT, assert_inputs, children, one, parsed, resources, stack_settings

use_data_tier_graphs(globals())  # prod, staging, stack_graph: the DataTier of each real stack


BUCKET = "aws:s3/bucket:Bucket"
PRIMARY = "nodeapi-{stack}-backups-123456789012-us-east-1"
REPLICA = "nodeapi-{stack}-backups-123456789012-us-west-2"


# --- KMS keys ---

@pytest.mark.parametrize("name, region", [("encryption", "us-east-1"), ("encryption-backup", "us-west-2")])
def test_keys_rotate_and_let_only_this_account_use_them(stack_graph, name, region):
    key = one(stack_graph, KEY, name)
    assert_inputs(key, {"enableKeyRotation": True, "deletionWindowInDays": 30,
                        "region": region if name == "encryption-backup" else ABSENT})
    assert key["options"]["protect"] is (stack_graph["stack"] == "prod")
    statements = {s["Sid"]: s for s in parsed(key["inputs"]["policy"])["Statement"]}
    assert statements["AccountAdministersThroughIam"] == {
        "Sid": "AccountAdministersThroughIam", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}
    via = statements["AccountPrincipalsThroughAwsServices"]
    assert via["Condition"] == {"StringEquals": {
        "kms:CallerAccount": "123456789012",
        "kms:ViaService": [f"{s}.{region}.amazonaws.com"
                           for s in ("rds", "s3", "secretsmanager", "elasticache", "backup", "logs", "sns", "ecr",
                                     "elasticfilesystem")]}}
    assert "kms:*" not in via["Action"] and "kms:ScheduleKeyDeletion" not in via["Action"]
    logs = statements["CloudWatchLogsEncryptsThisAccountsLogGroups"]
    assert logs["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    assert logs["Condition"] == {"ArnLike": {
        "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:123456789012:log-group:*"}}
    stack = stack_graph["stack"]
    alias = one(stack_graph, "aws:kms/alias:Alias", f"{name}-alias")
    assert alias["inputs"]["name"] == (f"alias/nodeapi-{stack}" if name == "encryption" else f"alias/nodeapi-{stack}-backup")


def test_key_outputs(stack_graph):
    assert stack_graph["outputs"]["backupKmsKeyArn"] == key_arn(stack_graph, backup=True)
    assert ":us-west-2:" in stack_graph["outputs"]["backupKmsKeyArn"]


# --- backup bucket ---

def _bucket_parts(graph: dict, prefix: str, name: str, region: str | None, key: str, days: int) -> None:
    """One hardened bucket: every part present with the exact security inputs."""
    in_region = {"region": region} if region else {"region": ABSENT}
    assert_inputs(one(graph, BUCKET, prefix), {"bucket": name, "forceDestroy": False, **in_region})
    assert_inputs(one(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{prefix}-public-access-block"),
                  {"bucket": name, "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
                   "restrictPublicBuckets": True, **in_region})
    assert_inputs(one(graph, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", f"{prefix}-ownership"),
                  {"bucket": name, "rule": {"objectOwnership": "BucketOwnerEnforced"}})
    assert_inputs(one(graph, "aws:s3/bucketVersioning:BucketVersioning", f"{prefix}-versioning"),
                  {"bucket": name, "versioningConfiguration": {"status": "Enabled"}})
    assert_inputs(one(graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                      f"{prefix}-encryption"),
                  {"bucket": name, "rules": [{"applyServerSideEncryptionByDefault": {
                      "sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}, "bucketKeyEnabled": True}]})
    assert_inputs(one(graph, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{prefix}-lifecycle"),
                  {"bucket": name, "rules": [{"id": "expire-backups", "status": "Enabled", "filter": {"prefix": ""},
                                              "expiration": {"days": days},
                                              "noncurrentVersionExpiration": {"noncurrentDays": 7},
                                              "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1}}]})
    policy = parsed(one(graph, "aws:s3/bucketPolicy:BucketPolicy", f"{prefix}-policy")["inputs"]["policy"])
    assert policy["Statement"] == [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]


def test_prod_bucket_and_its_replica(prod):
    _bucket_parts(prod, "backup-bucket", PRIMARY.format(stack="prod"), None, key_arn(prod), 30)
    _bucket_parts(prod, "backup-bucket-replica", REPLICA.format(stack="prod"), "us-west-2", key_arn(prod, True), 30)
    assert one(prod, BUCKET, "backup-bucket")["options"]["protect"] is True
    assert one(prod, BUCKET, "backup-bucket-replica")["options"]["protect"] is True
    assert prod["outputs"]["backupBucketName"] == PRIMARY.format(stack="prod")


def test_staging_bucket_is_not_replicated(staging):
    _bucket_parts(staging, "backup-bucket", PRIMARY.format(stack="staging"), None, key_arn(staging), 7)
    assert [r["name"] for r in resources(staging, BUCKET) if r["name"].startswith("backup")] == ["backup-bucket"]
    assert one(staging, BUCKET, "backup-bucket")["options"]["protect"] is False
    assert not resources(staging, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")


def test_replication_re_encrypts_with_the_backup_region_key(prod):
    config = one(prod, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    role = state_of(prod, "aws:iam/role:Role", "backup-bucket-replication")
    assert_inputs(config, {"bucket": PRIMARY.format(stack="prod"), "role": role["arn"], "rules": [{
        "status": "Enabled", "filter": {"prefix": ""}, "deleteMarkerReplication": {"status": "Enabled"},
        "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
        "destination": {"bucket": f"arn:aws:s3:::{REPLICA.format(stack='prod')}",
                        "encryptionConfiguration": {"replicaKmsKeyId": key_arn(prod, True)}}}]})
    assert sorted(u.rsplit("::", 1)[1] for u in config["options"]["dependsOn"]) == [
        "backup-bucket-replica-versioning", "backup-bucket-versioning"]


def test_replication_role_has_least_privilege(prod):
    source, destination = (f"arn:aws:s3:::{n.format(stack='prod')}" for n in (PRIMARY, REPLICA))
    role = one(prod, "aws:iam/role:Role", "backup-bucket-replication")
    assert parsed(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    policy = parsed(one(prod, "aws:iam/rolePolicy:RolePolicy", "backup-bucket-replication")["inputs"]["policy"])
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": [source]},
        {"Effect": "Allow", "Action": ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication",
                                       "s3:GetObjectVersionTagging"], "Resource": [f"{source}/*"]},
        {"Effect": "Allow", "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
         "Resource": [f"{destination}/*"]},
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn(prod)],
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"], "Resource": [key_arn(prod, True)],
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}}},
    ]


def test_object_lock_when_turned_on(prod):
    graph = data_variant()
    assert_inputs(one(graph, BUCKET, "backup-bucket"), {"objectLockEnabled": True})
    assert_inputs(one(graph, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "backup-bucket-object-lock"),
                  {"objectLockEnabled": "Enabled", "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 30}}})
    assert len(resources(graph, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")) == 2
    reads = parsed(one(graph, "aws:iam/rolePolicy:RolePolicy", "backup-bucket-replication")["inputs"]["policy"])
    assert reads["Statement"][1]["Action"] == ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication",
                                               "s3:GetObjectVersionTagging", "s3:GetObjectLegalHold",
                                               "s3:GetObjectRetention"]
    assert "objectLockEnabled" not in one(prod, BUCKET, "backup-bucket")["inputs"]
    assert not resources(prod, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")


@pytest.mark.parametrize("stack, region, name", [("prod", "us-east-1", PRIMARY), ("prod", "us-west-2", REPLICA)])
def test_bucket_name(stack, region, name):
    assert bucket_name(stack, "123456789012", region) == name.format(stack=stack)


# --- AWS Backup ---

def test_vaults_are_encrypted_in_both_regions(stack_graph):
    stack = stack_graph["stack"]
    vault = one(stack_graph, "aws:backup/vault:Vault", "backup-plan-vault")
    copy = one(stack_graph, "aws:backup/vault:Vault", "backup-plan-copy-vault")
    assert_inputs(vault, {"name": f"nodeapi-{stack}", "kmsKeyArn": key_arn(stack_graph), "forceDestroy": False,
                          "region": ABSENT})
    assert_inputs(copy, {"name": f"nodeapi-{stack}-copy", "kmsKeyArn": key_arn(stack_graph, True),
                         "forceDestroy": False, "region": "us-west-2"})
    assert vault["options"]["protect"] is copy["options"]["protect"] is (stack == "prod")
    assert stack_graph["outputs"]["backupVaultName"] == f"nodeapi-{stack}"
    assert stack_graph["outputs"]["backupCopyVaultName"] == f"nodeapi-{stack}-copy"


@pytest.mark.parametrize("stack, days", [("staging", 7), ("prod", 30)])
def test_scheduled_rule_copies_to_the_backup_region_when_cross_region(request, stack, days):
    """prod (backups.crossRegion: true) copies every recovery point to the backup region; staging (false) keeps
    the empty copy vault but copies nothing."""
    graph = request.getfixturevalue(stack)
    copy_vault = state_of(graph, "aws:backup/vault:Vault", "backup-plan-copy-vault")["arn"]
    assert ":us-west-2:" in copy_vault
    copies = [{"destinationVaultArn": copy_vault, "lifecycle": {"deleteAfter": days}}] if stack == "prod" else ABSENT
    assert_inputs(one(graph, "aws:backup/plan:Plan"), {"rules": [{
        "ruleName": "scheduled", "targetVaultName": f"nodeapi-{stack}",
        "schedule": "cron(0 7 * * ? *)" if stack == "prod" else "cron(30 12 ? * MON-FRI *)",
        "scheduleExpressionTimezone": "Etc/UTC", "lifecycle": {"deleteAfter": days}, "copyActions": copies}]})


def test_selection_covers_the_database_with_the_backup_role(stack_graph):
    role = state_of(stack_graph, "aws:iam/role:Role", "backup-plan-role")["arn"]
    selection = one(stack_graph, "aws:backup/selection:Selection")
    assert state_of(stack_graph, "aws:rds/instance:Instance", "database")["arn"] == (
        f"arn:aws:rds:us-east-1:123456789012:db:nodeapi-{stack_graph['stack']}")
    assert_inputs(selection, {"iamRoleArn": role,
                              "resources": [state_of(stack_graph, "aws:rds/instance:Instance", "database")["arn"]],
                              "planId": state_of(stack_graph, "aws:backup/plan:Plan", "backup-plan")["id"]})
    # No update API: a changed selection is replaced under the same name, so the old one goes first (safe: recovery
    # points stay in the vault).
    assert selection["options"]["deleteBeforeReplace"] is True
    trust = parsed(one(stack_graph, "aws:iam/role:Role", "backup-plan-role")["inputs"]["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    assert sorted(r["inputs"]["policyArn"] for r in resources(stack_graph, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                  if r["name"].startswith("backup-plan-role")) == [
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"]


def test_components_own_their_resources(prod):
    plan = one(prod, "nodeapi:backups:BackupPlan", "backup-plan")
    assert sorted(r["name"] for r in children(prod, plan["urn"])) == [
        "backup-plan", "backup-plan-copy-vault", "backup-plan-role", "backup-plan-role-backup",
        "backup-plan-role-restores", "backup-plan-selection", "backup-plan-vault"]
    bucket = one(prod, "nodeapi:backups:BackupBucket", "backup-bucket")
    assert len(children(prod, bucket["urn"])) == 17
    keys = one(prod, "nodeapi:encryption:Encryption", "encryption")
    assert sorted(r["name"] for r in children(prod, keys["urn"])) == [
        "encryption", "encryption-alias", "encryption-backup", "encryption-backup-alias"]


def test_every_six_hours_for_an_rpo_of_hours():
    """004: backups every 6 hours. Both the dump schedule and the AWS Backup rule take any frequency."""
    from tests.data_tier_graph import with_changes

    settings = stack_settings("prod")["backups"]
    graph = with_changes("prod", backups={**settings, "planSchedule": "cron(0 */6 * * ? *)",
                                          "dump": {"schedule": "cron(30 */6 * * ? *)"}})
    assert one(graph, "aws:backup/plan:Plan")["inputs"]["rules"][0]["schedule"] == "cron(0 */6 * * ? *)"
    schedule = one(graph, "aws:scheduler/schedule:Schedule", "db-dump-schedule")["inputs"]
    assert (schedule["scheduleExpression"], schedule["description"]) == (
        "cron(30 */6 * * ? *)", "scheduled pg_dump to the backup bucket")


def test_the_dump_image_follows_the_database_major():
    from tests.data_tier_graph import with_changes

    graph = with_changes("prod", database={**stack_settings("prod")["database"], "engineVersion": "17"})
    containers = parsed(one(graph, "aws:ecs/taskDefinition:TaskDefinition", "db-dump-task")["inputs"][
        "containerDefinitions"])
    assert containers[0]["image"] == "public.ecr.aws/docker/library/postgres:17-alpine"
    users = parsed(one(graph, "aws:ecs/taskDefinition:TaskDefinition", "data-app-user-bootstrap")["inputs"][
        "containerDefinitions"])
    assert users[0]["image"] == "public.ecr.aws/docker/library/postgres:17-alpine"

"""The stack's customer-managed KMS keys: one in the primary region, one in the backup region."""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

# Services that use the key on behalf of principals of this account (grants / ViaService). EFS needs
# CreateGrant, Decrypt, DescribeKey and GenerateDataKeyWithoutPlaintext for file systems and their restores
# (https://docs.aws.amazon.com/efs/latest/ug/EFSKMS.html, "Amazon EFS key policies for AWS KMS").
VIA_SERVICES = ("rds", "s3", "secretsmanager", "elasticache", "backup", "logs", "sns", "ecr", "elasticfilesystem")
ENCRYPT_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


def key_policy(account_id: str, region: str) -> dict[str, Any]:
    """Account administers the key through IAM; AWS services use it only for this account."""
    root = f"arn:aws:iam::{account_id}:root"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AccountPrincipalsThroughAwsServices",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ENCRYPT_ACTIONS + ["kms:CreateGrant", "kms:ListGrants"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": account_id,
                        "kms:ViaService": [f"{service}.{region}.amazonaws.com" for service in VIA_SERVICES],
                    }
                },
            },
            {
                "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ENCRYPT_ACTIONS,
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account_id}:log-group:*"}
                },
            },
            {
                "Sid": "AlarmsAndEventsPublishToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"]},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    }


@dataclass(frozen=True, kw_only=True)
class EncryptionArgs:
    """Key aliases are `alias/<alias>` and `alias/<alias>-backup`."""

    alias: str
    region: str
    backup_region: str
    account_id: str
    protect: bool


class Encryption(pulumi.ComponentResource):
    """Two symmetric CMKs with yearly rotation and a 30-day deletion window."""

    def __init__(self, name: str, args: EncryptionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:encryption:Encryption", name, None, opts)
        self.key = self._key(name, args.alias, args.region, None, args)
        self.backup_key = self._key(f"{name}-backup", f"{args.alias}-backup", args.backup_region,
                                    args.backup_region, args)
        self.key_arn = self.key.arn
        self.backup_key_arn = self.backup_key.arn
        self.register_outputs({"key_arn": self.key_arn, "backup_key_arn": self.backup_key_arn})

    def _key(self, name: str, alias: str, region: str, region_input: str | None, args: EncryptionArgs) -> aws.kms.Key:
        import json

        key = aws.kms.Key(
            name,
            description=f"{alias}: data of the nodeapi stack in {region}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(key_policy(args.account_id, region), sort_keys=True),
            region=region_input,
            tags={"Name": alias},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{alias}",
            target_key_id=key.key_id,
            region=region_input,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key

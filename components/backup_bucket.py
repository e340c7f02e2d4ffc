"""S3 bucket for backups: versioned, SSE-KMS, private, TLS only, expiring; replicated to the backup region."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .iam import deny_insecure_transport, policy_document, service_role


# Replicating objects under object lock also copies their retention and legal hold.
OBJECT_LOCK_READS = ["s3:GetObjectLegalHold", "s3:GetObjectRetention"]


def bucket_name(stack: str, account_id: str, region: str) -> str:
    """Globally unique and stable: `nodeapi-<stack>-backups-<account>-<region>`."""
    return f"nodeapi-{stack}-backups-{account_id}-{region}"


def tls_only_policy(bucket_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """Deny every request that does not use TLS."""
    return policy_document([deny_insecure_transport(bucket_arn)])


@dataclass(frozen=True, kw_only=True)
class BucketCopy:
    """Where a bucket is replicated to: bucket name, region and its KMS key (in that region)."""

    bucket_name: str
    region: str
    kms_key_arn: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class BackupBucketArgs:
    """`replica` set: objects are replicated (SSE-KMS re-encrypted) to a bucket in another region."""

    bucket_name: str
    region: str
    kms_key_arn: pulumi.Input[str]
    retention_days: int
    noncurrent_retention_days: int
    account_id: str
    protect: bool
    object_lock: str = "none"
    object_lock_days: int = 0
    replica: BucketCopy | None = None


class BackupBucket(pulumi.ComponentResource):
    """The bucket of nightly dumps (and its cross-region replica)."""

    def __init__(self, name: str, args: BackupBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:backups:BackupBucket", name, None, opts)
        self.bucket, primary_versioning = self._bucket(name, args.bucket_name, None, args.kms_key_arn, args)
        self.replica_bucket = None
        if args.replica:
            self.replica_bucket, replica_versioning = self._bucket(
                f"{name}-replica", args.replica.bucket_name, args.replica.region, args.replica.kms_key_arn, args
            )
            self._replication(name, args, depends_on=[primary_versioning, replica_versioning])
        self.bucket_name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.kms_key_arn = args.kms_key_arn
        self.replica_bucket_name = self.replica_bucket.bucket if self.replica_bucket else None
        self.register_outputs(
            {"bucket_name": self.bucket_name, "arn": self.arn, "replica_bucket_name": self.replica_bucket_name}
        )

    def _bucket(self, name: str, bucket_name: str, region: str | None, kms_key_arn, args: BackupBucketArgs):
        """One hardened bucket; `region` None means the provider's region."""
        child = pulumi.ResourceOptions(parent=self)
        locked = args.object_lock != "none"
        bucket = aws.s3.Bucket(
            name,
            bucket=bucket_name,
            force_destroy=False,
            object_lock_enabled=locked or None,
            region=region,
            tags={"Name": bucket_name},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"},
            region=region, opts=child,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            region=region,
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"},
            region=region, opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn},
                    "bucket_key_enabled": True,
                }
            ],
            region=region,
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-policy", bucket=bucket.id, policy=tls_only_policy(bucket.arn), region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-backups",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_retention_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if locked:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": args.object_lock.upper(), "days": args.object_lock_days}},
                region=region,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )
        return bucket, versioning

    def _replication(self, name: str, args: BackupBucketArgs, depends_on: list[pulumi.Resource]) -> None:
        """Replicate every object (and delete markers) to the replica, re-encrypted with the replica's key."""
        assert args.replica and self.replica_bucket
        source, destination = self.bucket.arn, self.replica_bucket.arn
        role, _ = service_role(
            f"{name}-replication", service="s3.amazonaws.com", account_id=args.account_id, parent=self,
            statements=[
                {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                 "Resource": [source]},
                {"Effect": "Allow",
                 "Action": ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication",
                            "s3:GetObjectVersionTagging"] + OBJECT_LOCK_READS * (args.object_lock != "none"),
                 "Resource": [pulumi.Output.concat(source, "/*")]},
                {"Effect": "Allow", "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
                 "Resource": [pulumi.Output.concat(destination, "/*")]},
                {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [args.kms_key_arn],
                 "Condition": {"StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"}}},
                {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                 "Resource": [args.replica.kms_key_arn],
                 "Condition": {"StringEquals": {"kms:ViaService": f"s3.{args.replica.region}.amazonaws.com"}}},
            ],
        )
        aws.s3.BucketReplicationConfig(
            f"{name}-replication",
            bucket=self.bucket.id,
            role=role.arn,
            rules=[
                {
                    "id": "to-backup-region",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "delete_marker_replication": {"status": "Enabled"},
                    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                    "destination": {
                        "bucket": destination,
                        "storage_class": "STANDARD_IA",
                        "encryption_configuration": {"replica_kms_key_id": args.replica.kms_key_arn},
                    },
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

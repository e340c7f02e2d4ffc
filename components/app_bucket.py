"""An app storage bucket: private, SSE-KMS, TLS only, optional versions, lifecycle and CORS; read/write for the
services that name it, and only for them."""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from settings.storage import CorsSettings, LifecycleRule

from .backup_bucket import tls_only_policy

ABORT_UPLOADS_DAYS = 7  # incomplete multipart uploads are billed until aborted
MAX_BUCKET_NAME = 63  # S3 bucket naming rules


def app_bucket_name(prefix: str, bucket: str, account_id: str, region: str) -> str:
    """Globally unique and stable: `<prefix>-<bucket>-<account>-<region>`, at most 63 characters."""
    name = f"{prefix}-{bucket}-{account_id}-{region}"
    if len(name) > MAX_BUCKET_NAME:
        raise ValueError(f"storage.buckets.{bucket}: the bucket name {name!r} has {len(name)} characters; S3 allows "
                         f"{MAX_BUCKET_NAME} (shorten the bucket or app name)")
    return name


def lifecycle_rules(rules: list[LifecycleRule]) -> list[dict]:
    """The settings' rules, then aborting incomplete multipart uploads (always)."""
    declared = []
    for index, rule in enumerate(rules, start=1):
        entry: dict = {"id": f"rule-{index}", "status": "Enabled", "filter": {"prefix": rule.prefix}}
        if rule.infrequent_access_days is not None:
            entry["transitions"] = [{"days": rule.infrequent_access_days, "storage_class": "STANDARD_IA"}]
        if rule.expire_days is not None:
            entry["expiration"] = {"days": rule.expire_days}
        if rule.noncurrent_expire_days is not None:
            entry["noncurrent_version_expiration"] = {"noncurrent_days": rule.noncurrent_expire_days}
        declared.append(entry)
    return declared + [{"id": "abort-incomplete-uploads", "status": "Enabled", "filter": {"prefix": ""},
                        "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_UPLOADS_DAYS}}]


def read_write_statements(bucket_arn: pulumi.Input[str], kms_key_arn: pulumi.Input[str], region: str) -> list[dict]:
    """What a service that names the bucket may do: list it, read, write and delete its objects, use the key
    through S3 only."""
    return [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [bucket_arn]},
        {"Effect": "Allow", "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
         "Resource": [pulumi.Output.concat(bucket_arn, "/*")]},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [kms_key_arn],
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}},
    ]


@dataclass(frozen=True, kw_only=True)
class AppBucketArgs:
    """One bucket of `storage.buckets`."""

    bucket_name: str
    kms_key_arn: pulumi.Input[str]
    region: str
    protect: bool
    versioned: bool = False
    lifecycle: list[LifecycleRule] = field(default_factory=list)
    cors: CorsSettings | None = None


class AppBucket(pulumi.ComponentResource):
    """The bucket and its controls; `statements()` are the read/write permissions a service gets."""

    def __init__(self, name: str, args: AppBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:storage:AppBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            name, bucket=args.bucket_name, force_destroy=False, tags={"Name": args.bucket_name},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.s3.BucketOwnershipControls(f"{name}-ownership", bucket=self.bucket.id,
                                       rule={"object_ownership": "BucketOwnerEnforced"}, opts=child)
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block", bucket=self.bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child,
        )
        # Suspended rather than absent when not asked for: turning versions off later keeps the existing ones.
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled" if args.versioned else "Suspended"}, opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                                 "kms_master_key_id": args.kms_key_arn},
                    "bucket_key_enabled": True}],
            opts=child,
        )
        aws.s3.BucketPolicy(f"{name}-policy", bucket=self.bucket.id, policy=tls_only_policy(self.bucket.arn),
                            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]))
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=self.bucket.id, rules=lifecycle_rules(args.lifecycle),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if args.cors is not None:
            aws.s3.BucketCorsConfiguration(
                f"{name}-cors", bucket=self.bucket.id,
                cors_rules=[{"allowed_origins": list(args.cors.allowed_origins),
                             "allowed_methods": list(args.cors.allowed_methods),
                             "allowed_headers": list(args.cors.allowed_headers),
                             "expose_headers": list(args.cors.expose_headers),
                             "max_age_seconds": args.cors.max_age_seconds}],
                opts=child,
            )
        self._region, self._kms_key_arn = args.region, args.kms_key_arn
        self.bucket_name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "arn": self.arn})

    def statements(self) -> list[dict]:
        """Read/write on this bucket's objects for a task role."""
        return read_write_statements(self.arn, self._kms_key_arn, self._region)

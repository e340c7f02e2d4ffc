"""The ALB access-log bucket: private, TLS only, SSE-S3 (the only encryption ALB log delivery supports), expiring."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .iam import deny_insecure_transport, policy_document

LOG_PREFIX = "alb"
# Regions opened before August 2022 deliver ALB logs from a regional Elastic Load Balancing account;
# newer regions use the log-delivery service principal (ELB user guide, "Enable access logs").
ELB_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "ca-central-1": "985666609251", "eu-west-1": "156460612806",
    "eu-west-2": "652711504416", "eu-west-3": "009996457667", "eu-central-1": "054676820928",
    "eu-north-1": "897822967062", "eu-south-1": "635631232127", "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864", "ap-northeast-2": "600734575887", "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266", "ap-east-1": "754344448648",
    "sa-east-1": "507241528517", "me-south-1": "076674570225", "af-south-1": "098369216593",
}


def log_delivery_principal(region: str) -> dict:
    """Who writes the access logs in this region."""
    if region in ELB_ACCOUNTS:
        return {"AWS": f"arn:aws:iam::{ELB_ACCOUNTS[region]}:root"}
    return {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


def access_logs_policy(bucket_arn: pulumi.Input[str], region: str, account_id: str) -> pulumi.Output[str]:
    """Log delivery may put objects under this account's prefix only; every request must use TLS."""
    return policy_document([
        {
            "Sid": "AlbLogDelivery",
            "Effect": "Allow",
            "Principal": log_delivery_principal(region),
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(bucket_arn, f"/{LOG_PREFIX}/AWSLogs/{account_id}/*"),
        },
        deny_insecure_transport(bucket_arn),
    ])


@dataclass(frozen=True, kw_only=True)
class AccessLogsArgs:
    """Bucket name, how long logs are kept, and where."""

    bucket_name: str
    retention_days: int
    region: str
    account_id: str
    protect: bool


class AccessLogs(pulumi.ComponentResource):
    """Bucket, ownership, public access block, encryption, TLS-only delivery policy, expiry."""

    def __init__(self, name: str, args: AccessLogsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:service:AccessLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # An audit trail: protected in production like the other buckets.
        self.bucket = aws.s3.Bucket(name, bucket=args.bucket_name, force_destroy=False,
                                    tags={"Name": args.bucket_name},
                                    opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        aws.s3.BucketOwnershipControls(f"{name}-ownership", bucket=self.bucket.id,
                                       rule={"object_ownership": "BucketOwnerEnforced"}, opts=child)
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block", bucket=self.bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}], opts=child,
        )
        # The ALB checks this policy when access logging is turned on: the load balancer depends on it.
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy", bucket=self.bucket.id,
            policy=access_logs_policy(self.bucket.arn, args.region, args.account_id),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=self.bucket.id,
            rules=[{"id": "expire-logs", "status": "Enabled", "filter": {"prefix": ""},
                    "expiration": {"days": args.retention_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1}}],
            opts=child,
        )
        self.bucket_name = self.bucket.bucket
        self.prefix = LOG_PREFIX
        self.register_outputs({"bucket_name": self.bucket_name})

"""A static site: private S3 bucket, CloudFront with origin access control, security headers, the built files.

Why the files are uploaded by the program, one `aws.s3.BucketObjectv2` per file (docs/sites.md, "Uploads"):
- `pulumi preview` shows which files change, and `pulumi up` ships infrastructure and site together;
- each file gets its exact Content-Type and Cache-Control (hashed assets a year and immutable, HTML no-cache),
  which pulumi-synced-folder cannot set per file, and that package is a remote component whose provider plugin
  is downloaded at `pulumi up` (no registry for it here) and which the mock runtime cannot look into;
- HTML is uploaded after every other file, so a new index.html never points at assets not there yet, and
  hashed assets are kept when they leave the build (`retainOnDelete`), so open tabs still load old chunks;
- with HTML revalidated on every request, no CloudFront invalidation is needed.
A site whose frontend deploys from another repository sets `sourceDir: null`: Pulumi then manages bucket and
distribution only, and that pipeline runs `aws s3 sync` (docs/sites.md shows the commands).

CloudFront is global: the distribution, origin access control and headers policy need no us-east-1 provider,
so the component works under the stack's provider in any region (the bucket stays in the stack's region). The
one us-east-1 requirement, the viewer certificate, is checked by the settings (settings/sites.py) when brought,
and requested through the us-east-1 provider when the program manages it (components/certificates.py).
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from settings.sites import SiteSettings

from .iam import deny_insecure_transport, policy_document
from .site_files import INDEX, SiteFile, SiteSourceError, site_files

ORIGIN_ID = "s3"
# Managed cache policy CachingOptimized: honours the objects' Cache-Control (TTL 1 s to 1 year, 1 day when a
# file has none), no cookies, headers or query strings in the key, gzip and brotli. Managed policy IDs are fixed:
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
# Security policy of the viewer connection: TLS 1.2 and up with forward-secret ciphers only.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
VIEWER_TLS_POLICY = "TLSv1.2_2021"
HSTS_SECONDS = 31_536_000
IPV6 = True  # distributions answer on IPv6: a managed domain gives their hosts A and AAAA records
# How long CloudFront remembers that a path had no file before asking S3 again (its default, made explicit).
SPA_ERROR_CACHING_SECONDS = 10
NONCURRENT_VERSION_DAYS = 30


BUCKET_NAME_LIMIT = 63  # S3 bucket naming rules: 3 to 63 characters


def site_bucket_name(prefix: str, site: str, account_id: str) -> str:
    """`<app>-<stack>-site-<site>-<account>`: globally unique and stable; a name over 63 characters keeps its head
    and gets a 6-hex hash of the whole (still unique, still stable)."""
    name = f"{prefix}-site-{site}-{account_id}"
    if len(name) <= BUCKET_NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[:BUCKET_NAME_LIMIT - 7].rstrip('-')}-{digest}"


@dataclass(frozen=True, kw_only=True)
class SiteArgs:
    """One `sites.<name>` entry and what the stack decides around it.

    `key` names the entry in error messages (`sites.web`); `physical_name` names the origin access control, the
    headers policy and tags (`<app>-<stack>-<site>`); `host_name` is resolved from the settings
    (`SiteSettings.host`); `certificate_arn` is the brought one or the managed one once validated (us-east-1);
    `project_dir` is where `sourceDir` is relative to (the directory of Pulumi.yaml).
    """

    settings: SiteSettings
    key: str
    physical_name: str
    bucket_name: str
    host_name: str
    certificate_arn: pulumi.Input[str]
    project_dir: Path
    protect: bool = False
    web_acl_arn: pulumi.Input[str] | None = None


def oac_read_statement(bucket_arn: pulumi.Input[str], distribution_arn: pulumi.Input[str]) -> dict:
    """CloudFront may read objects for this one distribution only (the confused-deputy guard).
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
    """
    return {
        "Sid": "CloudFrontReadsThroughOriginAccessControl",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": pulumi.Output.concat(bucket_arn, "/*"),
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }


def security_headers(content_security_policy: str, frame_options: str | None) -> dict:
    """The headers every response gets, overriding the origin's: HSTS, nosniff, framing, referrer, CSP."""
    headers = {
        "strict_transport_security": {"access_control_max_age_sec": HSTS_SECONDS, "include_subdomains": True,
                                      "preload": False, "override": True},
        "content_type_options": {"override": True},
        "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": True},
        "content_security_policy": {"content_security_policy": content_security_policy, "override": True},
    }
    if frame_options:
        headers["frame_options"] = {"frame_option": frame_options, "override": True}
    return headers


def spa_error_responses(enabled: bool) -> list[dict]:
    """Paths without a file answer /index.html with 200, so the SPA's router handles them.

    S3 answers 403, not 404, for a missing key when the reader may not list the bucket (we grant GetObject only).
    """
    if not enabled:
        return []
    return [{"error_code": code, "response_code": 200, "response_page_path": f"/{INDEX}",
             "error_caching_min_ttl": SPA_ERROR_CACHING_SECONDS} for code in (403, 404)]


def viewer_certificate(certificate_arn: pulumi.Input[str]) -> dict:
    """SNI with the ACM certificate (in us-east-1); the *.cloudfront.net default would allow TLS 1.0."""
    return {"acm_certificate_arn": certificate_arn, "ssl_support_method": "sni-only",
            "minimum_protocol_version": VIEWER_TLS_POLICY}


class Site(pulumi.ComponentResource):
    """Bucket, origin access control, headers policy, distribution, TLS-only bucket policy and the files."""

    def __init__(self, name: str, args: SiteArgs, opts: pulumi.ResourceOptions | None = None):
        settings = args.settings
        try:
            files = (site_files(args.project_dir, settings.source_dir, settings.caching, args.key)
                     if settings.source_dir is not None else [])
        except SiteSourceError as error:
            raise pulumi.RunError(str(error)) from None  # one line at preview, no traceback
        super().__init__("nodeapi:sites:Site", name, None, opts)
        self.bucket = self._bucket(name, args)
        self.distribution = self._distribution(name, args)
        aws.s3.BucketPolicy(
            f"{name}-policy", bucket=self.bucket.id,
            policy=policy_document([oac_read_statement(self.bucket.arn, self.distribution.arn),
                                    deny_insecure_transport(self.bucket.arn)]),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._public_access_block]),
        )
        self.objects = self._upload(name, files)
        self.bucket_name = self.bucket.bucket
        self.distribution_id = self.distribution.id
        self.distribution_arn = self.distribution.arn
        self.domain_name = self.distribution.domain_name
        self.hosted_zone_id = self.distribution.hosted_zone_id
        self.url = f"https://{args.host_name}"
        self.register_outputs({
            "bucket_name": self.bucket_name, "distribution_id": self.distribution_id,
            "distribution_arn": self.distribution_arn, "domain_name": self.domain_name,
            "hosted_zone_id": self.hosted_zone_id, "url": self.url,
        })

    def _bucket(self, name: str, args: SiteArgs) -> aws.s3.Bucket:
        """Private, owner-enforced, SSE-S3, versioned; old versions expire after 30 days."""
        child = pulumi.ResourceOptions(parent=self)
        # The files are build output, reproducible from the repository: the bucket may be emptied on delete.
        bucket = aws.s3.Bucket(name, bucket=args.bucket_name, force_destroy=True, tags={"Name": args.bucket_name},
                               opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        # OAC needs Object Ownership "Bucket owner enforced" (ACLs disabled).
        aws.s3.BucketOwnershipControls(f"{name}-ownership", bucket=bucket.id,
                                       rule={"object_ownership": "BucketOwnerEnforced"}, opts=child)
        self._public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child,
        )
        # SSE-S3: OAC reads it with no key policy. SSE-KMS would need the key policy to let
        # cloudfront.amazonaws.com decrypt for this distribution, and a KMS request per cache miss, to protect
        # files every visitor downloads anyway (CloudFront Developer Guide, "Restrict access to an Amazon S3
        # origin": SSE-KMS).
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}], opts=child,
        )
        versioning = aws.s3.BucketVersioning(f"{name}-versioning", bucket=bucket.id,
                                             versioning_configuration={"status": "Enabled"}, opts=child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket.id,
            rules=[{"id": "expire-old-versions", "status": "Enabled", "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1}}],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        return bucket

    def _distribution(self, name: str, args: SiteArgs) -> aws.cloudfront.Distribution:
        """HTTPS only, TLS 1.2+, HTTP/2 and 3, IPv6; the bucket read through OAC (SigV4, always)."""
        settings, child = args.settings, pulumi.ResourceOptions(parent=self)
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac", name=args.physical_name, description=f"{args.physical_name}: CloudFront reads the site",
            origin_access_control_origin_type="s3", signing_behavior="always", signing_protocol="sigv4", opts=child,
        )
        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-headers", name=args.physical_name, comment=f"{args.physical_name}: security headers",
            security_headers_config=security_headers(settings.content_security_policy, settings.frame_options),
            opts=child,
        )
        return aws.cloudfront.Distribution(
            name,
            enabled=True,
            comment=f"{args.physical_name}: {args.host_name}",
            aliases=[args.host_name],
            default_root_object=INDEX,
            http_version="http2and3",
            is_ipv6_enabled=IPV6,
            price_class=settings.price_class,
            origins=[{"origin_id": ORIGIN_ID, "domain_name": self.bucket.bucket_regional_domain_name,
                      "origin_access_control_id": oac.id}],
            default_cache_behavior={
                "target_origin_id": ORIGIN_ID, "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"], "compress": True,
                "cache_policy_id": CACHING_OPTIMIZED, "response_headers_policy_id": headers.id,
            },
            custom_error_responses=spa_error_responses(settings.spa_fallback),
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=viewer_certificate(args.certificate_arn),
            web_acl_id=args.web_acl_arn,
            tags={"Name": args.physical_name},
            opts=child,
        )

    def _upload(self, name: str, files: list[SiteFile]) -> list[aws.s3.BucketObjectv2]:
        """Every other file first, then the HTML that references them."""
        assets = [self._object(name, f, []) for f in files if not f.is_html]
        return assets + [self._object(name, f, assets) for f in files if f.is_html]

    def _object(self, name: str, file: SiteFile, after: list[pulumi.Resource]) -> aws.s3.BucketObjectv2:
        # The asset path is relative to the project directory, where Pulumi runs the program: graphs stay the
        # same on every checkout. sourceHash (the MD5) makes a changed file an update in every diff.
        return aws.s3.BucketObjectv2(
            f"{name}-file-{file.key}",
            bucket=self.bucket.id,
            key=file.key,
            source=pulumi.FileAsset(file.path),
            source_hash=file.md5,
            content_type=file.content_type,
            cache_control=file.cache_control,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after, retain_on_delete=file.immutable),
        )

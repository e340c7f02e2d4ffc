"""The project's security and durability rules as plain functions, shared by the CrossGuard pack and the tests.

Each `check_*` takes a resource's type token and its inputs (camelCase, as Pulumi sends them; a dict or the
pack's read-only mapping) and returns one message per violation, [] when compliant or not its type. Rules
that differ per stack take `stack`; the protection rule takes the `protect` option. See docs/policy.md.
"""

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PRODUCTION_STACKS = frozenset({"prod", "production"})
SECRET_VALUE = "[secret]"  # how the offline preview shows a secret value

RDS_STORAGE = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")
RDS_INSTANCES = ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance")
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
BUCKET = "aws:s3/bucket:Bucket"
SSE_CONFIGURATION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
SSE_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse", "AES256"})
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
# ELB policies whose minimum protocol is TLS 1.2 or 1.3 (the AWS default for HTTPS, ELBSecurityPolicy-2016-08, allows 1.0).
TLS12_POLICY = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-")
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
GROUPS = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
WORLD = frozenset({"0.0.0.0/0", "::/0"})
EDGE_TAG = ("Exposure", "public-load-balancer")  # marks the load balancer's group or rule (docs/policy.md)
EDGE_PORTS = frozenset({80, 443})
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
# KEY alone or as a word (API_KEY, SIGNING_KEY), but not a reference to a key (KMS_KEY_ID, KEY_ARN, KEY_PREFIX).
SECRET_ENV_NAME = re.compile(
    r"(?i)secret|passw(or)?d|token|credential|private|api_?key|(^|_)key($|_(?!(id|arn|alias|name|prefix)$))"
)
ROOT_USERS = frozenset({"0", "root"})
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
VIEWER_HTTPS = frozenset({"redirect-to-https", "https-only"})
# CloudFront viewer security policies whose minimum is TLS 1.2 or 1.3 (TLSv1.2_2018 ... TLSv1.3_2025).
CLOUDFRONT_TLS12 = re.compile(r"^TLSv1\.[23]_\d{4}$")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EFS_FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
EFS_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
EFS_ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
STATEFUL = frozenset({"aws:rds/instance:Instance", "aws:rds/cluster:Cluster", REPLICATION_GROUP, BUCKET, KMS_KEY,
                      "aws:backup/vault:Vault", EFS_FILE_SYSTEM})


def is_production(stack: str) -> bool:
    """Production rules apply to these stack names."""
    return stack in PRODUCTION_STACKS


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    """A value in a message: integral floats (as the engine sends numbers) without `.0`."""
    if value is None:
        return "unset"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value) if isinstance(value, bool) else str(value)


# ---------------------------------------------------------------------------------------------- RDS


def check_rds_storage_encrypted(resource_type: str, props: Mapping) -> list[str]:
    """RDS storage (and so its snapshots and backups) is encrypted."""
    if resource_type not in RDS_STORAGE or props.get("storageEncrypted") is True:
        return []
    return [f"storageEncrypted must be true, got {_shown(props.get('storageEncrypted'))}"]


def check_rds_not_public(resource_type: str, props: Mapping) -> list[str]:
    """Database instances have no public endpoint."""
    if resource_type not in RDS_INSTANCES or props.get("publiclyAccessible") is not True:
        return []
    return ["publiclyAccessible must not be true: the database lives in isolated subnets"]


def check_rds_deletion_safety(resource_type: str, props: Mapping, *, stack: str) -> list[str]:
    """In production a database has deletion protection and leaves a final snapshot."""
    if resource_type not in RDS_STORAGE or not is_production(stack):
        return []
    problems = []
    if props.get("deletionProtection") is not True:
        problems.append(f"deletionProtection must be true in {stack}, got {_shown(props.get('deletionProtection'))}")
    if props.get("skipFinalSnapshot") is True or not props.get("finalSnapshotIdentifier"):
        problems.append(f"{stack} needs a final snapshot: skipFinalSnapshot false and finalSnapshotIdentifier set")
    return problems


def check_rds_backup_retention(resource_type: str, props: Mapping, *, stack: str) -> list[str]:
    """Automated backups are kept at least 7 days, 30 in production."""
    if resource_type not in RDS_STORAGE:
        return []
    minimum = 30 if is_production(stack) else 7
    days = props.get("backupRetentionPeriod")
    if _number(days) and days >= minimum:
        return []
    return [f"backupRetentionPeriod must be at least {minimum} days in {stack}, got {_shown(days)}"]


# ---------------------------------------------------------------------------------------------- ElastiCache, EFS, S3


def check_elasticache_encryption(resource_type: str, props: Mapping) -> list[str]:
    """Cache data is encrypted at rest and clients must use TLS."""
    if resource_type != REPLICATION_GROUP:
        return []
    problems = [f"{key} must be true, got {_shown(props.get(key))}"
                for key in ("atRestEncryptionEnabled", "transitEncryptionEnabled") if props.get(key) is not True]
    mode = props.get("transitEncryptionMode")
    if mode is not None and mode != "required":
        problems.append(f"transitEncryptionMode must be required (preferred also accepts plaintext), got {mode}")
    return problems


def check_s3_encryption(resource_type: str, props: Mapping) -> list[str]:
    """A bucket encryption configuration applies SSE-KMS or SSE-S3 by default in every rule."""
    if resource_type != SSE_CONFIGURATION:
        return []
    rules = props.get("rules") or []
    algorithms = [(rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for rule in rules]
    if algorithms and all(a in SSE_ALGORITHMS for a in algorithms):
        return []
    return [f"every rule must apply default encryption (aws:kms, aws:kms:dsse or AES256), got {algorithms}"]


def check_s3_public_access_block(resource_type: str, props: Mapping) -> list[str]:
    """A public access block sets all four flags."""
    if resource_type != PUBLIC_ACCESS_BLOCK:
        return []
    off = [flag for flag in PUBLIC_ACCESS_FLAGS if props.get(flag) is not True]
    return [f"{', '.join(off)} must be true"] if off else []


def check_s3_bucket_settings(resources: Sequence[tuple[str, Mapping]]) -> list[str]:
    """Stack rule: every bucket has an encryption configuration and a public access block (matched by name)."""
    names = [props.get("bucket") for kind, props in resources if kind == BUCKET]
    covered = {kind: {props.get("bucket") for k, props in resources if k == kind}
               for kind in (SSE_CONFIGURATION, PUBLIC_ACCESS_BLOCK)}
    labels = {SSE_CONFIGURATION: "server-side encryption configuration", PUBLIC_ACCESS_BLOCK: "public access block"}
    return [f"bucket {name} has no {labels[kind]}" for name in names for kind in labels if name not in covered[kind]]


def check_efs_encryption(resource_type: str, props: Mapping) -> list[str]:
    """EFS file systems are encrypted at rest."""
    if resource_type != EFS_FILE_SYSTEM or props.get("encrypted") is True:
        return []
    return [f"encrypted must be true, got {_shown(props.get('encrypted'))}"]


def check_efs_policy_requires_tls(resource_type: str, props: Mapping) -> list[str]:
    """A file system policy denies every request made without TLS (aws:SecureTransport false)."""
    if resource_type != EFS_POLICY:
        return []
    raw = props.get("policy")
    document = json.loads(raw) if isinstance(raw, str) else raw
    statements = (document or {}).get("Statement") or []
    if any(_denies_plaintext(s) for s in ([statements] if isinstance(statements, Mapping) else statements)):
        return []
    return ["policy must deny every principal all actions when aws:SecureTransport is false"]


def _denies_plaintext(statement: Mapping) -> bool:
    secure = ((statement.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")
    return (statement.get("Effect") == "Deny" and statement.get("Principal") in ("*", {"AWS": "*"})
            and statement.get("Action") == "*" and str(secure).lower() == "false")


def check_efs_access_point_non_root(resource_type: str, props: Mapping) -> list[str]:
    """EFS access points make every request run as a non-root user (posixUser uid other than 0)."""
    if resource_type != EFS_ACCESS_POINT:
        return []
    uid = (props.get("posixUser") or {}).get("uid")
    if _number(uid) and uid != 0:
        return []
    return [f"posixUser.uid must be a non-root user, got {_shown(uid)}"]


def check_s3_tls_only(resources: Sequence[tuple[str, Mapping]]) -> list[str]:
    """Stack rule: every bucket has a bucket policy denying requests without TLS (matched by bucket name)."""
    names = [props.get("bucket") for kind, props in resources if kind == BUCKET]
    guarded = {props.get("bucket") for kind, props in resources
               if kind == BUCKET_POLICY and _denies_insecure_transport(props.get("policy"))}
    return [f"bucket {name} has no bucket policy denying aws:SecureTransport false" for name in names
            if name not in guarded]


def _denies_insecure_transport(policy: Any) -> bool:
    document = json.loads(policy) if isinstance(policy, str) and policy != SECRET_VALUE else policy
    if not isinstance(document, Mapping):
        return False
    statements = document.get("Statement") or []
    statements = [statements] if isinstance(statements, Mapping) else statements
    return any(s.get("Effect") == "Deny" and s.get("Principal") in ("*", {"AWS": "*"})
               and s.get("Action") in ("s3:*", ["s3:*"])
               and str(((s.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")).lower() == "false"
               for s in statements if isinstance(s, Mapping))


# ---------------------------------------------------------------------------------------------- CloudFront


def check_cloudfront_viewer_tls(resource_type: str, props: Mapping) -> list[str]:
    """Distributions: every behaviour redirects to or requires HTTPS, with an ACM/IAM certificate at TLS 1.2+."""
    if resource_type != DISTRIBUTION:
        return []
    behaviours = [("default behaviour", props.get("defaultCacheBehavior") or {})]
    behaviours += [(f"behaviour {b.get('pathPattern')}", b) for b in props.get("orderedCacheBehaviors") or []]
    problems = [f"{label}: viewerProtocolPolicy must be redirect-to-https or https-only, got "
                f"{_shown(b.get('viewerProtocolPolicy'))}"
                for label, b in behaviours if b.get("viewerProtocolPolicy") not in VIEWER_HTTPS]
    certificate = props.get("viewerCertificate") or {}
    if certificate.get("cloudfrontDefaultCertificate") is True:
        problems.append("viewerCertificate: the *.cloudfront.net certificate allows TLS 1.0; use an ACM certificate "
                        "(us-east-1) with minimumProtocolVersion TLSv1.2_2021")
    elif not CLOUDFRONT_TLS12.match(str(certificate.get("minimumProtocolVersion") or "")):
        problems.append(f"viewerCertificate.minimumProtocolVersion must be TLS 1.2 or newer (e.g. TLSv1.2_2021), got "
                        f"{_shown(certificate.get('minimumProtocolVersion'))}")
    return problems


def check_cloudfront_origins(resource_type: str, props: Mapping) -> list[str]:
    """Distributions: custom origins over HTTPS with TLS 1.2 only; S3 origins read through origin access control."""
    if resource_type != DISTRIBUTION:
        return []
    problems = []
    for origin in props.get("origins") or []:
        label, custom = f"origin {origin.get('originId')}", origin.get("customOriginConfig")
        if custom:
            if custom.get("originProtocolPolicy") != "https-only":
                problems.append(f"{label}: originProtocolPolicy must be https-only, got "
                                f"{_shown(custom.get('originProtocolPolicy'))}")
            protocols = [str(p) for p in custom.get("originSslProtocols") or []]
            if protocols != ["TLSv1.2"]:
                problems.append(f"{label}: originSslProtocols must be [TLSv1.2], got [{', '.join(protocols)}]")
        elif not origin.get("vpcOriginConfig") and not origin.get("originAccessControlId"):
            problems.append(f"{label}: an S3 origin must read through an origin access control "
                            "(originAccessControlId), not a public bucket or a legacy origin access identity")
    return problems


# ---------------------------------------------------------------------------------------------- network edge


def check_alb_listener_tls(resource_type: str, props: Mapping) -> list[str]:
    """HTTPS listeners use a TLS 1.2+ policy; HTTP listeners only redirect to HTTPS."""
    if resource_type not in LISTENERS:
        return []
    protocol = str(props.get("protocol") or "HTTP").upper()
    if protocol in ("HTTPS", "TLS"):
        policy = props.get("sslPolicy")
        if isinstance(policy, str) and TLS12_POLICY.match(policy):
            return []
        return [f"sslPolicy must require TLS 1.2 or newer (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06), got {_shown(policy)}"]
    if protocol == "HTTP" and not _redirects_to_https(props.get("defaultActions") or []):
        return ["an HTTP listener may only redirect to HTTPS (defaultActions: one redirect with protocol HTTPS)"]
    return []


def _redirects_to_https(actions: Sequence) -> bool:
    return bool(actions) and all(
        a.get("type") == "redirect" and str((a.get("redirect") or {}).get("protocol", "")).upper() == "HTTPS"
        for a in actions
    )


def check_no_world_ingress(resource_type: str, props: Mapping) -> list[str]:
    """No ingress from 0.0.0.0/0 or ::/0, except tcp 80/443 on the load balancer's group (EDGE_TAG)."""
    opened = _world_ingress(resource_type, props)
    if not opened:
        return []  # other types (an auto scaling group's tags are a list, for one) are not this rule's
    tags = props.get("tags") or {}
    edge = tags.get(EDGE_TAG[0]) == EDGE_TAG[1]
    problems = []
    for protocol, low, high, cidr in opened:
        allowed = edge and protocol == "tcp" and low == high and low in EDGE_PORTS
        if not allowed:
            problems.append(f"ingress {_ports(protocol, low, high)} from {cidr} is open to the internet; only "
                            f"tcp 80/443 on the load balancer's group (tag {EDGE_TAG[0]}={EDGE_TAG[1]}) may be")
    return problems


def _world_ingress(resource_type: str, props: Mapping) -> list[tuple[str, Any, Any, str]]:
    """(protocol, from port, to port, cidr) of every ingress this resource opens to the whole internet."""
    if resource_type == INGRESS_RULE:
        rules = [(props.get("ipProtocol"), props, [props.get("cidrIpv4"), props.get("cidrIpv6")])]
    elif resource_type == LEGACY_RULE and props.get("type") == "ingress":
        rules = [(props.get("protocol"), props, _cidrs(props))]
    elif resource_type in GROUPS:
        rules = [(rule.get("protocol"), rule, _cidrs(rule)) for rule in props.get("ingress") or []]
    else:
        return []
    return [(str(protocol).lower(), rule.get("fromPort"), rule.get("toPort"), cidr)
            for protocol, rule, cidrs in rules for cidr in cidrs if cidr in WORLD]


def _ports(protocol: str, low: Any, high: Any) -> str:
    if protocol in ("-1", "all"):
        return "on all protocols and ports"
    return f"{protocol} {_shown(low)}" if low == high else f"{protocol} {_shown(low)}-{_shown(high)}"


def _cidrs(rule: Mapping) -> list[str]:
    return list(rule.get("cidrBlocks") or []) + list(rule.get("ipv6CidrBlocks") or [])


# ---------------------------------------------------------------------------------------------- ECS containers


def _containers(props: Mapping) -> list[Mapping]:
    """The container definitions of a task definition (a JSON string as Pulumi sends it)."""
    raw = props.get("containerDefinitions")
    parsed = json.loads(raw) if isinstance(raw, str) and raw != SECRET_VALUE else raw
    return list(parsed) if isinstance(parsed, Sequence) and not isinstance(parsed, str) else []


def check_ecs_no_secrets_in_environment(resource_type: str, props: Mapping) -> list[str]:
    """Secrets reach containers through `secrets` (valueFrom), never as plain `environment` values."""
    if resource_type != TASK_DEFINITION:
        return []
    if props.get("containerDefinitions") == SECRET_VALUE:
        return ["containerDefinitions holds a secret value: pass secrets through `secrets` (valueFrom), not inline"]
    return [f"container {c.get('name')}: environment variable {e.get('name')} looks like a secret; "
            "pass it through `secrets` (valueFrom Secrets Manager or SSM)"
            for c in _containers(props) for e in c.get("environment") or []
            if SECRET_ENV_NAME.search(str(e.get("name", "")))]


def check_ecs_read_only_root(resource_type: str, props: Mapping) -> list[str]:
    """Containers run with a read-only root filesystem (writable paths are volumes)."""
    if resource_type != TASK_DEFINITION:
        return []
    return [f"container {c.get('name')}: readonlyRootFilesystem must be true, got {_shown(c.get('readonlyRootFilesystem'))}"
            for c in _containers(props) if c.get("readonlyRootFilesystem") is not True]


def check_ecs_not_privileged(resource_type: str, props: Mapping) -> list[str]:
    """No container is privileged."""
    if resource_type != TASK_DEFINITION:
        return []
    return [f"container {c.get('name')}: privileged must not be true" for c in _containers(props)
            if c.get("privileged") is True]


def check_ecs_non_root_user(resource_type: str, props: Mapping) -> list[str]:
    """Every container names a user that is not root (uid 0)."""
    if resource_type != TASK_DEFINITION:
        return []
    problems = []
    for c in _containers(props):
        user = str(c.get("user") or "")
        if not user or user.split(":")[0] in ROOT_USERS:
            problems.append(f"container {c.get('name')}: user must be a non-root user, got {user or 'unset (root)'}")
    return problems


def check_ecs_efs_transit_encryption(resource_type: str, props: Mapping) -> list[str]:
    """EFS volumes of a task definition are mounted with TLS and the task role's IAM identity."""
    if resource_type != TASK_DEFINITION:
        return []
    problems = []
    for volume in props.get("volumes") or []:
        efs = volume.get("efsVolumeConfiguration")
        if efs is None:
            continue
        if efs.get("transitEncryption") != "ENABLED":
            problems.append(f"volume {volume.get('name')}: transitEncryption must be ENABLED, "
                            f"got {_shown(efs.get('transitEncryption'))}")
        if (efs.get("authorizationConfig") or {}).get("iam") != "ENABLED":
            problems.append(f"volume {volume.get('name')}: authorizationConfig.iam must be ENABLED, "
                            f"got {_shown((efs.get('authorizationConfig') or {}).get('iam'))}")
    return problems


# ---------------------------------------------------------------------------------------------- keys, logs, protect


def check_kms_key_rotation(resource_type: str, props: Mapping) -> list[str]:
    """Symmetric KMS keys rotate yearly (asymmetric keys cannot rotate)."""
    if resource_type != KMS_KEY or props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return []
    return [] if props.get("enableKeyRotation") is True else ["enableKeyRotation must be true"]


def check_log_group_retention(resource_type: str, props: Mapping) -> list[str]:
    """Log groups expire their events (unset or 0 keeps them forever)."""
    if resource_type != LOG_GROUP:
        return []
    days = props.get("retentionInDays")
    return [] if _number(days) and days > 0 else [f"retentionInDays must be set, got {_shown(days)}"]


def check_stateful_protected(resource_type: str, props: Mapping, *, stack: str, protect: bool) -> list[str]:
    """In production, resources holding data or keys have Pulumi's `protect` option."""
    if resource_type not in STATEFUL or not is_production(stack) or protect:
        return []
    return [f"{stack} resources that hold data or keys need the protect option"]


# ---------------------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Rule:
    """A named rule: its check and which of `stack` and `protect` the check takes."""

    name: str
    check: Callable[..., list[str]]
    needs: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return (self.check.__doc__ or "").strip()

    def run(self, resource_type: str, props: Mapping, *, stack: str, protect: bool = False) -> list[str]:
        """The check's messages for one resource."""
        context = {"stack": stack, "protect": protect}
        return self.check(resource_type, props, **{k: context[k] for k in self.needs})


RULES = (
    Rule("rds-storage-encrypted", check_rds_storage_encrypted),
    Rule("rds-not-public", check_rds_not_public),
    Rule("rds-deletion-safety", check_rds_deletion_safety, ("stack",)),
    Rule("rds-backup-retention", check_rds_backup_retention, ("stack",)),
    Rule("elasticache-encryption", check_elasticache_encryption),
    Rule("efs-encryption", check_efs_encryption),
    Rule("efs-policy-requires-tls", check_efs_policy_requires_tls),
    Rule("efs-access-point-non-root", check_efs_access_point_non_root),
    Rule("s3-encryption", check_s3_encryption),
    Rule("s3-public-access-block", check_s3_public_access_block),
    Rule("alb-listener-tls", check_alb_listener_tls),
    Rule("cloudfront-viewer-tls", check_cloudfront_viewer_tls),
    Rule("cloudfront-origins", check_cloudfront_origins),
    Rule("no-world-ingress", check_no_world_ingress),
    Rule("ecs-no-secrets-in-environment", check_ecs_no_secrets_in_environment),
    Rule("ecs-read-only-root", check_ecs_read_only_root),
    Rule("ecs-not-privileged", check_ecs_not_privileged),
    Rule("ecs-non-root-user", check_ecs_non_root_user),
    Rule("ecs-efs-transit-encryption", check_ecs_efs_transit_encryption),
    Rule("kms-key-rotation", check_kms_key_rotation),
    Rule("log-group-retention", check_log_group_retention),
    Rule("stateful-protected", check_stateful_protected, ("stack", "protect")),
)
STACK_RULES = {"s3-bucket-settings": check_s3_bucket_settings, "s3-tls-only": check_s3_tls_only}


def violations(graph: dict, stack: str) -> list[tuple[str, str, str]]:
    """(rule, resource URN or "stack", message) for every violation in a preview graph (`tools.preview --json`)."""
    found = []
    custom = [r for r in graph["resources"] if r["custom"]]
    for resource in custom:
        for rule in RULES:
            messages = rule.run(resource["type"], resource["inputs"], stack=stack,
                                protect=resource["options"].get("protect", False))
            found += [(rule.name, resource["urn"], m) for m in messages]
    for name, check in STACK_RULES.items():
        found += [(name, "stack", m) for m in check([(r["type"], r["inputs"]) for r in custom])]
    return found

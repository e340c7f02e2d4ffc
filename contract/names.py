"""Physical names of AWS resources: the one place they are derived, within each resource kind's rules.

`physical_name(kind, *parts)` joins the parts, lower-cases where AWS requires it, replaces characters the kind
refuses with '-', and when the result is too long keeps a readable head plus a stable hash of the whole name, so
two long names never collide and the same inputs always give the same name. `check_app_name` and
`check_stack_name` refuse, up front and with the reason, prefixes no name can be built from.
"""

import dataclasses
import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRule:
    """What one kind of AWS name allows. `chars` is a regex character class body; `doc` is the page it comes from."""

    max_length: int
    chars: str
    doc: str
    min_length: int = 1
    lowercase: bool = False
    first_letter: bool = False  # must start with a letter
    edge_alnum: bool = False  # must start and end with a letter or digit
    separator: str = "-"
    prefix: str = ""  # fixed start added to every name of the kind (part of max_length)
    reserved_prefixes: tuple[str, ...] = ()
    reserved_suffixes: tuple[str, ...] = ()
    hash_length: int = 6


_ELBV2 = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
_RDS = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/"
_EC = "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/"
_ECS = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/"
_RDS_ID = dict(chars="a-z0-9-", lowercase=True, first_letter=True, edge_alnum=True)
_ECS_NAME = dict(max_length=255, chars="a-zA-Z0-9_-")

RULES: dict[str, NameRule] = {
    # 32 characters, alphanumerics and hyphens, no hyphen at either end, not starting with "internal-".
    "alb": NameRule(32, "a-zA-Z0-9-", _ELBV2 + "API_CreateLoadBalancer.html", lowercase=True, edge_alnum=True,
                    reserved_prefixes=("internal-",)),
    "target-group": NameRule(32, "a-zA-Z0-9-", _ELBV2 + "API_CreateTargetGroup.html", lowercase=True,
                             edge_alnum=True),
    # 1-63 letters, digits, hyphens; first a letter; no trailing hyphen, no "--"; stored lower case.
    "rds-instance": NameRule(63, doc=_RDS + "API_CreateDBInstance.html", **_RDS_ID),
    "rds-cluster": NameRule(63, doc=_RDS + "API_CreateDBCluster.html", **_RDS_ID),
    # Proxies: same characters; the API page gives no length, the console allows 60: held to 60.
    "rds-proxy": NameRule(60, doc=_RDS + "API_CreateDBProxy.html", **_RDS_ID),
    # Final snapshots: 1-255, same characters and rules (DeleteDBInstance FinalDBSnapshotIdentifier).
    "rds-snapshot": NameRule(255, doc=_RDS + "API_DeleteDBInstance.html", **_RDS_ID),
    "rds-parameter-group": NameRule(255, doc=_RDS + "API_CreateDBParameterGroup.html", **_RDS_ID),
    # Subnet groups may not be named "default"; ours always hold a '-'.
    "rds-subnet-group": NameRule(255, doc=_RDS + "API_CreateDBSubnetGroup.html", **_RDS_ID),
    # 1-40 alphanumerics or hyphens; first a letter; no trailing hyphen, no "--"; stored lower case.
    "cache-replication-group": NameRule(40, doc=_EC + "API_CreateReplicationGroup.html", **_RDS_ID),
    # FinalSnapshotIdentifier documents no limit of its own: held to the replication group's rules.
    "cache-snapshot": NameRule(40, doc=_EC + "API_CreateReplicationGroup.html", **_RDS_ID),
    "cache-parameter-group": NameRule(255, doc=_EC + "API_CreateCacheParameterGroup.html", **_RDS_ID),
    "cache-subnet-group": NameRule(255, doc=_EC + "API_CreateCacheSubnetGroup.html", **_RDS_ID),
    # 3-63 lower-case letters, digits, hyphens (dots would break virtual-host TLS); letter or digit at each end;
    # reserved prefixes and suffixes of general purpose buckets.
    "s3-bucket": NameRule(63, "a-z0-9-", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
                          min_length=3, lowercase=True, edge_alnum=True,
                          reserved_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
                          reserved_suffixes=("-s3alias", "--ol-s3", "--x-s3", "--table-s3")),
    # Up to 255 letters, digits, underscores and hyphens.
    "ecs-cluster": NameRule(doc=_ECS + "API_CreateCluster.html", **_ECS_NAME),
    "ecs-service": NameRule(doc=_ECS + "API_CreateService.html", **_ECS_NAME),
    "ecs-task-family": NameRule(doc=_ECS + "API_RegisterTaskDefinition.html", **_ECS_NAME),
    # Container names: up to 255 letters, digits, underscores, hyphens (ContainerDefinition.name).
    "ecs-container": NameRule(doc=_ECS + "API_ContainerDefinition.html", **_ECS_NAME),
    # 64 (roles) and 128 (policies) characters of [\w+=,.@-].
    "iam-role": NameRule(64, r"a-zA-Z0-9+=,.@_-", "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html"),
    "iam-policy": NameRule(128, r"a-zA-Z0-9+=,.@_-",
                           "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html"),
    "lambda-function": NameRule(64, "a-zA-Z0-9_-", "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html"),
    # Schedules and schedule groups: 1-64 of [0-9a-zA-Z-_.].
    "schedule": NameRule(64, "a-zA-Z0-9_.-", "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html"),
    "schedule-group": NameRule(64, "a-zA-Z0-9_.-",
                               "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateScheduleGroup.html"),
    "sns-topic": NameRule(256, "a-zA-Z0-9_-", "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"),
    # Vaults: ^[a-zA-Z0-9\-\_]{2,50}$; plans, rules and selections: 1-50 of [a-zA-Z0-9\-\_\.].
    "backup-vault": NameRule(50, "a-zA-Z0-9_-", "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html",
                             min_length=2),
    "backup-plan": NameRule(50, "a-zA-Z0-9_.-", "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupPlanInput.html"),
    "backup-selection": NameRule(50, "a-zA-Z0-9_.-",
                                 "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html"),
    # "alias/" then [a-zA-Z0-9/_-], 256 in all; "alias/aws/" belongs to AWS managed keys.
    "kms-alias": NameRule(256, "a-zA-Z0-9/_-", "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
                          prefix="alias/", reserved_prefixes=("alias/aws/",)),
    # 1-512 of [a-zA-Z0-9_-/.#]; parts become path segments: /<app>/<stack>/<role>.
    "log-group": NameRule(512, "a-zA-Z0-9_./#-", "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
                          separator="/", prefix="/"),
    # WAF logging destinations must be log groups named aws-waf-logs-*.
    "waf-log-group": NameRule(512, "a-zA-Z0-9_./#-",
                              "https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html",
                              prefix="aws-waf-logs-"),
    # Up to 512 of [a-zA-Z0-9/_+=.@-]; a name ending in '-' and six characters reads like an ARN suffix, so
    # shortened names carry eight hash characters.
    "secret": NameRule(512, "a-zA-Z0-9/_+=.@-", "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
                       separator="/", hash_length=8),
    "web-acl": NameRule(128, "a-zA-Z0-9_-", "https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html"),
    "waf-metric": NameRule(255, "a-zA-Z0-9_-", "https://docs.aws.amazon.com/waf/latest/APIReference/API_VisibilityConfig.html"),
    "cloudfront-oac": NameRule(64, "a-zA-Z0-9_-",
                               "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html"),
    "cloudfront-function": NameRule(64, "a-zA-Z0-9_-",
                                    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateFunction.html"),
    "cloudfront-policy": NameRule(128, "a-zA-Z0-9_-",
                                  "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyConfig.html"),
    # EFS has no name; the creation token (1-64) is its idempotency key.
    "efs-creation-token": NameRule(64, "a-zA-Z0-9_-", "https://docs.aws.amazon.com/efs/latest/ug/API_CreateFileSystem.html"),
    # Group names: 255, must not start with "sg-".
    "security-group": NameRule(255, "a-zA-Z0-9_.-", "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
                               reserved_prefixes=("sg-",)),
    "alarm": NameRule(255, "a-zA-Z0-9_.:/-", "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"),
    "dashboard": NameRule(255, "a-zA-Z0-9_-", "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html"),
    "metric-filter": NameRule(512, "a-zA-Z0-9_.-", "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html"),
    "event-rule": NameRule(64, "a-zA-Z0-9_.-", "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html"),
    # Repository names: 2-256, lower case, components separated by '/'.
    "ecr-repository": NameRule(256, "a-z0-9-", "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html",
                               min_length=2, lowercase=True, edge_alnum=True),
    # Service Connect discovery and DNS names: a DNS label (63, lower case letters, digits, hyphens).
    "service-connect-name": NameRule(63, "a-z0-9-", _ECS + "API_ServiceConnectService.html", lowercase=True,
                                     first_letter=True, edge_alnum=True),
    "cloud-map-namespace": NameRule(1024, "a-z0-9.-",
                                    "https://docs.aws.amazon.com/cloud-map/latest/api/API_CreateHttpNamespace.html",
                                    lowercase=True, edge_alnum=True),
}

KINDS = tuple(sorted(RULES))


class InvalidName(ValueError):
    """No valid name of this kind can be built from these parts."""


def physical_name(kind: str, *parts: str) -> str:
    """The name of a `kind` resource (a key of RULES) from `parts`, valid for AWS, stable, shortened with a hash."""
    return _build(kind, RULES[kind], parts)


def name_prefix(kind: str, *parts: str, suffix_length: int) -> str:
    """A `name_prefix` ending in '-' that stays valid once the provider appends `suffix_length` characters
    (26 for the AWS provider's unique suffix), for resources that must be replaced create-before-delete."""
    rule = RULES[kind]
    room = rule.max_length - suffix_length - 1
    if room < rule.hash_length + 2:
        raise InvalidName(f"{kind} names hold {rule.max_length} characters: no room for a prefix before a "
                          f"{suffix_length}-character suffix")
    return _build(kind, dataclasses.replace(rule, max_length=room, min_length=1, reserved_suffixes=()), parts) + "-"


def _build(kind: str, rule: NameRule, parts: tuple) -> str:
    body = _clean(rule, rule.separator.join(str(p) for p in parts if str(p)))
    name = rule.prefix + body
    full = name
    if any(name.endswith(s) for s in rule.reserved_suffixes):
        name = _with_hash(rule, name, full, len(name) + rule.hash_length + 1)
    if len(name) > rule.max_length:
        name = _with_hash(rule, name, full, rule.max_length)
    _check(kind, rule, name)
    return name


def _clean(rule: NameRule, text: str) -> str:
    """Lower-case where required, refused characters to '-', runs of '-' to one, no '-' or separator at the ends."""
    if rule.lowercase:
        text = text.lower()
    text = re.sub(f"[^{rule.chars}]", "-", text)
    text = re.sub("-{2,}", "-", text)
    if rule.separator != "-":
        sep = re.escape(rule.separator)
        text = re.sub(f"{sep}{{2,}}", rule.separator, text)
        text = re.sub(f"-?{sep}-?", rule.separator, text)
    return text.strip("-" + rule.separator)


def _with_hash(rule: NameRule, name: str, full: str, length: int) -> str:
    """`name` cut to fit `length` with '-' and a hash of the whole unshortened name."""
    digest = hashlib.sha256(full.encode()).hexdigest()[: rule.hash_length]
    head = name[: length - rule.hash_length - 1].rstrip("-" + rule.separator)
    return f"{head}-{digest}"


def _check(kind: str, rule: NameRule, name: str) -> None:
    """Refuse what cleaning cannot repair: too short, wrong first character, a reserved prefix."""
    body = name[len(rule.prefix):]
    if len(name) < rule.min_length or not body:
        raise InvalidName(f"{kind} name {name!r}: needs at least {rule.min_length} character(s) ({rule.doc})")
    if rule.first_letter and not name[0].isalpha():
        raise InvalidName(f"{kind} name {name!r}: must start with a letter ({rule.doc})")
    if rule.edge_alnum and not (name[0].isalnum() and name[-1].isalnum()):
        raise InvalidName(f"{kind} name {name!r}: must start and end with a letter or digit ({rule.doc})")
    for reserved in rule.reserved_prefixes:
        if name.lower().startswith(reserved):
            raise InvalidName(f"{kind} name {name!r}: must not start with {reserved!r} ({rule.doc})")
    if not re.fullmatch(f"[{rule.chars}]+", body) or len(name) > rule.max_length:
        raise InvalidName(f"{kind} name {name!r}: breaks its own rule ({rule.doc}); a bug in contract/names.py")


# ------------------------------------------------------------------------------------------ app and stack

APP_NAME = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
APP_NAME_MAX = 40
# Starts that make some kind's name invalid whatever follows: "<app>-..." must not begin with these.
_RESERVED_APP_STARTS = {
    "internal-": "load balancer names must not start with 'internal-'",
    "sg-": "security group names must not start with 'sg-'",
    "sthree-": "S3 bucket names must not start with 'sthree-'",
    "amzn-s3-demo-": "S3 bucket names must not start with 'amzn-s3-demo-'",
}
_PULUMI_STACK = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def check_app_name(value: str) -> str:
    """The app name that prefixes every physical name, or ValueError saying why it cannot."""
    if not isinstance(value, str) or not value:
        raise ValueError("is empty; use lowercase letters, digits and '-', starting with a letter")
    if len(value) > APP_NAME_MAX:
        raise ValueError(f"has {len(value)} characters; at most {APP_NAME_MAX}, so every physical name keeps a readable "
                         "head before its hash")
    if not APP_NAME.match(value) or "--" in value:
        raise ValueError("use lowercase letters, digits and single '-', starting with a letter and not ending "
                         "with '-' (S3, RDS and ElastiCache names allow nothing else)")
    for start, why in _RESERVED_APP_STARTS.items():
        if f"{value}-".startswith(start):
            raise ValueError(f"starts with {start.rstrip('-')!r}: {why}")
    return value


def check_stack_name(value: str) -> str:
    """A Pulumi stack name physical names can be built from (its '_' and '.' become '-'), or ValueError."""
    if not _PULUMI_STACK.match(value or ""):
        raise ValueError("a stack name is 1-100 letters, digits, '_', '.' or '-'")
    if not re.search("[A-Za-z0-9]", value):
        raise ValueError("has no letter or digit: physical names are built from it")
    return value

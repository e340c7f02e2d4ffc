"""Small validators of single settings values, each raising ValueError with what is wrong and what is allowed."""

import ipaddress
import re

from .windows import weekly_window

# RFC 1918 (https://www.rfc-editor.org/rfc/rfc1918): the private ranges AWS recommends for VPCs
# (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html).
RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# "Some AWS services use the 172.17.0.0/16 CIDR range. To avoid future conflicts, don't use this range" (same page).
AWS_RESERVED_VPC_RANGE = ipaddress.IPv4Network("172.17.0.0/16")


def check_private_cidr(cidr: str) -> str:
    """A VPC CIDR inside one RFC 1918 block and clear of 172.17.0.0/16 (the format is checked before)."""
    network = ipaddress.IPv4Network(cidr, strict=False)
    if not any(network.subnet_of(block) for block in RFC1918):
        raise ValueError("not a private range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
    if network.overlaps(AWS_RESERVED_VPC_RANGE):
        raise ValueError("overlaps 172.17.0.0/16, which some AWS services use; AWS advises another range")
    return cidr


# Region prefixes of the partitions other than `aws` (https://docs.aws.amazon.com/whitepapers/latest/
# aws-fault-isolation-boundaries/partitions.html); everything else is the commercial `aws` partition.
PARTITION_PREFIXES = (
    ("us-gov-", "aws-us-gov"),
    ("cn-", "aws-cn"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("eusc-", "aws-eusc"),
)


def partition_of(region: str) -> str:
    """`aws`, `aws-cn`, `aws-us-gov`, ... for a region code."""
    return next((partition for prefix, partition in PARTITION_PREFIXES if region.startswith(prefix)), "aws")


def check_same_partition(region: str, other: str) -> str:
    """`other` (a backup or certificate region) in the same partition as `region`: nothing crosses partitions."""
    if partition_of(other) != partition_of(region):
        raise ValueError(f"is in partition {partition_of(other)}, region {region!r} in {partition_of(region)}; "
                         "copies and certificates cannot cross partitions")
    return other


# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_PER_RESOURCE = 50
TAG_CHARS = re.compile(r"^[\w +\-=.:/@]*$")


def check_tags(tags: dict[str, str], reserved: int = 0) -> dict[str, str]:
    """User tags AWS accepts on every resource, leaving `reserved` of the 50 slots to the program's own tags."""
    problems = []
    if len(tags) > TAGS_PER_RESOURCE - reserved:
        problems.append(f"{len(tags)} tags; at most {TAGS_PER_RESOURCE - reserved} "
                        f"(AWS allows {TAGS_PER_RESOURCE} per resource and the program sets {reserved})")
    for key, value in tags.items():
        problems += [f"{key!r}: {why}" for why in _tag_problems(key, str(value))]
    if problems:
        raise ValueError("; ".join(problems))
    return tags


def _tag_problems(key: str, value: str) -> list[str]:
    found = []
    if not key:
        found.append("a tag key cannot be empty")
    if key.lower().startswith("aws:"):
        found.append("keys starting with 'aws:' are reserved for AWS")
    if len(key) > TAG_KEY_MAX:
        found.append(f"key has {len(key)} characters; at most {TAG_KEY_MAX}")
    if len(value) > TAG_VALUE_MAX:
        found.append(f"value has {len(value)} characters; at most {TAG_VALUE_MAX}")
    if value.lower().startswith("aws:"):
        found.append("values starting with 'aws:' are reserved for AWS")
    if not TAG_CHARS.match(key) or not TAG_CHARS.match(value):
        found.append("letters, digits, spaces and + - = . _ : / @ only (what every service accepts)")
    return found


# The master user "can't be a reserved word for the chosen database engine"
# (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, MasterUsername):
# PostgreSQL's reserved key words (https://www.postgresql.org/docs/16/sql-keywords-appendix.html), the roles
# RDS creates for itself (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Roles.html),
# and the names PostgreSQL keeps (role names starting pg_, and public).
POSTGRES_RESERVED = frozenset("""
all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation
column concurrently constraint create cross current_catalog current_date current_role current_schema current_time
current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze
from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit
localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references
returning right select session_user similar some symmetric system_user table tablesample then to trailing true union
unique user using variadic verbose when where window with
""".split())
RDS_ROLES = frozenset({"rdsadmin", "rdsrepladmin", "rdstopmgr", "rds_superuser", "rds_replication", "rds_iam",
                       "rds_password", "rds_ad"})
RESERVED_ROLE_NAMES = frozenset({"public", "none"})


def check_master_username(name: str) -> str:
    """An RDS PostgreSQL master user name that is not reserved by PostgreSQL or RDS."""
    lowered = name.lower()
    if lowered in RDS_ROLES or lowered.startswith("rds_"):
        raise ValueError("reserved by RDS for its own roles (rdsadmin, rds_*); choose another name, e.g. 'app_admin'")
    if lowered.startswith("pg_"):
        raise ValueError("role names starting 'pg_' are reserved by PostgreSQL; choose another name")
    if lowered in POSTGRES_RESERVED or lowered in RESERVED_ROLE_NAMES:
        raise ValueError("a reserved word in PostgreSQL; choose another name, e.g. 'app_admin'")
    return name


# "The minimum maintenance window is a 60 minute period"
# (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html).
CACHE_MIN_MAINTENANCE_MINUTES = 60


def check_cache_maintenance_window(window: str) -> str:
    """A weekly window ElastiCache accepts: the usual format, and at least 60 minutes long."""
    _, length = weekly_window(window)
    if length < CACHE_MIN_MAINTENANCE_MINUTES:
        raise ValueError(f"lasts {length} minutes; ElastiCache needs at least {CACHE_MIN_MAINTENANCE_MINUTES}")
    return window


_ACM_ARN = re.compile(r"^arn:(aws[a-z-]*):acm:([a-z0-9-]+):(\d{12}):certificate/")


def certificate_problems(key: str, arn: str | None, account_id: str | None) -> list[tuple[str, str, str]]:
    """An ACM certificate ARN whose partition is not its region's, or whose account is not the stack's (`accountId`):
    AWS refuses both at `up` (ALB and CloudFront use certificates of their own account and partition)."""
    match = _ACM_ARN.match(arn or "")
    if not match:
        return []
    partition, region, account = match.groups()
    found = []
    if partition != partition_of(region):
        found.append((key, arn, f"names partition {partition}, but its region {region!r} is in {partition_of(region)}"))
    if account_id is not None and account != account_id:
        found.append((key, arn, f"belongs to account {account}, the stack to accountId {account_id}: a load balancer "
                                "or distribution uses certificates of its own account"))
    return found

"""Physical names: each kind's AWS rules hold for any input, long names shorten with a stable hash, bad app and
stack names are refused with the reason."""

import random
import re

import pytest

from contract.names import (
    KINDS, RULES, InvalidName, check_app_name, check_stack_name, name_prefix, physical_name,
)

# AWS's rules written out independently of contract/names.py (length, pattern), from the pages RULES cites.
_RDS_LIKE = r"[a-z](?!.*--)[a-z0-9-]*[a-z0-9]|[a-z]"
AWS = {
    "alb": (32, r"(?!internal-)[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"),
    "target-group": (32, r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"),
    "rds-instance": (63, _RDS_LIKE),
    "rds-cluster": (63, _RDS_LIKE),
    "rds-proxy": (60, _RDS_LIKE),
    "rds-snapshot": (255, _RDS_LIKE),
    "rds-parameter-group": (255, _RDS_LIKE),
    "rds-subnet-group": (255, r"(?!default$)[a-z0-9 ._-]+"),
    "cache-replication-group": (40, _RDS_LIKE),
    "cache-snapshot": (40, _RDS_LIKE),
    "cache-parameter-group": (255, _RDS_LIKE),
    "cache-subnet-group": (255, r"[a-z0-9-]+"),
    "s3-bucket": (63, r"(?!xn--|sthree-|amzn-s3-demo-)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?<!-s3alias)(?<!--ol-s3)"
                      r"(?<!--x-s3)(?<!--table-s3)"),
    "ecs-cluster": (255, r"[a-zA-Z0-9_-]+"),
    "ecs-service": (255, r"[a-zA-Z0-9_-]+"),
    "ecs-task-family": (255, r"[a-zA-Z0-9_-]+"),
    "ecs-container": (255, r"[a-zA-Z0-9_-]+"),
    "iam-role": (64, r"[\w+=,.@-]+"),
    "iam-policy": (128, r"[\w+=,.@-]+"),
    "lambda-function": (64, r"[a-zA-Z0-9_-]+"),
    "schedule": (64, r"[0-9a-zA-Z_.-]+"),
    "schedule-group": (64, r"[0-9a-zA-Z_.-]+"),
    "sns-topic": (256, r"[a-zA-Z0-9_-]+"),
    "backup-vault": (50, r"[a-zA-Z0-9_-]{2,50}"),
    "backup-plan": (50, r"[a-zA-Z0-9_.-]+"),
    "backup-selection": (50, r"[a-zA-Z0-9_.-]+"),
    "kms-alias": (256, r"alias/(?!aws/)[a-zA-Z0-9/_-]+"),
    "log-group": (512, r"[a-zA-Z0-9_/.#-]+"),
    "waf-log-group": (512, r"aws-waf-logs-[a-zA-Z0-9_/.#-]+"),
    "secret": (512, r"[a-zA-Z0-9/_+=.@-]+"),
    "web-acl": (128, r"[\w-]+"),
    "waf-metric": (255, r"[\w#:.-]+"),
    "cloudfront-oac": (64, r".+"),
    "cloudfront-function": (64, r"[a-zA-Z0-9_-]+"),
    "cloudfront-policy": (128, r"[a-zA-Z0-9_-]+"),
    "efs-creation-token": (64, r".+"),
    "security-group": (255, r"(?!sg-)[a-zA-Z0-9 ._:/()#,@\[\]+=&;{}!$*-]+"),
    "alarm": (255, r"[^\x00-\x1f]+"),
    "dashboard": (255, r"[A-Za-z0-9_-]+"),
    "metric-filter": (512, r"[^:*]+"),
    "event-rule": (64, r"[.\-_A-Za-z0-9]+"),
    "ecr-repository": (256, r"[a-z0-9]+(?:[._-][a-z0-9]+)*"),
    "service-connect-name": (63, r"[a-z](?:[a-z0-9-]*[a-z0-9])?"),
    "cloud-map-namespace": (1024, r"[!-~]+"),
}


def test_every_kind_has_an_independent_rule_and_a_doc_page():
    assert set(AWS) == set(KINDS)
    assert all(RULES[k].doc.startswith("https://docs.aws.amazon.com/") for k in KINDS)


@pytest.mark.parametrize("kind, parts, expected", [
    ("alb", ("nodeapi", "prod"), "nodeapi-prod"),
    ("alb", ("Equoria", "Prod"), "equoria-prod"),
    ("target-group", ("nodeapi", "staging", "web", "blue"), "nodeapi-staging-web-blue"),
    ("target-group", ("fantasy-character-api", "staging", "web", "green"), "fantasy-character-api-sta-62cabe"),
    ("target-group", ("fantasy-character-api", "staging", "web", "blue"), "fantasy-character-api-sta-3458f4"),
    ("rds-instance", ("nodeapi", "prod"), "nodeapi-prod"),
    ("rds-instance", ("nodeapi", "My_Stack.eu"), "nodeapi-my-stack-eu"),
    ("rds-snapshot", ("nodeapi", "prod", "final"), "nodeapi-prod-final"),
    ("cache-replication-group", ("telegram-poker", "production-eu", "cache"), "telegram-poker-production-eu-cache"),
    ("cache-replication-group", ("telegram-poker", "production-eu-west-1", "cache"), "telegram-poker-production-eu-west-02174f"),
    ("s3-bucket", ("nodeapi", "prod", "backups", "123456789012"), "nodeapi-prod-backups-123456789012"),
    ("s3-bucket", ("Nodeapi", "pr_12", "sites", "web.app"), "nodeapi-pr-12-sites-web-app"),
    ("s3-bucket", ("nodeapi", "s3alias"), "nodeapi-s3alias-772316"),
    ("s3-bucket", ("nodeapi", "prod", "ol-s3"), "nodeapi-prod-ol-s3"),
    ("ecs-service", ("nodeapi", "prod", "web"), "nodeapi-prod-web"),
    ("ecs-task-family", ("nodeapi", "pr_12", "web"), "nodeapi-pr_12-web"),
    ("iam-role", ("hearthstone", "production", "web", "task-execution"), "hearthstone-production-web-task-execution"),
    ("iam-role", ("hearthstone", "production", "analytics-export", "task-execution", "scheduler", "role"),
     "hearthstone-production-analytics-export-task-execution-sc-79dc81"),
    ("kms-alias", ("nodeapi", "prod", "data"), "alias/nodeapi-prod-data"),
    ("log-group", ("nodeapi", "prod", "web"), "/nodeapi/prod/web"),
    ("log-group", ("aws", "rds", "instance", "nodeapi-prod", "postgresql"), "/aws/rds/instance/nodeapi-prod/postgresql"),
    ("waf-log-group", ("nodeapi", "prod"), "aws-waf-logs-nodeapi-prod"),
    ("secret", ("nodeapi", "prod", "JWT_SECRET"), "nodeapi/prod/JWT_SECRET"),
    ("schedule", ("nodeapi", "prod", "db-dump"), "nodeapi-prod-db-dump"),
    ("backup-vault", ("nodeapi", "prod"), "nodeapi-prod"),
    ("service-connect-name", ("Runtime_API",), "runtime-api"),
])
def test_names_are_pinned(kind, parts, expected):
    assert physical_name(kind, *parts) == expected


def _random_part(rng: random.Random) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. /:@#"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))


@pytest.mark.parametrize("kind", KINDS)
def test_any_input_gives_a_name_aws_accepts_or_a_clear_refusal(kind):
    rng = random.Random(kind)
    limit, pattern = AWS[kind]
    made = {}
    for _ in range(300):
        parts = ("app" + _random_part(rng).lower().replace(" ", ""), _random_part(rng), _random_part(rng))
        try:
            name = physical_name(kind, *parts)
        except InvalidName as exc:
            assert str(exc).startswith(f"{kind} name "), exc
            continue
        assert len(name) <= limit and re.fullmatch(pattern, name), (parts, name)
        assert physical_name(kind, *parts) == name  # deterministic
        made.setdefault(name, set()).add(parts)
    # Distinct long inputs never share a name: the hash covers the whole name.
    long_collisions = [n for n, sources in made.items() if len(sources) > 1 and len(n) == RULES[kind].max_length]
    assert long_collisions == []


@pytest.mark.parametrize("kind", KINDS)
def test_long_names_keep_a_readable_head_and_a_hash(kind):
    rule = RULES[kind]
    name = physical_name(kind, "nodeapi", "x" * 1100, "web")
    other = physical_name(kind, "nodeapi", "x" * 1100, "worker")
    assert len(name) <= rule.max_length and name != other
    assert re.search(f"-[0-9a-f]{{{rule.hash_length}}}$", name)
    assert name.startswith(rule.prefix + "nodeapi")


@pytest.mark.parametrize("kind, parts, message", [
    ("rds-instance", ("1app", "prod"),
     "rds-instance name '1app-prod': must start with a letter "
     "(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html)"),
    ("alb", ("internal", "prod"),
     "alb name 'internal-prod': must not start with 'internal-' "
     "(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html)"),
    ("s3-bucket", ("ab",),
     "s3-bucket name 'ab': needs at least 3 character(s) "
     "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)"),
    ("security-group", ("sg", "prod"),
     "security-group name 'sg-prod': must not start with 'sg-' "
     "(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html)"),
    ("ecs-service", ("--", "//"),
     "ecs-service name '': needs at least 1 character(s) "
     "(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html)"),
])
def test_names_that_cannot_be_repaired_are_refused(kind, parts, message):
    with pytest.raises(InvalidName) as caught:
        physical_name(kind, *parts)
    assert str(caught.value) == message


def test_double_hyphens_collapse_so_reserved_xn_prefix_cannot_arise():
    assert physical_name("s3-bucket", "xn", "", "-prod") == "xn-prod"


def test_name_prefixes_leave_room_for_the_providers_suffix():
    assert name_prefix("iam-role", "nodeapi", "prod", "web-task", suffix_length=26) == "nodeapi-prod-web-task-"
    long = name_prefix("iam-role", "hearthstone", "production", "analytics-export", "task", suffix_length=26)
    assert long == "hearthstone-production-analyti-62b6ec-" and len(long) + 26 <= 64
    with pytest.raises(InvalidName) as caught:
        name_prefix("target-group", "nodeapi", "prod", "web", suffix_length=26)
    assert str(caught.value) == ("target-group names hold 32 characters: no room for a prefix before a "
                                 "26-character suffix")


@pytest.mark.parametrize("value", ["nodeapi", "telegram-poker", "a", "equoria2", "v-edfinance", "x" * 40])
def test_app_names_accepted(value):
    assert check_app_name(value) == value


@pytest.mark.parametrize("value, message", [
    ("", "is empty; use lowercase letters, digits and '-', starting with a letter"),
    ("x" * 41, "has 41 characters; at most 40, so every physical name keeps a readable head before its hash"),
    ("NodeApi", "use lowercase letters, digits and single '-', starting with a letter and not ending with '-' "
                "(S3, RDS and ElastiCache names allow nothing else)"),
    ("node_api", "use lowercase letters, digits and single '-', starting with a letter and not ending with '-' "
                 "(S3, RDS and ElastiCache names allow nothing else)"),
    ("1api", "use lowercase letters, digits and single '-', starting with a letter and not ending with '-' "
             "(S3, RDS and ElastiCache names allow nothing else)"),
    ("api-", "use lowercase letters, digits and single '-', starting with a letter and not ending with '-' "
             "(S3, RDS and ElastiCache names allow nothing else)"),
    ("my--api", "use lowercase letters, digits and single '-', starting with a letter and not ending with '-' "
                "(S3, RDS and ElastiCache names allow nothing else)"),
    ("internal", "starts with 'internal': load balancer names must not start with 'internal-'"),
    ("internal-tools", "starts with 'internal': load balancer names must not start with 'internal-'"),
    ("sg", "starts with 'sg': security group names must not start with 'sg-'"),
    ("sthree-app", "starts with 'sthree': S3 bucket names must not start with 'sthree-'"),
    ("amzn-s3-demo", "starts with 'amzn-s3-demo': S3 bucket names must not start with 'amzn-s3-demo-'"),
])
def test_app_names_refused_with_the_reason(value, message):
    with pytest.raises(ValueError) as caught:
        check_app_name(value)
    assert str(caught.value) == message


def test_internal_as_a_word_inside_the_name_is_fine():
    assert check_app_name("internaltools") == "internaltools"
    assert physical_name("alb", "internaltools", "prod") == "internaltools-prod"


@pytest.mark.parametrize("value", ["prod", "staging", "Prod", "pr_12", "dev.eu-west-1", "s" * 100])
def test_stack_names_accepted(value):
    assert check_stack_name(value) == value


@pytest.mark.parametrize("value, message", [
    ("", "a stack name is 1-100 letters, digits, '_', '.' or '-'"),
    ("s" * 101, "a stack name is 1-100 letters, digits, '_', '.' or '-'"),
    ("org/project/prod", "a stack name is 1-100 letters, digits, '_', '.' or '-'"),
    ("_-.", "has no letter or digit: physical names are built from it"),
])
def test_stack_names_refused_with_the_reason(value, message):
    with pytest.raises(ValueError) as caught:
        check_stack_name(value)
    assert str(caught.value) == message

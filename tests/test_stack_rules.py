"""Stack-wide rules wired into the settings model, and names derived through contract.names."""

import pytest

from components.stack_names import StackNames
from tests.helpers import settings_error


@pytest.mark.parametrize("change, expected", [
    (lambda r: r.update(tags={"aws:owner": "me"}),
     "tags: got {\"aws:owner\": \"me\"}; 'aws:owner': keys starting with 'aws:' are reserved for AWS"),
    (lambda r: r.update(backupRegion="cn-north-1"),
     "backupRegion: got 'cn-north-1'; is in partition aws-cn, region 'us-east-1' in aws: copies cannot cross "
     "partitions"),
    (lambda r: r.update(app={"name": "internal"}),
     "app.name: got 'internal'; starts with 'internal': load balancer names must not start with 'internal-'"),
])
def test_stack_rules_name_the_key(change, expected):
    assert settings_error("prod", change).splitlines()[1:] == [f"  {expected}"]


def test_too_many_tags_leave_room_for_the_programs_own():
    message = settings_error("prod", lambda r: r.update(tags={f"t{i}": "x" for i in range(46)}))
    assert message.endswith("; 46 tags; at most 45 (AWS allows 50 per resource and the program sets 5)")


@pytest.mark.parametrize("app, stack, service, route, expected", [
    ("nodeapi", "prod", "web", 0, "nodeapi-prod-web-blue"),
    ("hearthstone", "production-eu", "household-api", 1, None),  # 39 characters: hashed down to 32
])
def test_target_group_names_fit_32_characters(app, stack, service, route, expected):
    name = StackNames(app, stack).target_group(service, route, "blue")
    assert len(name) <= 32
    if expected:
        assert name == expected
    else:
        assert name != StackNames(app, stack).target_group(service, route, "green")  # still unique


@pytest.mark.parametrize("name", ["db", "cache-warmer", "alb"])
def test_service_names_that_collide_with_the_stores_alarm_rows_are_refused(name):
    message = settings_error("staging", lambda r: r["services"].update({name: {"healthCheck": {"command": ["CMD", "true"]}}}))
    assert message.splitlines()[1].endswith(
        f"name {name!r} is reserved: alarm rows of the load balancer, database and cache are keyed alb-*, db-* "
        "and cache-*; choose another name")


@pytest.mark.parametrize("value", ["12345678901", "1234567890123", "12345678901a", 12345678901, True])
def test_account_id_is_twelve_digits(value):
    message = settings_error("staging", lambda r: r.update({"accountId": value}))
    assert message.splitlines()[1].endswith(
        "an AWS account ID is 12 digits, e.g. '123456789012' (quote it in YAML: a leading 0 would be lost as a "
        "number)")


def test_without_an_account_id_the_provider_is_not_pinned():
    from tests.helpers import resources, stack_settings
    from tools.preview import build_graph

    raw = {k: v for k, v in stack_settings("staging").items() if k != "accountId"}
    graph = build_graph("staging", settings=raw)
    assert [r["inputs"].get("allowedAccountIds") for r in resources(graph, "pulumi:providers:aws")] == [None]


def test_an_unquoted_account_id_is_read_as_its_digits():
    import copy

    from settings import parse_settings
    from tests.helpers import stack_settings

    raw = copy.deepcopy(stack_settings("staging"))
    raw["accountId"] = 123456789012
    assert parse_settings(raw, "test").account_id == "123456789012"


@pytest.mark.parametrize("arn, message", [
    ("arn:aws-cn:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000",
     "names partition aws-cn, but its region 'us-east-1' is in aws"),
    ("arn:aws:acm:us-east-1:210987654321:certificate/00000000-0000-4000-8000-000000000000",
     "belongs to account 210987654321, the stack to accountId 123456789012: a load balancer or distribution uses "
     "certificates of its own account"),
])
def test_a_brought_certificate_of_another_partition_or_account_is_refused(arn, message):
    got = settings_error("prod", lambda r: r["loadBalancer"].update({"certificateArn": arn}))
    assert got.splitlines()[1] == f"  loadBalancer.certificateArn: got {arn!r}; {message}"

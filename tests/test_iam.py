"""Trust policies: a confused-deputy condition only where AWS documents the service sending it (components/iam.py)."""

import json

import pytest

from components.iam import DEFAULT_TRUST, TRUSTS, assume_role_policy, trust_for
from tests.conftest import graph_with
from tests.helpers import parsed, resources

ACCOUNT = "123456789012"
PINNED = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}

# Every role of both real stacks: (principal, condition). A new role fails here until someone decides its trust.
EXPECTED_ROLES = {
    "web-infrastructure": ("ecs.amazonaws.com", None),
    "web-migrations-invoke": ("ecs.amazonaws.com", None),
    "web-migrations-role": ("lambda.amazonaws.com", None),
    "web-task-execution": ("ecs-tasks.amazonaws.com", None),
    "web-task-role": ("ecs-tasks.amazonaws.com", PINNED),
    "queue-task-execution": ("ecs-tasks.amazonaws.com", None),
    "queue-task-role": ("ecs-tasks.amazonaws.com", PINNED),
    "job-analytics-task-execution": ("ecs-tasks.amazonaws.com", None),
    "job-analytics-task-role": ("ecs-tasks.amazonaws.com", PINNED),
    "job-analytics-scheduler": ("scheduler.amazonaws.com", PINNED),
    "db-dump-execution": ("ecs-tasks.amazonaws.com", None),
    "db-dump-task": ("ecs-tasks.amazonaws.com", PINNED),
    "db-dump-scheduler": ("scheduler.amazonaws.com", PINNED),
    "backup-plan-role": ("backup.amazonaws.com", None),
    "backup-bucket-replication": ("s3.amazonaws.com", None),
    "data-app-user-execution": ("ecs-tasks.amazonaws.com", None),
    "data-app-user-function": ("lambda.amazonaws.com", None),
    "database-monitoring": ("monitoring.rds.amazonaws.com", PINNED),
    "database-proxy": ("rds.amazonaws.com", None),
    "network-flow-logs": ("vpc-flow-logs.amazonaws.com", PINNED),
    "network-nat-a-instance": ("ec2.amazonaws.com", None),
    "office-hours-db": ("scheduler.amazonaws.com", PINNED),
}


def statement(service: str, condition: dict | None) -> dict:
    result = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition:
        result["Condition"] = condition
    return result


@pytest.mark.parametrize("key,service,pinned", [
    ("ecs-task", "ecs-tasks.amazonaws.com", True),
    ("ecs-task-execution", "ecs-tasks.amazonaws.com", False),
    ("ecs-infrastructure", "ecs.amazonaws.com", False),
    ("ecs-lifecycle-hook", "ecs.amazonaws.com", False),
    ("scheduler", "scheduler.amazonaws.com", True),
    ("vpc-flow-logs", "vpc-flow-logs.amazonaws.com", True),
    ("rds-monitoring", "monitoring.rds.amazonaws.com", True),
    ("rds-proxy", "rds.amazonaws.com", False),
    ("backup", "backup.amazonaws.com", False),
    ("lambda", "lambda.amazonaws.com", False),
    ("s3-replication", "s3.amazonaws.com", False),
    ("chatbot", "chatbot.amazonaws.com", False),
    ("ec2-instance", "ec2.amazonaws.com", False),
])
def test_trust_table_pins_each_kind_of_role(key, service, pinned):
    assert (TRUSTS[key].service, TRUSTS[key].source_account) == (service, pinned)
    assert TRUSTS[key].doc.startswith("https://docs.aws.amazon.com/")
    assert json.loads(assume_role_policy(service, ACCOUNT, key)) == {
        "Version": "2012-10-17", "Statement": [statement(service, PINNED if pinned else None)]}


def test_table_covers_exactly_the_decided_kinds():
    assert sorted(TRUSTS) == sorted([
        "backup", "chatbot", "ec2-instance", "ecs-infrastructure", "ecs-lifecycle-hook", "ecs-task", "ecs-task-execution", "lambda",
        "rds-monitoring", "rds-proxy", "s3-replication", "scheduler", "vpc-flow-logs"])
    # A bare principal gets the row without a condition where a service has several (ECS tasks, ECS).
    assert DEFAULT_TRUST["ecs-tasks.amazonaws.com"] == "ecs-task-execution"
    assert DEFAULT_TRUST["ecs.amazonaws.com"] == "ecs-infrastructure"
    assert all(TRUSTS[key].service == service for service, key in DEFAULT_TRUST.items())


def test_a_service_nobody_decided_is_refused():
    with pytest.raises(ValueError) as caught:
        trust_for("glue.amazonaws.com")
    assert str(caught.value) == ("no trust rule for 'glue.amazonaws.com': add it to components/iam.py TRUSTS with "
                                 "the AWS page that shows its trust policy")


def test_a_row_of_another_service_is_refused():
    with pytest.raises(ValueError) as caught:
        trust_for("lambda.amazonaws.com", "ecs-task")
    assert str(caught.value) == "trust rule 'ecs-task' is for ecs-tasks.amazonaws.com, not lambda.amazonaws.com"


def test_a_pinned_role_needs_the_account():
    with pytest.raises(ValueError) as caught:
        assume_role_policy("scheduler.amazonaws.com")
    assert str(caught.value) == ("scheduler.amazonaws.com roles carry aws:SourceAccount (https://docs.aws.amazon.com/"
                                 "scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html): give the "
                                 "account id")


def roles_of(graph: dict) -> dict[str, dict]:
    return {r["name"]: parsed(r["inputs"]["assumeRolePolicy"]) for r in resources(graph, "aws:iam/role:Role")}


def test_every_role_of_both_stacks_has_its_decided_trust(staging, prod):
    seen = {**roles_of(staging), **roles_of(prod)}
    with_proxy = roles_of(graph_with("prod", database={**prod_database(), "proxy": True}))
    seen.update({name: policy for name, policy in with_proxy.items() if name == "database-proxy"})
    assert sorted(seen) == sorted(EXPECTED_ROLES)
    for name, (service, condition) in EXPECTED_ROLES.items():
        assert seen[name] == {"Version": "2012-10-17", "Statement": [statement(service, condition)]}, name


def prod_database() -> dict:
    from tests.helpers import stack_settings

    return stack_settings("prod")["database"]

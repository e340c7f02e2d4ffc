"""Every physical name of a stack with a long app and stack name stays within AWS's rules for its kind."""

import copy
import functools

import pytest

from contract.names import InvalidName, check_name
from tests.helpers import stack_settings
from tools.preview import ROOT, build_graph

APP, STACK = "hearthstone-househld", "production-eu-central-1-blue-team-canary"  # 20 and 40 characters

# (type, input) -> kind of contract.names.RULES: the names the program sets on resources.
NAMED = {
    ("aws:backup/plan:Plan", "name"): "backup-plan",
    ("aws:backup/selection:Selection", "name"): "backup-selection",
    ("aws:backup/vault:Vault", "name"): "backup-vault",
    ("aws:cloudwatch/dashboard:Dashboard", "dashboardName"): "dashboard",
    ("aws:cloudwatch/logGroup:LogGroup", "name"): "log-group-any",
    ("aws:cloudwatch/logMetricFilter:LogMetricFilter", "name"): "metric-filter",
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "name"): "alarm",
    ("aws:ecr/repository:Repository", "name"): "ecr-repository",
    ("aws:ecs/cluster:Cluster", "name"): "ecs-cluster",
    ("aws:ecs/service:Service", "name"): "ecs-service",
    ("aws:ecs/taskDefinition:TaskDefinition", "family"): "ecs-task-family",
    ("aws:efs/fileSystem:FileSystem", "creationToken"): "efs-creation-token",
    ("aws:elasticache/parameterGroup:ParameterGroup", "name"): "cache-parameter-group",
    ("aws:elasticache/replicationGroup:ReplicationGroup", "finalSnapshotIdentifier"): "cache-snapshot",
    ("aws:elasticache/replicationGroup:ReplicationGroup", "replicationGroupId"): "cache-replication-group",
    ("aws:elasticache/subnetGroup:SubnetGroup", "name"): "cache-subnet-group",
    ("aws:kms/alias:Alias", "name"): "kms-alias",
    ("aws:lambda/function:Function", "name"): "lambda-function",
    ("aws:lb/loadBalancer:LoadBalancer", "name"): "alb",
    ("aws:lb/targetGroup:TargetGroup", "name"): "target-group",
    ("aws:rds/instance:Instance", "finalSnapshotIdentifier"): "rds-snapshot",
    ("aws:rds/instance:Instance", "identifier"): "rds-instance",
    ("aws:rds/parameterGroup:ParameterGroup", "name"): "rds-parameter-group",
    ("aws:rds/subnetGroup:SubnetGroup", "name"): "rds-subnet-group",
    ("aws:s3/bucket:Bucket", "bucket"): "s3-bucket",
    ("aws:scheduler/schedule:Schedule", "name"): "schedule",
    ("aws:secretsmanager/secret:Secret", "name"): "secret",
    ("aws:sns/topic:Topic", "name"): "sns-topic",
    ("aws:wafv2/webAcl:WebAcl", "name"): "web-acl",
}
# Log groups whose names AWS fixes (RDS exports, Lambda, WAF) keep their own prefix; all share the 512 limit.
LOG_GROUP_KINDS = {"aws-waf-logs-": "waf-log-group", "/": "log-group"}


@functools.lru_cache(maxsize=None)
def long_named(stack_file: str) -> dict:
    """A real stack file rendered as the stack STACK of the app APP."""
    raw = copy.deepcopy(stack_settings(stack_file))
    raw.setdefault("app", {})["name"] = APP
    return build_graph(STACK, settings=raw, config_file=ROOT / f"Pulumi.{stack_file}.yaml")


def named(graph: dict) -> list[tuple[str, str, str]]:
    """(kind, resource name, physical name) of every name the program sets."""
    found = []
    for resource in graph["resources"]:
        for (type_, key), kind in NAMED.items():
            value = resource["inputs"].get(key) if resource["type"] == type_ else None
            if isinstance(value, str):
                if kind == "log-group-any":
                    kind = next(k for start, k in LOG_GROUP_KINDS.items() if value.startswith(start))
                found.append((kind, resource["name"], value))
    return found


def test_the_long_named_stack_names_every_kind():
    kinds = {kind for kind, _, _ in named(long_named("prod")) + named(long_named("staging"))}
    assert kinds >= {"backup-plan", "backup-selection", "backup-vault", "cache-replication-group", "cache-snapshot",
                     "rds-instance", "rds-snapshot", "s3-bucket", "target-group", "alb", "schedule", "log-group"}


@pytest.mark.parametrize("graph", ["long-staging", "long-prod", "staging", "prod"])
def test_every_physical_name_is_valid_for_its_kind(graph, staging, prod):
    graph = {"staging": staging, "prod": prod}.get(graph) or long_named(graph.removeprefix("long-"))
    problems = []
    for kind, resource, value in named(graph):
        try:
            check_name(kind, value)
        except InvalidName as error:
            problems.append(f"{resource}: {error}")
    assert problems == []

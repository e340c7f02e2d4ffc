"""What the app codes against: the data tier's wiring (environment, secrets, secret ARNs, KMS keys) and its stores."""

import runpy
import sys

import pulumi
import pytest
from pulumi.runtime.sync_await import _sync_await

from tests.data_helpers import KEY, key_arn, state_of
from tools.preview import ROOT, load_stack_config, record


def _resolve(value):
    return _sync_await(pulumi.Output.from_input(value).future())


@pytest.fixture(scope="module")
def program():
    """The prod program's module globals (resolved) and its graph, from one mocked run."""
    config, _ = load_stack_config("prod", "nodeapi")
    names: dict = {}

    def build():
        sys.path.insert(0, str(ROOT))
        try:
            names.update(runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"))
        finally:
            sys.path.remove(str(ROOT))

    graph = record(build, stack="prod", config=config)
    wiring, data = names["data"].wiring, names["data"]
    resolved = {"app_environment": _resolve(wiring.environment), "app_secrets": _resolve(wiring.secrets),
                "secret_arns": _resolve(wiring.secret_arns), "kms_key_arns": _resolve(wiring.kms_key_arns),
                "stack_key": names["encryption"].key, "database": data.database, "cache": data.cache,
                "backup_bucket": data.backup_bucket}
    return resolved, graph


def test_app_environment(program):
    names, graph = program
    assert names["app_environment"] == {
        "DB_HOST": state_of(graph, "aws:rds/instance:Instance", "database")["address"],
        "DB_PORT": "5432", "DB_NAME": "app", "DB_SSL": "true", "DB_IAM_AUTH": "false",
        "REDIS_HOST": state_of(graph, "aws:elasticache/replicationGroup:ReplicationGroup", "cache")[
            "primaryEndpointAddress"],
        "REDIS_PORT": "6379", "REDIS_TLS": "true", "REDIS_CLUSTER": "false",
    }


def test_app_secrets_are_value_from_arns_of_the_app_user_never_the_master(program):
    names, graph = program
    secret = lambda name: state_of(graph, "aws:secretsmanager/secret:Secret", name)["arn"]  # noqa: E731
    app_user = secret("data-app-user-secret")
    assert names["app_secrets"] == {
        "DATABASE_URL": f"{app_user}:url::",
        "DB_USER": f"{app_user}:username::",
        "DB_PASSWORD": f"{app_user}:password::",
        "REDIS_URL": secret("cache-url"),
        "REDIS_AUTH_TOKEN": secret("cache-auth-token"),
        "JWT_SECRET": secret("app-secrets-jwt-secret"),
        "JWT_REFRESH_SECRET": secret("app-secrets-jwt-refresh-secret"),
    }
    # App secrets in name order (settings.secret_names), after the platform's.
    assert names["secret_arns"] == [app_user, secret("cache-url"), secret("cache-auth-token"),
                                    secret("app-secrets-jwt-refresh-secret"), secret("app-secrets-jwt-secret")]
    assert names["kms_key_arns"] == [key_arn(graph)]


def test_only_the_data_tiers_own_tasks_read_the_master_secret(program):
    """The whole program: no app service, job or hook task definition references the RDS-managed master secret."""
    _, graph = program
    master = state_of(graph, "aws:rds/instance:Instance", "database")["masterUserSecrets"][0]["secretArn"]
    families = [r["inputs"]["family"] for r in graph["resources"] if r["type"] == "aws:ecs/taskDefinition:TaskDefinition"]
    readers = [r["inputs"]["family"] for r in graph["resources"]
               if r["type"] == "aws:ecs/taskDefinition:TaskDefinition" and master in r["inputs"]["containerDefinitions"]]
    assert readers == ["nodeapi-prod-db-dump", "nodeapi-prod-db-users", "nodeapi-prod-db-users-rotate"]
    assert len(families) > len(readers)  # the app's own task definitions are there, and none of them reads it


def test_components_and_key_exist(program):
    names, graph = program
    import pulumi_aws as aws

    assert isinstance(names["stack_key"], aws.kms.Key)
    assert state_of(graph, KEY, "encryption")["arn"] == key_arn(graph)
    assert {type(names[c]).__name__ for c in ("database", "cache", "backup_bucket")} == {
        "Database", "Cache", "BackupBucket"}


def test_the_alarms_watch_what_the_data_tier_built():
    """Replicas get their rows, connections follow max_connections, a sharded cache is watched per member, and
    a stack without a cache has no cache rows (the whole program)."""
    from tests.conftest import graph_with
    from tests.helpers import resources, stack_settings

    settings = stack_settings("prod")
    graph = graph_with("prod", database={**settings["database"], "readReplicas": {"count": 1},
                                         "parameters": {"max_connections": 200}},
                       cache={**settings["cache"], "shards": 2})
    alarms = {r["inputs"]["name"]: r["inputs"] for r in resources(graph, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert {"nodeapi-prod-db-replica-lag-critical", "nodeapi-prod-db-replica-cpu-critical",
            "nodeapi-prod-db-replica-connections-critical"} <= set(alarms)
    assert alarms["nodeapi-prod-db-connections-critical"]["threshold"] == 180  # 90 % of the configured 200
    members = [query["metric"]["dimensions"]["CacheClusterId"]
               for query in alarms["nodeapi-prod-cache-cpu-critical"]["metricQueries"] if "metric" in query]
    assert members == ["nodeapi-prod-0001-001", "nodeapi-prod-0001-002", "nodeapi-prod-0002-001",
                       "nodeapi-prod-0002-002"]
    staging = stack_settings("staging")
    without = graph_with("staging", cache={**staging["cache"], "enabled": False})
    assert not [r for r in resources(without, "aws:cloudwatch/metricAlarm:MetricAlarm")
                if "-cache-" in r["inputs"]["name"]]

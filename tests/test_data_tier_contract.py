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
        "DB_PORT": "5432", "DB_NAME": "app", "DB_USER": "nodeapi", "DB_SSL": "true", "DB_IAM_AUTH": "false",
        "REDIS_HOST": state_of(graph, "aws:elasticache/replicationGroup:ReplicationGroup", "cache")[
            "primaryEndpointAddress"],
        "REDIS_PORT": "6379", "REDIS_TLS": "true",
    }


def test_app_secrets_are_value_from_arns(program):
    names, graph = program
    db_secret = state_of(graph, "aws:rds/instance:Instance", "database")["masterUserSecrets"][0]["secretArn"]
    secret = lambda name: state_of(graph, "aws:secretsmanager/secret:Secret", name)["arn"]  # noqa: E731
    assert names["app_secrets"] == {
        "DB_PASSWORD": f"{db_secret}:password::",
        "REDIS_AUTH_TOKEN": secret("cache-auth-token"),
        "JWT_SECRET": secret("app-secrets-jwt-secret"),
        "JWT_REFRESH_SECRET": secret("app-secrets-jwt-refresh-secret"),
    }
    # App secrets in name order (settings.secret_names), after the platform's.
    assert names["secret_arns"] == [db_secret, secret("cache-auth-token"), secret("app-secrets-jwt-refresh-secret"),
                                    secret("app-secrets-jwt-secret")]
    assert names["kms_key_arns"] == [key_arn(graph)]


def test_components_and_key_exist(program):
    names, graph = program
    import pulumi_aws as aws

    assert isinstance(names["stack_key"], aws.kms.Key)
    assert state_of(graph, KEY, "encryption")["arn"] == key_arn(graph)
    assert {type(names[c]).__name__ for c in ("database", "cache", "backup_bucket")} == {
        "Database", "Cache", "BackupBucket"}

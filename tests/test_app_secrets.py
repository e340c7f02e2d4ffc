"""Application secrets: generated (or Pulumi-secret) values in KMS-encrypted Secrets Manager secrets."""

import pulumi
import pytest
from pulumi.runtime.config import set_all_config

from components.app_secrets import config_overrides, secret_slug
from tests.data_helpers import key_arn, state_of
from tests.data_tier_graph import use_data_tier_graphs
from tests.helpers import assert_inputs, children, one, resources

use_data_tier_graphs(globals())  # prod, staging, stack_graph: the DataTier of each real stack


NAMES = ("jwt-secret", "jwt-refresh-secret")


@pytest.mark.parametrize("slug", NAMES)
def test_each_secret_is_generated_and_encrypted(stack_graph, slug):
    stack = stack_graph["stack"]
    name = f"app-secrets-{slug}"
    assert_inputs(one(stack_graph, "random:index/randomPassword:RandomPassword", name), {"length": 64, "special": False})
    assert_inputs(one(stack_graph, "aws:secretsmanager/secret:Secret", name), {
        "name": f"nodeapi-{stack}/{slug}", "kmsKeyId": key_arn(stack_graph), "recoveryWindowInDays": 30})
    assert_inputs(one(stack_graph, "aws:secretsmanager/secretVersion:SecretVersion", name), {
        "secretId": state_of(stack_graph, "aws:secretsmanager/secret:Secret", name)["id"], "secretString": "[secret]"})


def test_no_secret_value_is_plain_anywhere(stack_graph):
    for version in resources(stack_graph, "aws:secretsmanager/secretVersion:SecretVersion"):
        assert version["inputs"]["secretString"] == "[secret]"
    assert one(stack_graph, "aws:elasticache/replicationGroup:ReplicationGroup")["inputs"]["authToken"] == "[secret]"


def test_children(stack_graph):
    component = one(stack_graph, "nodeapi:secrets:AppSecrets", "app-secrets")
    assert sorted(r["name"] for r in children(stack_graph, component["urn"])) == sorted(
        f"app-secrets-{slug}" for slug in NAMES for _ in range(3))


@pytest.mark.parametrize("env, slug", [("JWT_SECRET", "jwt-secret"), ("API_KEY_2", "api-key-2")])
def test_secret_slug(env, slug):
    assert secret_slug(env) == slug


def test_an_override_must_be_a_pulumi_secret():
    set_all_config({"nodeapi:JWT_SECRET": "from-config"}, ["nodeapi:JWT_SECRET"])
    overrides = config_overrides(pulumi.Config("nodeapi"), ["JWT_SECRET", "JWT_REFRESH_SECRET"])
    assert list(overrides) == ["JWT_SECRET"]

    set_all_config({"nodeapi:JWT_SECRET": "plain"}, [])
    with pytest.raises(pulumi.RunError) as caught:
        config_overrides(pulumi.Config("nodeapi"), ["JWT_SECRET"])
    assert str(caught.value) == ("nodeapi:JWT_SECRET: is set in plain text; set it with "
                                 "`pulumi config set --secret JWT_SECRET` (or remove it to generate a value)")
    set_all_config({}, [])


def test_secrets_carry_the_tags_ops_reads_and_keep_values_set_outside_pulumi(stack_graph):
    for slug in NAMES:
        env, name = slug.upper().replace("-", "_"), f"app-secrets-{slug}"
        assert one(stack_graph, "aws:secretsmanager/secret:Secret", name)["inputs"]["tags"] == {
            "nodeapi:env-name": env, "nodeapi:generated": "true", "nodeapi:length": "64"}
        version = one(stack_graph, "aws:secretsmanager/secretVersion:SecretVersion", name)
        assert version["options"]["ignoreChanges"] == ["secretString"]


def test_secret_tags():
    from components.app_secrets import secret_tags

    assert secret_tags("STRIPE_KEY", False, 64) == {"nodeapi:env-name": "STRIPE_KEY", "nodeapi:generated": "false",
                                                    "nodeapi:length": "64"}

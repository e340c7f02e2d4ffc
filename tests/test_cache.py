"""The ElastiCache component: private, encrypted both ways, AUTH token from Secrets Manager, HA in prod only."""

import pytest

from tests.data_helpers import INGRESS, SG, app_sg_id, key_arn, state_of
from tests.helpers import ABSENT, assert_inputs, children, one, resources

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"

COMMON = {
    "engine": "valkey",
    "engineVersion": "8.0",
    "port": 6379,
    "atRestEncryptionEnabled": True,
    "transitEncryptionEnabled": True,
    "transitEncryptionMode": "required",
    "authToken": "[secret]",
    "snapshotWindow": "04:00-05:00",
    "maintenanceWindow": "sun:06:00-sun:07:00",
    "numNodeGroups": ABSENT,
}


def test_prod_has_a_replica_with_failover_and_snapshots(prod):
    group = one(prod, GROUP)
    assert_inputs(group, {
        **COMMON,
        "replicationGroupId": "nodeapi-prod",
        "nodeType": "cache.t4g.small",
        "numCacheClusters": 2,
        "automaticFailoverEnabled": True,
        "multiAzEnabled": True,
        "snapshotRetentionLimit": 7,
        "finalSnapshotIdentifier": "nodeapi-prod-final",
        "kmsKeyId": key_arn(prod),
        "subnetGroupName": "nodeapi-prod",
        "parameterGroupName": "nodeapi-prod-valkey8",
        "securityGroupIds": [state_of(prod, SG, "cache-sg")["id"]],
    })
    assert group["options"]["protect"] is True


def test_staging_has_one_node_and_the_same_security(staging):
    group = one(staging, GROUP)
    assert_inputs(group, {
        **COMMON,
        "replicationGroupId": "nodeapi-staging",
        "nodeType": "cache.t4g.micro",
        "numCacheClusters": 1,
        "automaticFailoverEnabled": False,
        "multiAzEnabled": False,
        "snapshotRetentionLimit": 1,
        "finalSnapshotIdentifier": ABSENT,
        "kmsKeyId": key_arn(staging),
    })
    assert group["options"]["protect"] is False


def test_only_the_app_security_group_reaches_the_cache(stack_graph):
    cache_sg = state_of(stack_graph, SG, "cache-sg")["id"]
    rules = [r for r in resources(stack_graph, INGRESS) if r["inputs"]["securityGroupId"] == cache_sg]
    assert [r["name"] for r in rules] == ["cache-from-app"]
    assert_inputs(rules[0], {"referencedSecurityGroupId": app_sg_id(stack_graph), "ipProtocol": "tcp",
                             "fromPort": 6379, "toPort": 6379, "cidrIpv4": ABSENT})


def test_parameter_group_keeps_queued_jobs(stack_graph):
    assert_inputs(one(stack_graph, "aws:elasticache/parameterGroup:ParameterGroup"), {
        "family": "valkey8", "parameters": [{"name": "maxmemory-policy", "value": "noeviction"}]})


def test_subnet_group_is_the_isolated_tier(stack_graph):
    isolated = [state_of(stack_graph, "aws:ec2/subnet:Subnet", r["name"])["id"]
                for r in resources(stack_graph, "aws:ec2/subnet:Subnet") if "-isolated-" in r["name"]]
    assert_inputs(one(stack_graph, "aws:elasticache/subnetGroup:SubnetGroup"), {"subnetIds": isolated})


def test_auth_token_is_generated_and_stored_encrypted(stack_graph):
    stack = stack_graph["stack"]
    assert_inputs(one(stack_graph, "random:index/randomPassword:RandomPassword", "cache-auth-token"),
                  {"length": 64, "special": False})
    secret = one(stack_graph, "aws:secretsmanager/secret:Secret", "cache-auth-token")
    assert_inputs(secret, {"name": f"nodeapi-{stack}/cache-auth-token", "kmsKeyId": key_arn(stack_graph),
                           "recoveryWindowInDays": 30})
    assert_inputs(one(stack_graph, "aws:secretsmanager/secretVersion:SecretVersion", "cache-auth-token"), {
        "secretId": state_of(stack_graph, "aws:secretsmanager/secret:Secret", "cache-auth-token")["id"],
        "secretString": "[secret]"})


def test_children_and_output(stack_graph):
    component = one(stack_graph, "nodeapi:cache:Cache", "cache")
    assert sorted(r["name"] for r in children(stack_graph, component["urn"])) == sorted([
        "cache", "cache-auth-token", "cache-auth-token", "cache-auth-token", "cache-from-app", "cache-params",
        "cache-sg", "cache-subnets"])
    assert stack_graph["outputs"]["cacheEndpoint"] == state_of(stack_graph, GROUP, "cache")["primaryEndpointAddress"]


@pytest.mark.parametrize("engine, version, family", [("valkey", "8.0", "valkey8"), ("redis", "7.1", "redis7")])
def test_parameter_family(engine, version, family):
    from settings.cache import CacheSettings

    assert CacheSettings(engine=engine, engine_version=version, node_type="cache.t4g.micro").parameter_family == family

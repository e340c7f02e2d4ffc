"""The ElastiCache component: private, encrypted both ways, AUTH token from Secrets Manager, HA in prod only."""

import pytest

from components.cache import member_ids, redis_url
from tests.data_helpers import INGRESS, SG, client_sg_ids, key_arn, state_of
from tests.data_tier_graph import use_data_tier_graphs, with_changes
from tests.helpers import ABSENT, assert_inputs, children, one, resources

use_data_tier_graphs(globals())  # prod, staging, stack_graph: the DataTier of each real stack


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
        "finalSnapshotIdentifier": "nodeapi-prod-final-74b4cef2",
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


def test_only_the_services_reach_the_cache(stack_graph):
    cache_sg = state_of(stack_graph, SG, "cache-sg")["id"]
    rules = {r["name"]: r["inputs"] for r in resources(stack_graph, INGRESS) if r["inputs"]["securityGroupId"] == cache_sg}
    sources = client_sg_ids(stack_graph)  # not the data tier's own tasks: they never use the cache
    assert sorted(rules) == sorted(f"cache-from-{name}" for name in sources)
    for name, source in sources.items():
        assert rules[f"cache-from-{name}"] == {
            "securityGroupId": cache_sg, "referencedSecurityGroupId": source, "ipProtocol": "tcp", "fromPort": 6379,
            "toPort": 6379, "description": f"{name} tasks reach valkey", "tags": {"Name": f"cache-from-{name}"}}


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
    final = ["cache-final-snapshot"] if stack_graph["stack"] == "prod" else []  # staging keeps no final snapshot
    assert sorted(r["name"] for r in children(stack_graph, component["urn"])) == sorted([
        "cache", "cache-auth-token", "cache-auth-token", "cache-auth-token", "cache-from-web", "cache-from-worker",
        "cache-params", "cache-sg", "cache-subnets", "cache-url", "cache-url", *final])
    assert stack_graph["outputs"]["cacheEndpoint"] == state_of(stack_graph, GROUP, "cache")["primaryEndpointAddress"]
    group, replicas = f"nodeapi-{stack_graph['stack']}", 1 if stack_graph["stack"] == "prod" else 0
    assert stack_graph["outputs"]["cacheMemberIds"] == member_ids(group, replicas)


def test_redis_url_is_a_secret_of_its_own(stack_graph):
    stack = stack_graph["stack"]
    assert one(stack_graph, "aws:secretsmanager/secret:Secret", "cache-url")["inputs"] == {
        "name": f"nodeapi-{stack}/cache-url", "kmsKeyId": key_arn(stack_graph), "recoveryWindowInDays": 30,
        "description": f"nodeapi-{stack}: REDIS_URL (rediss://, AUTH token) of the valkey replication group"}
    assert one(stack_graph, "aws:secretsmanager/secretVersion:SecretVersion", "cache-url")["inputs"] == {
        "secretId": state_of(stack_graph, "aws:secretsmanager/secret:Secret", "cache-url")["id"],
        "secretString": "[secret]"}


def test_the_whole_replication_group_in_prod(prod):
    assert one(prod, GROUP)["inputs"] == {
        "replicationGroupId": "nodeapi-prod", "description": "nodeapi-prod: cache, queues and rate limits",
        "engine": "valkey", "engineVersion": "8.0", "nodeType": "cache.t4g.small", "numCacheClusters": 2,
        "automaticFailoverEnabled": True, "multiAzEnabled": True, "port": 6379, "subnetGroupName": "nodeapi-prod",
        "securityGroupIds": [state_of(prod, SG, "cache-sg")["id"]], "parameterGroupName": "nodeapi-prod-valkey8",
        "atRestEncryptionEnabled": True, "kmsKeyId": key_arn(prod), "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required", "authToken": "[secret]", "snapshotRetentionLimit": 7,
        "snapshotWindow": "04:00-05:00", "maintenanceWindow": "sun:06:00-sun:07:00",
        "finalSnapshotIdentifier": "nodeapi-prod-final-74b4cef2", "autoMinorVersionUpgrade": True, "applyImmediately": False,
        "tags": {"Name": "nodeapi-prod"},
    }


CLUSTER = {"nodeType": "cache.r7g.large", "shards": 3, "replicas": 1, "snapshotRetentionDays": 7}


@pytest.fixture(scope="module")
def sharded() -> dict:
    return with_changes("prod", cache=CLUSTER)


def test_cluster_mode_whole_replication_group(sharded):
    assert one(sharded, GROUP)["inputs"] == {
        "replicationGroupId": "nodeapi-prod", "description": "nodeapi-prod: cache, queues and rate limits",
        "engine": "valkey", "engineVersion": "8.0", "nodeType": "cache.r7g.large", "numNodeGroups": 3,
        "replicasPerNodeGroup": 1, "clusterMode": "enabled", "automaticFailoverEnabled": True,
        "multiAzEnabled": True, "port": 6379, "subnetGroupName": "nodeapi-prod",
        "securityGroupIds": [state_of(sharded, SG, "cache-sg")["id"]],
        "parameterGroupName": "nodeapi-prod-valkey8-cluster", "atRestEncryptionEnabled": True,
        "kmsKeyId": key_arn(sharded), "transitEncryptionEnabled": True, "transitEncryptionMode": "required",
        "authToken": "[secret]", "snapshotRetentionLimit": 7, "snapshotWindow": "04:00-05:00",
        "maintenanceWindow": "sun:06:00-sun:07:00", "finalSnapshotIdentifier": "nodeapi-prod-final-74b4cef2",
        "autoMinorVersionUpgrade": True, "applyImmediately": False, "tags": {"Name": "nodeapi-prod"},
    }
    assert one(sharded, "aws:elasticache/parameterGroup:ParameterGroup")["inputs"] == {
        "name": "nodeapi-prod-valkey8-cluster", "family": "valkey8",
        "description": "nodeapi-prod: maxmemory-policy noeviction, cluster mode",
        "parameters": [{"name": "maxmemory-policy", "value": "noeviction"}, {"name": "cluster-enabled", "value": "yes"}]}


def test_cluster_mode_exposes_the_configuration_endpoint_and_every_member(sharded):
    endpoint = state_of(sharded, GROUP, "cache")["configurationEndpointAddress"]
    assert endpoint.startswith("clustercfg.nodeapi-prod.")
    assert sharded["outputs"]["cacheEndpoint"] == endpoint
    assert sharded["outputs"]["wiring:all"]["environment"]["REDIS_HOST"] == endpoint
    assert sharded["outputs"]["wiring:all"]["environment"]["REDIS_CLUSTER"] == "true"
    assert sharded["outputs"]["cacheMemberIds"] == [
        "nodeapi-prod-0001-001", "nodeapi-prod-0001-002", "nodeapi-prod-0002-001", "nodeapi-prod-0002-002",
        "nodeapi-prod-0003-001", "nodeapi-prod-0003-002"]


def test_an_ephemeral_cache_runs_one_node_in_prod_without_snapshots():
    graph = with_changes("prod", cache={"nodeType": "cache.t4g.small", "ephemeral": True})
    assert_inputs(one(graph, GROUP), {"numCacheClusters": 1, "automaticFailoverEnabled": False,
                                      "multiAzEnabled": False, "snapshotRetentionLimit": 0,
                                      "finalSnapshotIdentifier": ABSENT})
    assert one(graph, GROUP)["options"]["protect"] is True


@pytest.mark.parametrize("cache", [None, {"enabled": False}, {"enabled": False, "nodeType": "cache.t4g.micro"}])
def test_no_cache_means_no_cache_resources_and_no_redis_variables(cache):
    graph = with_changes("staging", cache=cache)
    assert not [r for r in graph["resources"] if r["type"].startswith("aws:elasticache/")]
    assert not [r for r in graph["resources"] if r["name"].startswith("cache")]
    wiring = graph["outputs"]["wiring:all"]
    assert not [name for name in {**wiring["environment"], **wiring["secrets"]} if name.startswith("REDIS")]
    assert not [arn for arn in wiring["secretArns"] if "/cache-" in arn]
    assert "cacheEndpoint" not in graph["outputs"] and "cacheMemberIds" not in graph["outputs"]


@pytest.mark.parametrize("replicas, shards, ids", [
    (0, None, ["g-001"]),
    (2, None, ["g-001", "g-002", "g-003"]),
    (0, 2, ["g-0001-001", "g-0002-001"]),
    (1, 2, ["g-0001-001", "g-0001-002", "g-0002-001", "g-0002-002"]),
])
def test_member_ids(replicas, shards, ids):
    assert member_ids("g", replicas, shards) == ids


def test_redis_url():
    assert redis_url("tok3n", "master.g.abc.use1.cache.amazonaws.com") == (
        "rediss://:tok3n@master.g.abc.use1.cache.amazonaws.com:6379")


@pytest.mark.parametrize("engine, version, family", [("valkey", "8.0", "valkey8"), ("redis", "7.1", "redis7")])
def test_parameter_family(engine, version, family):
    from settings.cache import CacheSettings

    assert CacheSettings(engine=engine, engine_version=version, node_type="cache.t4g.micro").parameter_family == family

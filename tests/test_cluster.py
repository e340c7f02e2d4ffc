"""The ECS cluster: Container Insights per stack, capacity providers, and outputs that wait for them."""

import asyncio

from components.cluster import Cluster, ClusterArgs
from tests.data_helpers import key_arn
from tests.helpers import assert_inputs, mock_state, one
from tools.preview import record


NAMESPACE = "aws:servicediscovery/httpNamespace:HttpNamespace"


def test_cluster_per_stack(stack_graph):
    stack = stack_graph["stack"]
    assert_inputs(one(stack_graph, "aws:ecs/cluster:Cluster"), {
        "name": f"nodeapi-{stack}",
        "settings": [{"name": "containerInsights", "value": "enhanced" if stack == "prod" else "enabled"}],
        "configuration": {"executeCommandConfiguration": {
            "kmsKeyId": key_arn(stack_graph), "logging": "OVERRIDE",
            "logConfiguration": {"cloudWatchLogGroupName": f"/ecs/nodeapi-{stack}/exec",
                                 "cloudWatchEncryptionEnabled": True}}},
        "serviceConnectDefaults": {"namespace": mock_state(stack_graph, NAMESPACE, "cluster-namespace")["arn"]}})
    assert_inputs(one(stack_graph, NAMESPACE, "cluster-namespace"), {"name": f"nodeapi-{stack}"})
    assert_inputs(one(stack_graph, "aws:cloudwatch/logGroup:LogGroup", "cluster-exec"), {
        "name": f"/ecs/nodeapi-{stack}/exec", "kmsKeyId": key_arn(stack_graph)})
    assert_inputs(one(stack_graph, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"), {
        "clusterName": f"nodeapi-{stack}", "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "defaultCapacityProviderStrategies": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]})


def test_services_wait_for_the_capacity_providers():
    """A service naming FARGATE_SPOT fails if created before the association: the outputs carry it."""
    seen: dict[str, list[str]] = {}

    def build():
        cluster = Cluster("cluster", ClusterArgs(cluster_name="nodeapi-test", container_insights="enabled",
                                                   kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k"))

        async def depends_on(key, output):
            seen[key] = sorted(type(r).__name__ for r in await output.resources())

        asyncio.ensure_future(depends_on("arn", cluster.arn))
        asyncio.ensure_future(depends_on("cluster_name", cluster.cluster_name))

    record(build)
    assert seen == {"arn": ["Cluster", "ClusterCapacityProviders"],
                    "cluster_name": ["Cluster", "ClusterCapacityProviders"]}

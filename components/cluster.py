"""The ECS cluster every service, worker and scheduled job runs in."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, kw_only=True)
class ClusterArgs:
    """The cluster's AWS name and its Container Insights level ('enhanced' adds per-task metrics)."""

    cluster_name: str
    container_insights: str


class Cluster(pulumi.ComponentResource):
    """An ECS cluster with Fargate and Fargate Spot capacity providers (Spot is opt-in per service)."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:cluster:Cluster", name, None, opts)
        self.cluster = aws.ecs.Cluster(
            name,
            name=args.cluster_name,
            settings=[{"name": "containerInsights", "value": args.container_insights}],
            tags={"Name": name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        # On-demand Fargate by default; services that tolerate interruption choose FARGATE_SPOT themselves.
        capacity = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Services name a capacity provider: they must wait for the association, so the outputs carry it.
        self.arn = pulumi.Output.all(self.cluster.arn, capacity.id).apply(lambda values: values[0])
        self.cluster_name = pulumi.Output.all(self.cluster.name, capacity.id).apply(lambda values: values[0])
        self.register_outputs({"arn": self.arn, "cluster_name": self.cluster_name})

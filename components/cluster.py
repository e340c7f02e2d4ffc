"""The ECS cluster every service and job runs in: capacity providers, Service Connect namespace, ECS Exec logging."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# What a task role needs for `ops exec` sessions (ECS Developer Guide, "Monitor Amazon ECS containers with ECS
# Exec", IAM permissions): the SSM message channels, plus writing the encrypted session log and decrypting
# the session key.
EXEC_CHANNELS = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                 "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]


@dataclass(frozen=True, kw_only=True)
class ClusterArgs:
    """The cluster's AWS name, Container Insights level, and the key and retention of exec session logs."""

    cluster_name: str
    container_insights: str
    kms_key_arn: pulumi.Input[str]
    exec_log_retention_days: int = 90


class Cluster(pulumi.ComponentResource):
    """ECS cluster with Fargate and Fargate Spot, a Service Connect namespace and encrypted exec session logs."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:cluster:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Services find each other as http://<service>:<port> through this namespace (no second load balancer).
        self.namespace = aws.servicediscovery.HttpNamespace(
            f"{name}-namespace", name=args.cluster_name, description=f"Service Connect of {args.cluster_name}",
            opts=child,
        )
        self.exec_log_group = aws.cloudwatch.LogGroup(
            f"{name}-exec", name=f"/ecs/{args.cluster_name}/exec", retention_in_days=args.exec_log_retention_days,
            kms_key_id=args.kms_key_arn, opts=child,
        )
        self.cluster = aws.ecs.Cluster(
            name,
            name=args.cluster_name,
            settings=[{"name": "containerInsights", "value": args.container_insights}],
            configuration={"execute_command_configuration": {
                "kms_key_id": args.kms_key_arn,
                "logging": "OVERRIDE",
                "log_configuration": {"cloud_watch_log_group_name": self.exec_log_group.name,
                                      "cloud_watch_encryption_enabled": True},
            }},
            service_connect_defaults={"namespace": self.namespace.arn},
            tags={"Name": name},
            opts=child,
        )
        # On-demand Fargate by default; services that tolerate interruption choose FARGATE_SPOT themselves.
        capacity = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
            opts=child,
        )
        # Services name a capacity provider: they must wait for the association, so the outputs carry it.
        self.arn = pulumi.Output.all(self.cluster.arn, capacity.id).apply(lambda values: values[0])
        self.cluster_name = pulumi.Output.all(self.cluster.name, capacity.id).apply(lambda values: values[0])
        self.namespace_arn = self.namespace.arn
        self.exec_log_group_name = self.exec_log_group.name
        self.kms_key_arn = args.kms_key_arn
        self.register_outputs({"arn": self.arn, "cluster_name": self.cluster_name,
                               "namespace_arn": self.namespace_arn, "exec_log_group_name": self.exec_log_group_name})

    def exec_statements(self) -> list[dict]:
        """Task-role statements of a service that allows `ops exec`."""
        return [
            {"Effect": "Allow", "Action": EXEC_CHANNELS, "Resource": ["*"]},  # no resource-level form
            {"Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": ["*"]},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
             "Resource": [pulumi.Output.concat(self.exec_log_group.arn, ":*")]},
            {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [self.kms_key_arn]},
        ]

"""A queue worker: an ECS service with no load balancer, rolling deploys, CPU autoscaling."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .app_task import AppTask, AppTaskArgs
from .autoscaling import scale_service
from .service_inputs import service_inputs


@dataclass(frozen=True, kw_only=True)
class WorkerServiceArgs:
    """Task, network and scaling of one worker service."""

    service_name: str
    cluster_arn: pulumi.Input[str]
    cluster_name: str
    task: AppTaskArgs
    subnet_ids: list[pulumi.Input[str]]
    security_group_ids: list[pulumi.Input[str]]
    desired_count: int
    min_count: int
    max_count: int
    cpu_target: int
    spot: bool


class WorkerService(pulumi.ComponentResource):
    """Task definition, service (circuit breaker rolls back a deploy that cannot start), autoscaling."""

    def __init__(self, name: str, args: WorkerServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:service:WorkerService", name, None, opts)
        self.task = AppTask(f"{name}-task", args.task, pulumi.ResourceOptions(parent=self))
        self.service = aws.ecs.Service(
            name,
            **service_inputs(args, self.task.arn),
            deployment_configuration={"strategy": "ROLLING"},
            availability_zone_rebalancing="ENABLED",
            # Autoscaling owns the count after creation.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCount"]),
        )
        scale_service(name, parent=self, cluster_name=args.cluster_name, service_name=args.service_name,
                      service=self.service, min_count=args.min_count, max_count=args.max_count,
                      cpu_target=args.cpu_target)
        self.service_name = self.service.name
        self.log_group_name = self.task.log_group_name
        self.register_outputs({"service_name": self.service_name, "log_group_name": self.log_group_name})

"""The web API: an ECS service behind the ALB, deployed with ECS-native blue/green."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .app_task import AppTask, AppTaskArgs
from .autoscaling import RequestsMetric, scale_service
from .iam import service_role
from .migration_hook import MigrationHook, MigrationHookArgs
from .service_inputs import service_inputs

# AWS-managed: exactly the ELB calls ECS makes to shift traffic (modify rules, describe target health).
LOAD_BALANCER_POLICY = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
# ECS owns these after creation: autoscaling sets the count; each blue/green deployment swaps which target
# group is primary. Sending our creation-time values back would make ECS deploy onto the live group.
ECS_OWNED = ["desiredCount", "loadBalancers"]


@dataclass(frozen=True, kw_only=True)
class TrafficArgs:
    """The two target groups and two listener rules ECS moves traffic with."""

    blue_target_group_arn: pulumi.Input[str]
    green_target_group_arn: pulumi.Input[str]
    production_rule_arn: pulumi.Input[str]
    test_rule_arn: pulumi.Input[str]
    load_balancer_arn_suffix: pulumi.Input[str]
    target_group_arn_suffixes: list[pulumi.Input[str]]


@dataclass(frozen=True, kw_only=True)
class Migrations:
    """The hook that runs the new revision's migrations before it gets traffic."""

    function_name: str
    command: list[str]
    timeout_seconds: int


@dataclass(frozen=True, kw_only=True)
class WebServiceArgs:
    """Task, network, traffic, deployment safety nets and scaling of the web service."""

    service_name: str
    cluster_arn: pulumi.Input[str]
    cluster_name: str
    task: AppTaskArgs
    subnet_ids: list[pulumi.Input[str]]
    security_group_ids: list[pulumi.Input[str]]
    traffic: TrafficArgs
    desired_count: int
    min_count: int
    max_count: int
    cpu_target: int
    memory_target: int
    requests_per_target: int
    spot: bool
    bake_time_minutes: int
    health_check_grace_seconds: int
    alarm_names: list[str]
    account_id: str
    migrations: Migrations | None = None


class WebService(pulumi.ComponentResource):
    """Task definition, ECS infrastructure role, blue/green service, autoscaling."""

    def __init__(self, name: str, args: WebServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:service:WebService", name, None, opts)
        self.task = AppTask(f"{name}-task", args.task, pulumi.ResourceOptions(parent=self))
        self.infrastructure_role, _ = service_role(f"{name}-infrastructure", service="ecs.amazonaws.com",
                                                   account_id=args.account_id, statements=[], parent=self)
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-infrastructure", role=self.infrastructure_role.name, policy_arn=LOAD_BALANCER_POLICY,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.migration_hook = self._migration_hook(name, args) if args.migrations else None
        # The rule ARNs in its inputs already order the service after the listener rules.
        self.service = self._service(name, args, depends_on=[attachment])
        scale_service(
            name, parent=self, cluster_name=args.cluster_name, service_name=args.service_name, service=self.service,
            min_count=args.min_count, max_count=args.max_count, cpu_target=args.cpu_target,
            memory_target=args.memory_target,
            requests=RequestsMetric(
                load_balancer_arn_suffix=args.traffic.load_balancer_arn_suffix,
                target_group_arn_suffixes=args.traffic.target_group_arn_suffixes,
                cluster_name=args.cluster_name, service_name=args.service_name, per_task=args.requests_per_target,
            ),
        )
        self.service_name = self.service.name
        self.task_definition_arn = self.task.arn
        self.log_group_name = self.task.log_group_name
        self.register_outputs({"service_name": self.service_name, "task_definition_arn": self.task_definition_arn,
                               "log_group_name": self.log_group_name})

    def _migration_hook(self, name: str, args: WebServiceArgs) -> MigrationHook:
        """The Lambda ECS calls at PRE_SCALE_UP: it runs this service's new revision with the migration command."""
        task, migrations = args.task, args.migrations
        return MigrationHook(f"{name}-migrations", MigrationHookArgs(
            function_name=migrations.function_name, cluster_arn=args.cluster_arn, cluster_name=args.cluster_name,
            service_name=args.service_name, task_family=task.family, task_role_arn=self.task.task_role_arn,
            execution_role_arn=self.task.execution_role_arn, subnet_ids=args.subnet_ids,
            security_group_ids=args.security_group_ids, migration_command=migrations.command,
            timeout_seconds=migrations.timeout_seconds, log_retention_days=task.log_retention_days,
            kms_key_arn=task.log_kms_key_arn, region=task.region, account_id=task.account_id,
            container_name=task.container_name,
        ), pulumi.ResourceOptions(parent=self))

    def _service(self, name: str, args: WebServiceArgs, depends_on: list[pulumi.Resource]) -> aws.ecs.Service:
        """Blue/green with every safety net: bake time, circuit breaker, alarms, migration hook."""
        traffic = args.traffic
        return aws.ecs.Service(
            name,
            **service_inputs(args, self.task.arn),
            deployment_configuration={
                "strategy": "BLUE_GREEN",
                "bake_time_in_minutes": str(args.bake_time_minutes),
                **({"lifecycle_hooks": [self.migration_hook.lifecycle_hook()]} if self.migration_hook else {}),
            },
            alarms={"alarm_names": args.alarm_names, "enable": True, "rollback": True},
            health_check_grace_period_seconds=args.health_check_grace_seconds,
            load_balancers=[{
                "target_group_arn": traffic.blue_target_group_arn,
                "container_name": args.task.container_name,
                "container_port": args.task.port,
                "advanced_configuration": {
                    "alternate_target_group_arn": traffic.green_target_group_arn,
                    "production_listener_rule": traffic.production_rule_arn,
                    "test_listener_rule": traffic.test_rule_arn,
                    "role_arn": self.infrastructure_role.arn,
                },
            }],
            # availability_zone_rebalancing left to ECS: it turns it on at creation where the deployment type allows.
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on, ignore_changes=ECS_OWNED),
        )

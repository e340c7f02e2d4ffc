"""One long-running service of the app: task definition, ECS service, autoscaling, and how it deploys.

public:   ECS-native blue/green behind the ALB (one target-group pair and rule pair per route), bake time,
          deployment alarms, circuit breaker, the migration hook before traffic shifts;
internal: rolling deploys, reached by name through ECS Service Connect;
none:     rolling deploys (workers);
single writer (state on files): exactly one task, stopped before its replacement starts.
"""

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .app_task import AppTask, AppTaskArgs
from .autoscaling import RequestsMetric, scale_service
from .iam import service_role
from .migration_hook import MigrationHook, MigrationHookArgs

# AWS-managed: exactly the ELB calls ECS makes to shift traffic (modify rules, describe target health).
LOAD_BALANCER_POLICY = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
# ECS owns these after creation: autoscaling sets the count; each blue/green deployment swaps which target
# group is primary. Sending our creation-time values back would make ECS deploy onto the live group
# (terraform-provider-aws#45678).
ECS_OWNED = ["desiredCount", "loadBalancers"]


@dataclass(frozen=True, kw_only=True)
class RouteTraffic:
    """One route's target groups and rules (green and the test rule only with blue/green)."""

    blue_target_group_arn: pulumi.Input[str]
    green_target_group_arn: pulumi.Input[str] | None
    production_rule_arn: pulumi.Input[str]
    test_rule_arn: pulumi.Input[str] | None
    target_group_arn_suffixes: list[pulumi.Input[str]]


@dataclass(frozen=True, kw_only=True)
class Migrations:
    """The hook that runs the new revision's migrations before it gets traffic."""

    function_name: str
    command: list[str]
    timeout_seconds: int
    bootstrap: Any = None  # DataTier.bootstrap_task: the app database users, set up before every migration


@dataclass(frozen=True, kw_only=True)
class ServiceConnect:
    """The cluster's Service Connect namespace; `port` set when other services call this one by name."""

    namespace_arn: pulumi.Input[str]
    port: int | None
    log_group_name: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class AppServiceArgs:
    """Task, network, reachability, deployment safety nets and scaling of one service."""

    service_name: str
    cluster_arn: pulumi.Input[str]
    cluster_name: str  # plain: it is part of the autoscaling resource id
    task: AppTaskArgs
    subnet_ids: list[pulumi.Input[str]]
    security_group_ids: list[pulumi.Input[str]]
    desired_count: int
    min_count: int
    max_count: int
    cpu_target: int
    spot: bool
    account_id: str
    memory_target: int | None = None
    routes: list[RouteTraffic] = field(default_factory=list)
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    requests_per_target: int | None = None
    single_writer: bool = False
    bake_time_minutes: int = 10
    health_check_grace_seconds: int = 30
    alarm_names: list[str] = field(default_factory=list)
    migrations: Migrations | None = None
    # Every blue/green service gets a lifecycle hook (components/migration_hook.py): it refuses rolled-back task
    # definitions and keeps maintenance bypass rules on the production weights, with or without migrations.
    hook_function_name: str | None = None  # the hook's function without migrations (with: migrations.function_name)
    https_listener_arn: pulumi.Input[str] | None = None
    allowed_revisions: list[int] = field(default_factory=list)
    service_connect: ServiceConnect | None = None
    exec_enabled: bool = False
    ready: list[pulumi.Resource] = field(default_factory=list)  # e.g. the data tier's app users in place
    volume: Any = None  # FileVolume: its policy admits this task role; the service waits for its mount targets

    @property
    def blue_green(self) -> bool:
        """Public services deploy blue/green unless they hold single-writer state."""
        return bool(self.routes) and not self.single_writer


def capacity_strategy(spot: bool) -> list[dict]:
    """All tasks on Fargate Spot or all on on-demand Fargate."""
    return [{"capacity_provider": "FARGATE_SPOT" if spot else "FARGATE", "weight": 1, "base": 0}]


def deployment_percents(single_writer: bool) -> tuple[int, int]:
    """(minimum healthy, maximum) percent. One writer: stop the old task before starting the new one (0/100,
    ECS Developer Guide, "Deployment configuration": minimumHealthyPercent 0 lets ECS stop all tasks first)."""
    return (0, 100) if single_writer else (100, 200)


def service_connect_configuration(name: str, connect: ServiceConnect, region: str) -> dict:
    """Client of the namespace, and a server under its own name when it listens on a port."""
    config: dict = {
        "enabled": True,
        "namespace": connect.namespace_arn,
        "log_configuration": {"log_driver": "awslogs", "options": {
            "awslogs-group": connect.log_group_name, "awslogs-region": region,
            "awslogs-stream-prefix": f"{name}-service-connect"}},
    }
    if connect.port is not None:
        config["services"] = [{"port_name": "http", "discovery_name": name,
                               "client_alias": [{"port": connect.port, "dns_name": name}]}]
    return config


def service_inputs(args: AppServiceArgs, task_definition_arn: pulumi.Input[str]) -> dict:
    """Inputs of `aws.ecs.Service` every service shares: private tasks, circuit breaker, tags."""
    minimum, maximum = deployment_percents(args.single_writer)
    inputs = {
        "name": args.service_name,
        "cluster": args.cluster_arn,
        "task_definition": task_definition_arn,
        "desired_count": 1 if args.single_writer else args.desired_count,
        "capacity_provider_strategies": capacity_strategy(args.spot),
        "platform_version": "LATEST",
        "network_configuration": {"subnets": args.subnet_ids, "security_groups": args.security_group_ids,
                                  "assign_public_ip": False},
        "deployment_controller": {"type": "ECS"},
        "deployment_circuit_breaker": {"enable": True, "rollback": True},
        "deployment_minimum_healthy_percent": minimum,
        "deployment_maximum_percent": maximum,
        "enable_ecs_managed_tags": True,
        "propagate_tags": "SERVICE",
        "enable_execute_command": args.exec_enabled,
        "wait_for_steady_state": False,  # deployments are watched by ECS (alarms, circuit breaker), not by pulumi
        "tags": {"Name": args.service_name},
    }
    if args.service_connect is not None:
        inputs["service_connect_configuration"] = service_connect_configuration(
            args.service_name, args.service_connect, args.task.region)
    return inputs


class AppService(pulumi.ComponentResource):
    """Task definition, ECS service (blue/green or rolling), autoscaling unless it holds single-writer state."""

    def __init__(self, name: str, args: AppServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:service:AppService", name, None, opts)
        self.task = AppTask(f"{name}-task", args.task, pulumi.ResourceOptions(parent=self))
        self._ready: list[pulumi.Resource] = list(args.ready)
        if args.volume is not None:
            args.volume.admit([self.task.task_role_arn])
            self._ready += list(args.volume.ready)
        self.migration_hook = None
        self.scaling_target: aws.appautoscaling.Target | None = None  # None: one writer, never scaled
        if args.blue_green:
            self.service = self._blue_green(name, args)
        else:
            self.service = self._rolling(name, args)
        if not args.single_writer:
            requests = RequestsMetric(
                load_balancer_arn_suffix=args.load_balancer_arn_suffix,
                target_group_arn_suffixes=[s for route in args.routes for s in route.target_group_arn_suffixes],
                cluster_name=args.cluster_name, service_name=args.service_name, per_task=args.requests_per_target,
            ) if args.routes and args.requests_per_target else None
            self.scaling_target = scale_service(name, parent=self, cluster_name=args.cluster_name, service_name=args.service_name,
                          service=self.service, min_count=args.min_count, max_count=args.max_count,
                          cpu_target=args.cpu_target, memory_target=args.memory_target, requests=requests)
        self.service_name = self.service.name
        self.task_definition_arn = self.task.arn
        self.log_group_name = self.task.log_group_name
        self.register_outputs({"service_name": self.service_name, "task_definition_arn": self.task_definition_arn,
                               "log_group_name": self.log_group_name})

    def _rolling(self, name: str, args: AppServiceArgs) -> aws.ecs.Service:
        """Rolling deploys (one target group when public and single-writer)."""
        load_balancers = [{"target_group_arn": route.blue_target_group_arn, "container_name": args.task.container_name,
                           "container_port": args.task.port} for route in args.routes]
        # A public single-writer service still rolls back on its critical alarms (rolling deployments honour them).
        extra = {"load_balancers": load_balancers, "health_check_grace_period_seconds": args.health_check_grace_seconds,
                 "alarms": {"alarm_names": args.alarm_names, "enable": True, "rollback": True}} if load_balancers else {}
        return aws.ecs.Service(
            name,
            **service_inputs(args, self.task.arn),
            **extra,
            deployment_configuration={"strategy": "ROLLING"},
            # One AZ at a time for one writer (its state must not move while it runs); others rebalance.
            availability_zone_rebalancing="DISABLED" if args.single_writer else "ENABLED",
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._ready,
                                        ignore_changes=[] if args.single_writer else ["desiredCount"]),
        )

    def _blue_green(self, name: str, args: AppServiceArgs) -> aws.ecs.Service:
        """Blue/green with every safety net: bake time, circuit breaker, alarms, migration hook."""
        role, _ = service_role(f"{name}-infrastructure", service="ecs.amazonaws.com", account_id=args.account_id,
                               statements=[], parent=self)
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-infrastructure", role=role.name, policy_arn=LOAD_BALANCER_POLICY,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.migration_hook = self._migration_hook(name, args)
        hooks = [self.migration_hook.lifecycle_hook()]
        return aws.ecs.Service(
            name,
            **service_inputs(args, self.task.arn),
            deployment_configuration={"strategy": "BLUE_GREEN", "bake_time_in_minutes": str(args.bake_time_minutes),
                                      "lifecycle_hooks": hooks},
            alarms={"alarm_names": args.alarm_names, "enable": True, "rollback": True},
            health_check_grace_period_seconds=args.health_check_grace_seconds,
            load_balancers=[{
                "target_group_arn": route.blue_target_group_arn,
                "container_name": args.task.container_name,
                "container_port": args.task.port,
                "advanced_configuration": {
                    "alternate_target_group_arn": route.green_target_group_arn,
                    "production_listener_rule": route.production_rule_arn,
                    "test_listener_rule": route.test_rule_arn,
                    "role_arn": role.arn,
                },
            } for route in args.routes],
            # availability_zone_rebalancing left to ECS: it turns it on at creation where the deployment type allows.
            # The rule ARNs in the inputs already order the service after the listener rules.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[attachment, *(self.migration_hook.ready if self.migration_hook else []),
                                         *self._ready],
                ignore_changes=ECS_OWNED),
        )

    def _migration_hook(self, name: str, args: AppServiceArgs) -> MigrationHook:
        """The Lambda ECS calls: at PRE_SCALE_UP it refuses a rolled-back task definition, then runs the migrations
        (if any); after the production shift it moves the maintenance bypass rules onto the new weights."""
        task, migrations = args.task, args.migrations
        function_name = migrations.function_name if migrations else args.hook_function_name
        if not function_name:
            raise ValueError(f"service {args.service_name}: a blue/green service needs hook_function_name (or "
                             "migrations) for its deployment hook")
        return MigrationHook(f"{name}-migrations", MigrationHookArgs(
            function_name=function_name, cluster_arn=args.cluster_arn, cluster_name=args.cluster_name,
            service_name=args.service_name, task_family=task.family, task_role_arn=self.task.task_role_arn,
            execution_role_arn=self.task.execution_role_arn, subnet_ids=args.subnet_ids,
            security_group_ids=args.security_group_ids,
            migration_command=list(migrations.command) if migrations else None,
            timeout_seconds=migrations.timeout_seconds if migrations else 1800,
            log_retention_days=task.log_retention_days,
            kms_key_arn=task.log_kms_key_arn, region=task.region, account_id=task.account_id,
            container_name=task.container_name, bootstrap=migrations.bootstrap if migrations else None,
            listener_arn=args.https_listener_arn,
            production_rule_arns=[route.production_rule_arn for route in args.routes] if args.https_listener_arn
            else [],
            allowed_revisions=list(args.allowed_revisions),
        ), pulumi.ResourceOptions(parent=self))

"""A Fargate task definition of the app image: hardened container, its log group and least-privilege roles."""

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .iam import service_role

APP_USER = "1001:1001"  # the image's non-root user (app/Dockerfile)
TMP_VOLUME = "tmp"  # the only writable path: the root filesystem is read-only
TASKS = "ecs-tasks.amazonaws.com"
STOP_TIMEOUT_SECONDS = 30  # SIGTERM to SIGKILL: time to finish in-flight requests


def health_check_command(port: int, path: str) -> list[str]:
    """A container health check that needs only node (no curl in slim images)."""
    script = f"fetch('http://127.0.0.1:{port}{path}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
    return ["CMD", "node", "-e", script]


def cpu_architecture(platform: str | None) -> str:
    """The task's CPU architecture for a Docker build platform (a prebuilt image is assumed x86_64)."""
    return "ARM64" if platform == "linux/arm64" else "X86_64"


def name_values(values: dict[str, str], value_key: str) -> list[dict[str, str]]:
    """ECS `environment` / `secrets` lists, sorted so the JSON is stable."""
    return [{"name": key, value_key: values[key]} for key in sorted(values)]


@dataclass(frozen=True, kw_only=True)
class HealthCheck:
    """The container health check: command and timing (ECS HealthCheck, all in seconds)."""

    command: list[str]
    interval: int = 10
    timeout: int = 5
    retries: int = 3
    start_period: int = 30

    def container_input(self) -> dict[str, Any]:
        """The `healthCheck` of a container definition."""
        return {"command": self.command, "interval": self.interval, "timeout": self.timeout,
                "retries": self.retries, "startPeriod": self.start_period}


def app_container(
    *, name: str, image: str, command: list[str] | None, port: int | None, environment: dict[str, str],
    secrets: dict[str, str], log_group: str, region: str, health_check: HealthCheck | None,
    mount_points: list[dict] | None = None,
) -> dict[str, Any]:
    """One essential container: non-root, read-only root, no extra capabilities, secrets only by ARN."""
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "essential": True,
        "user": APP_USER,
        "readonlyRootFilesystem": True,
        "environment": name_values(environment, "value"),
        "secrets": name_values(secrets, "valueFrom"),
        "mountPoints": [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False},
                        *(mount_points or [])],
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "stopTimeout": STOP_TIMEOUT_SECONDS,
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": name,
            "mode": "non-blocking", "max-buffer-size": "25m"}},
    }
    if command:
        container["command"] = command
    if port:
        container["portMappings"] = [{"name": "http", "containerPort": port, "hostPort": port,
                                      "protocol": "tcp", "appProtocol": "http"}]
    if health_check:
        container["healthCheck"] = health_check.container_input()
    return container


@dataclass(frozen=True, kw_only=True)
class AppTaskArgs:
    """What the container runs, what it may read, and where it logs."""

    family: str
    container_name: str
    image: pulumi.Input[str]
    cpu: int
    memory: int
    command: list[str] | None
    environment: dict[str, pulumi.Input[str]]
    secrets: dict[str, pulumi.Input[str]]
    secret_arns: list[pulumi.Input[str]]
    kms_key_arns: list[pulumi.Input[str]]
    repository_arn: pulumi.Input[str]
    log_retention_days: int
    log_kms_key_arn: pulumi.Input[str]
    region: str
    account_id: str
    log_group_name: str
    port: int | None = None
    health_check: HealthCheck | None = None
    cpu_architecture: str = "X86_64"
    task_role_statements: list[dict] = field(default_factory=list)
    volumes: list[dict] = field(default_factory=list)  # extra task volumes (EFS), pulumi input shape
    mount_points: list[dict] = field(default_factory=list)  # their container mountPoints (camelCase)


class AppTask(pulumi.ComponentResource):
    """Log group, execution role (pull, logs, this stack's secrets), task role, task definition."""

    def __init__(self, name: str, args: AppTaskArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:service:AppTask", name, None, opts)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=args.log_group_name, retention_in_days=args.log_retention_days,
            kms_key_id=args.log_kms_key_arn, opts=pulumi.ResourceOptions(parent=self),
        )
        self.execution_role, _ = service_role(f"{name}-execution", service=TASKS, account_id=args.account_id,
                                              statements=self._execution_statements(args), parent=self)
        self.task_role, _ = service_role(f"{name}-role", service=TASKS, account_id=args.account_id,
                                         statements=args.task_role_statements, parent=self)
        self.task_definition = aws.ecs.TaskDefinition(
            name,
            family=args.family,
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": args.cpu_architecture},
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            volumes=[{"name": TMP_VOLUME}, *args.volumes],
            container_definitions=self._definitions(args),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.task_definition.arn
        self.family = args.family
        self.log_group_name = self.log_group.name
        self.execution_role_arn = self.execution_role.arn
        self.task_role_arn = self.task_role.arn
        self.register_outputs({"arn": self.arn, "log_group_name": self.log_group_name,
                               "execution_role_arn": self.execution_role_arn, "task_role_arn": self.task_role_arn})

    def _definitions(self, args: AppTaskArgs) -> pulumi.Output[str]:
        """The container definitions JSON, once image, environment values and secret ARNs are known."""
        return pulumi.Output.all(
            image=args.image, environment=args.environment, secrets=args.secrets, log_group=self.log_group.name,
        ).apply(lambda v: json.dumps([app_container(
            name=args.container_name, image=v["image"], command=args.command, port=args.port,
            environment=v["environment"], secrets=v["secrets"], log_group=v["log_group"], region=args.region,
            health_check=args.health_check, mount_points=args.mount_points,
        )], sort_keys=True))

    def _execution_statements(self, args: AppTaskArgs) -> list[dict]:
        """ECS agent: pull this repository's images, write this log group, read this stack's secrets."""
        statements = [
            {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": ["*"]},  # no resource-level form
            {"Effect": "Allow", "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                                           "ecr:GetDownloadUrlForLayer"], "Resource": [args.repository_arn]},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [pulumi.Output.concat(self.log_group.arn, ":log-stream:*")]},
        ]
        if args.secret_arns:
            statements += [
                {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": args.secret_arns},
                {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": args.kms_key_arns,
                 "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{args.region}.amazonaws.com"}}},
            ]
        return statements

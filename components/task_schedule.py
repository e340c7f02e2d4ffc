"""Run one Fargate task on a schedule: EventBridge Scheduler, and a role that may start only that task."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .iam import service_role


@dataclass(frozen=True, kw_only=True)
class TaskSchedule:
    """When, where and which task family; the roles the task runs with (the scheduler passes exactly these)."""

    schedule_name: str
    expression: str
    cluster_arn: pulumi.Input[str]
    family: str
    task_definition_arn: pulumi.Input[str]
    execution_role_arn: pulumi.Input[str]
    task_role_arn: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    security_group_ids: list[pulumi.Input[str]]
    region: str
    account_id: str
    description: str | None = None


def schedule_task(name: str, role_name: str, task: TaskSchedule, parent: pulumi.Resource) -> aws.scheduler.Schedule:
    """The scheduler role (RunTask on this family in this cluster, PassRole on its two roles) and the schedule."""
    family_arn = f"arn:aws:ecs:{task.region}:{task.account_id}:task-definition/{task.family}:*"
    role, _ = service_role(role_name, service="scheduler.amazonaws.com", account_id=task.account_id, parent=parent,
                           statements=[
        {"Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": [family_arn],
         "Condition": {"ArnEquals": {"ecs:cluster": task.cluster_arn}}},
        {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": [task.execution_role_arn, task.task_role_arn],
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
    ])
    return aws.scheduler.Schedule(
        name,
        name=task.schedule_name,
        description=task.description,
        schedule_expression=task.expression,
        schedule_expression_timezone="UTC",
        flexible_time_window={"mode": "OFF"},
        target={
            "arn": task.cluster_arn,
            "role_arn": role.arn,
            "ecs_parameters": {
                "task_definition_arn": task.task_definition_arn,
                "launch_type": "FARGATE",
                "platform_version": "LATEST",
                "task_count": 1,
                "network_configuration": {"subnets": task.subnet_ids, "security_groups": task.security_group_ids,
                                          "assign_public_ip": False},
            },
            "retry_policy": {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600},
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )

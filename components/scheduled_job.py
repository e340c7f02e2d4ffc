"""A scheduled job: EventBridge Scheduler runs one Fargate task of the app image on a cron."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .app_task import AppTask, AppTaskArgs
from .iam import assume_role_policy, policy_document


@dataclass(frozen=True, kw_only=True)
class ScheduledJobArgs:
    """Task, schedule and network of one job."""

    schedule_name: str
    schedule: str
    cluster_arn: pulumi.Input[str]
    task: AppTaskArgs
    subnet_ids: list[pulumi.Input[str]]
    security_group_ids: list[pulumi.Input[str]]


class ScheduledJob(pulumi.ComponentResource):
    """Task definition, a scheduler role that may run only this family in this cluster, the schedule."""

    def __init__(self, name: str, args: ScheduledJobArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:service:ScheduledJob", name, None, opts)
        self.task = AppTask(f"{name}-task", args.task, pulumi.ResourceOptions(parent=self))
        task = args.task
        family_arn = f"arn:aws:ecs:{task.region}:{task.account_id}:task-definition/{task.family}:*"
        role = aws.iam.Role(f"{name}-scheduler",
                            assume_role_policy=assume_role_policy("scheduler.amazonaws.com", task.account_id),
                            opts=pulumi.ResourceOptions(parent=self))
        aws.iam.RolePolicy(f"{name}-scheduler", role=role.id, policy=policy_document([
            {"Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": [family_arn],
             "Condition": {"ArnEquals": {"ecs:cluster": args.cluster_arn}}},
            {"Effect": "Allow", "Action": ["iam:PassRole"],
             "Resource": [self.task.execution_role_arn, self.task.task_role_arn],
             "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
        ]), opts=pulumi.ResourceOptions(parent=self))
        self.schedule = aws.scheduler.Schedule(
            name,
            name=args.schedule_name,
            schedule_expression=args.schedule,
            schedule_expression_timezone="UTC",
            flexible_time_window={"mode": "OFF"},
            target={
                "arn": args.cluster_arn,
                "role_arn": role.arn,
                "ecs_parameters": {
                    "task_definition_arn": self.task.arn,
                    "launch_type": "FARGATE",
                    "platform_version": "LATEST",
                    "task_count": 1,
                    "network_configuration": {"subnets": args.subnet_ids,
                                              "security_groups": args.security_group_ids,
                                              "assign_public_ip": False},
                },
                "retry_policy": {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.schedule_name = self.schedule.name
        self.log_group_name = self.task.log_group_name
        self.register_outputs({"schedule_name": self.schedule_name, "log_group_name": self.log_group_name})

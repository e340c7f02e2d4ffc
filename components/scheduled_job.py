"""A scheduled job: EventBridge Scheduler runs one Fargate task of the app image on a cron."""

from dataclasses import dataclass

import pulumi

from .app_task import AppTask, AppTaskArgs
from .task_schedule import TaskSchedule, schedule_task


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
        self.schedule = schedule_task(name, f"{name}-scheduler", TaskSchedule(
            schedule_name=args.schedule_name, expression=args.schedule, cluster_arn=args.cluster_arn,
            family=task.family, task_definition_arn=self.task.arn, execution_role_arn=self.task.execution_role_arn,
            task_role_arn=self.task.task_role_arn, subnet_ids=args.subnet_ids,
            security_group_ids=args.security_group_ids, region=task.region, account_id=task.account_id,
        ), parent=self)
        self.schedule_name = self.schedule.name
        self.log_group_name = self.task.log_group_name
        self.register_outputs({"schedule_name": self.schedule_name, "log_group_name": self.log_group_name})

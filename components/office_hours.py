"""Office hours for a non-production stack: services scaled to zero, the database stopped and NAT instances
terminated outside them, and all back before the working day starts."""

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from contract.names import physical_name
from settings.schedule import OfficeHoursSettings

from .iam import service_role
from .nat_instance import GROUP_SIZE

# EventBridge Scheduler universal targets: the RDS API called directly, no Lambda in between.
# https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
STOP_DB = "arn:aws:scheduler:::aws-sdk:rds:stopDBInstance"
START_DB = "arn:aws:scheduler:::aws-sdk:rds:startDBInstance"
# A stop or start the database refuses (backup or maintenance running) is tried again for an hour.
RETRY = {"maximum_retry_attempts": 5, "maximum_event_age_in_seconds": 3600}


@dataclass(frozen=True, kw_only=True)
class ScaledService:
    """An ECS service with an Application Auto Scaling target: its capacity in office hours."""

    name: str
    min_count: int
    max_count: int


@dataclass(frozen=True, kw_only=True)
class OfficeHoursArgs:
    """What to stop. Services are scaled through their scalable targets (pass them in `scaling_targets`: the
    scheduled actions need them to exist), so autoscaling cannot undo the night; the database by identifier."""

    hours: OfficeHoursSettings
    name_prefix: str  # `<app>-<stack>`: names of the schedules and scheduled actions
    cluster_name: str
    services: Sequence[ScaledService]
    scaling_targets: Sequence[pulumi.Resource] = ()
    db_identifier: str | None = None
    nat_group_names: Sequence[pulumi.Input[str]] = ()
    region: str
    account_id: str


class OfficeHours(pulumi.ComponentResource):
    """Application Auto Scaling scheduled actions per service, EventBridge Scheduler for the database, EC2 Auto
    Scaling scheduled actions for the NAT instances. None of them costs anything."""

    def __init__(self, name: str, args: OfficeHoursArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:schedule:OfficeHours", name, None, opts)
        self._name = name
        crons = args.hours.crons()
        self.scheduled_actions = [
            action for service in args.services for action in self._service_actions(args, service, crons)
        ]
        self.schedules = self._database(args, crons) if args.db_identifier and args.hours.database else []
        self.nat_actions = [
            action for index, group in enumerate(args.nat_group_names) for action in self._nat(args, index, group, crons)
        ] if args.hours.nat_instances else []
        self.register_outputs({})

    def _service_actions(self, args: OfficeHoursArgs, service: ScaledService, crons) -> list:
        """Min and max to zero at stop, back to the service's own at start: scaling policies stay within them."""
        resource_id = f"service/{args.cluster_name}/{service.name}"
        actions = []
        for moment, cron, low, high in (("stop", crons.services_stop, 0, 0),
                                        ("start", crons.services_start, service.min_count, service.max_count)):
            actions.append(aws.appautoscaling.ScheduledAction(
                f"{self._name}-{service.name}-{moment}",
                name=f"{args.name_prefix}-{service.name}-office-hours-{moment}",
                service_namespace="ecs",
                scalable_dimension="ecs:service:DesiredCount",
                resource_id=resource_id,
                schedule=cron,
                timezone=crons.timezone,
                scalable_target_action={"min_capacity": low, "max_capacity": high},
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.scaling_targets)),
            ))
        return actions

    def _database(self, args: OfficeHoursArgs, crons) -> list[aws.scheduler.Schedule]:
        """Stop after the services, start before them; the scheduler's role may do exactly that to this DB."""
        db_arn = f"arn:aws:rds:{args.region}:{args.account_id}:db:{args.db_identifier}"
        role, policy = service_role(
            f"{self._name}-db", service="scheduler.amazonaws.com", account_id=args.account_id, parent=self,
            statements=[{"Effect": "Allow", "Action": ["rds:StopDBInstance", "rds:StartDBInstance"],
                         "Resource": [db_arn]}],
        )
        schedules = []
        for moment, cron, target in (("stop", crons.backing_stop, STOP_DB), ("start", crons.backing_start, START_DB)):
            schedules.append(aws.scheduler.Schedule(
                f"{self._name}-db-{moment}",
                name=physical_name("schedule", args.name_prefix, "db-office-hours", moment),
                description=f"office hours: {moment} database {args.db_identifier}",
                schedule_expression=cron,
                schedule_expression_timezone=crons.timezone,
                flexible_time_window={"mode": "OFF"},
                target={"arn": target, "role_arn": role.arn,
                        "input": json.dumps({"DbInstanceIdentifier": args.db_identifier}),
                        "retry_policy": RETRY},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy] if policy else []),
            ))
        return schedules

    def _nat(self, args: OfficeHoursArgs, index: int, group: pulumi.Input[str], crons) -> list:
        """No instance outside office hours (its disk goes with it); the group's own size back before the services."""
        actions = []
        for moment, recurrence, size in (("stop", crons.backing_stop_unix, (0, 0, 0)),
                                         ("start", crons.backing_start_unix, GROUP_SIZE)):
            actions.append(aws.autoscaling.Schedule(
                f"{self._name}-nat-{index}-{moment}",
                scheduled_action_name=f"{args.name_prefix}-nat-{index}-office-hours-{moment}",
                autoscaling_group_name=group,
                recurrence=recurrence,
                time_zone=crons.timezone,
                min_size=size[0],
                max_size=size[1],
                desired_capacity=size[2],
                opts=pulumi.ResourceOptions(parent=self),
            ))
        return actions


def office_hours_args(settings, names, app, network, account_id: str) -> OfficeHoursArgs:
    """What office hours stop at night: every scaled service, the database, the NAT instances."""
    scaled = {name: service for name, service in app.services.items() if service.scaling_target is not None}
    return OfficeHoursArgs(
        hours=settings.schedule.office_hours, name_prefix=names.prefix, cluster_name=names.cluster(),
        services=[ScaledService(name=name, min_count=settings.services[name].scaling.min_count,
                                max_count=settings.services[name].scaling.max_count) for name in sorted(scaled)],
        scaling_targets=[scaled[name].scaling_target for name in sorted(scaled)],
        db_identifier=names.prefix, nat_group_names=[n.group_name for n in network.nat_instances],
        region=settings.region, account_id=account_id)

"""Observability of the stack: warning/critical topics, the alarm pack over every service and store, the dashboard."""

from dataclasses import dataclass

import pulumi

from settings.model import StackSettings

from .alarm_rows import Watched
from .alarms import Alarms, AlarmsArgs
from .app import App
from .dashboard import Dashboard, DashboardArgs
from .data_tier import DataTier
from .edge import Edge
from .notifications import Notifications, NotificationsArgs, Subscribers
from .stack_names import StackNames


@dataclass(frozen=True, kw_only=True)
class ObservabilityArgs:
    """What is watched: the app's services, the edge, the data tier."""

    settings: StackSettings
    names: StackNames
    kms_key_arn: pulumi.Input[str]
    app: App
    edge: Edge | None
    data: DataTier
    cluster_name: pulumi.Input[str]


class Observability(pulumi.ComponentResource):
    """Topics with their subscribers, alarms (two levels per row), one dashboard (children keep their names)."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:observability:Observability", name, None, opts)
        settings, names, child = args.settings, args.names, pulumi.ResourceOptions(parent=self)
        alarms = settings.alarms
        subscribers = {level: Subscribers(emails=list(e.emails), https_endpoints=list(e.https_endpoints))
                       for level, e in (("warning", alarms.notifications.warning),
                                        ("critical", alarms.notifications.critical))}
        self.notifications = Notifications("notifications", NotificationsArgs(
            prefix=names.prefix, kms_key_arn=args.kms_key_arn, warning=subscribers["warning"],
            critical=subscribers["critical"]), child)
        public = sorted(args.edge.routes) if args.edge else []
        first = args.edge.routes[public[0]][0]
        self.alarms = Alarms("alarms", AlarmsArgs(
            prefix=names.prefix,
            watched=Watched(
                load_balancer_arn_suffix=args.edge.load_balancer.arn_suffix,
                blue_target_group_arn_suffix=first.blue.arn_suffix,
                green_target_group_arn_suffix=first.green.arn_suffix,
                cluster_name=args.cluster_name,
                services={service: s.service_name for service, s in args.app.services.items()},
                db_identifier=names.prefix, db_instance_class=settings.database.instance_class,
                db_allocated_storage_gb=settings.database.allocated_storage_gb, cache_group_id=names.prefix,
                cache_node_type=settings.cache.node_type, cache_replicas=settings.cache.replicas,
                public_service=public[0]),
            thresholds=alarms,
            log_groups={**{service: s.log_group_name for service, s in args.app.services.items()},
                        **{f"job-{job}": j.log_group_name for job, j in args.app.jobs.items()}},
            warning_topic_arn=self.notifications.warning_topic_arn,
            critical_topic_arn=self.notifications.critical_topic_arn), child)
        self.dashboard = Dashboard("dashboard", DashboardArgs(
            dashboard_name=names.prefix, region=settings.region, rows=self.alarms.rows,
            error_metrics=self.alarms.error_metrics), child)
        self.outputs = {"warningTopicArn": self.notifications.warning_topic_arn,
                        "criticalTopicArn": self.notifications.critical_topic_arn,
                        "dashboardName": self.dashboard.dashboard_name}
        self.register_outputs(self.outputs)

"""Observability of the stack: warning/critical topics, the alarm pack over every service and store, the dashboard."""

from dataclasses import dataclass

import pulumi

from settings.model import StackSettings

from .alarm_rows import CacheWatch, DbWatch, PublicWatch, Watched
from .alarms import Alarms, AlarmsArgs
from .app import App
from .dashboard import Dashboard, DashboardArgs
from .data_tier import DataTier
from .edge import Edge
from .notifications import Notifications
from .moved import MOVED
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
    notifications: Notifications  # built first: the network's NAT instances alarm to the same topics


def watched(args: ObservabilityArgs) -> Watched:
    """Every long-running service, the public ones' target groups (each route's blue and green), the database, the
    cache: what the alarm pack watches."""
    settings, prefix = args.settings, args.names.prefix
    db, cache = settings.database, settings.cache
    routes = args.edge.routes if args.edge else {}
    return Watched(
        load_balancer_arn_suffix=args.edge.load_balancer.arn_suffix if args.edge else None,
        public={service: PublicWatch(target_group_arn_suffixes=[
            group.arn_suffix for route in service_routes for group in (route.blue, route.green) if group is not None])
            for service, service_routes in routes.items()},
        services={service: s.service_name for service, s in args.app.services.items()},
        cluster_name=args.cluster_name,
        database=DbWatch(identifier=prefix, instance_class=db.instance_class,
                         allocated_storage_gb=db.allocated_storage_gb, max_connections=db.max_connections,
                         replica_identifiers=list(args.data.database.replica_identifiers),
                         replica_instance_class=db.read_replicas.instance_class),
        # The data tier decides whether a cache exists (`cache` absent or `enabled: false`: none).
        cache=CacheWatch(group_id=prefix, node_type=cache.node_type, replicas=cache.replicas,
                         maxmemory_policy=cache.maxmemory_policy, shards=cache.shards)
        if args.data.cache is not None else None,
    )


class Observability(pulumi.ComponentResource):
    """Topics with their subscribers, alarms (two levels per row), one dashboard (children keep their names)."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:observability:Observability", name, None, opts)
        settings, names, child = args.settings, args.names, pulumi.ResourceOptions(parent=self, aliases=[MOVED])
        alarms = settings.alarms
        self.notifications = args.notifications
        self.alarms = Alarms("alarms", AlarmsArgs(
            prefix=names.prefix,  # the public services' deployment alarms are named from the same prefix
            watched=watched(args),
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

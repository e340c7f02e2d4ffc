"""What the alarm pack watches: one row per metric with a warning and a critical threshold (pure data).

The alarms component turns each row into two CloudWatch alarms; the dashboard draws each row as one graph with
both thresholds, so what pages and what is on screen are the same metric.
"""

from dataclasses import dataclass, field

import pulumi

from settings.alarms import AlarmSettings
from settings.capacity import (
    GIB,
    cache_max_memory_bytes,
    connections_threshold,
    free_storage_threshold,
    freeable_memory_threshold,
    max_connections,
)

LEVELS = ("warning", "critical")
ABOVE = "GreaterThanThreshold"
AT_LEAST = "GreaterThanOrEqualToThreshold"
BELOW = "LessThanThreshold"
# Error rate is only judged on minutes with at least this many requests: 1 failure in 3 requests is noise.
MIN_REQUESTS_PER_MINUTE = 10
# Running tasks as a share of desired: warn on any shortfall, page when half the tasks are missing.
RUNNING_TASKS_PERCENT = {"warning": 100, "critical": 50}


@dataclass(frozen=True)
class Window:
    """`datapoints` breaching out of the last `periods` periods of `seconds` each raise the alarm."""

    seconds: int
    datapoints: int
    periods: int


# No alarm ever fires on one datapoint: 3 breaching minutes out of 5 ride out a single spike.
STANDARD = Window(60, 3, 5)
# Counts of bad events (unhealthy targets, evictions): warn on a pattern, page when it is sustained.
SCATTERED = Window(60, 2, 10)
# Task counts: a task takes a minute or two to start (image pull, health checks), so only 5 straight minutes count.
SUSTAINED = Window(60, 5, 5)


@dataclass(frozen=True)
class Metric:
    """One CloudWatch metric with its statistic (`Average`, `Sum`, `Maximum`, `Minimum` or a percentile `p99`)."""

    namespace: str
    name: str
    dimensions: dict[str, pulumi.Input[str]]
    stat: str


@dataclass(frozen=True)
class Expression:
    """Metric math: the metrics by id, and the expression (one time series) the alarm watches."""

    metrics: dict[str, Metric]
    expression: str
    label: str


@dataclass(frozen=True, kw_only=True)
class AlarmRow:
    """One watched metric and its two thresholds; `unit` is for people (descriptions, dashboard)."""

    key: str
    title: str
    source: Metric | Expression
    comparison: str
    warning: float
    critical: float
    unit: str
    missing: str
    windows: dict[str, Window] = field(default_factory=lambda: {"warning": STANDARD, "critical": STANDARD})
    low_sample_percentiles: str | None = None

    def threshold(self, level: str) -> float:
        return self.warning if level == "warning" else self.critical


@dataclass(frozen=True, kw_only=True)
class Watched:
    """The resources the alarms watch: wired values are Inputs, what decides which alarms exist is plain."""

    load_balancer_arn_suffix: pulumi.Input[str]
    blue_target_group_arn_suffix: pulumi.Input[str]
    green_target_group_arn_suffix: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    services: dict[str, pulumi.Input[str]]  # alarm key prefix (e.g. `web`, `worker-queue`) -> ECS service name
    db_identifier: str
    db_instance_class: str
    db_allocated_storage_gb: int
    cache_group_id: str
    cache_node_type: str
    cache_replicas: int
    public_service: str = ""  # the public service whose target groups the load-balancer rows watch (its key prefix)


def cache_members(group_id: str, replicas: int) -> list[str]:
    """Member cluster ids of a replication group (cluster mode off): `<group>-001`, `<group>-002`, ..."""
    return [f"{group_id}-{index:03d}" for index in range(1, replicas + 2)]


def alarm_rows(watched: Watched, thresholds: AlarmSettings) -> list[AlarmRow]:
    """Every row of the alarm pack, in dashboard order."""
    return [
        *_load_balancer_rows(watched, thresholds),
        *[row for label, service in watched.services.items()
          for row in _service_rows(label, watched.cluster_name, service, thresholds)],
        *_database_rows(watched, thresholds),
        *_cache_rows(watched, thresholds),
    ]


def _public_key(watched: Watched, key: str) -> str:
    """`web-error-rate`: the row key carries the public service it watches (deployment alarms are per service)."""
    return f"{watched.public_service}-{key}" if watched.public_service else key


def _load_balancer_rows(watched: Watched, thresholds: AlarmSettings) -> list[AlarmRow]:
    alb = {"LoadBalancer": watched.load_balancer_arn_suffix}
    statistic = thresholds.response_time_statistic

    def elb(name: str, stat: str, **extra) -> Metric:
        return Metric("AWS/ApplicationELB", name, {**extra, **alb}, stat)

    groups = {"blue": watched.blue_target_group_arn_suffix, "green": watched.green_target_group_arn_suffix}
    return [
        AlarmRow(
            key=_public_key(watched, "response-time"), title=f"ALB target response time ({statistic})",
            source=elb("TargetResponseTime", statistic), comparison=ABOVE, unit="s",
            warning=thresholds.response_time_seconds.warning, critical=thresholds.response_time_seconds.critical,
            # No requests, no latency: silence is not slowness.
            missing="notBreaching",
            # A percentile of a handful of requests in a quiet minute says nothing: keep the state.
            low_sample_percentiles="ignore",
        ),
        AlarmRow(
            key=_public_key(watched, "error-rate"), title="5xx responses (target + load balancer) per request",
            source=Expression(
                metrics={"requests": elb("RequestCount", "Sum"), "target5xx": elb("HTTPCode_Target_5XX_Count", "Sum"),
                         "elb5xx": elb("HTTPCode_ELB_5XX_Count", "Sum")},
                # 5xx counts are only published when non-zero, hence FILL; quiet minutes count as 0 %.
                expression=(f"IF(requests >= {MIN_REQUESTS_PER_MINUTE}, "
                            "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)"),
                label="5xx per request (%)",
            ),
            comparison=ABOVE, unit="%",
            warning=thresholds.error_rate_percent.warning, critical=thresholds.error_rate_percent.critical,
            # No RequestCount means no traffic: nothing failed.
            missing="notBreaching",
        ),
        AlarmRow(
            key=_public_key(watched, "unhealthy-hosts"), title="unhealthy targets (the worse of blue and green)",
            source=Expression(
                metrics={color: elb("UnHealthyHostCount", "Maximum", TargetGroup=suffix)
                         for color, suffix in groups.items()},
                # ECS swaps which group is live on every deployment: watch both, whichever is worse.
                expression="MAX([blue, green])", label="unhealthy targets",
            ),
            comparison=AT_LEAST, unit="targets", warning=1, critical=1,
            windows={"warning": SCATTERED, "critical": STANDARD},
            # A group without targets publishes nothing; the running-tasks alarms cover a service with none.
            missing="notBreaching",
        ),
    ]


def _service_rows(label: str, cluster: pulumi.Input[str], service: pulumi.Input[str],
                  thresholds: AlarmSettings) -> list[AlarmRow]:
    dimensions = {"ClusterName": cluster, "ServiceName": service}

    def usage(kind: str, name: str, levels) -> AlarmRow:
        return AlarmRow(
            key=f"{label}-{kind}", title=f"ECS {label}: {kind} of reserved (average over tasks)",
            source=Metric("AWS/ECS", name, dimensions, "Average"), comparison=ABOVE, unit="%",
            warning=levels.warning, critical=levels.critical,
            # ECS publishes nothing while no task runs; the running-tasks alarm covers that case.
            missing="notBreaching",
        )

    insights = {name: Metric("ECS/ContainerInsights", metric, dimensions, "Average")
                for name, metric in (("running", "RunningTaskCount"), ("desired", "DesiredTaskCount"))}
    return [
        usage("cpu", "CPUUtilization", thresholds.cpu_percent),
        usage("memory", "MemoryUtilization", thresholds.memory_percent),
        AlarmRow(
            key=f"{label}-running-tasks", title=f"ECS {label}: running tasks as a share of desired",
            source=Expression(metrics=insights, expression="IF(desired > 0, 100 * running / desired, 100)",
                              label="running / desired (%)"),
            comparison=BELOW, unit="%", warning=RUNNING_TASKS_PERCENT["warning"],
            critical=RUNNING_TASKS_PERCENT["critical"], windows={"warning": SUSTAINED, "critical": SUSTAINED},
            # Container Insights publishes both counts every minute for every service, zeros included:
            # silence means the service or its telemetry is gone, and either needs a person.
            missing="breaching",
        ),
    ]


def _database_rows(watched: Watched, thresholds: AlarmSettings) -> list[AlarmRow]:
    db_class, dimensions = watched.db_instance_class, {"DBInstanceIdentifier": watched.db_identifier}

    def rds(name: str, stat: str) -> Metric:
        return Metric("AWS/RDS", name, dimensions, stat)

    memory, disk, connections = thresholds.memory_percent, thresholds.disk_percent, thresholds.db_connections_percent
    # RDS publishes every metric every minute while the instance exists: a gap is itself news, so it shows
    # as INSUFFICIENT_DATA instead of being read as fine or as breaching.
    common = {"missing": "missing"}
    return [
        AlarmRow(key="db-cpu", title=f"RDS {watched.db_identifier}: CPU", source=rds("CPUUtilization", "Average"),
                 comparison=ABOVE, unit="%", warning=thresholds.cpu_percent.warning,
                 critical=thresholds.cpu_percent.critical, **common),
        AlarmRow(key="db-memory", title=f"RDS {watched.db_identifier}: freeable memory ({db_class})",
                 source=rds("FreeableMemory", "Average"), comparison=BELOW, unit="bytes",
                 warning=freeable_memory_threshold(db_class, memory.warning),
                 critical=freeable_memory_threshold(db_class, memory.critical), **common),
        # Bytes of the allocation in settings: storage autoscaling grows the disk without changing these.
        AlarmRow(key="db-storage",
                 title=f"RDS {watched.db_identifier}: free storage (of {watched.db_allocated_storage_gb} GiB)",
                 source=rds("FreeStorageSpace", "Minimum"), comparison=BELOW, unit="bytes",
                 warning=free_storage_threshold(watched.db_allocated_storage_gb, disk.warning),
                 critical=free_storage_threshold(watched.db_allocated_storage_gb, disk.critical), **common),
        AlarmRow(key="db-connections",
                 title=f"RDS {watched.db_identifier}: connections (max_connections ~{max_connections(db_class)})",
                 source=rds("DatabaseConnections", "Maximum"), comparison=ABOVE, unit="connections",
                 warning=connections_threshold(db_class, connections.warning),
                 critical=connections_threshold(db_class, connections.critical), **common),
    ]


def _cache_rows(watched: Watched, thresholds: AlarmSettings) -> list[AlarmRow]:
    members = cache_members(watched.cache_group_id, watched.cache_replicas)

    def worst(name: str, stat: str, label: str) -> Expression:
        # After a failover the primary is another member: watch every member, whichever is worse.
        metrics = {f"node{i}": Metric("AWS/ElastiCache", name, {"CacheClusterId": member}, stat)
                   for i, member in enumerate(members, start=1)}
        return Expression(metrics=metrics, expression=f"MAX([{', '.join(metrics)}])", label=label)

    maxmemory_gib = cache_max_memory_bytes(watched.cache_node_type) / GIB
    rows = [
        AlarmRow(key="cache-cpu", title=f"ElastiCache {watched.cache_group_id}: engine CPU",
                 source=worst("EngineCPUUtilization", "Average", "engine CPU (%)"), comparison=ABOVE, unit="%",
                 warning=thresholds.cpu_percent.warning, critical=thresholds.cpu_percent.critical,
                 # Published every minute per node; a gap means the node is gone or replaced.
                 missing="missing"),
        AlarmRow(key="cache-memory",
                 title=f"ElastiCache {watched.cache_group_id}: memory used of maxmemory (~{maxmemory_gib:.2f} GiB)",
                 source=worst("DatabaseMemoryUsagePercentage", "Maximum", "memory used (%)"), comparison=ABOVE,
                 unit="%", warning=thresholds.memory_percent.warning, critical=thresholds.memory_percent.critical,
                 # With noeviction a full cache refuses writes (new jobs fail). Published every minute per
                 # node, so a gap means the node is gone: INSUFFICIENT_DATA, not OK.
                 missing="missing"),
        AlarmRow(key="cache-evictions", title=f"ElastiCache {watched.cache_group_id}: evicted keys",
                 source=worst("Evictions", "Sum", "evictions"), comparison=AT_LEAST, unit="keys/min",
                 warning=1, critical=1, windows={"warning": SCATTERED, "critical": STANDARD},
                 # noeviction never evicts: any eviction means the policy changed and queued jobs can vanish.
                 # No datapoint means nothing was evicted.
                 missing="notBreaching"),
    ]
    if watched.cache_replicas:
        lag = thresholds.cache_replication_lag_seconds
        rows.append(AlarmRow(
            key="cache-replication-lag", title=f"ElastiCache {watched.cache_group_id}: replication lag",
            source=worst("ReplicationLag", "Maximum", "replication lag (s)"), comparison=ABOVE, unit="s",
            warning=lag.warning, critical=lag.critical,
            # Only replicas publish it; no datapoint at all means no replica is reporting: INSUFFICIENT_DATA.
            missing="missing"))
    return rows

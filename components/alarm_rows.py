"""What the alarm pack watches: one row per metric with a warning and a critical threshold (pure data).

The alarms component turns each row into a CloudWatch alarm per level; the dashboard draws each row as one graph
with its thresholds, in sections (load balancer, each service, database, cache), so what pages and what is on
screen are the same metric.
"""

from dataclasses import dataclass, field
from fractions import Fraction
from math import ceil

import pulumi

from settings.alarms import AlarmSettings
from settings.capacity import (
    GIB,
    cache_max_memory_bytes,
    connection_limit,
    connections_threshold,
    free_storage_threshold,
    freeable_memory_threshold,
)

LEVELS = ("warning", "critical")
ABOVE = "GreaterThanThreshold"
AT_LEAST = "GreaterThanOrEqualToThreshold"
BELOW = "LessThanThreshold"
ELB = "AWS/ApplicationELB"
# Error rates are only judged on minutes with at least this many requests: 1 failure in 3 requests is noise.
MIN_REQUESTS_PER_MINUTE = 10
# Running tasks as a share of desired: warn on any shortfall, page when half the tasks are missing.
RUNNING_TASKS_PERCENT = {"warning": 100, "critical": 50}
# "Alarms based on metric math expressions can reference a maximum of 10 metrics. This is a hard limit" (CloudWatch
# User Guide, "Limits that apply to alarms based on metric math expressions"); PutMetricAlarm takes at most 10
# expressions besides (boto3 MetricDataQuery: "as many as 10 structures that contain the Expression parameter").
MAX_ALARM_METRICS = 10
MAX_ALARM_EXPRESSIONS = 10
# A public service's rows read 2 metrics per target group (e.g. RequestCount and HTTPCode_Target_5XX_Count), so one
# alarm covers 5 groups at most; routes come as blue/green pairs: 2 routes (4 groups) per public service.
MAX_TARGET_GROUPS = 4


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
    """One CloudWatch metric with its statistic (`Average`, `Sum`, `Maximum`, `SampleCount` or a percentile)."""

    namespace: str
    name: str
    dimensions: dict[str, pulumi.Input[str]]
    stat: str


@dataclass(frozen=True)
class Expression:
    """Metric math: metrics by id, intermediate expressions by id (in order), and the expression the alarm watches."""

    metrics: dict[str, Metric]
    expression: str
    label: str
    steps: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AlarmRow:
    """One watched metric and its thresholds (no critical: warning only); `unit` is for people."""

    key: str
    section: str
    title: str
    source: Metric | Expression
    comparison: str
    warning: float
    critical: float | None
    unit: str
    missing: str
    windows: dict[str, Window] = field(default_factory=lambda: {"warning": STANDARD, "critical": STANDARD})
    low_sample_percentiles: str | None = None

    @property
    def levels(self) -> tuple[str, ...]:
        return LEVELS if self.critical is not None else ("warning",)

    def threshold(self, level: str) -> float:
        value = self.warning if level == "warning" else self.critical
        assert value is not None, f"{self.key} has no {level} level"
        return value


@dataclass(frozen=True, kw_only=True)
class PublicWatch:
    """A public service's target groups: the blue and the green group of every route (ECS swaps them)."""

    target_group_arn_suffixes: list[pulumi.Input[str]]


@dataclass(frozen=True, kw_only=True)
class DbWatch:
    """The RDS instance (and read replicas); `max_connections` is the parameter-group value when one is set."""

    identifier: str
    instance_class: str
    allocated_storage_gb: int
    max_connections: int | None = None
    replica_identifiers: list[str] = field(default_factory=list)
    replica_instance_class: str | None = None  # None: the primary's class


@dataclass(frozen=True, kw_only=True)
class CacheWatch:
    """The replication group: `replicas` per node group, `shards` node groups in cluster mode (None: mode off)."""

    group_id: str
    node_type: str
    replicas: int
    maxmemory_policy: str
    shards: int | None = None

    @property
    def member_ids(self) -> list[str]:
        return cache_members(self.group_id, self.replicas, self.shards)


@dataclass(frozen=True, kw_only=True)
class Watched:
    """The resources the alarms watch: wired values are Inputs, what decides which alarms exist is plain.

    `services` holds every long-running ECS service (public ones too) by name; `public` the public ones' target
    groups; `load_balancer_arn_suffix` is None when no service is public; `cache` None when there is no cache.
    """

    load_balancer_arn_suffix: pulumi.Input[str] | None
    public: dict[str, PublicWatch]
    services: dict[str, pulumi.Input[str]]
    cluster_name: pulumi.Input[str]
    database: DbWatch
    cache: CacheWatch | None

    def __post_init__(self) -> None:
        if self.public and self.load_balancer_arn_suffix is None:
            raise ValueError(f"public services {', '.join(self.public)} need the load balancer's arn suffix")
        for name, watch in self.public.items():
            if name not in self.services:
                raise ValueError(f"public service {name!r} is not among the services ({', '.join(self.services)})")
            count = len(watch.target_group_arn_suffixes)
            if not 1 <= count <= MAX_TARGET_GROUPS:
                raise ValueError(
                    f"public service {name!r} has {count} target groups; its error-rate alarm sums RequestCount "
                    f"and 5xx over every group and CloudWatch allows {MAX_ALARM_METRICS} metrics per alarm: "
                    f"1 to {MAX_TARGET_GROUPS} groups (at most {MAX_TARGET_GROUPS // 2} routes of a blue/green "
                    "pair each); put more host/path patterns on one route instead")


def cache_members(group_id: str, replicas: int, shards: int | None = None) -> list[str]:
    """Member cluster ids: `<group>-001`, `<group>-002`... (cluster mode off), `<group>-0001-001`... per node group
    (cluster mode on; node groups are numbered 0001-0090: ElastiCache API reference, NodeGroup)."""
    nodes = range(1, replicas + 2)
    if shards is None:
        return [f"{group_id}-{node:03d}" for node in nodes]
    return [f"{group_id}-{shard:04d}-{node:03d}" for shard in range(1, shards + 1) for node in nodes]


def min_percentile_samples(statistic: str) -> int:
    """Requests a percentile needs to mean something, by CloudWatch's own rule: 10/(1-p) for p >= 0.5, 10/p below
    (CloudWatch User Guide, "Percentile-based alarms and low data samples"): p99 1000, p95 200, p90 100."""
    share = Fraction(statistic.removeprefix("p")) / 100
    return ceil(10 / (1 - share) if share >= Fraction(1, 2) else 10 / share)


def alarm_rows(watched: Watched, thresholds: AlarmSettings) -> list[AlarmRow]:
    """Every row of the alarm pack, in dashboard order (public services first); refuses what CloudWatch would."""
    rows = [*_load_balancer_rows(watched, thresholds)]
    for name, service in sorted(watched.services.items(), key=lambda item: item[0] not in watched.public):
        public = watched.public.get(name)
        section = f"{name} (public)" if public else name
        if public:
            rows += _public_rows(name, section, watched.load_balancer_arn_suffix, public, thresholds)
        rows += _service_rows(name, section, watched.cluster_name, service, thresholds)
    rows += _database_rows(watched.database, thresholds)
    if watched.cache:
        rows += _cache_rows(watched.cache, thresholds)
    _check(rows)
    return rows


def _check(rows: list[AlarmRow]) -> None:
    seen: dict[str, str] = {}
    for row in rows:
        if row.key in seen:
            raise ValueError(f"two alarm rows are keyed {row.key!r} (sections {seen[row.key]!r} and "
                             f"{row.section!r}); alarm names must be unique: rename the service")
        seen[row.key] = row.section
        if isinstance(row.source, Expression):
            assert len(row.source.metrics) <= MAX_ALARM_METRICS, f"{row.key}: too many metrics"
            assert len(row.source.steps) + 1 <= MAX_ALARM_EXPRESSIONS, f"{row.key}: too many expressions"


def _elb(name: str, stat: str, alb: pulumi.Input[str], group: pulumi.Input[str] | None = None) -> Metric:
    """An ALB metric, load-balancer wide or of one target group (dimensions LoadBalancer[, TargetGroup])."""
    dimensions = {"TargetGroup": group, "LoadBalancer": alb} if group is not None else {"LoadBalancer": alb}
    return Metric(ELB, name, dimensions, stat)


def _load_balancer_rows(watched: Watched, thresholds: AlarmSettings) -> list[AlarmRow]:
    alb = watched.load_balancer_arn_suffix
    if alb is None:
        return []
    return [AlarmRow(
        key="alb-error-rate", section="load balancer",
        title="5xx responses per request, whole load balancer (targets + the load balancer's own)",
        source=Expression(
            metrics={"requests": _elb("RequestCount", "Sum", alb),
                     "target5xx": _elb("HTTPCode_Target_5XX_Count", "Sum", alb),
                     "elb5xx": _elb("HTTPCode_ELB_5XX_Count", "Sum", alb)},
            # 5xx counts are only published when non-zero, hence FILL; quiet minutes count as 0 %.
            # HTTPCode_ELB_5XX_Count has no TargetGroup dimension, so 502/503/504 the load balancer generates
            # can only be watched here, not per service.
            expression=(f"IF(requests >= {MIN_REQUESTS_PER_MINUTE}, "
                        "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)"),
            label="5xx per request (%)"),
        comparison=ABOVE, unit="%",
        warning=thresholds.error_rate_percent.warning, critical=thresholds.error_rate_percent.critical,
        # No RequestCount means no traffic: nothing failed.
        missing="notBreaching",
    )]


def _public_rows(name: str, section: str, alb: pulumi.Input[str], public: PublicWatch,
                 thresholds: AlarmSettings) -> list[AlarmRow]:
    # ECS moves production traffic between blue and green on every deployment: every row reads all the service's
    # target groups (ALB metrics with dimensions LoadBalancer + TargetGroup: Elastic Load Balancing guide,
    # "CloudWatch metrics for your Application Load Balancer", metric dimensions).
    groups = list(enumerate(public.target_group_arn_suffixes, start=1))

    def per_group(prefix: str, metric: str, stat: str) -> dict[str, Metric]:
        return {f"{prefix}{i}": _elb(metric, stat, alb, group) for i, group in groups}

    def rate(key: str, codes: str, metric: str, levels) -> AlarmRow:
        requests, errors = per_group("requests", "RequestCount", "Sum"), per_group("errors", metric, "Sum")
        return AlarmRow(
            key=f"{name}-{key}", section=section, title=f"{name}: {codes} responses of its targets per request",
            source=Expression(
                metrics={**requests, **errors},
                # An idle group publishes nothing; SUM over the array takes whichever groups report.
                steps={"requests": f"SUM([{', '.join(requests)}])", "errors": f"SUM([{', '.join(errors)}])"},
                expression=f"IF(requests >= {MIN_REQUESTS_PER_MINUTE}, 100 * FILL(errors, 0) / requests, 0)",
                label=f"{codes} per request (%)"),
            comparison=ABOVE, unit="%", warning=levels.warning, critical=levels.critical,
            # No requests: nothing failed.
            missing="notBreaching",
        )

    unhealthy = per_group("unhealthy", "UnHealthyHostCount", "Maximum")
    return [
        _response_time(name, section, groups, alb, thresholds),
        rate("error-rate", "5xx", "HTTPCode_Target_5XX_Count", thresholds.error_rate_percent),
        rate("client-error-rate", "4xx", "HTTPCode_Target_4XX_Count", thresholds.client_error_rate_percent),
        AlarmRow(
            key=f"{name}-unhealthy-hosts", section=section, title=f"{name}: unhealthy targets (worst target group)",
            source=Expression(metrics=unhealthy, expression=f"MAX([{', '.join(unhealthy)}])",
                              label="unhealthy targets"),
            comparison=AT_LEAST, unit="targets", warning=1, critical=1,
            windows={"warning": SCATTERED, "critical": STANDARD},
            # A group without targets publishes nothing; the running-tasks alarms cover a service with none.
            missing="notBreaching",
        ),
    ]


def _response_time(name: str, section: str, groups: list, alb: pulumi.Input[str],
                   thresholds: AlarmSettings) -> AlarmRow:
    statistic, levels = thresholds.response_time_statistic, thresholds.response_time_seconds
    floor = min_percentile_samples(statistic)
    metrics, steps = {}, {}
    for i, group in groups:
        metrics[f"latency{i}"] = _elb("TargetResponseTime", statistic, alb, group)
        metrics[f"samples{i}"] = _elb("TargetResponseTime", "SampleCount", alb, group)
        # A percentile of a handful of requests says nothing: below CloudWatch's significance floor the group
        # counts as 0 s (what evaluateLowSampleCountPercentiles=ignore does for a single-metric alarm).
        steps[f"significant{i}"] = f"IF(samples{i} >= {floor}, latency{i}, 0)"
    return AlarmRow(
        key=f"{name}-response-time", section=section,
        title=f"{name}: target response time ({statistic}, slowest target group, from {floor} requests a minute)",
        source=Expression(metrics=metrics, steps=steps, expression=f"MAX([{', '.join(steps)}])",
                          label=f"{statistic} response time (s)"),
        comparison=ABOVE, unit="s", warning=levels.warning, critical=levels.critical,
        # No requests, no latency: silence is not slowness.
        missing="notBreaching",
    )


def _service_rows(name: str, section: str, cluster: pulumi.Input[str], service: pulumi.Input[str],
                  thresholds: AlarmSettings) -> list[AlarmRow]:
    dimensions = {"ClusterName": cluster, "ServiceName": service}

    def usage(kind: str, metric: str, levels) -> AlarmRow:
        return AlarmRow(
            key=f"{name}-{kind}", section=section, title=f"ECS {name}: {kind} of reserved (average over tasks)",
            source=Metric("AWS/ECS", metric, dimensions, "Average"), comparison=ABOVE, unit="%",
            warning=levels.warning, critical=levels.critical,
            # ECS publishes nothing while no task runs; the running-tasks alarm covers that case.
            missing="notBreaching",
        )

    insights = {label: Metric("ECS/ContainerInsights", metric, dimensions, "Average")
                for label, metric in (("running", "RunningTaskCount"), ("desired", "DesiredTaskCount"))}
    return [
        usage("cpu", "CPUUtilization", thresholds.cpu_percent),
        usage("memory", "MemoryUtilization", thresholds.memory_percent),
        AlarmRow(
            key=f"{name}-running-tasks", section=section, title=f"ECS {name}: running tasks as a share of desired",
            source=Expression(metrics=insights, expression="IF(desired > 0, 100 * running / desired, 100)",
                              label="running / desired (%)"),
            comparison=BELOW, unit="%", warning=RUNNING_TASKS_PERCENT["warning"],
            critical=RUNNING_TASKS_PERCENT["critical"], windows={"warning": SUSTAINED, "critical": SUSTAINED},
            # Container Insights publishes both counts every minute for every service, zeros included:
            # silence means the service or its telemetry is gone, and either needs a person.
            missing="breaching",
        ),
    ]


def _database_rows(db: DbWatch, thresholds: AlarmSettings) -> list[AlarmRow]:
    db_class, dimensions = db.instance_class, {"DBInstanceIdentifier": db.identifier}

    def rds(metric: str, stat: str) -> Metric:
        return Metric("AWS/RDS", metric, dimensions, stat)

    memory, disk = thresholds.memory_percent, thresholds.disk_percent
    # RDS publishes every metric every minute while the instance exists: a gap is itself news, so it shows
    # as INSUFFICIENT_DATA instead of being read as fine or as breaching.
    common = {"section": "database", "missing": "missing"}
    rows = [
        AlarmRow(key="db-cpu", title=f"RDS {db.identifier}: CPU", source=rds("CPUUtilization", "Average"),
                 comparison=ABOVE, unit="%", warning=thresholds.cpu_percent.warning,
                 critical=thresholds.cpu_percent.critical, **common),
        AlarmRow(key="db-memory", title=f"RDS {db.identifier}: freeable memory ({db_class})",
                 source=rds("FreeableMemory", "Average"), comparison=BELOW, unit="bytes",
                 warning=freeable_memory_threshold(db_class, memory.warning),
                 critical=freeable_memory_threshold(db_class, memory.critical), **common),
        # Bytes of the allocation in settings: storage autoscaling grows the disk without changing these.
        AlarmRow(key="db-storage", title=f"RDS {db.identifier}: free storage (of {db.allocated_storage_gb} GiB)",
                 source=rds("FreeStorageSpace", "Minimum"), comparison=BELOW, unit="bytes",
                 warning=free_storage_threshold(db.allocated_storage_gb, disk.warning),
                 critical=free_storage_threshold(db.allocated_storage_gb, disk.critical), **common),
        _connections("db-connections", f"RDS {db.identifier}", db_class, db.max_connections,
                     rds("DatabaseConnections", "Maximum"), thresholds),
    ]
    return rows + _replica_rows(db, thresholds) if db.replica_identifiers else rows


def _connections(key: str, what: str, db_class: str, configured: int | None, source: Metric | Expression,
                 thresholds: AlarmSettings) -> AlarmRow:
    limit = connection_limit(db_class, configured)
    shown = f"{limit}, database.parameters" if configured is not None else f"~{limit}, {db_class} default"
    levels = thresholds.db_connections_percent
    return AlarmRow(key=key, section="database", title=f"{what}: connections (max_connections {shown})",
                    source=source, comparison=ABOVE, unit="connections",
                    warning=connections_threshold(db_class, levels.warning, configured),
                    critical=connections_threshold(db_class, levels.critical, configured), missing="missing")


def _replica_rows(db: DbWatch, thresholds: AlarmSettings) -> list[AlarmRow]:
    replicas = db.replica_identifiers
    if len(replicas) > MAX_ALARM_METRICS:
        raise ValueError(f"{len(replicas)} read replicas; a replica alarm reads every replica and CloudWatch allows "
                         f"{MAX_ALARM_METRICS} metrics per alarm: at most {MAX_ALARM_METRICS} replicas")

    def worst(metric: str, stat: str, label: str) -> Expression:
        # Replicas are interchangeable behind DATABASE_READ_URL: the worst one is what some reader sees.
        metrics = {f"replica{i}": Metric("AWS/RDS", metric, {"DBInstanceIdentifier": identifier}, stat)
                   for i, identifier in enumerate(replicas, start=1)}
        return Expression(metrics=metrics, expression=f"MAX([{', '.join(metrics)}])", label=label)

    what, lag = f"RDS read replicas ({', '.join(replicas)})", thresholds.db_replica_lag_seconds
    # Every replica publishes every minute: a gap means a replica is gone (INSUFFICIENT_DATA), as for the primary.
    return [
        AlarmRow(key="db-replica-lag", section="database", title=f"{what}: replica lag (worst replica)",
                 source=worst("ReplicaLag", "Maximum", "replica lag (s)"), comparison=ABOVE, unit="s",
                 warning=lag.warning, critical=lag.critical, missing="missing"),
        AlarmRow(key="db-replica-cpu", section="database", title=f"{what}: CPU (worst replica)",
                 source=worst("CPUUtilization", "Average", "CPU (%)"), comparison=ABOVE, unit="%",
                 warning=thresholds.cpu_percent.warning, critical=thresholds.cpu_percent.critical, missing="missing"),
        # PostgreSQL requires a replica's max_connections to be at least the primary's; the same parameter
        # value applies to both when it is set.
        _connections("db-replica-connections", what, db.replica_instance_class or db.instance_class,
                     db.max_connections, worst("DatabaseConnections", "Maximum", "connections"), thresholds),
    ]


def _cache_rows(cache: CacheWatch, thresholds: AlarmSettings) -> list[AlarmRow]:
    members = cache.member_ids
    if len(members) > MAX_ALARM_METRICS:
        raise ValueError(f"cache {cache.group_id} has {len(members)} nodes; a cache alarm reads every node and "
                         f"CloudWatch allows {MAX_ALARM_METRICS} metrics per alarm: at most {MAX_ALARM_METRICS} "
                         "nodes (shards x (replicas + 1))")

    def worst(metric: str, stat: str, label: str) -> Expression:
        # After a failover the primary is another member: watch every member, whichever is worse.
        metrics = {f"node{i}": Metric("AWS/ElastiCache", metric, {"CacheClusterId": member}, stat)
                   for i, member in enumerate(members, start=1)}
        return Expression(metrics=metrics, expression=f"MAX([{', '.join(metrics)}])", label=label)

    group, common = cache.group_id, {"section": "cache"}
    maxmemory_gib = cache_max_memory_bytes(cache.node_type) / GIB
    rows = [AlarmRow(key="cache-cpu", title=f"ElastiCache {group}: engine CPU",
                     source=worst("EngineCPUUtilization", "Average", "engine CPU (%)"), comparison=ABOVE, unit="%",
                     warning=thresholds.cpu_percent.warning, critical=thresholds.cpu_percent.critical,
                     # Published every minute per node; a gap means the node is gone or replaced.
                     missing="missing", **common)]
    # allkeys-* caches make room by evicting: full memory is their steady state, not an incident.
    if not cache.maxmemory_policy.startswith("allkeys-"):
        rows.append(AlarmRow(
            key="cache-memory", title=f"ElastiCache {group}: memory used of maxmemory (~{maxmemory_gib:.2f} GiB)",
            source=worst("DatabaseMemoryUsagePercentage", "Maximum", "memory used (%)"), comparison=ABOVE,
            unit="%", warning=thresholds.memory_percent.warning, critical=thresholds.memory_percent.critical,
            # With noeviction (or volatile-* and no expiring keys) a full cache refuses writes: new jobs fail.
            missing="missing", **common))
    # Only noeviction promises that nothing is ever evicted; with any other policy evictions are the policy working.
    if cache.maxmemory_policy == "noeviction":
        rows.append(AlarmRow(
            key="cache-evictions", title=f"ElastiCache {group}: evicted keys",
            source=worst("Evictions", "Sum", "evictions"), comparison=AT_LEAST, unit="keys/min",
            warning=1, critical=1, windows={"warning": SCATTERED, "critical": STANDARD},
            # Any eviction means the policy changed and queued jobs can vanish. No datapoint: nothing evicted.
            missing="notBreaching", **common))
    if cache.replicas:
        lag = thresholds.cache_replication_lag_seconds
        rows.append(AlarmRow(
            key="cache-replication-lag", title=f"ElastiCache {group}: replication lag",
            source=worst("ReplicationLag", "Maximum", "replication lag (s)"), comparison=ABOVE, unit="s",
            warning=lag.warning, critical=lag.critical,
            # Only replicas publish it; no datapoint at all means no replica is reporting: INSUFFICIENT_DATA.
            missing="missing", **common))
    return rows


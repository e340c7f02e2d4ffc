"""Alarms, notification topics, chat destinations and dashboard as standalone components under mocks, for a stack
of two public services (one with two routes), a worker, a database with read replicas and a sharded cache."""

import json

import pytest

from components.alarm_names import alarm_name, deployment_alarm_names
from components.alarm_rows import (
    CacheWatch,
    DbWatch,
    PublicWatch,
    Watched,
    alarm_rows,
    cache_members,
    min_percentile_samples,
)
from components.alarms import ERROR_LOG_PATTERN, Alarms, AlarmsArgs
from components.dashboard import Dashboard, DashboardArgs
from components.encryption import key_policy
from components.notifications import (
    Notifications,
    NotificationsArgs,
    SlackChannel,
    Subscribers,
    TeamsChannel,
    endpoint_id,
)
from policy.rules import violations
from settings.alarms import AlarmSettings, Endpoints
from tests.helpers import children, mock_id, mock_state, one, parsed, resources
from tools.preview import record

PREFIX = "nodeapi-test"
KEY = "arn:aws:kms:us-east-1:123456789012:key/test"
WARNING_TOPIC = "arn:aws:sns:us-east-1:123456789012:nodeapi-test-warning"
CRITICAL_TOPIC = "arn:aws:sns:us-east-1:123456789012:nodeapi-test-critical"
ALB = "app/nodeapi-test/0123456789abcdef"
WEB_GROUPS = ["targetgroup/web-r1-blue/1111", "targetgroup/web-r1-green/2222",
              "targetgroup/web-r2-blue/3333", "targetgroup/web-r2-green/4444"]
ADMIN_GROUPS = ["targetgroup/admin-blue/5555", "targetgroup/admin-green/6666"]
SERVICES = {"web": "nodeapi-test-web", "admin": "nodeapi-test-admin", "worker-queue": "nodeapi-test-worker-queue"}
REPLICAS = ["nodeapi-test-replica-1", "nodeapi-test-replica-2"]
CACHE_NODES = ["nodeapi-test-0001-001", "nodeapi-test-0001-002", "nodeapi-test-0002-001", "nodeapi-test-0002-002"]
PAGER = "https://events.example.com/integration/abc/enqueue"
OPS_SLACK = SlackChannel(workspace_id="T07EA123LEP", channel_id="C07EZ1ABC23")
ONCALL_SLACK = SlackChannel(workspace_id="T07EA123LEP", channel_id="G0ONCALL99")
TEAMS = TeamsChannel(team_id="74361522-da01-538d-aa2e-ac7918c6bb92",
                     channel_id="19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2",
                     tenant_id="5f4f15d2-b958-522a-8333-124aa8bf0925")
TEAMS_KEY = f"teams-{endpoint_id(f'{TEAMS.tenant_id}/{TEAMS.team_id}/{TEAMS.channel_id}')}"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
SLACK = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
TEAMS_CONFIG = "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE, POLICY = "aws:iam/role:Role", "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def watched(**changes) -> Watched:
    fields = dict(
        load_balancer_arn_suffix=ALB,
        public={"web": PublicWatch(target_group_arn_suffixes=WEB_GROUPS),
                "admin": PublicWatch(target_group_arn_suffixes=ADMIN_GROUPS)},
        services=SERVICES, cluster_name=PREFIX,
        database=DbWatch(identifier=PREFIX, instance_class="db.t4g.medium", allocated_storage_gb=50,
                         max_connections=200, replica_identifiers=REPLICAS, replica_instance_class="db.t4g.large"),
        cache=CacheWatch(group_id=PREFIX, node_type="cache.t4g.small", replicas=1, shards=2,
                         maxmemory_policy="noeviction"),
    )
    return Watched(**{**fields, **changes})


def build_graph(watch: Watched, thresholds: AlarmSettings = AlarmSettings(),
                warning: Subscribers = Subscribers(emails=["ops@example.com"], slack=[OPS_SLACK], teams=[TEAMS]),
                critical: Subscribers = Subscribers(emails=["oncall@example.com"], https_endpoints=[PAGER],
                                                    slack=[OPS_SLACK, ONCALL_SLACK])) -> dict:
    def build():
        notifications = Notifications("notifications", NotificationsArgs(
            prefix=PREFIX, kms_key_arn=KEY, warning=warning, critical=critical))
        alarms = Alarms("alarms", AlarmsArgs(
            prefix=PREFIX, watched=watch, thresholds=thresholds,
            log_groups={label: f"/ecs/{PREFIX}-{label}" for label in watch.services},
            warning_topic_arn=notifications.warning_topic_arn, critical_topic_arn=notifications.critical_topic_arn))
        Dashboard("dashboard", DashboardArgs(dashboard_name=PREFIX, region="us-east-1", rows=alarms.rows,
                                             error_metrics=alarms.error_metrics))
    return record(build)


@pytest.fixture(scope="module")
def graph() -> dict:
    return build_graph(watched())


PUBLIC_ROWS = ["response-time", "error-rate", "client-error-rate", "unhealthy-hosts"]
ECS_ROWS = ["cpu", "memory", "running-tasks"]
ROWS = (["alb-error-rate"]
        + [f"web-{row}" for row in PUBLIC_ROWS + ECS_ROWS] + [f"admin-{row}" for row in PUBLIC_ROWS + ECS_ROWS]
        + [f"worker-queue-{row}" for row in ECS_ROWS]
        + ["db-cpu", "db-memory", "db-storage", "db-connections", "db-replica-lag", "db-replica-cpu",
           "db-replica-connections", "cache-cpu", "cache-memory", "cache-evictions", "cache-replication-lag"])
WARNING_ONLY = {"web-client-error-rate", "admin-client-error-rate"}


def elb(metric_id: str, name: str, stat: str, group: str | None = None) -> dict:
    dimensions = {"TargetGroup": group, "LoadBalancer": ALB} if group else {"LoadBalancer": ALB}
    return {"id": metric_id, "returnData": False, "metric": {
        "namespace": "AWS/ApplicationELB", "metricName": name, "dimensions": dimensions, "stat": stat, "period": 60}}


def step(step_id: str, expression: str) -> dict:
    return {"id": step_id, "expression": expression, "returnData": False}


def watched_query(expression: str, label: str) -> dict:
    return {"id": "watched", "expression": expression, "label": label, "returnData": True}


def alarm_inputs(name: str, level: str, description: str, queries: list, comparison: str, threshold: float,
                 window: tuple[int, int], missing: str) -> dict:
    topic = WARNING_TOPIC if level == "warning" else CRITICAL_TOPIC
    return {
        "name": f"{PREFIX}-{name}-{level}", "alarmDescription": description, "metricQueries": queries,
        "comparisonOperator": comparison, "threshold": threshold, "datapointsToAlarm": window[0],
        "evaluationPeriods": window[1], "treatMissingData": missing, "alarmActions": [topic], "okActions": [topic],
        "tags": {"Name": f"{PREFIX}-{name}-{level}", "severity": level},
    }


# ---------------------------------------------------------------------------------------------- pure rules


@pytest.mark.parametrize("statistic, samples", [("p99", 1000), ("p95", 200), ("p90", 100), ("p50", 20),
                                                ("p25", 40), ("p99.9", 10000), ("p99.99", 100000)])
def test_percentiles_need_cloudwatchs_sample_floor(statistic, samples):
    assert min_percentile_samples(statistic) == samples


def test_cache_members_with_and_without_cluster_mode():
    assert cache_members("nodeapi-prod", 1) == ["nodeapi-prod-001", "nodeapi-prod-002"]
    assert cache_members("nodeapi-staging", 0) == ["nodeapi-staging-001"]
    assert cache_members(PREFIX, 1, shards=2) == CACHE_NODES
    assert cache_members(PREFIX, 0, shards=3) == [f"{PREFIX}-000{i}-001" for i in (1, 2, 3)]


def test_deployment_alarm_names_are_per_service():
    assert deployment_alarm_names("equoria-prod", "api") == [
        "equoria-prod-api-response-time-critical", "equoria-prod-api-error-rate-critical",
        "equoria-prod-api-unhealthy-hosts-critical"]
    # Exactly the names the alarms component declares for that service.
    rows = {row.key for row in alarm_rows(watched(), AlarmSettings())}
    assert all(f"web-{key}" in rows for key in ("response-time", "error-rate", "unhealthy-hosts"))


def test_alarm_names_stay_within_cloudwatchs_limit():
    assert len(alarm_name("a" * 200, "b" * 45, "critical")) == 255
    with pytest.raises(ValueError) as caught:
        deployment_alarm_names("a" * 200, "b" * 30)
    assert str(caught.value) == (
        f"alarm name {'a' * 200 + '-' + 'b' * 30 + '-unhealthy-hosts-critical'!r} is 256 characters; CloudWatch "
        "allows 255: shorten the app name or the service name")


@pytest.mark.parametrize("changes, message", [
    ({"load_balancer_arn_suffix": None}, "public services web, admin need the load balancer's arn suffix"),
    ({"services": {"web": "w"}}, "public service 'admin' is not among the services (web)"),
    ({"public": {"web": PublicWatch(target_group_arn_suffixes=WEB_GROUPS + ADMIN_GROUPS)}},
     "public service 'web' has 6 target groups; its error-rate alarm sums RequestCount and 5xx over every group "
     "and CloudWatch allows 10 metrics per alarm: 1 to 4 groups (at most 2 routes of a blue/green pair each); put "
     "more host/path patterns on one route instead"),
    ({"public": {"web": PublicWatch(target_group_arn_suffixes=[])}},
     "public service 'web' has 0 target groups; its error-rate alarm sums RequestCount and 5xx over every group "
     "and CloudWatch allows 10 metrics per alarm: 1 to 4 groups (at most 2 routes of a blue/green pair each); put "
     "more host/path patterns on one route instead"),
])
def test_watched_refuses_what_cannot_be_alarmed(changes, message):
    with pytest.raises(ValueError) as caught:
        watched(**changes)
    assert str(caught.value) == message


@pytest.mark.parametrize("changes, message", [
    ({"public": {}, "services": {"db": "nodeapi-test-db"}},
     "two alarm rows are keyed 'db-cpu' (sections 'db' and 'database'); alarm names must be unique: rename the "
     "service"),
    ({"cache": CacheWatch(group_id=PREFIX, node_type="cache.t4g.small", replicas=2, shards=4,
                          maxmemory_policy="noeviction")},
     "cache nodeapi-test has 12 nodes; a cache alarm reads every node and CloudWatch allows 10 metrics per alarm: "
     "at most 10 nodes (shards x (replicas + 1))"),
    ({"database": DbWatch(identifier=PREFIX, instance_class="db.t4g.medium", allocated_storage_gb=50,
                          replica_identifiers=[f"r{i}" for i in range(11)])},
     "11 read replicas; a replica alarm reads every replica and CloudWatch allows 10 metrics per alarm: at most 10 "
     "replicas"),
])
def test_rows_refuse_collisions_and_metric_budgets(changes, message):
    with pytest.raises(ValueError) as caught:
        alarm_rows(watched(**changes), AlarmSettings())
    assert str(caught.value) == message


# ---------------------------------------------------------------------------------------------- alarms


def test_component_types_and_children(graph):
    types = sorted({r["type"] for r in graph["resources"]})
    assert types == sorted([ALARM, TOPIC, SUBSCRIPTION, FILTER, DASHBOARD, SLACK, TEAMS_CONFIG, LOG_GROUP, ROLE,
                            POLICY, ATTACHMENT, "nodeapi:observability:Alarms", "nodeapi:observability:Dashboard",
                            "nodeapi:observability:Notifications"])
    alarms = one(graph, "nodeapi:observability:Alarms", "alarms")
    assert sorted(r["name"] for r in children(graph, alarms["urn"])) == sorted(
        [f"alarms-{row}-{level}" for row in ROWS for level in ("warning", "critical")
         if not (row in WARNING_ONLY and level == "critical")]
        + [f"alarms-errors-{label}" for label in SERVICES])
    dashboard = one(graph, "nodeapi:observability:Dashboard", "dashboard")
    assert [r["name"] for r in children(graph, dashboard["urn"])] == ["dashboard"]


def test_service_error_rate_sums_every_target_group(graph):
    requests = [elb(f"requests{i}", "RequestCount", "Sum", group) for i, group in enumerate(WEB_GROUPS, 1)]
    errors = [elb(f"errors{i}", "HTTPCode_Target_5XX_Count", "Sum", group) for i, group in enumerate(WEB_GROUPS, 1)]
    assert one(graph, ALARM, "alarms-web-error-rate-critical")["inputs"] == alarm_inputs(
        "web-error-rate", "critical",
        "web: 5xx responses of its targets per request > 5 % in 3 of 5 periods of 60 s. "
        "See docs/alarms.md (web-error-rate).",
        [*requests, *errors,
         step("requests", "SUM([requests1, requests2, requests3, requests4])"),
         step("errors", "SUM([errors1, errors2, errors3, errors4])"),
         watched_query("IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)", "5xx per request (%)")],
        "GreaterThanThreshold", 5, (3, 5), "notBreaching")


def test_client_error_rate_warns_only(graph):
    requests = [elb(f"requests{i}", "RequestCount", "Sum", group) for i, group in enumerate(ADMIN_GROUPS, 1)]
    errors = [elb(f"errors{i}", "HTTPCode_Target_4XX_Count", "Sum", group) for i, group in enumerate(ADMIN_GROUPS, 1)]
    assert one(graph, ALARM, "alarms-admin-client-error-rate-warning")["inputs"] == alarm_inputs(
        "admin-client-error-rate", "warning",
        "admin: 4xx responses of its targets per request > 10 % in 3 of 5 periods of 60 s. "
        "See docs/alarms.md (admin-client-error-rate).",
        [*requests, *errors, step("requests", "SUM([requests1, requests2])"), step("errors", "SUM([errors1, errors2])"),
         watched_query("IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)", "4xx per request (%)")],
        "GreaterThanThreshold", 10, (3, 5), "notBreaching")
    assert sorted(r["name"] for r in resources(graph, ALARM) if "client-error" in r["name"]) == [
        "alarms-admin-client-error-rate-warning", "alarms-web-client-error-rate-warning"]
    paged = build_graph(watched(), AlarmSettings(client_error_rate_percent={"warning": 10, "critical": 25}))
    assert one(paged, ALARM, "alarms-web-client-error-rate-critical")["inputs"]["threshold"] == 25


def test_service_response_time_is_the_slowest_significant_group(graph):
    queries = []
    for i, group in enumerate(ADMIN_GROUPS, 1):
        queries += [elb(f"latency{i}", "TargetResponseTime", "p99", group),
                    elb(f"samples{i}", "TargetResponseTime", "SampleCount", group)]
    assert one(graph, ALARM, "alarms-admin-response-time-warning")["inputs"] == alarm_inputs(
        "admin-response-time", "warning",
        "admin: target response time (p99, slowest target group, from 1000 requests a minute) > 1 s in 3 of 5 "
        "periods of 60 s. See docs/alarms.md (admin-response-time).",
        [*queries, step("significant1", "IF(samples1 >= 1000, latency1, 0)"),
         step("significant2", "IF(samples2 >= 1000, latency2, 0)"),
         watched_query("MAX([significant1, significant2])", "p99 response time (s)")],
        "GreaterThanThreshold", 1, (3, 5), "notBreaching")
    tuned = build_graph(watched(), AlarmSettings(response_time_statistic="p90"))
    inputs = one(tuned, ALARM, "alarms-web-response-time-critical")["inputs"]
    assert [q.get("expression") for q in inputs["metricQueries"][-5:]] == [
        "IF(samples1 >= 100, latency1, 0)", "IF(samples2 >= 100, latency2, 0)", "IF(samples3 >= 100, latency3, 0)",
        "IF(samples4 >= 100, latency4, 0)", "MAX([significant1, significant2, significant3, significant4])"]
    assert inputs["metricQueries"][0]["metric"]["stat"] == "p90"


def test_unhealthy_hosts_and_the_load_balancer_row(graph):
    unhealthy = [elb(f"unhealthy{i}", "UnHealthyHostCount", "Maximum", group) for i, group in enumerate(WEB_GROUPS, 1)]
    assert one(graph, ALARM, "alarms-web-unhealthy-hosts-warning")["inputs"] == alarm_inputs(
        "web-unhealthy-hosts", "warning",
        "web: unhealthy targets (worst target group) >= 1 targets in 2 of 10 periods of 60 s. "
        "See docs/alarms.md (web-unhealthy-hosts).",
        [*unhealthy, watched_query("MAX([unhealthy1, unhealthy2, unhealthy3, unhealthy4])", "unhealthy targets")],
        "GreaterThanOrEqualToThreshold", 1, (2, 10), "notBreaching")
    assert one(graph, ALARM, "alarms-alb-error-rate-warning")["inputs"] == alarm_inputs(
        "alb-error-rate", "warning",
        "5xx responses per request, whole load balancer (targets + the load balancer's own) > 2 % in 3 of 5 periods "
        "of 60 s. See docs/alarms.md (alb-error-rate).",
        [elb("requests", "RequestCount", "Sum"), elb("target5xx", "HTTPCode_Target_5XX_Count", "Sum"),
         elb("elb5xx", "HTTPCode_ELB_5XX_Count", "Sum"),
         watched_query("IF(requests >= 10, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)",
                       "5xx per request (%)")],
        "GreaterThanThreshold", 2, (3, 5), "notBreaching")


def test_ecs_rows_of_every_long_running_service(graph):
    assert one(graph, ALARM, "alarms-worker-queue-cpu-critical")["inputs"] == {
        "name": f"{PREFIX}-worker-queue-cpu-critical",
        "alarmDescription": "ECS worker-queue: cpu of reserved (average over tasks) > 90 % in 3 of 5 periods of "
                            "60 s. See docs/alarms.md (worker-queue-cpu).",
        "namespace": "AWS/ECS", "metricName": "CPUUtilization", "statistic": "Average", "period": 60,
        "dimensions": {"ClusterName": PREFIX, "ServiceName": "nodeapi-test-worker-queue"},
        "comparisonOperator": "GreaterThanThreshold", "threshold": 90, "datapointsToAlarm": 3, "evaluationPeriods": 5,
        "treatMissingData": "notBreaching", "alarmActions": [CRITICAL_TOPIC], "okActions": [CRITICAL_TOPIC],
        "tags": {"Name": f"{PREFIX}-worker-queue-cpu-critical", "severity": "critical"},
    }
    running = one(graph, ALARM, "alarms-admin-running-tasks-critical")["inputs"]
    dims = {"ClusterName": PREFIX, "ServiceName": "nodeapi-test-admin"}
    assert running["metricQueries"] == [
        {"id": "running", "returnData": False, "metric": {"namespace": "ECS/ContainerInsights",
         "metricName": "RunningTaskCount", "dimensions": dims, "stat": "Average", "period": 60}},
        {"id": "desired", "returnData": False, "metric": {"namespace": "ECS/ContainerInsights",
         "metricName": "DesiredTaskCount", "dimensions": dims, "stat": "Average", "period": 60}},
        watched_query("IF(desired > 0, 100 * running / desired, 100)", "running / desired (%)")]
    assert (running["threshold"], running["treatMissingData"], running["datapointsToAlarm"]) == (50, "breaching", 5)


def test_database_rows_use_the_configured_max_connections_and_watch_replicas(graph):
    connections = one(graph, ALARM, "alarms-db-connections-warning")["inputs"]
    assert (connections["metricName"], connections["statistic"], connections["dimensions"], connections["threshold"],
            connections["alarmDescription"]) == (
        "DatabaseConnections", "Maximum", {"DBInstanceIdentifier": PREFIX}, 140,
        "RDS nodeapi-test: connections (max_connections 200, database.parameters) > 140 connections in 3 of 5 "
        "periods of 60 s. See docs/alarms.md (db-connections).")

    def replicas(name, stat):
        return [{"id": f"replica{i}", "returnData": False, "metric": {
            "namespace": "AWS/RDS", "metricName": name, "dimensions": {"DBInstanceIdentifier": replica},
            "stat": stat, "period": 60}} for i, replica in enumerate(REPLICAS, 1)]

    assert one(graph, ALARM, "alarms-db-replica-lag-critical")["inputs"] == alarm_inputs(
        "db-replica-lag", "critical",
        "RDS read replicas (nodeapi-test-replica-1, nodeapi-test-replica-2): replica lag (worst replica) > 300 s in "
        "3 of 5 periods of 60 s. See docs/alarms.md (db-replica-lag).",
        [*replicas("ReplicaLag", "Maximum"), watched_query("MAX([replica1, replica2])", "replica lag (s)")],
        "GreaterThanThreshold", 300, (3, 5), "missing")
    assert one(graph, ALARM, "alarms-db-replica-cpu-warning")["inputs"]["metricQueries"] == [
        *replicas("CPUUtilization", "Average"), watched_query("MAX([replica1, replica2])", "CPU (%)")]
    assert [one(graph, ALARM, f"alarms-db-replica-connections-{level}")["inputs"]["threshold"]
            for level in ("warning", "critical")] == [140, 180]
    # Without a configured value: the replica class's default (db.t4g.large, 8 GiB: 856 connections).
    default = alarm_rows(watched(database=DbWatch(
        identifier=PREFIX, instance_class="db.t4g.medium", allocated_storage_gb=50, replica_identifiers=REPLICAS,
        replica_instance_class="db.t4g.large")), AlarmSettings())
    replica = next(row for row in default if row.key == "db-replica-connections")
    primary = next(row for row in default if row.key == "db-connections")
    assert (replica.warning, replica.critical, primary.warning, primary.critical) == (599.2, 770.4, 285.6, 367.2)
    assert not [row for row in alarm_rows(watched(database=DbWatch(
        identifier=PREFIX, instance_class="db.t4g.micro", allocated_storage_gb=20)), AlarmSettings())
        if row.key.startswith("db-replica")]


def test_cache_rows_watch_every_shard_member(graph):
    nodes = [{"id": f"node{i}", "returnData": False, "metric": {
        "namespace": "AWS/ElastiCache", "metricName": "Evictions", "dimensions": {"CacheClusterId": member},
        "stat": "Sum", "period": 60}} for i, member in enumerate(CACHE_NODES, 1)]
    assert one(graph, ALARM, "alarms-cache-evictions-critical")["inputs"] == alarm_inputs(
        "cache-evictions", "critical",
        "ElastiCache nodeapi-test: evicted keys >= 1 keys/min in 3 of 5 periods of 60 s. "
        "See docs/alarms.md (cache-evictions).",
        [*nodes, watched_query("MAX([node1, node2, node3, node4])", "evictions")],
        "GreaterThanOrEqualToThreshold", 1, (3, 5), "notBreaching")


@pytest.mark.parametrize("policy, rows", [
    ("noeviction", ["cache-cpu", "cache-memory", "cache-evictions"]),
    ("volatile-lru", ["cache-cpu", "cache-memory"]),
    ("allkeys-lru", ["cache-cpu"]),
])
def test_cache_rows_follow_the_eviction_policy(policy, rows):
    cache = CacheWatch(group_id=PREFIX, node_type="cache.t4g.micro", replicas=0, maxmemory_policy=policy)
    assert [row.key for row in alarm_rows(watched(cache=cache), AlarmSettings()) if row.section == "cache"] == rows


def test_no_cache_and_no_public_service():
    rows = alarm_rows(watched(load_balancer_arn_suffix=None, public={}, cache=None), AlarmSettings())
    assert [row.key for row in rows] == (
        [f"{service}-{row}" for service in SERVICES for row in ECS_ROWS]
        + ["db-cpu", "db-memory", "db-storage", "db-connections", "db-replica-lag", "db-replica-cpu",
           "db-replica-connections"])


def test_error_line_metric_filters(graph):
    assert ERROR_LOG_PATTERN == '{ ($.level = "error") || ($.level = 50) }'
    for label in SERVICES:
        assert one(graph, FILTER, f"alarms-errors-{label}")["inputs"] == {
            "name": f"{PREFIX}-{label}-error-lines",
            "logGroupName": f"/ecs/{PREFIX}-{label}",
            "pattern": ERROR_LOG_PATTERN,
            "metricTransformation": {"namespace": PREFIX, "name": f"ErrorLogLines-{label}", "value": "1",
                                     "defaultValue": "0", "unit": "Count"},
        }


# ---------------------------------------------------------------------------------------------- dashboard


def test_dashboard_has_a_section_per_part_and_draws_every_row(graph):
    dashboard = one(graph, DASHBOARD, "dashboard")
    assert dashboard["inputs"]["dashboardName"] == PREFIX
    widgets = json.loads(dashboard["inputs"]["dashboardBody"])["widgets"]
    headings = [(w["properties"]["markdown"], w["y"]) for w in widgets if w["type"] == "text"]
    # Heights: heading 1, each line of three graphs 6 (web, admin, database: 7 rows, 3 lines; cache 2; worker 1).
    assert headings == [("## load balancer", 0), ("## web (public)", 7), ("## admin (public)", 26),
                        ("## worker-queue", 45), ("## database", 52), ("## cache", 71), ("## application errors", 84)]
    graphs = [w for w in widgets if w["type"] == "metric"]
    assert [w["properties"]["title"].split(":")[0] for w in graphs] == ROWS + ["application error log lines"]
    assert all(w["width"] == 24 and w["height"] == 1 and w["x"] == 0 for w in widgets if w["type"] == "text")
    web = [w for w in graphs if w["properties"]["title"].startswith("web-")]
    assert [(w["x"], w["y"]) for w in web] == [(0, 8), (8, 8), (16, 8), (0, 14), (8, 14), (16, 14), (0, 20)]


def test_dashboard_graph_is_what_the_alarm_evaluates(graph):
    widgets = json.loads(one(graph, DASHBOARD, "dashboard")["inputs"]["dashboardBody"])["widgets"]
    by_key = {w["properties"]["title"].split(":")[0]: w["properties"] for w in widgets if w["type"] == "metric"}
    error_rate = by_key["admin-error-rate"]
    assert error_rate["metrics"] == [
        *[["AWS/ApplicationELB", "RequestCount", "TargetGroup", group, "LoadBalancer", ALB,
           {"stat": "Sum", "id": f"requests{i}", "visible": False}] for i, group in enumerate(ADMIN_GROUPS, 1)],
        *[["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "TargetGroup", group, "LoadBalancer", ALB,
           {"stat": "Sum", "id": f"errors{i}", "visible": False}] for i, group in enumerate(ADMIN_GROUPS, 1)],
        [{"expression": "SUM([requests1, requests2])", "id": "requests", "visible": False}],
        [{"expression": "SUM([errors1, errors2])", "id": "errors", "visible": False}],
        [{"expression": "IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)", "label": "5xx per request (%)",
          "id": "watched"}]]
    assert error_rate["annotations"] == {"horizontal": [
        {"label": "warning", "value": 2, "color": "#ff7f0e"}, {"label": "critical", "value": 5, "color": "#d62728"}]}
    assert (error_rate["region"], error_rate["period"], error_rate["view"]) == ("us-east-1", 60, "timeSeries")
    assert by_key["web-client-error-rate"]["annotations"] == {"horizontal": [
        {"label": "warning", "value": 10, "color": "#ff7f0e"}]}
    assert by_key["db-cpu"]["metrics"] == [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", PREFIX,
                                           {"stat": "Average", "label": "CPUUtilization"}]]
    assert widgets[-1]["properties"]["metrics"] == [
        [PREFIX, f"ErrorLogLines-{label}", {"stat": "Sum", "label": label}] for label in SERVICES]


# ---------------------------------------------------------------------------------------------- notifications


def test_topics_are_encrypted_with_the_stack_key(graph):
    for level in ("warning", "critical"):
        assert one(graph, TOPIC, f"notifications-{level}")["inputs"] == {
            "name": f"{PREFIX}-{level}", "displayName": f"{PREFIX}-{level}", "kmsMasterKeyId": KEY,
            "tags": {"Name": f"{PREFIX}-{level}"}}


def test_subscriptions_go_to_their_level(graph):
    subscriptions = {(r["inputs"]["topic"], r["inputs"]["protocol"], r["inputs"]["endpoint"])
                     for r in resources(graph, SUBSCRIPTION)}
    assert subscriptions == {(WARNING_TOPIC, "email", "ops@example.com"),
                             (CRITICAL_TOPIC, "email", "oncall@example.com"),
                             (CRITICAL_TOPIC, "https", PAGER)}
    assert all(PAGER not in r["name"] and "abc" not in r["name"] for r in resources(graph, SUBSCRIPTION))


def test_key_policy_lets_cloudwatch_publish_to_encrypted_topics():
    # SNS decrypts before it delivers to any endpoint (Chatbot's included): only the publisher needs the key.
    statement = next(s for s in key_policy("123456789012", "us-east-1")["Statement"]
                     if s["Sid"] == "AlarmsAndEventsPublishToEncryptedTopics")
    assert statement == {
        "Sid": "AlarmsAndEventsPublishToEncryptedTopics",
        "Effect": "Allow",
        "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"]},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
    }


def test_one_chat_configuration_per_channel_subscribed_to_its_levels(graph):
    notifications = one(graph, "nodeapi:observability:Notifications", "notifications")
    ops, oncall = "slack-T07EA123LEP-C07EZ1ABC23", "slack-T07EA123LEP-G0ONCALL99"
    assert sorted(r["name"] for r in children(graph, notifications["urn"])) == sorted([
        "notifications-warning", "notifications-critical",
        f"notifications-warning-email-{endpoint_id('ops@example.com')}",
        f"notifications-critical-email-{endpoint_id('oncall@example.com')}",
        f"notifications-critical-https-{endpoint_id(PAGER)}",
        "notifications-chatbot", "notifications-chatbot-read", "notifications-chatbot-read",
        f"notifications-{ops}", f"notifications-{ops}-logs", f"notifications-{oncall}", f"notifications-{oncall}-logs",
        f"notifications-{TEAMS_KEY}", f"notifications-{TEAMS_KEY}-logs"])
    role = mock_state(graph, ROLE, "notifications-chatbot")["arn"]
    guardrail = mock_state(graph, POLICY, "notifications-chatbot-read")["arn"]
    expected = {
        ops: (SLACK, {"slackTeamId": "T07EA123LEP", "slackChannelId": "C07EZ1ABC23"}, [WARNING_TOPIC, CRITICAL_TOPIC]),
        oncall: (SLACK, {"slackTeamId": "T07EA123LEP", "slackChannelId": "G0ONCALL99"}, [CRITICAL_TOPIC]),
        TEAMS_KEY: (TEAMS_CONFIG, {"teamId": TEAMS.team_id, "channelId": TEAMS.channel_id,
                                   "tenantId": TEAMS.tenant_id}, [WARNING_TOPIC]),
    }
    attachment = one(graph, ATTACHMENT, "notifications-chatbot-read")["urn"]
    for key, (type_, ids, topics) in expected.items():
        configuration = one(graph, type_, f"notifications-{key}")
        assert configuration["inputs"] == {
            "configurationName": f"{PREFIX}-{key}", **ids, "iamRoleArn": role, "guardrailPolicyArns": [guardrail],
            "snsTopicArns": topics, "loggingLevel": "ERROR", "region": "us-east-2",
            "tags": {"Name": f"{PREFIX}-{key}"}}
        log_group = one(graph, LOG_GROUP, f"notifications-{key}-logs")
        assert log_group["inputs"] == {"name": f"/aws/chatbot/{PREFIX}-{key}", "retentionInDays": 30,
                                       "region": "us-east-1", "tags": {"Name": f"/aws/chatbot/{PREFIX}-{key}"}}
        assert configuration["options"]["dependsOn"] == sorted([log_group["urn"], attachment])


def test_chatbot_role_reads_cloudwatch_and_nothing_else(graph):
    read = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"],
         "Resource": "*"}]}
    policy = one(graph, POLICY, "notifications-chatbot-read")["inputs"]
    assert {**policy, "policy": parsed(policy["policy"])} == {
        "description": "AWS Chatbot: read CloudWatch alarms and metrics (role permissions and channel guardrail)",
        "policy": read}
    role = one(graph, ROLE, "notifications-chatbot")["inputs"]
    assert {**role, "assumeRolePolicy": parsed(role["assumeRolePolicy"])} == {"assumeRolePolicy": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "chatbot.amazonaws.com"},
                                               "Action": "sts:AssumeRole"}]}}
    assert one(graph, ATTACHMENT, "notifications-chatbot-read")["inputs"] == {
        "role": mock_state(graph, ROLE, "notifications-chatbot")["name"],
        "policyArn": mock_state(graph, POLICY, "notifications-chatbot-read")["arn"]}


def test_no_chat_destination_no_chatbot_resources():
    plain = build_graph(watched(), warning=Subscribers(emails=["ops@example.com"]), critical=Subscribers())
    assert not {r["type"] for r in plain["resources"]} & {SLACK, TEAMS_CONFIG, ROLE, POLICY, ATTACHMENT, LOG_GROUP}


def test_policy_pack_passes_the_observability_graph(graph):
    assert violations(graph, "prod") == []


def test_subscribers_from_the_settings():
    endpoints = Endpoints.model_validate({
        "emails": ["ops@example.com"], "httpsEndpoints": [PAGER],
        "slack": [{"workspaceId": "T07EA123LEP", "channelId": "C07EZ1ABC23"}],
        "teams": [{"teamId": TEAMS.team_id, "channelId": TEAMS.channel_id, "tenantId": TEAMS.tenant_id}]})
    assert Subscribers.from_settings(endpoints) == Subscribers(
        emails=["ops@example.com"], https_endpoints=[PAGER], slack=[OPS_SLACK], teams=[TEAMS])
    assert Subscribers.from_settings(Endpoints()) == Subscribers()


def test_mocked_chat_configurations_answer_like_the_provider(graph):
    ops = "notifications-slack-T07EA123LEP-C07EZ1ABC23"
    arn = f"arn:aws:chatbot::123456789012:chat-configuration/slack-channel/{PREFIX}-slack-T07EA123LEP-C07EZ1ABC23"
    assert (mock_id(graph, SLACK, ops), mock_state(graph, SLACK, ops)["chatConfigurationArn"]) == (arn, arn)
    teams = f"notifications-{TEAMS_KEY}"
    assert mock_id(graph, TEAMS_CONFIG, teams) == TEAMS.team_id  # the provider's id (and import key) is the team
    assert mock_state(graph, TEAMS_CONFIG, teams)["chatConfigurationArn"] == (
        f"arn:aws:chatbot::123456789012:chat-configuration/microsoft-teams-channel/{PREFIX}-{TEAMS_KEY}")

"""Alarms, notification topics and dashboard as standalone components under mocks (exact types, names, inputs)."""

import json

import pytest

from components.alarm_rows import Watched, cache_members
from components.alarms import ERROR_LOG_PATTERN, Alarms, AlarmsArgs
from components.dashboard import Dashboard, DashboardArgs
from components.encryption import key_policy
from components.notifications import Notifications, NotificationsArgs, Subscribers, endpoint_id
from settings.alarms import AlarmSettings
from tests.helpers import children, one, resources
from tools.preview import record

PREFIX = "nodeapi-test"
KEY = "arn:aws:kms:us-east-1:123456789012:key/test"
WARNING_TOPIC = "arn:aws:sns:us-east-1:123456789012:nodeapi-test-warning"
CRITICAL_TOPIC = "arn:aws:sns:us-east-1:123456789012:nodeapi-test-critical"
ALB = "app/nodeapi-test/0123456789abcdef"
BLUE, GREEN = "targetgroup/nodeapi-test-blue/1111", "targetgroup/nodeapi-test-green/2222"
PAGER = "https://events.example.com/integration/abc/enqueue"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


def build_graph(replicas: int, services: dict, thresholds: AlarmSettings = AlarmSettings()) -> dict:
    def build():
        notifications = Notifications("notifications", NotificationsArgs(
            prefix=PREFIX, kms_key_arn=KEY, warning=Subscribers(emails=["ops@example.com"]),
            critical=Subscribers(emails=["oncall@example.com"], https_endpoints=[PAGER])))
        watched = Watched(
            load_balancer_arn_suffix=ALB, blue_target_group_arn_suffix=BLUE, green_target_group_arn_suffix=GREEN,
            cluster_name=PREFIX, services=services, db_identifier=PREFIX, db_instance_class="db.t4g.medium",
            db_allocated_storage_gb=50, cache_group_id=PREFIX, cache_node_type="cache.t4g.small",
            cache_replicas=replicas)
        alarms = Alarms("alarms", AlarmsArgs(
            prefix=PREFIX, watched=watched, thresholds=thresholds,
            log_groups={label: f"/ecs/{PREFIX}-{label}" for label in services},
            warning_topic_arn=notifications.warning_topic_arn, critical_topic_arn=notifications.critical_topic_arn))
        Dashboard("dashboard", DashboardArgs(dashboard_name=PREFIX, region="us-east-1", rows=alarms.rows,
                                             error_metrics=alarms.error_metrics))
    return record(build)


@pytest.fixture(scope="module")
def graph() -> dict:
    return build_graph(1, {"web": "web", "worker-queue": "worker-queue"})


@pytest.fixture(scope="module")
def single_node() -> dict:
    return build_graph(0, {"web": "web"})


ROWS = ["response-time", "error-rate", "unhealthy-hosts", "web-cpu", "web-memory", "web-running-tasks",
        "worker-queue-cpu", "worker-queue-memory", "worker-queue-running-tasks", "db-cpu", "db-memory",
        "db-storage", "db-connections", "cache-cpu", "cache-memory", "cache-evictions", "cache-replication-lag"]


def test_component_types_and_children(graph):
    types = sorted({r["type"] for r in graph["resources"]})
    assert types == sorted([ALARM, TOPIC, SUBSCRIPTION, FILTER, DASHBOARD, "nodeapi:observability:Alarms",
                            "nodeapi:observability:Dashboard", "nodeapi:observability:Notifications"])
    alarms = one(graph, "nodeapi:observability:Alarms", "alarms")
    assert sorted(r["name"] for r in children(graph, alarms["urn"])) == sorted(
        [f"alarms-{row}-{level}" for row in ROWS for level in ("warning", "critical")]
        + ["alarms-errors-web", "alarms-errors-worker-queue"])
    notifications = one(graph, "nodeapi:observability:Notifications", "notifications")
    assert sorted(r["name"] for r in children(graph, notifications["urn"])) == sorted([
        "notifications-warning", "notifications-critical", f"notifications-warning-email-{endpoint_id('ops@example.com')}",
        f"notifications-critical-email-{endpoint_id('oncall@example.com')}",
        f"notifications-critical-https-{endpoint_id(PAGER)}"])
    dashboard = one(graph, "nodeapi:observability:Dashboard", "dashboard")
    assert [r["name"] for r in children(graph, dashboard["urn"])] == ["dashboard"]


def test_topics_are_encrypted_with_the_stack_key(graph):
    for level in ("warning", "critical"):
        topic = one(graph, TOPIC, f"notifications-{level}")
        assert topic["inputs"] == {"name": f"{PREFIX}-{level}", "displayName": f"{PREFIX}-{level}",
                                   "kmsMasterKeyId": KEY, "tags": {"Name": f"{PREFIX}-{level}"}}


def test_subscriptions_go_to_their_level(graph):
    subscriptions = {(r["inputs"]["topic"], r["inputs"]["protocol"], r["inputs"]["endpoint"])
                     for r in resources(graph, SUBSCRIPTION)}
    assert subscriptions == {(WARNING_TOPIC, "email", "ops@example.com"),
                             (CRITICAL_TOPIC, "email", "oncall@example.com"),
                             (CRITICAL_TOPIC, "https", PAGER)}
    assert all(PAGER not in r["name"] and "abc" not in r["name"] for r in resources(graph, SUBSCRIPTION))


def test_key_policy_lets_cloudwatch_publish_to_encrypted_topics():
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


def test_single_metric_alarm_inputs(graph):
    alarm = one(graph, ALARM, "alarms-response-time-critical")
    assert alarm["inputs"] == {
        "name": "nodeapi-test-response-time-critical",
        "alarmDescription": "ALB target response time (p99) > 2 s in 3 of 5 periods of 60 s. "
                            "See docs/alarms.md (response-time).",
        "namespace": "AWS/ApplicationELB", "metricName": "TargetResponseTime", "dimensions": {"LoadBalancer": ALB},
        "extendedStatistic": "p99", "period": 60, "comparisonOperator": "GreaterThanThreshold", "threshold": 2,
        "evaluationPeriods": 5, "datapointsToAlarm": 3, "treatMissingData": "notBreaching",
        "evaluateLowSampleCountPercentiles": "ignore",
        "alarmActions": [CRITICAL_TOPIC], "okActions": [CRITICAL_TOPIC],
        "tags": {"Name": "nodeapi-test-response-time-critical", "severity": "critical"},
    }
    assert one(graph, ALARM, "alarms-db-cpu-warning")["inputs"]["statistic"] == "Average"
    assert "extendedStatistic" not in one(graph, ALARM, "alarms-db-cpu-warning")["inputs"]


def test_metric_math_alarm_inputs(graph):
    def metric(metric_id, name, stat, dimensions):
        return {"id": metric_id, "returnData": False, "metric": {
            "namespace": "AWS/ApplicationELB", "metricName": name, "dimensions": dimensions, "stat": stat,
            "period": 60}}

    alarm = one(graph, ALARM, "alarms-unhealthy-hosts-warning")
    assert alarm["inputs"]["metricQueries"] == [
        metric("blue", "UnHealthyHostCount", "Maximum", {"TargetGroup": BLUE, "LoadBalancer": ALB}),
        metric("green", "UnHealthyHostCount", "Maximum", {"TargetGroup": GREEN, "LoadBalancer": ALB}),
        {"id": "watched", "expression": "MAX([blue, green])", "label": "unhealthy targets", "returnData": True},
    ]
    assert {k: alarm["inputs"][k] for k in ("comparisonOperator", "threshold", "evaluationPeriods",
                                            "datapointsToAlarm", "alarmActions", "okActions")} == {
        "comparisonOperator": "GreaterThanOrEqualToThreshold", "threshold": 1, "evaluationPeriods": 10,
        "datapointsToAlarm": 2, "alarmActions": [WARNING_TOPIC], "okActions": [WARNING_TOPIC]}
    for key in ("namespace", "metricName", "dimensions", "period", "statistic", "extendedStatistic"):
        assert key not in alarm["inputs"]


def test_cache_members_and_replication_lag(graph, single_node):
    assert cache_members("nodeapi-prod", 1) == ["nodeapi-prod-001", "nodeapi-prod-002"]
    assert cache_members("nodeapi-staging", 0) == ["nodeapi-staging-001"]
    queries = one(graph, ALARM, "alarms-cache-replication-lag-critical")["inputs"]["metricQueries"]
    assert [(q["id"], q.get("metric", {}).get("dimensions")) for q in queries] == [
        ("node1", {"CacheClusterId": "nodeapi-test-001"}), ("node2", {"CacheClusterId": "nodeapi-test-002"}),
        ("watched", None)]
    assert queries[-1]["expression"] == "MAX([node1, node2])"
    assert [r["name"] for r in resources(single_node, ALARM) if "replication" in r["name"]] == []
    assert one(single_node, ALARM, "alarms-cache-cpu-warning")["inputs"]["metricQueries"][-1]["expression"] == (
        "MAX([node1])")


def test_error_line_metric_filters(graph):
    assert ERROR_LOG_PATTERN == '{ ($.level = "error") || ($.level = 50) }'
    for label in ("web", "worker-queue"):
        assert one(graph, FILTER, f"alarms-errors-{label}")["inputs"] == {
            "name": f"{PREFIX}-{label}-error-lines",
            "logGroupName": f"/ecs/{PREFIX}-{label}",
            "pattern": ERROR_LOG_PATTERN,
            "metricTransformation": {"namespace": PREFIX, "name": f"ErrorLogLines-{label}", "value": "1",
                                     "defaultValue": "0", "unit": "Count"},
        }


def test_thresholds_follow_settings(single_node):
    tuned = build_graph(0, {"web": "web"}, AlarmSettings(
        response_time_statistic="p95", cpu_percent={"warning": 50, "critical": 60}))
    assert one(tuned, ALARM, "alarms-response-time-warning")["inputs"]["extendedStatistic"] == "p95"
    assert [one(tuned, ALARM, f"alarms-web-cpu-{level}")["inputs"]["threshold"] for level in ("warning", "critical")
            ] == [50, 60]
    assert [one(single_node, ALARM, f"alarms-web-cpu-{level}")["inputs"]["threshold"]
            for level in ("warning", "critical")] == [70, 90]


def test_dashboard_draws_every_row_with_both_thresholds(graph):
    dashboard = one(graph, DASHBOARD, "dashboard")
    assert dashboard["inputs"]["dashboardName"] == PREFIX
    widgets = json.loads(dashboard["inputs"]["dashboardBody"])["widgets"]
    assert [w["properties"]["title"].split(":")[0] for w in widgets] == ROWS + ["application error log lines"]
    assert [(w["x"], w["y"], w["width"], w["height"]) for w in widgets[:4]] == [
        (0, 0, 8, 6), (8, 0, 8, 6), (16, 0, 8, 6), (0, 6, 8, 6)]
    response = widgets[0]["properties"]
    assert response["metrics"] == [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", ALB,
                                    {"stat": "p99", "label": "TargetResponseTime"}]]
    assert response["annotations"] == {"horizontal": [
        {"label": "warning", "value": 1, "color": "#ff7f0e"}, {"label": "critical", "value": 2, "color": "#d62728"}]}
    assert response["region"] == "us-east-1" and response["period"] == 60
    unhealthy = widgets[2]["properties"]["metrics"]
    assert unhealthy == [
        ["AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", BLUE, "LoadBalancer", ALB,
         {"stat": "Maximum", "id": "blue", "visible": False}],
        ["AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", GREEN, "LoadBalancer", ALB,
         {"stat": "Maximum", "id": "green", "visible": False}],
        [{"expression": "MAX([blue, green])", "label": "unhealthy targets", "id": "watched"}]]
    assert widgets[-1]["properties"]["metrics"] == [
        [PREFIX, "ErrorLogLines-web", {"stat": "Sum", "label": "web"}],
        [PREFIX, "ErrorLogLines-worker-queue", {"stat": "Sum", "label": "worker-queue"}]]

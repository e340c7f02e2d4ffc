"""The alarm pack of both real stacks: every row at its levels, exact names, metrics, thresholds, windows,
missing-data treatment and topic; the public web service's deployment alarms exist; topics, filters, dashboard."""

import json

import pytest

from components.alarm_names import deployment_alarm_names
from tests.helpers import mock_state, one, resources

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ACCOUNT = "123456789012"
STANDARD, SCATTERED, SUSTAINED = (60, 3, 5), (60, 2, 10), (60, 5, 5)


def single(namespace, name, stat, **dimensions):
    return {"namespace": namespace, "metricName": name, "stat": stat, "dimensions": dimensions}


def math(expression, steps=None, **metrics):
    return {"expression": expression, "steps": steps or {}, "metrics": metrics}


def expected_rows(stack: str, ids: dict) -> dict:
    """Hand-written: key -> (source, comparison, warning, critical or None, warning window, critical window, missing)."""
    prod = stack == "prod"
    alb, blue, green, cluster = ids["alb"], ids["blue"], ids["green"], f"nodeapi-{stack}"
    db = {"DBInstanceIdentifier": f"nodeapi-{stack}"}
    members = [f"nodeapi-{stack}-001", f"nodeapi-{stack}-002"] if prod else [f"nodeapi-{stack}-001"]
    elb = "AWS/ApplicationELB"

    def groups(prefix, name, stat):
        return {f"{prefix}{i}": single(elb, name, stat, TargetGroup=group, LoadBalancer=alb)
                for i, group in ((1, blue), (2, green))}

    def rate(name):
        return math("IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)",
                    {"requests": "SUM([requests1, requests2])", "errors": "SUM([errors1, errors2])"},
                    **groups("requests", "RequestCount", "Sum"), **groups("errors", name, "Sum"))

    def cache(name, stat):
        ids_ = {f"node{i}": single("AWS/ElastiCache", name, stat, CacheClusterId=m) for i, m in enumerate(members, 1)}
        return math(f"MAX([{', '.join(ids_)}])", **ids_)

    rows = {
        "alb-error-rate": (math("IF(requests >= 10, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)",
                                requests=single(elb, "RequestCount", "Sum", LoadBalancer=alb),
                                target5xx=single(elb, "HTTPCode_Target_5XX_Count", "Sum", LoadBalancer=alb),
                                elb5xx=single(elb, "HTTPCode_ELB_5XX_Count", "Sum", LoadBalancer=alb)),
                           "GreaterThanThreshold", 2, 5, STANDARD, STANDARD, "notBreaching"),
        "web-response-time": (math("MAX([significant1, significant2])",
                                   {"significant1": "IF(samples1 >= 1000, latency1, 0)",
                                    "significant2": "IF(samples2 >= 1000, latency2, 0)"},
                                   latency1=single(elb, "TargetResponseTime", "p99", TargetGroup=blue, LoadBalancer=alb),
                                   samples1=single(elb, "TargetResponseTime", "SampleCount", TargetGroup=blue,
                                                   LoadBalancer=alb),
                                   latency2=single(elb, "TargetResponseTime", "p99", TargetGroup=green,
                                                   LoadBalancer=alb),
                                   samples2=single(elb, "TargetResponseTime", "SampleCount", TargetGroup=green,
                                                   LoadBalancer=alb)),
                              "GreaterThanThreshold", 1, 2, STANDARD, STANDARD, "notBreaching"),
        "web-error-rate": (rate("HTTPCode_Target_5XX_Count"), "GreaterThanThreshold", 2, 5, STANDARD, STANDARD,
                           "notBreaching"),
        "web-client-error-rate": (rate("HTTPCode_Target_4XX_Count"), "GreaterThanThreshold", 10, None, STANDARD,
                                  None, "notBreaching"),
        "web-unhealthy-hosts": (math("MAX([unhealthy1, unhealthy2])",
                                     **groups("unhealthy", "UnHealthyHostCount", "Maximum")),
                                "GreaterThanOrEqualToThreshold", 1, 1, SCATTERED, STANDARD, "notBreaching"),
    }
    for service in ("web", "queue"):
        dims = {"ClusterName": cluster, "ServiceName": service}
        rows[f"{service}-cpu"] = (single("AWS/ECS", "CPUUtilization", "Average", **dims),
                                  "GreaterThanThreshold", 70, 90, STANDARD, STANDARD, "notBreaching")
        rows[f"{service}-memory"] = (single("AWS/ECS", "MemoryUtilization", "Average", **dims),
                                     "GreaterThanThreshold", 70, 85, STANDARD, STANDARD, "notBreaching")
        rows[f"{service}-running-tasks"] = (
            math("IF(desired > 0, 100 * running / desired, 100)",
                 running=single("ECS/ContainerInsights", "RunningTaskCount", "Average", **dims),
                 desired=single("ECS/ContainerInsights", "DesiredTaskCount", "Average", **dims)),
            "LessThanThreshold", 100, 50, SUSTAINED, SUSTAINED, "breaching")
    # db.t4g.medium: 4 GiB, max_connections 408; db.t4g.micro: 1 GiB, 70. Storage 50 GiB / 20 GiB.
    memory = (1288490188, 644245094) if prod else (322122547, 161061273)
    storage = (16106127360, 8053063680) if prod else (6442450944, 3221225472)
    connections = (285.6, 367.2) if prod else (49, 63)
    rows.update({
        "db-cpu": (single("AWS/RDS", "CPUUtilization", "Average", **db), "GreaterThanThreshold", 70, 90,
                   STANDARD, STANDARD, "missing"),
        "db-memory": (single("AWS/RDS", "FreeableMemory", "Average", **db), "LessThanThreshold", *memory,
                      STANDARD, STANDARD, "missing"),
        "db-storage": (single("AWS/RDS", "FreeStorageSpace", "Minimum", **db), "LessThanThreshold", *storage,
                       STANDARD, STANDARD, "missing"),
        "db-connections": (single("AWS/RDS", "DatabaseConnections", "Maximum", **db), "GreaterThanThreshold",
                           *connections, STANDARD, STANDARD, "missing"),
        "cache-cpu": (cache("EngineCPUUtilization", "Average"), "GreaterThanThreshold", 70, 90, STANDARD, STANDARD,
                      "missing"),
        "cache-memory": (cache("DatabaseMemoryUsagePercentage", "Maximum"), "GreaterThanThreshold", 70, 85,
                         STANDARD, STANDARD, "missing"),
        "cache-evictions": (cache("Evictions", "Sum"), "GreaterThanOrEqualToThreshold", 1, 1, SCATTERED, STANDARD,
                            "notBreaching"),
    })
    if prod:
        rows["cache-replication-lag"] = (cache("ReplicationLag", "Maximum"), "GreaterThanThreshold", 5, 30,
                                         STANDARD, STANDARD, "missing")
    return rows


def watched_ids(graph: dict) -> dict:
    return {"alb": mock_state(graph, "aws:lb/loadBalancer:LoadBalancer", "load-balancer")["arnSuffix"],
            "blue": mock_state(graph, "aws:lb/targetGroup:TargetGroup", "load-balancer-web-blue")["arnSuffix"],
            "green": mock_state(graph, "aws:lb/targetGroup:TargetGroup", "load-balancer-web-green")["arnSuffix"]}


def measured(inputs: dict) -> dict:
    """What an alarm measures, in the shape of `single` / `math`, from its mocked inputs."""
    if "metricQueries" not in inputs:
        stat = inputs.get("extendedStatistic") or inputs["statistic"]
        assert inputs["period"] == 60
        return single(inputs["namespace"], inputs["metricName"], stat, **inputs["dimensions"])
    *queries, watched = inputs["metricQueries"]
    assert watched["id"] == "watched" and watched["returnData"] is True
    assert all(q["returnData"] is False for q in queries)
    metrics = [q for q in queries if "metric" in q]
    assert all(q["metric"]["period"] == 60 for q in metrics)
    return math(watched["expression"], {q["id"]: q["expression"] for q in queries if "expression" in q}, **{
        q["id"]: single(q["metric"]["namespace"], q["metric"]["metricName"], q["metric"]["stat"],
                        **q["metric"]["dimensions"]) for q in metrics})


def pack_alarms(graph: dict) -> list[dict]:
    """The alarm pack's alarms (components/alarms.py); NAT instances bring their own (components/nat_instance.py)."""
    pack = one(graph, "nodeapi:observability:Alarms")["urn"]
    return [r for r in resources(graph, ALARM) if r["parent"] == pack]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_row_at_both_levels(stack, request):
    graph = request.getfixturevalue(stack)
    rows = expected_rows(stack, watched_ids(graph))
    alarms = {r["name"]: r["inputs"] for r in pack_alarms(graph)}
    assert sorted(alarms) == sorted(f"alarms-{key}-{level}" for key, row in rows.items()
                                    for level, threshold in (("warning", row[2]), ("critical", row[3]))
                                    if threshold is not None)
    for key, (source, comparison, warning, critical, warning_window, critical_window, missing) in rows.items():
        for level, threshold, window in (("warning", warning, warning_window),
                                         ("critical", critical, critical_window)):
            if threshold is None:
                continue
            inputs = alarms[f"alarms-{key}-{level}"]
            topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:nodeapi-{stack}-{level}"
            actual = (inputs["name"], measured(inputs), inputs["comparisonOperator"], inputs["threshold"],
                      (60, inputs["datapointsToAlarm"], inputs["evaluationPeriods"]), inputs["treatMissingData"],
                      inputs["alarmActions"], inputs["okActions"])
            assert actual == (f"nodeapi-{stack}-{key}-{level}", source, comparison, threshold, window, missing,
                              [topic], [topic]), f"{key}-{level}"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_web_service_deploys_watch_the_critical_alarms(stack, request):
    graph = request.getfixturevalue(stack)
    names = deployment_alarm_names(f"nodeapi-{stack}", "web")
    assert names == [f"nodeapi-{stack}-web-response-time-critical", f"nodeapi-{stack}-web-error-rate-critical",
                     f"nodeapi-{stack}-web-unhealthy-hosts-critical"]
    # pulumi_aws takes the ECS deploymentConfiguration.alarms block as the service's top-level `alarms`.
    assert one(graph, "aws:ecs/service:Service", "web")["inputs"]["alarms"] == {
        "alarmNames": names, "enable": True, "rollback": True}
    declared = {r["inputs"]["name"]: r["inputs"] for r in resources(graph, ALARM)}
    for name in names:
        assert declared[name]["alarmActions"] == [f"arn:aws:sns:us-east-1:{ACCOUNT}:nodeapi-{stack}-critical"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_topics_filters_and_dashboard(stack, request):
    graph = request.getfixturevalue(stack)
    key_arn = mock_state(graph, "aws:kms/key:Key", "encryption")["arn"]
    for level in ("warning", "critical"):
        assert one(graph, "aws:sns/topic:Topic", f"notifications-{level}")["inputs"] == {
            "name": f"nodeapi-{stack}-{level}", "displayName": f"nodeapi-{stack}-{level}",
            "kmsMasterKeyId": key_arn, "tags": {"Name": f"nodeapi-{stack}-{level}"}}
    assert resources(graph, "aws:sns/topicSubscription:TopicSubscription") == []  # no subscribers in the stack files
    filters = {r["name"]: r["inputs"] for r in resources(graph, "aws:cloudwatch/logMetricFilter:LogMetricFilter")}
    groups = {label: one(graph, "aws:cloudwatch/logGroup:LogGroup", f"{label}-task-logs")["inputs"]["name"]
              for label in ("web", "queue", "job-analytics")}
    assert {name: (f["logGroupName"], f["metricTransformation"]["name"]) for name, f in filters.items()} == {
        "alarms-errors-web": (groups["web"], "ErrorLogLines-web"),
        "alarms-errors-queue": (groups["queue"], "ErrorLogLines-queue"),
        "alarms-errors-job-analytics": (groups["job-analytics"], "ErrorLogLines-job-analytics"),
    }
    dashboard = one(graph, "aws:cloudwatch/dashboard:Dashboard", "dashboard")["inputs"]
    widgets = json.loads(dashboard["dashboardBody"])["widgets"]
    assert dashboard["dashboardName"] == f"nodeapi-{stack}"
    rows = {r["name"].removeprefix("alarms-").removesuffix("-warning") for r in pack_alarms(graph)
            if r["name"].endswith("-warning")}
    graphs = [w["properties"]["title"].split(":")[0] for w in widgets if w["type"] == "metric"]
    assert sorted(graphs) == sorted([*rows, "application error log lines"])
    assert [w["properties"]["markdown"] for w in widgets if w["type"] == "text"] == [
        "## load balancer", "## web (public)", "## queue", "## database", "## cache", "## application errors"]

"""Alarm settings: the playbooks' defaults, and exact messages for thresholds and subscribers that make no sense."""

import copy

import pytest

from settings import parse_settings
from settings.alarms import AlarmSettings, Endpoints, Notifications, PercentLevels, SecondsLevels
from tests.helpers import settings_error, stack_settings

SOURCE = "nodeapi:settings (Pulumi.prod.yaml)"


def message_for(stack: str, change) -> str:
    return settings_error(stack, change)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_both_stacks_use_the_playbook_defaults(stack):
    alarms = parse_settings(stack_settings(stack), stack).alarms
    assert alarms == AlarmSettings()
    assert alarms.response_time_statistic == "p99"
    assert alarms.response_time_seconds == SecondsLevels(warning=1, critical=2)
    assert alarms.error_rate_percent == PercentLevels(warning=2, critical=5)
    assert alarms.cpu_percent == PercentLevels(warning=70, critical=90)
    assert alarms.memory_percent == PercentLevels(warning=70, critical=85)
    assert alarms.disk_percent == PercentLevels(warning=70, critical=85)
    assert alarms.db_connections_percent == PercentLevels(warning=70, critical=90)
    assert alarms.cache_replication_lag_seconds == SecondsLevels(warning=5, critical=30)
    assert alarms.notifications == Notifications(warning=Endpoints(), critical=Endpoints())


def test_overrides_in_camel_case():
    raw = copy.deepcopy(stack_settings("prod"))
    raw["alarms"] = {
        "responseTimeStatistic": "p95",
        "cpuPercent": {"warning": 60, "critical": 80},
        "notifications": {"warning": {"emails": ["ops@example.com"]},
                          "critical": {"emails": ["oncall@example.com"],
                                       "httpsEndpoints": ["https://events.pagerduty.com/integration/abc/enqueue"]}},
    }
    alarms = parse_settings(raw, SOURCE).alarms
    assert alarms.response_time_statistic == "p95"
    assert alarms.cpu_percent == PercentLevels(warning=60, critical=80)
    assert alarms.notifications.warning == Endpoints(emails=["ops@example.com"], https_endpoints=[])
    assert alarms.notifications.critical == Endpoints(
        emails=["oncall@example.com"], https_endpoints=["https://events.pagerduty.com/integration/abc/enqueue"])


@pytest.mark.parametrize(
    "alarms, expected",
    [
        ({"cpuPercent": {"warning": 95, "critical": 90}},
         "alarms.cpuPercent.warning: got 95; must be below critical (90)"),
        ({"memoryPercent": {"warning": 85, "critical": 85}},
         "alarms.memoryPercent.warning: got 85; must be below critical (85)"),
        ({"responseTimeSeconds": {"warning": 2.5, "critical": 2}},
         "alarms.responseTimeSeconds.warning: got 2.5; must be below critical (2)"),
        ({"cacheReplicationLagSeconds": {"warning": 30, "critical": 5}},
         "alarms.cacheReplicationLagSeconds.warning: got 30; must be below critical (5)"),
        ({"diskPercent": {"warning": 70, "critical": 101}},
         "alarms.diskPercent.critical: got 101; input should be less than or equal to 100"),
        ({"errorRatePercent": {"warning": 0, "critical": 5}},
         "alarms.errorRatePercent.warning: got 0; input should be greater than 0"),
        ({"dbConnectionsPercent": {"warning": -1, "critical": 90}},
         "alarms.dbConnectionsPercent.warning: got -1; input should be greater than 0"),
        ({"cpuPercent": {"warning": 70}}, "alarms.cpuPercent.critical: required key is missing"),
        ({"responseTimeStatistic": "avg"},
         "alarms.responseTimeStatistic: got 'avg'; expected a percentile statistic p1-p99.99, e.g. 'p99' or 'p95'"),
        ({"responseTimeStatistic": "p100"},
         "alarms.responseTimeStatistic: got 'p100'; expected a percentile statistic p1-p99.99, e.g. 'p99' or 'p95'"),
        ({"notifications": {"critical": {"emails": ["oncall"]}}},
         "alarms.notifications.critical.emails: got [\"oncall\"]; not e-mail addresses: oncall"),
        ({"notifications": {"warning": {"httpsEndpoints": ["http://hooks.example.com/x"]}}},
         "alarms.notifications.warning.httpsEndpoints: got [\"http://hooks.example.com/x\"]; "
         "not https:// URLs: http://hooks.example.com/x"),
        ({"notifications": {"warning": {"sms": ["+15550100"]}}},
         "alarms.notifications.warning.sms: unknown key (got [\"+15550100\"]); allowed keys here: emails, "
         "httpsEndpoints"),
        ({"cpu": 80},
         "alarms.cpu: unknown key (got 80); allowed keys here: cacheReplicationLagSeconds, cpuPercent, "
         "dbConnectionsPercent, diskPercent, errorRatePercent, memoryPercent, notifications, "
         "responseTimeSeconds, responseTimeStatistic"),
    ],
)
def test_bad_alarm_settings(alarms, expected):
    assert expected in message_for("prod", lambda raw: raw.update(alarms=alarms))


def test_every_inverted_pair_is_reported():
    text = message_for("staging", lambda raw: raw.update(alarms={
        "cpuPercent": {"warning": 90, "critical": 70}, "diskPercent": {"warning": 90, "critical": 80}}))
    assert "alarms.cpuPercent.warning: got 90; must be below critical (70)" in text
    assert "alarms.diskPercent.warning: got 90; must be below critical (80)" in text


@pytest.mark.parametrize(
    "section, key, value, expected, last",
    [
        ("database", "instanceClass", "db.m5.large",
         "database.instanceClass: got 'db.m5.large'; no memory size known for this instance class (alarm "
         "thresholds are computed from it); supported: db.t4g.micro, db.t4g.small, db.t4g.medium, db.t4g.large, ",
         ", db.r7g.16xlarge"),
        ("cache", "nodeType", "cache.m5.large",
         "cache.nodeType: got 'cache.m5.large'; no memory size known for this node type (alarm thresholds are "
         "computed from it); supported: cache.t4g.micro, cache.t4g.small, cache.t4g.medium, cache.t3.micro, ",
         ", cache.r7g.2xlarge"),
    ],
)
def test_unknown_instance_sizes_name_the_key(section, key, value, expected, last):
    text = message_for("prod", lambda raw: raw[section].update({key: value}))
    assert expected in text
    assert last in text

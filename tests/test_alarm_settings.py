"""Alarm settings: the playbooks' defaults, and exact messages for thresholds and subscribers that make no sense."""

import copy

import pytest

from settings import parse_settings
from settings.alarms import (
    AlarmSettings,
    Endpoints,
    Notifications,
    PercentLevels,
    SecondsLevels,
    SlackChannel,
    TeamsChannel,
    WarningPercentLevels,
)
from tests.helpers import settings_error, stack_settings

SOURCE = "nodeapi:settings (Pulumi.prod.yaml)"
TEAM, TENANT = "74361522-da01-538d-aa2e-ac7918c6bb92", "5f4f15d2-b958-522a-8333-124aa8bf0925"
TEAMS_CHANNEL = "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2"
SLACK_WORKSPACE = ("expected a Slack workspace id: T followed by capital letters and digits, e.g. 'T07EA123LEP' (the "
                   "AWS Chatbot console shows it once the workspace is authorized)")
SLACK_CHANNEL = ("expected a Slack channel id: C (or G for an older private channel) followed by capital letters and "
                 "digits, e.g. 'C07EZ1ABC23' (channel details, bottom of 'About'), not the channel name")
TEAMS_CHANNEL_FORM = ("expected the channel id as it appears in the channel link, URL-encoded, e.g. "
                      "'19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2' (at most 255 characters)")
GUID = "expected a GUID like '74361522-da01-538d-aa2e-ac7918c6bb92'"


def teams(**changes) -> dict:
    return {"teamId": TEAM, "channelId": TEAMS_CHANNEL, "tenantId": TENANT, **changes}


def message_for(stack: str, change) -> str:
    return settings_error(stack, change)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_both_stacks_use_the_playbook_defaults(stack):
    alarms = parse_settings(stack_settings(stack), stack).alarms
    assert alarms == AlarmSettings()
    assert alarms.response_time_statistic == "p99"
    assert alarms.response_time_seconds == SecondsLevels(warning=1, critical=2)
    assert alarms.error_rate_percent == PercentLevels(warning=2, critical=5)
    assert alarms.client_error_rate_percent == WarningPercentLevels(warning=10, critical=None)
    assert alarms.cpu_percent == PercentLevels(warning=70, critical=90)
    assert alarms.memory_percent == PercentLevels(warning=70, critical=85)
    assert alarms.disk_percent == PercentLevels(warning=70, critical=85)
    assert alarms.db_connections_percent == PercentLevels(warning=70, critical=90)
    assert alarms.db_replica_lag_seconds == SecondsLevels(warning=30, critical=300)
    assert alarms.cache_replication_lag_seconds == SecondsLevels(warning=5, critical=30)
    assert alarms.notifications == Notifications(warning=Endpoints(), critical=Endpoints())
    assert alarms.notifications.warning == Endpoints(emails=[], https_endpoints=[], slack=[], teams=[])


def test_overrides_in_camel_case():
    raw = copy.deepcopy(stack_settings("prod"))
    raw["alarms"] = {
        "responseTimeStatistic": "p95",
        "cpuPercent": {"warning": 60, "critical": 80},
        "clientErrorRatePercent": {"warning": 15, "critical": 40},
        "notifications": {"warning": {"emails": ["ops@example.com"],
                                      "slack": [{"workspaceId": "T07EA123LEP", "channelId": "C07EZ1ABC23"}],
                                      "teams": [{"teamId": TEAM, "channelId": TEAMS_CHANNEL, "tenantId": TENANT}]},
                          "critical": {"emails": ["oncall@example.com"],
                                       "httpsEndpoints": ["https://events.pagerduty.com/integration/abc/enqueue"],
                                       "slack": [{"workspaceId": "T07EA123LEP", "channelId": "C07EZ1ABC23"},
                                                 {"workspaceId": "T07EA123LEP", "channelId": "G0ONCALL99"}]}},
    }
    alarms = parse_settings(raw, SOURCE).alarms
    assert alarms.response_time_statistic == "p95"
    assert alarms.cpu_percent == PercentLevels(warning=60, critical=80)
    assert alarms.client_error_rate_percent == WarningPercentLevels(warning=15, critical=40)
    assert alarms.notifications.warning == Endpoints(
        emails=["ops@example.com"], https_endpoints=[],
        slack=[SlackChannel(workspace_id="T07EA123LEP", channel_id="C07EZ1ABC23")],
        teams=[TeamsChannel(team_id=TEAM, channel_id=TEAMS_CHANNEL, tenant_id=TENANT)])
    assert alarms.notifications.critical == Endpoints(
        emails=["oncall@example.com"], https_endpoints=["https://events.pagerduty.com/integration/abc/enqueue"],
        slack=[SlackChannel(workspace_id="T07EA123LEP", channel_id="C07EZ1ABC23"),
               SlackChannel(workspace_id="T07EA123LEP", channel_id="G0ONCALL99")], teams=[])


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
         "httpsEndpoints, slack, teams"),
        ({"cpu": 80},
         "alarms.cpu: unknown key (got 80); allowed keys here: cacheReplicationLagSeconds, clientErrorRatePercent, "
         "cpuPercent, dbConnectionsPercent, dbReplicaLagSeconds, diskPercent, errorRatePercent, memoryPercent, "
         "notifications, responseTimeSeconds, responseTimeStatistic"),
        ({"clientErrorRatePercent": {"warning": 20, "critical": 10}},
         "alarms.clientErrorRatePercent.warning: got 20; must be below critical (10)"),
        ({"clientErrorRatePercent": {"critical": 30}}, "alarms.clientErrorRatePercent.warning: required key is missing"),
        ({"dbReplicaLagSeconds": {"warning": 300, "critical": 30}},
         "alarms.dbReplicaLagSeconds.warning: got 300; must be below critical (30)"),
        ({"notifications": {"warning": {"slack": [{"workspaceId": "acme", "channelId": "C07EZ1ABC23"}]}}},
         f"alarms.notifications.warning.slack[0].workspaceId: got 'acme'; {SLACK_WORKSPACE}"),
        ({"notifications": {"critical": {"slack": [{"workspaceId": "T07EA123LEP", "channelId": "#ops"}]}}},
         f"alarms.notifications.critical.slack[0].channelId: got '#ops'; {SLACK_CHANNEL}"),
        ({"notifications": {"critical": {"slack": [{"workspaceId": "T07EA123LEP", "channelId": "D0123ABCD"}]}}},
         f"alarms.notifications.critical.slack[0].channelId: got 'D0123ABCD'; {SLACK_CHANNEL}"),
        ({"notifications": {"critical": {"slack": [{"workspaceId": "T07EA123LEP"}]}}},
         "alarms.notifications.critical.slack[0].channelId: required key is missing"),
        ({"notifications": {"warning": {"slack": [{"workspaceId": "T1", "channelId": "C1", "channel": "ops"}]}}},
         "alarms.notifications.warning.slack[0].channel: unknown key (got 'ops'); allowed keys here: channelId, "
         "workspaceId"),
        ({"notifications": {"warning": {"slack": [{"workspaceId": "T1", "channelId": "C1"},
                                                  {"workspaceId": "T1", "channelId": "C1"}]}}},
         "alarms.notifications.warning.slack: got [{\"workspaceId\": \"T1\", \"channelId\": \"C1\"}, "
         "{\"workspaceId\": \"T1\", \"channelId\": \"C1\"}]; channel listed more than once: C1"),
        ({"notifications": {"warning": {"teams": [teams(teamId="my-team")]}}},
         f"alarms.notifications.warning.teams[0].teamId: got 'my-team'; {GUID}"),
        ({"notifications": {"warning": {"teams": [teams(tenantId="5f4f15d2b958522a8333124aa8bf0925")]}}},
         f"alarms.notifications.warning.teams[0].tenantId: got '5f4f15d2b958522a8333124aa8bf0925'; {GUID}"),
        ({"notifications": {"warning": {"teams": [teams(channelId="19:b6ef35dc342d@thread.tacv2")]}}},
         f"alarms.notifications.warning.teams[0].channelId: got '19:b6ef35dc342d@thread.tacv2'; {TEAMS_CHANNEL_FORM}; "
         "URL-encoded that is '19%3ab6ef35dc342d%40thread.tacv2'"),
        ({"notifications": {"warning": {"teams": [teams(channelId="General")]}}},
         f"alarms.notifications.warning.teams[0].channelId: got 'General'; {TEAMS_CHANNEL_FORM}"),
        ({"notifications": {"warning": {"teams": [teams(channelId="19%3a" + "a" * 240 + "%40thread.tacv2")]}}},
         f"alarms.notifications.warning.teams[0].channelId: got '19%3a{'a' * 240}%40thread.tacv2'; "
         f"{TEAMS_CHANNEL_FORM}"),
        ({"notifications": {"warning": {"teams": [teams()]},
                            "critical": {"teams": [teams(channelId="19%3aother%40thread.tacv2")]}}},
         "alarms.notifications.critical.teams[0].channelId: got '19%3aother%40thread.tacv2'; team "
         "74361522-da01-538d-aa2e-ac7918c6bb92 already has channel "
         "'19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2' (notifications.warning.teams[0]): one channel per "
         "team (the AWS provider looks Teams configurations up by team)"),
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


def test_the_same_chat_channel_at_both_levels_is_allowed():
    raw = copy.deepcopy(stack_settings("prod"))
    slack = [{"workspaceId": "T07EA123LEP", "channelId": "C07EZ1ABC23"}]
    raw["alarms"] = {"notifications": {"warning": {"slack": slack, "teams": [teams()]},
                                       "critical": {"slack": slack, "teams": [teams()]}}}
    notifications = parse_settings(raw, SOURCE).alarms.notifications
    assert notifications.warning == notifications.critical

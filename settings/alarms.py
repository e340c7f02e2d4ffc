"""Alarm settings: the playbooks' warning/critical thresholds and who hears about them."""

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from .base import Section

_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-zA-Z]{2,}$")
# Chat ids as the AWS Chatbot API accepts them (botocore chatbot service model, CreateSlackChannelConfiguration and
# CreateMicrosoftTeamsChannelConfiguration; API reference "SlackChannelConfiguration", "TeamsChannelConfiguration"):
# SlackTeamId [0-9A-Z]{1,255}, SlackChannelId [A-Za-z0-9]+ (1-255), TeamId/TenantId UUIDs, and the Teams channel id
# URL-encoded as in the channel's link (`19%3a...%40thread.tacv2`). Slack workspace ids start with T, channel ids
# with C (public and newer private channels) or G (older private channels).
SLACK_WORKSPACE_ID = re.compile(r"^T[0-9A-Z]{1,254}$")
SLACK_CHANNEL_ID = re.compile(r"^[CG][0-9A-Z]{1,254}$")
TEAMS_GUID = re.compile(r"^[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")
TEAMS_CHANNEL_ID = re.compile(r"^[a-zA-Z0-9\-_=+/.,]*%3[aA][a-zA-Z0-9\-_=+/.,]*%40[a-zA-Z0-9\-_=+/.,]*$")
TEAMS_CHANNEL_ID_MAX = 255


class PercentLevels(Section):
    """A share of capacity, in percent: warning below critical."""

    warning: float = Field(gt=0, le=100, description="warn above this share (%)")
    critical: float = Field(gt=0, le=100, description="page above this share (%)")


class WarningPercentLevels(Section):
    """A share in percent that warns, and pages only when `critical` is set."""

    warning: float = Field(gt=0, le=100, description="warn above this share (%)")
    critical: float | None = Field(default=None, gt=0, le=100, description="page above this share (%); unset: no page")


class SecondsLevels(Section):
    """A duration in seconds: warning below critical."""

    warning: float = Field(gt=0, description="warn above this many seconds")
    critical: float = Field(gt=0, description="page above this many seconds")


class SlackChannel(Section):
    """A Slack channel in a workspace authorized once in the AWS Chatbot console (docs/alarms.md)."""

    workspace_id: str = Field(description="Slack workspace (team) id, e.g. T07EA123LEP")
    channel_id: str = Field(description="Slack channel id, e.g. C07EZ1ABC23")

    @field_validator("workspace_id")
    @classmethod
    def _workspace(cls, value: str) -> str:
        if not SLACK_WORKSPACE_ID.match(value):
            raise ValueError("expected a Slack workspace id: T followed by capital letters and digits, e.g. "
                             "'T07EA123LEP' (the AWS Chatbot console shows it once the workspace is authorized)")
        return value

    @field_validator("channel_id")
    @classmethod
    def _channel(cls, value: str) -> str:
        if not SLACK_CHANNEL_ID.match(value):
            raise ValueError("expected a Slack channel id: C (or G for an older private channel) followed by "
                             "capital letters and digits, e.g. 'C07EZ1ABC23' (channel details, bottom of 'About'), "
                             "not the channel name")
        return value


class TeamsChannel(Section):
    """A Microsoft Teams channel of a team authorized once in the AWS Chatbot console (docs/alarms.md)."""

    team_id: str = Field(description="Microsoft Teams team id (a GUID)")
    channel_id: str = Field(description="channel id, URL-encoded as in the channel link: 19%3a...%40thread.tacv2")
    tenant_id: str = Field(description="Microsoft Entra tenant id (a GUID)")

    @field_validator("team_id", "tenant_id")
    @classmethod
    def _guid(cls, value: str) -> str:
        if not TEAMS_GUID.match(value):
            raise ValueError("expected a GUID like '74361522-da01-538d-aa2e-ac7918c6bb92'")
        return value

    @field_validator("channel_id")
    @classmethod
    def _channel(cls, value: str) -> str:
        if len(value) > TEAMS_CHANNEL_ID_MAX or not TEAMS_CHANNEL_ID.match(value):
            hint = f"; URL-encoded that is {_url_encoded(value)!r}" if ":" in value and "@" in value else ""
            raise ValueError("expected the channel id as it appears in the channel link, URL-encoded, e.g. "
                             f"'19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2' (at most "
                             f"{TEAMS_CHANNEL_ID_MAX} characters){hint}")
        return value


def _url_encoded(channel_id: str) -> str:
    """`19:abc@thread.tacv2` -> `19%3aabc%40thread.tacv2`, the form AWS Chatbot takes."""
    return channel_id.replace(":", "%3a").replace("@", "%40")


class Endpoints(Section):
    """Who a topic notifies. E-mail subscriptions must be confirmed from the first message."""

    emails: list[str] = Field(default_factory=list, description="e-mail addresses")
    https_endpoints: list[str] = Field(default_factory=list, description="HTTPS webhooks (e.g. a pager)")
    slack: list[SlackChannel] = Field(default_factory=list, description="Slack channels, through AWS Chatbot")
    teams: list[TeamsChannel] = Field(default_factory=list, description="Microsoft Teams channels, through AWS Chatbot")

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [address for address in value if not _EMAIL.match(address)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(bad)}")
        return value

    @field_validator("https_endpoints")
    @classmethod
    def _https(cls, value: list[str]) -> list[str]:
        bad = [url for url in value if urlsplit(url).scheme != "https" or not urlsplit(url).hostname]
        if bad:
            raise ValueError(f"not https:// URLs: {', '.join(bad)}")
        return value

    @field_validator("slack", "teams")
    @classmethod
    def _once(cls, value: list) -> list:
        keys = [tuple(channel.model_dump().values()) for channel in value]
        twice = sorted({channel.channel_id for channel, key in zip(value, keys) if keys.count(key) > 1})
        if twice:
            raise ValueError(f"channel listed more than once: {', '.join(twice)}")
        return value


class Notifications(Section):
    """Subscriptions of the warning and the critical topic."""

    warning: Endpoints = Field(default_factory=Endpoints, description="subscribers of <prefix>-warning")
    critical: Endpoints = Field(default_factory=Endpoints, description="subscribers of <prefix>-critical")

    def teams_rules(self) -> list[tuple[str, Any, str]]:
        """One channel per Microsoft Teams team: the AWS provider finds a Teams configuration by its team id, and
        with two channels of one team it times out creating the second and drops both from the state on refresh
        (hashicorp/terraform-provider-aws#38943, #45081). The same channel at both levels is one configuration."""
        first: dict[str, tuple[str, str]] = {}
        found = []
        for level in ("warning", "critical"):
            for index, channel in enumerate(getattr(self, level).teams):
                path = f"notifications.{level}.teams[{index}]"
                seen = first.setdefault(channel.team_id, (channel.channel_id, path))
                if seen[0] != channel.channel_id:
                    found.append((f"{path}.channelId", channel.channel_id,
                                  f"team {channel.team_id} already has channel {seen[0]!r} ({seen[1]}): one "
                                  "channel per team (the AWS provider looks Teams configurations up by team)"))
        return found


class AlarmSettings(Section):
    """Thresholds of the alarm pack (defaults: the playbooks' alert table) and its subscribers."""

    response_time_statistic: str = Field(default="p99", description="ALB TargetResponseTime percentile, e.g. p95")
    response_time_seconds: SecondsLevels = Field(default=SecondsLevels(warning=1, critical=2))
    error_rate_percent: PercentLevels = Field(default=PercentLevels(warning=2, critical=5),
                                              description="5xx per request, per public service and ALB-wide")
    # Playbook 003 tracks "Error rates (4xx, 5xx)" and gives one error-rate row (> 2 % / > 5 %), which is the 5xx
    # row above. 4xx are mostly the clients' doing (expired tokens, 404 probes, validation errors): a healthy API
    # answers a few percent of its requests with 4xx, so 2 % would warn every day. A sustained 10 % usually means a
    # broken client release or an auth regression: worth a look, never worth waking anyone, hence no critical.
    client_error_rate_percent: WarningPercentLevels = Field(
        default=WarningPercentLevels(warning=10), description="4xx per request, per public service (warning only)")
    cpu_percent: PercentLevels = Field(default=PercentLevels(warning=70, critical=90),
                                       description="ECS services, RDS (and replicas), ElastiCache engine")
    memory_percent: PercentLevels = Field(default=PercentLevels(warning=70, critical=85),
                                          description="ECS services, RDS (used share), ElastiCache (of maxmemory)")
    disk_percent: PercentLevels = Field(default=PercentLevels(warning=70, critical=85),
                                        description="RDS storage used, of allocatedStorageGb")
    db_connections_percent: PercentLevels = Field(default=PercentLevels(warning=70, critical=90),
                                                  description="of max_connections (the class default, or the "
                                                              "database.parameters value)")
    # A replica applying WAL keeps up within a second or two; 30 s sustained means it cannot (too small, or long
    # queries holding replay back) and readers see visibly stale data; 5 minutes stale is an outage for them.
    db_replica_lag_seconds: SecondsLevels = Field(default=SecondsLevels(warning=30, critical=300),
                                                  description="RDS read replicas' ReplicaLag")
    cache_replication_lag_seconds: SecondsLevels = Field(default=SecondsLevels(warning=5, critical=30))
    notifications: Notifications = Field(default_factory=Notifications)

    @field_validator("response_time_statistic")
    @classmethod
    def _percentile(cls, value: str) -> str:
        match = _PERCENTILE.match(value)
        if not match or not 0 < float(match.group(1)) < 100:
            raise ValueError("expected a percentile statistic p1-p99.99, e.g. 'p99' or 'p95'")
        return value

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        found = []
        for field_name, field in type(self).model_fields.items():
            levels = getattr(self, field_name)
            if (isinstance(levels, (PercentLevels, SecondsLevels, WarningPercentLevels))
                    and levels.critical is not None and levels.warning >= levels.critical):
                found.append((f"{field.alias}.warning", _number(levels.warning),
                              f"must be below critical ({_number(levels.critical)})"))
        return found + self.notifications.teams_rules()


def _number(value: float) -> float | int:
    """95.0 -> 95, the way the user wrote it."""
    return int(value) if float(value).is_integer() else value

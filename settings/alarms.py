"""Alarm settings: the playbooks' warning/critical thresholds and who hears about them."""

import re
from typing import Any

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from .base import Section

_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-zA-Z]{2,}$")


class PercentLevels(Section):
    """A share of capacity, in percent: warning below critical."""

    warning: float = Field(gt=0, le=100, description="warn above this share (%)")
    critical: float = Field(gt=0, le=100, description="page above this share (%)")


class SecondsLevels(Section):
    """A duration in seconds: warning below critical."""

    warning: float = Field(gt=0, description="warn above this many seconds")
    critical: float = Field(gt=0, description="page above this many seconds")


class Endpoints(Section):
    """Who a topic notifies. E-mail subscriptions must be confirmed from the first message."""

    emails: list[str] = Field(default_factory=list, description="e-mail addresses")
    https_endpoints: list[str] = Field(default_factory=list, description="HTTPS webhooks (e.g. a pager)")

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


class Notifications(Section):
    """Subscriptions of the warning and the critical topic."""

    warning: Endpoints = Field(default_factory=Endpoints, description="subscribers of nodeapi-<stack>-warning")
    critical: Endpoints = Field(default_factory=Endpoints, description="subscribers of nodeapi-<stack>-critical")


class AlarmSettings(Section):
    """Thresholds of the alarm pack (defaults: the playbooks' alert table) and its subscribers."""

    response_time_statistic: str = Field(default="p99", description="ALB TargetResponseTime percentile, e.g. p95")
    response_time_seconds: SecondsLevels = Field(default=SecondsLevels(warning=1, critical=2))
    error_rate_percent: PercentLevels = Field(default=PercentLevels(warning=2, critical=5),
                                              description="5xx (target + load balancer) per request")
    cpu_percent: PercentLevels = Field(default=PercentLevels(warning=70, critical=90),
                                       description="ECS services, RDS, ElastiCache engine")
    memory_percent: PercentLevels = Field(default=PercentLevels(warning=70, critical=85),
                                          description="ECS services, RDS (used share), ElastiCache (of maxmemory)")
    disk_percent: PercentLevels = Field(default=PercentLevels(warning=70, critical=85),
                                        description="RDS storage used, of allocatedStorageGb")
    db_connections_percent: PercentLevels = Field(default=PercentLevels(warning=70, critical=90),
                                                  description="of the instance class's max_connections")
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
            if isinstance(levels, (PercentLevels, SecondsLevels)) and levels.warning >= levels.critical:
                found.append((f"{field.alias}.warning", _number(levels.warning),
                              f"must be below critical ({_number(levels.critical)})"))
        return found


def _number(value: float) -> float | int:
    """95.0 -> 95, the way the user wrote it."""
    return int(value) if float(value).is_integer() else value

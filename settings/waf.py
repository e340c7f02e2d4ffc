"""WAF settings: the web ACL on the load balancer, its rate-based rules and its logs."""

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .base import Section, rule_error
from .network import LogRetentionDays

WAF_WINDOWS = (60, 120, 300, 600)  # the only evaluation windows of WAF rate-based rules (seconds)
MIN_RATE_LIMIT = 10
MAX_RATE_LIMIT = 2_000_000_000
COMMON = "AWSManagedRulesCommonRuleSet"
KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
IP_REPUTATION = "AWSManagedRulesAmazonIpReputationList"
ManagedRuleGroup = Literal["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                           "AWSManagedRulesAmazonIpReputationList"]
_RULE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_PATH_PREFIX = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")


class RateLimit(Section):
    """At most `limit` requests per client IP over `windowSeconds`, optionally only under `pathPrefix`."""

    name: str = Field(description="rule name (lowercase, digits, '-'); also its metric name")
    limit: int = Field(description=f"requests per window per IP, {MIN_RATE_LIMIT} to {MAX_RATE_LIMIT:,}")
    window_seconds: int = Field(description="evaluation window: 60, 120, 300 or 600")
    path_prefix: str | None = Field(default=None, description="count only URI paths starting with this, e.g. /api/")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _RULE_NAME.match(value):
            raise ValueError("must be 1-32 characters: a lowercase letter, then a-z, 0-9 or '-'")
        return value

    def problems(self, path: str) -> list[tuple[str, int, str]]:
        """What WAF would refuse, as (key path, value, allowed); checked by WafSettings, which knows `path`."""
        found = []
        if not MIN_RATE_LIMIT <= self.limit <= MAX_RATE_LIMIT:
            found.append((f"{path}.limit", self.limit,
                          f"WAF rate-based rules allow limits from {MIN_RATE_LIMIT} to {MAX_RATE_LIMIT:,} requests"))
        if self.window_seconds not in WAF_WINDOWS:
            found.append((f"{path}.windowSeconds", self.window_seconds,
                          "WAF rate-based rules evaluate over 60, 120, 300 or 600 seconds"))
        return found

    @field_validator("path_prefix")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and not _PATH_PREFIX.match(value):
            raise ValueError("must be a URI path starting with '/', e.g. '/api/'")
        return value


# The playbooks' express-rate-limit values are 100 requests per 15 minutes on /api/ and 5 per 15 minutes on
# /api/auth/. WAF windows stop at 10 minutes and limits start at 10, so these are the nearest WAF can do: a
# coarse per-IP backstop at the edge. The app's own limiter stays the precise one (per route, per user).
DEFAULT_RATE_LIMITS = (
    {"name": "api", "limit": 100, "window_seconds": 600, "path_prefix": "/api/"},
    {"name": "auth", "limit": 10, "window_seconds": 600, "path_prefix": "/api/auth/"},
)


class WafSettings(Section):
    """A regional WAF web ACL on the load balancer: AWS managed rule groups, then per-IP rate limits."""

    enabled: bool = Field(default=True, description="attach a web ACL to the load balancer")
    managed_rule_groups: list[ManagedRuleGroup] = Field(
        default=[COMMON, KNOWN_BAD_INPUTS], description="AWS managed rule groups, evaluated before the rate limits"
    )
    rate_limits: list[RateLimit] = Field(
        default_factory=lambda: [RateLimit(**limit) for limit in DEFAULT_RATE_LIMITS],
        max_length=20, description="rate-based rules, in evaluation order",
    )
    log_retention_days: LogRetentionDays = Field(default=30, description="CloudWatch retention of the WAF logs")

    @field_validator("managed_rule_groups")
    @classmethod
    def _unique_groups(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each managed rule group at most once")
        return value

    @model_validator(mode="after")
    def _waf_limits(self) -> "WafSettings":
        # Checked here, not per field, so each message names its full key path (waf.rateLimits[i]...).
        found, seen = [], set()
        for index, limit in enumerate(self.rate_limits):
            found += limit.problems(f"waf.rateLimits[{index}]")
            if limit.name in seen:
                found.append((f"waf.rateLimits[{index}].name", limit.name, "each rate limit needs its own name"))
            seen.add(limit.name)
        if len(found) == 1:
            raise rule_error(*found[0])
        if found:
            text = "\n".join(str(rule_error(*problem)) for problem in found)
            raise PydanticCustomError("settings_rules", text.replace("{", "{{").replace("}", "}}"))
        return self

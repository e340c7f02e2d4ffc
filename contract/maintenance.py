"""Maintenance mode as listener rules: the 503 body, quota-aware chunking, priorities and the rule plan.

ALB conditions cannot be negated, so "503 except admin paths and allowed addresses" is a set of bypass rules
(each forwarding like the route it copies) followed by one catch-all 503 rule. Pulumi (`maintenance.enabled`)
and `python -m ops maintenance on` build the same plan in their own priority ranges.
"""

import json
from dataclasses import dataclass, field

# ALB quotas (Elastic Load Balancing User Guide, "Quotas for your Application Load Balancers"):
VALUES_PER_RULE = 5  # condition values per rule, all conditions together
WILDCARDS_PER_RULE = 5  # wildcards (* and ?) per rule
MAX_BODY_BYTES = 1024  # fixed-response message body
DEFAULT_MESSAGE = "The service is down for maintenance. Please try again later."

# Listener rule priorities on the HTTPS listener (docs/outputs.md).
PULUMI_PRIORITIES = range(1, 50)
OPS_PRIORITIES = range(50, 100)
ROUTE_PRIORITY_START = 100


@dataclass(frozen=True)
class Route:
    """One public route: which service it forwards to, on which hosts and paths (empty: any)."""

    service: str
    hosts: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()

    @property
    def values(self) -> int:
        """Condition values the route itself uses."""
        return len(self.hosts) + len(self.paths)


@dataclass(frozen=True)
class PlannedRule:
    """A rule of the plan: conditions by field, and the route it forwards like (None: the 503)."""

    conditions: dict[str, list[str]] = field(default_factory=dict)
    route: Route | None = None


def wildcards(value: str) -> int:
    """Number of ALB wildcards in a pattern."""
    return value.count("*") + value.count("?")


def chunk(values: list[str], per_rule: int = VALUES_PER_RULE, wildcard_limit: int = WILDCARDS_PER_RULE,
          used_wildcards: int = 0) -> list[list[str]]:
    """Values split into rules within both the values and the wildcards quota, order kept (ValueError if one
    value alone breaks a quota)."""
    if per_rule < 1:
        raise ValueError(f"no condition values left in the rule for {values}")
    chunks: list[list[str]] = []
    for value in values:
        if wildcards(value) + used_wildcards > wildcard_limit:
            raise ValueError(f"path pattern {value} has more than {wildcard_limit - used_wildcards} wildcards")
        last = chunks[-1] if chunks else None
        if (last is None or len(last) == per_rule
                or used_wildcards + sum(map(wildcards, last)) + wildcards(value) > wildcard_limit):
            chunks.append([value])
        else:
            last.append(value)
    return chunks


def response_body(message: str) -> str:
    """The JSON body of the 503 response."""
    return json.dumps({"error": "maintenance", "message": message}, separators=(",", ":"))


def body_problem(message: str) -> str | None:
    """Why the ALB would refuse this message as the 503 body, or None."""
    size = len(response_body(message).encode())
    if size > MAX_BODY_BYTES:
        return f"the 503 JSON body would be {size} bytes; the ALB allows at most {MAX_BODY_BYTES}"
    return None


def _route_conditions(route: Route) -> dict[str, list[str]]:
    conditions = {}
    if route.hosts:
        conditions["host-header"] = list(route.hosts)
    if route.paths:
        conditions["path-pattern"] = list(route.paths)
    return conditions


def plan(routes: list[Route], admin_route: Route | None, admin_paths: list[str],
         allowed_cidrs: list[str]) -> list[PlannedRule]:
    """Bypass rules (admin paths to `admin_route`'s service, then allowed CIDRs along every route, in route
    order), then the catch-all 503. ValueError when a quota cannot be met."""
    rules: list[PlannedRule] = []
    if admin_paths and admin_route is not None:
        hosts = list(admin_route.hosts)
        for values in chunk(admin_paths, VALUES_PER_RULE - len(hosts)):
            conditions = {"host-header": hosts} if hosts else {}
            rules.append(PlannedRule({**conditions, "path-pattern": values}, admin_route))
    for route in routes if allowed_cidrs else []:
        room = VALUES_PER_RULE - route.values
        if room < 1:
            raise ValueError(f"the route of service {route.service!r} uses all {VALUES_PER_RULE} condition values "
                             "of a rule; no room for the allowed-CIDR bypass")
        used = sum(map(wildcards, route.paths))
        for values in chunk(allowed_cidrs, room, used_wildcards=used):
            rules.append(PlannedRule({**_route_conditions(route), "source-ip": values}, route))
    rules.append(PlannedRule({"path-pattern": ["/*"]}, None))
    return rules

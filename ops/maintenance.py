"""`maintenance on|off`: ops-owned rules on the HTTPS listener, tagged nodeapi:maintenance=ops.

The rules are contract.maintenance.plan's, at priorities OPS_PRIORITIES (the program's own maintenance rules
use PULUMI_PRIORITIES): bypass rules, each forwarding with the live weights of the production rule of the
route it copies, then the catch-all 503.

Both switches are all-or-nothing: a run that fails or is interrupted undoes its partial rules (on) or puts
the deleted ones back (off). Runs are serialised by a lock rule at the last ops priority: the ALB itself
refuses a second rule at a priority in use (PriorityInUse), so taking the lock is atomic, needs no other
store or permission, and the lock of a killed run stays visible (status names it and the command that
removes it).
"""

import getpass
import ipaddress
import os
import re
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from botocore.exceptions import ClientError

from contract.maintenance import (DEFAULT_MESSAGE, OPS_PRIORITIES, PULUMI_PRIORITIES, PlannedRule, body_problem,
                                  plan, response_body)
from ops import listener as L
from ops.errors import AWS_ERRORS, Failed, Refused, UsageError, aws_error_text, error_code
from ops.interrupt import shielded
from ops.outputs import PublicRoute, all_routes, routes_of

__all__ = ["DEFAULT_MESSAGE", "turn_on", "turn_off", "current", "state_lines", "stale_bypass", "sync_bypass"]

TAG_KEY = "nodeapi:maintenance"
RULE_TAG, LOCK_TAG = "ops", "ops-lock"
ROUTE_TAG_KEY = "nodeapi:maintenance-route"  # production rule ARN of the route a bypass rule copies
HOLDER_TAG_KEY = "nodeapi:maintenance-holder"
LOCK_PRIORITY = OPS_PRIORITIES[-1]
RULE_PRIORITIES = OPS_PRIORITIES[:-1]
LOCK_HOST = "maintenance-lock.invalid"  # RFC 2606: never a real host, so the lock rule matches no request
# ELB tag values: letters, digits, spaces and _ . : / = + - @, at most 255 characters (ELB User Guide, tags).
TAG_VALUE_UNSAFE = re.compile(r"[^\w .:/=+\-@]")


def normalize_cidrs(values: list[str]) -> list[str]:
    """CIDRs as the ALB wants them (a bare address becomes /32 or /128); UsageError if invalid."""
    cidrs = []
    for value in values:
        try:
            cidrs.append(str(ipaddress.ip_network(value.strip(), strict=True)))
        except ValueError as error:
            raise UsageError(f"invalid allowed CIDR {value!r} ({error})") from None
    return list(dict.fromkeys(cidrs))


def check_paths(values: list[str]) -> list[str]:
    """Admin path patterns, validated the way the ALB would."""
    for value in values:
        if not value.startswith("/") or len(value) > 128:
            raise UsageError(f"invalid admin path pattern {value!r} (must start with / and be at most 128 chars)")
    return list(dict.fromkeys(values))


def fixed_503(message: str) -> dict:
    """The fixed-response action of the catch-all rule."""
    if problem := body_problem(message):
        raise UsageError(f"maintenance message too long: {problem}")
    return {"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "503", "ContentType": "application/json", "MessageBody": response_body(message)}}


def is_503(rule: dict) -> bool:
    """Whether a rule is a maintenance (fixed-response 503) rule."""
    return any(a.get("Type") == "fixed-response" and a.get("FixedResponseConfig", {}).get("StatusCode") == "503"
               for a in rule.get("Actions", []))


@dataclass
class Found:
    """The listener's maintenance-related rules, by owner, sorted by priority."""

    ops: list[dict] = field(default_factory=list)
    pulumi: list[dict] = field(default_factory=list)
    foreign: list[dict] = field(default_factory=list)
    lock: dict | None = None
    tags: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def on_via_ops(self) -> bool:
        """Whether the ops 503 rule exists."""
        return any(is_503(r) for r in self.ops)

    @property
    def on_via_pulumi(self) -> bool:
        """Whether the program's maintenance 503 rule exists."""
        return any(is_503(r) for r in self.pulumi)

    def route_of(self, rule: dict) -> str | None:
        """The production rule ARN a bypass rule copies (from its tag)."""
        return self.tags.get(rule["RuleArn"], {}).get(ROUTE_TAG_KEY)


def classify(rules: list[dict], tags: dict[str, dict[str, str]]) -> Found:
    """Ops rules (tagged, any priority), the lock, Pulumi's (PULUMI_PRIORITIES), foreign rules in ops priorities."""
    found = Found(tags=tags)
    for rule in sorted((r for r in rules if L.priority_of(r) is not None), key=L.priority_of):
        owner = tags.get(rule["RuleArn"], {}).get(TAG_KEY)
        if owner == RULE_TAG:
            found.ops.append(rule)
        elif owner == LOCK_TAG:
            found.lock = rule
        elif L.priority_of(rule) in PULUMI_PRIORITIES:
            found.pulumi.append(rule)
        elif L.priority_of(rule) in OPS_PRIORITIES:
            found.foreign.append(rule)
    return found


def current(elb, listener_arn: str) -> Found:
    """The classified maintenance rules of the HTTPS listener, read now."""
    rules = L.listener_rules(elb, listener_arn)
    return classify(rules, L.tags_of(elb, rules))


def priorities(rules: list[dict]) -> str:
    """`50, 51, 52`."""
    return ", ".join(str(L.priority_of(r)) for r in rules)


def delete_command(rule: dict) -> str:
    """The AWS CLI line that deletes a rule."""
    return f"aws elbv2 delete-rule --rule-arn {rule['RuleArn']}"


def lock_line(lock: dict, tags: dict[str, dict[str, str]]) -> str:
    """Who holds the lock, and how to remove it if that run is gone."""
    holder = tags.get(lock["RuleArn"], {}).get(HOLDER_TAG_KEY, "unknown holder")
    return (f"a maintenance run holds the lock (rule {L.priority_of(lock)}: {holder}); if that run is gone, "
            f"remove the lock with: {delete_command(lock)}")


def state_lines(found: Found) -> list[str]:
    """`maintenance: off`, which rules keep it on, and any partial state."""
    parts = []
    if found.on_via_pulumi:
        parts.append(f"pulumi (rules {priorities(found.pulumi)})")
    if found.on_via_ops:
        parts.append(f"ops (rules {priorities(found.ops)})")
    lines = ["maintenance: " + (f"on via {' and '.join(parts)}" if parts else "off")]
    if found.ops and not found.on_via_ops:
        lines.append(f"partial: ops bypass rules {priorities(found.ops)} exist without their 503 rule (a run was "
                     "killed); run `maintenance off` to remove them or `maintenance on` to finish")
    if found.lock:
        lines.append(lock_line(found.lock, found.tags))
    return lines


def holder_tag(now: datetime) -> str:
    """`user@host pid 123 since 2026-03-04T05:06:07Z`, as an ELB tag value."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a minimal container
        user = "unknown"
    text = f"{user}@{socket.gethostname()} pid {os.getpid()} since {now:%Y-%m-%dT%H:%M:%SZ}"
    return TAG_VALUE_UNSAFE.sub("_", text)[:255]


def acquire(elb, listener_arn: str, now: datetime, held: list[str]) -> None:
    """Create the lock rule (its ARN appended to `held` as soon as it exists); Refused naming the holder if
    another run has it."""
    try:
        with shielded("taking the maintenance lock"):
            created = elb.create_rule(
                ListenerArn=listener_arn, Priority=LOCK_PRIORITY,
                Conditions=L.api_conditions({"host-header": [LOCK_HOST]}),
                Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
                Tags=[{"Key": TAG_KEY, "Value": LOCK_TAG}, {"Key": HOLDER_TAG_KEY, "Value": holder_tag(now)}])
            held.append(created["Rules"][0]["RuleArn"])
    except ClientError as error:
        if error_code(error) != "PriorityInUse":
            raise
        found = current(elb, listener_arn)
        if found.lock is None:
            raise Refused(f"refused: priority {LOCK_PRIORITY} on the HTTPS listener holds a rule not tagged "
                          f"{TAG_KEY}={RULE_TAG}; nothing changed") from None
        raise Refused(f"refused: {lock_line(found.lock, found.tags)}; nothing changed") from None


@contextmanager
def locked(elb, listener_arn: str, now: datetime) -> Iterator[None]:
    """Hold the maintenance lock for the duration; release it whatever happens."""
    held: list[str] = []
    failing = True
    try:
        acquire(elb, listener_arn, now, held)
        yield
        failing = False
    finally:
        for lock_arn in held:
            release(elb, lock_arn, failing)


def release(elb, lock_arn: str, failing: bool) -> None:
    """Delete the lock rule; if that fails, say how (and fail, unless the run is failing already)."""
    try:
        with shielded("releasing the maintenance lock", then_raise=False):
            elb.delete_rule(RuleArn=lock_arn)
    except AWS_ERRORS as error:
        message = (f"could not remove the maintenance lock ({aws_error_text(error)}); remove it with: "
                   f"aws elbv2 delete-rule --rule-arn {lock_arn}")
        if not failing:
            raise Failed(message) from None
        print(f"warning: {message}", file=sys.stderr)


def admin_route(outputs: dict, paths: list[str]) -> PublicRoute | None:
    """The first route of maintenanceAdminService (where admin paths bypass to), if there are admin paths."""
    if not paths:
        return None
    name = outputs["maintenanceAdminService"]
    entry = outputs["services"].get(name)
    if entry is None or entry["access"] != "public" or not entry["routes"]:
        raise UsageError(f"maintenanceAdminService {name!r} is not a public service with a route; admin paths "
                         "need one to bypass to")
    return routes_of(outputs, name)[0]


def planned_rules(outputs: dict, paths: list[str], cidrs: list[str]) -> list[tuple[PlannedRule, PublicRoute | None]]:
    """contract.maintenance.plan over every public route, each planned rule with the route it copies."""
    routes = all_routes(outputs)
    admin = admin_route(outputs, paths)
    contracts = [route.contract for route in routes]
    admin_contract = contracts[routes.index(admin)] if admin else None
    try:
        planned = plan(contracts, admin_contract, paths, cidrs)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if len(planned) > len(RULE_PRIORITIES):
        raise UsageError(f"{len(planned)} rules needed for these routes, admin paths and CIDRs, but ops owns only "
                         f"{len(RULE_PRIORITIES)} priorities ({RULE_PRIORITIES[0]}-{RULE_PRIORITIES[-1]})")
    by_id = {id(c): route for c, route in zip(contracts, routes)}
    return [(p, by_id[id(p.route)] if p.route is not None else None) for p in planned]


def live_forward(elb, route: PublicRoute) -> dict:
    """The production rule's forward action, with the weights it has now."""
    _, forward = L.production_rule(elb, route.production_rule)
    return L.with_weights(forward, L.weights_of(forward))


def build_rules(elb, planned: list[tuple[PlannedRule, PublicRoute | None]],
                message: str) -> list[tuple[dict, PublicRoute | None]]:
    """CreateRule arguments of the plan at consecutive ops priorities, each with the route it copies."""
    forwards: dict[str, dict] = {}
    rules = []
    for priority, (rule, route) in zip(RULE_PRIORITIES, planned):
        tags = [{"Key": TAG_KEY, "Value": RULE_TAG}]
        if route is None:
            action = fixed_503(message)
        else:
            if route.production_rule not in forwards:
                forwards[route.production_rule] = live_forward(elb, route)
            action = forwards[route.production_rule]
            tags.append({"Key": ROUTE_TAG_KEY, "Value": route.production_rule})
        rules.append(({"Priority": priority, "Conditions": L.api_conditions(rule.conditions), "Actions": [action],
                       "Tags": tags}, route))
    return rules


def describe(conditions: list[tuple[str, list[str]]]) -> str:
    """`host-header api.example.com; path-pattern /admin/*`."""
    return "; ".join(f"{f} {' '.join(values)}" for f, values in conditions)


def rule_line(rule: dict, route: PublicRoute | None) -> str:
    """`rule 50: bypass to web route 1 (...) if path-pattern /admin/*` or `rule 52: 503 if path-pattern /*`."""
    what = "503" if route is None else f"bypass to {route.service} {route.label}"
    return f"rule {rule['Priority']}: {what} if {describe(L.condition_values(rule))}"


def delete_rules(elb, rules: list[dict], stream=None) -> None:
    """Delete rules, 503 rules first so traffic flows again as early as possible."""
    for rule in sorted(rules, key=lambda r: (not is_503(r), L.priority_of(r))):
        with shielded(f"deleting rule {L.priority_of(rule)}"):
            elb.delete_rule(RuleArn=rule["RuleArn"])
            print(f"deleted rule {L.priority_of(rule)}", file=stream or sys.stdout)


def undo_on(elb, listener_arn: str) -> None:
    """Remove every ops rule (a failed or interrupted `on` created them); reads the listener again, since the
    outcome of a call cut short is unknown."""
    print("maintenance on did not finish; undoing", file=sys.stderr)
    with shielded("undoing maintenance on", then_raise=False):
        try:
            delete_rules(elb, current(elb, listener_arn).ops, sys.stderr)
            print("undone: maintenance (ops) is off", file=sys.stderr)
        except AWS_ERRORS as error:
            left = current_or_none(elb, listener_arn)
            print(f"could not undo ({aws_error_text(error)}); maintenance may be partly on", file=sys.stderr)
            for rule in left.ops if left else []:
                print(f"  remove rule {L.priority_of(rule)}: {delete_command(rule)}", file=sys.stderr)


def current_or_none(elb, listener_arn: str) -> Found | None:
    """The listener's maintenance rules, or None when they cannot be read."""
    try:
        return current(elb, listener_arn)
    except AWS_ERRORS:
        return None


def turn_on(aws, outputs: dict, paths: list[str], cidrs: list[str], message: str, now: datetime) -> None:
    """Create the ops maintenance rules, unless they already exist."""
    elb, listener_arn = aws.client("elbv2"), outputs["httpsListenerArn"]
    planned = planned_rules(outputs, paths, cidrs)
    fixed_503(message)  # a usage error before the lock is taken
    with locked(elb, listener_arn, now):
        found = current(elb, listener_arn)
        if found.foreign:
            raise Refused(f"refused: priorities {priorities(found.foreign)} on the HTTPS listener hold rules "
                          f"not tagged {TAG_KEY}={RULE_TAG}; nothing changed")
        if found.on_via_ops:
            print(f"maintenance already on (ops rules {priorities(found.ops)}); nothing changed")
            return
        rules = build_rules(elb, planned, message)
        try:
            if found.ops:  # bypass rules left by a killed run: start again from a clean slate
                delete_rules(elb, found.ops)
            for rule, route in rules:  # bypass rules first, the 503 last: admins are never locked out
                with shielded(f"creating rule {rule['Priority']}"):
                    elb.create_rule(ListenerArn=listener_arn, **rule)
                    print(f"created {rule_line(rule, route)}")
        except BaseException:
            undo_on(elb, listener_arn)
            raise
    print(f"maintenance on (ops rules {', '.join(str(r['Priority']) for r, _ in rules)})")
    if found.on_via_pulumi:
        print(f"note: Pulumi maintenance rules ({priorities(found.pulumi)}) are also on")


def restore_rules(elb, listener_arn: str, rules: list[dict], tags: dict[str, dict[str, str]]) -> None:
    """Put back those of the rules that are gone (a failed or interrupted `off`), bypass rules before the 503;
    reads the listener again, since the outcome of a call cut short is unknown."""
    print("maintenance off did not finish; putting the deleted rules back", file=sys.stderr)
    with shielded("undoing maintenance off", then_raise=False):
        try:
            present = {L.priority_of(r) for r in L.listener_rules(elb, listener_arn)}
            for rule in sorted(rules, key=lambda r: (is_503(r), L.priority_of(r))):
                if L.priority_of(rule) in present:
                    continue
                rule_tags = [{"Key": k, "Value": v} for k, v in tags.get(rule["RuleArn"], {}).items()]
                elb.create_rule(ListenerArn=listener_arn, Tags=rule_tags, **L.creatable(rule))
                print(f"restored rule {L.priority_of(rule)}", file=sys.stderr)
            print("undone: maintenance (ops) is on as before", file=sys.stderr)
        except AWS_ERRORS as error:
            print(f"could not put the rules back ({aws_error_text(error)}); maintenance (ops) may be partly off: "
                  "run `maintenance off` again", file=sys.stderr)


def turn_off(aws, outputs: dict, now: datetime) -> None:
    """Delete the rules tagged by ops (never any other rule)."""
    elb, listener_arn = aws.client("elbv2"), outputs["httpsListenerArn"]
    with locked(elb, listener_arn, now):
        found = current(elb, listener_arn)
        if not found.ops:
            print("maintenance (ops) already off; nothing changed")
        else:
            try:
                delete_rules(elb, found.ops)
            except BaseException:
                restore_rules(elb, listener_arn, found.ops, found.tags)
                raise
            print(f"maintenance off (removed ops rules {priorities(found.ops)})")
    if found.on_via_pulumi:
        print(f"note: maintenance is still on via Pulumi rules ({priorities(found.pulumi)}); "
              "set maintenance.enabled to false and run pulumi up to turn it off")


def stale_bypass(found: Found, production: dict[str, dict[str, int]]) -> list[dict]:
    """Ops bypass rules whose weights differ from the live weights of the production rule they copy."""
    return [r for r in found.ops if not is_503(r) and found.route_of(r) in production
            and L.weights_of(L.forward_action(r)) != production[found.route_of(r)]]


def sync_bypass(elb, listener_arn: str, production_rule: str, forward: dict) -> list[int]:
    """Point the ops bypass rules that copy one production rule at its new forward action; their priorities."""
    found, synced = current(elb, listener_arn), []
    for rule in found.ops:
        if not is_503(rule) and found.route_of(rule) == production_rule:
            elb.modify_rule(RuleArn=rule["RuleArn"], Actions=[forward])
            synced.append(L.priority_of(rule))
    return synced

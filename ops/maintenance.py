"""`maintenance on|off`: ops-owned listener rules at priorities 10-19, tagged nodeapi:maintenance=ops.

ALB conditions cannot be negated, so "503 except admin paths and allowed IPs" is a set of bypass rules
(forwarding with the production rule's current weights) followed by a catch-all 503 rule.
"""

import ipaddress
import json

from ops import listener as L
from ops.errors import Refused, UsageError

VALUES_PER_RULE = 5  # ALB quota: condition values per rule
WILDCARDS_PER_RULE = 5  # ALB quota: wildcards (* and ?) per rule
DEFAULT_MESSAGE = "The service is down for maintenance. Please try again later."
OPS_TAGS = [{"Key": L.OPS_TAG_KEY, "Value": L.OPS_TAG_VALUE}]


def wildcards(value: str) -> int:
    """Number of ALB wildcards in a path pattern."""
    return value.count("*") + value.count("?")


def chunk(values: list[str], per_rule: int = VALUES_PER_RULE,
          wildcard_limit: int = WILDCARDS_PER_RULE) -> list[list[str]]:
    """Values split into rules within both the values and the wildcards quota, order kept."""
    chunks: list[list[str]] = []
    for value in values:
        if wildcards(value) > wildcard_limit:
            raise UsageError(f"path pattern {value} has more than {wildcard_limit} wildcards")
        last = chunks[-1] if chunks else None
        if last is None or len(last) == per_rule or sum(map(wildcards, last)) + wildcards(value) > wildcard_limit:
            chunks.append([value])
        else:
            last.append(value)
    return chunks


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


def response_body(message: str) -> str:
    """The JSON body of the 503 response."""
    return json.dumps({"error": "maintenance", "message": message}, separators=(",", ":"))


def fixed_503(message: str) -> dict:
    """The fixed-response action of the catch-all rule."""
    body = response_body(message)
    if len(body.encode()) > 1024:
        raise UsageError("maintenance message too long (the ALB allows a 1024-byte body)")
    return {"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "503", "ContentType": "application/json", "MessageBody": body}}


def plan_rules(paths: list[str], cidrs: list[str], forward: dict, message: str) -> list[dict]:
    """The rules to create, in priority order: bypass rules (paths, then CIDRs), then the 503 rule."""
    conditions = [{"Field": "path-pattern", "PathPatternConfig": {"Values": c}} for c in chunk(paths)]
    conditions += [{"Field": "source-ip", "SourceIpConfig": {"Values": c}} for c in chunk(cidrs)]
    actions = [[forward]] * len(conditions) + [[fixed_503(message)]]
    conditions.append({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}})
    priorities = list(L.OPS_MAINTENANCE_PRIORITIES)
    if len(conditions) > len(priorities):
        raise UsageError(f"{len(conditions)} rules needed for these admin paths and CIDRs, but ops owns only "
                         f"{len(priorities)} priorities ({priorities[0]}-{priorities[-1]})")
    return [{"Priority": p, "Conditions": [c], "Actions": a} for p, c, a in zip(priorities, conditions, actions)]


def is_503(rule: dict) -> bool:
    """Whether a rule is a maintenance (fixed-response 503) rule."""
    return any(a.get("Type") == "fixed-response" and a.get("FixedResponseConfig", {}).get("StatusCode") == "503"
               for a in rule.get("Actions", []))


def classify(rules: list[dict], tagged: set[str]) -> dict[str, list[dict]]:
    """The listener's maintenance rules: ops-tagged, Pulumi's (1-9), and foreign rules in 10-19."""
    ops = [r for r in rules if r["RuleArn"] in tagged]
    pulumi = [r for r in rules if L.priority_of(r) in L.PULUMI_MAINTENANCE_PRIORITIES and r["RuleArn"] not in tagged]
    foreign = [r for r in rules if L.priority_of(r) in L.OPS_MAINTENANCE_PRIORITIES and r["RuleArn"] not in tagged]
    key = L.priority_of
    return {"ops": sorted(ops, key=key), "pulumi": sorted(pulumi, key=key), "foreign": sorted(foreign, key=key)}


def current(elb, listener_arn: str) -> dict[str, list[dict]]:
    """The classified maintenance rules of the HTTPS listener, read now."""
    rules = L.listener_rules(elb, listener_arn)
    return classify(rules, L.ops_tagged(elb, rules))


def priorities(rules: list[dict]) -> str:
    """`10, 11, 12`."""
    return ", ".join(str(L.priority_of(r)) for r in rules)


def state_line(found: dict[str, list[dict]]) -> str:
    """`maintenance: off` or which rules keep it on."""
    parts = []
    if found["pulumi"]:
        parts.append(f"pulumi (rules {priorities(found['pulumi'])})")
    if any(is_503(r) for r in found["ops"]):
        parts.append(f"ops (rules {priorities(found['ops'])})")
    return "maintenance: " + (f"on via {' and '.join(parts)}" if parts else "off")


def turn_on(aws, outputs: dict, paths: list[str], cidrs: list[str], message: str) -> None:
    """Create the ops maintenance rules, unless they already exist."""
    elb = aws.client("elbv2")
    listener_arn = outputs["httpsListenerArn"]
    found = current(elb, listener_arn)
    if found["foreign"]:
        raise Refused(f"refused: priorities {priorities(found['foreign'])} on the HTTPS listener hold rules "
                      f"not tagged {L.OPS_TAG_KEY}={L.OPS_TAG_VALUE}; nothing changed")
    if any(is_503(r) for r in found["ops"]):
        print(f"maintenance already on (ops rules {priorities(found['ops'])}); nothing changed")
        return
    _, forward = L.production_rule(elb, outputs["productionListenerRuleArn"])
    plan = plan_rules(paths, cidrs, L.with_weights(forward, L.weights_of(forward)), message)
    if found["ops"]:  # bypass rules left by an interrupted run: start again from a clean slate
        delete_rules(elb, found["ops"])
    for rule in plan:  # bypass rules first, the 503 last: admins are never locked out
        elb.create_rule(ListenerArn=listener_arn, Tags=OPS_TAGS, **rule)
        print(f"created rule {rule['Priority']}: {describe_plan_rule(rule)}")
    print(f"maintenance on (ops rules {', '.join(str(r['Priority']) for r in plan)})")
    if found["pulumi"]:
        print(f"note: Pulumi maintenance rules ({priorities(found['pulumi'])}) are also on")


def describe_plan_rule(rule: dict) -> str:
    """`forward path-pattern /admin/*` or `503 path-pattern /*`."""
    condition = rule["Conditions"][0]
    values = (condition.get("PathPatternConfig") or condition.get("SourceIpConfig"))["Values"]
    verb = "503" if is_503(rule) else "forward"
    return f"{verb} {condition['Field']} {' '.join(values)}"


def delete_rules(elb, rules: list[dict]) -> None:
    """Delete rules, 503 rules first so traffic flows again as early as possible."""
    for rule in sorted(rules, key=lambda r: (not is_503(r), L.priority_of(r))):
        elb.delete_rule(RuleArn=rule["RuleArn"])
        print(f"deleted rule {L.priority_of(rule)}")


def turn_off(aws, outputs: dict) -> None:
    """Delete the rules tagged by ops (never any other rule)."""
    elb = aws.client("elbv2")
    found = current(elb, outputs["httpsListenerArn"])
    if not found["ops"]:
        print("maintenance (ops) already off; nothing changed")
    else:
        delete_rules(elb, found["ops"])
        print(f"maintenance off (removed ops rules {priorities(found['ops'])})")
    if found["pulumi"]:
        print(f"note: maintenance is still on via Pulumi rules ({priorities(found['pulumi'])}); "
              "set service.maintenance.enabled to false and run pulumi up to turn it off")


def sync_bypass(elb, listener_arn: str, forward: dict) -> list[int]:
    """Point the ops bypass rules at new forward weights; their priorities."""
    synced = []
    for rule in current(elb, listener_arn)["ops"]:
        if not is_503(rule):
            elb.modify_rule(RuleArn=rule["RuleArn"], Actions=[forward])
            synced.append(L.priority_of(rule))
    return synced

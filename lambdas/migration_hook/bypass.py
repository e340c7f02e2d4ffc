"""Maintenance bypass rules follow the production rule after ECS shifts traffic.

Maintenance mode (Pulumi's rules at priorities 1-49, `python -m ops maintenance` at 50-99, contract/maintenance.py)
answers 503 except for bypass rules that forward like a route's production rule. ECS rewrites only the production
and test rules' weights on a blue/green deployment or rollback, so a bypass rule copied before the deployment
keeps sending its traffic to the revision that is about to be drained. At PRODUCTION_TRAFFIC_SHIFT (also run on
rollback) and POST_PRODUCTION_TRAFFIC_SHIFT the hook copies each production rule's forward configuration onto every
rule in 1-99 that forwards to the same target groups. The copy never fails a deployment: errors are logged.
"""

MAINTENANCE_PRIORITIES = range(1, 100)


def forward_action(rule: dict) -> dict | None:
    """The rule's forward action (DescribeRules shape), or None."""
    return next((a for a in rule.get("Actions") or [] if a.get("Type") == "forward"), None)


def forward_config(action: dict) -> dict:
    """A forward action's ForwardConfig; a single TargetGroupArn counts as weight 1."""
    config = action.get("ForwardConfig")
    if config:
        return config
    return {"TargetGroups": [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]}


def groups_of(config: dict) -> frozenset:
    return frozenset(g["TargetGroupArn"] for g in config.get("TargetGroups") or [])


def comparable(config: dict) -> tuple:
    """What a copy must reproduce: weights by group, and the group stickiness."""
    weights = tuple(sorted((g["TargetGroupArn"], g.get("Weight", 1)) for g in config.get("TargetGroups") or []))
    stickiness = config.get("TargetGroupStickinessConfig") or {}
    return weights, bool(stickiness.get("Enabled")), stickiness.get("DurationSeconds")


def in_maintenance_range(rule: dict) -> bool:
    priority = rule.get("Priority", "default")
    return priority.isdigit() and int(priority) in MAINTENANCE_PRIORITIES


def stale_bypass_rules(production_rules: list[dict], listener_rules: list[dict]) -> list[tuple[str, list[dict]]]:
    """(rule ARN, new Actions) for each maintenance-range rule that forwards to a production rule's target groups
    with other weights or stickiness; the new action is the production rule's forward configuration."""
    production = {}
    for rule in production_rules:
        action = forward_action(rule)
        if action is not None:
            config = forward_config(action)
            production[groups_of(config)] = config
    stale = []
    for rule in listener_rules:
        action = forward_action(rule) if in_maintenance_range(rule) else None
        if action is None:
            continue
        config = forward_config(action)
        wanted = production.get(groups_of(config))
        if wanted is not None and comparable(config) != comparable(wanted):
            new_action = {"Type": "forward", "ForwardConfig": wanted}
            if "Order" in action:
                new_action["Order"] = action["Order"]
            stale.append((rule["RuleArn"], [new_action]))
    return stale


def listener_rules(elbv2, listener_arn: str) -> list[dict]:
    """Every rule of the listener (DescribeRules pages by Marker)."""
    rules, marker = [], None
    while True:
        response = elbv2.describe_rules(ListenerArn=listener_arn, **({"Marker": marker} if marker else {}))
        rules += response.get("Rules") or []
        marker = response.get("NextMarker")
        if not marker:
            return rules


def sync(elbv2, listener_arn: str, production_rule_arns: list[str]) -> list[str]:
    """Copy the production rules' weights onto the stale bypass rules; the ARNs of the rules changed."""
    production = elbv2.describe_rules(RuleArns=list(production_rule_arns)).get("Rules") or []
    changed = []
    for rule_arn, actions in stale_bypass_rules(production, listener_rules(elbv2, listener_arn)):
        elbv2.modify_rule(RuleArn=rule_arn, Actions=actions)
        changed.append(rule_arn)
    return changed

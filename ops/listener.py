"""ALB listener rules: reading rules and tags, and the forward-weights logic (pure functions)."""

import copy

from ops.errors import Failed

TAGS_PER_CALL = 20  # DescribeTags accepts at most 20 ARNs
# Condition fields the maintenance plan uses -> their config key in the ELBv2 API (API_RuleCondition).
CONDITION_CONFIG = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig",
                    "source-ip": "SourceIpConfig"}


def tg_label(arn: str, labels: dict[str, str]) -> str:
    """`blue`/`green` for the stack's target groups, else the name inside the ARN."""
    if arn in labels:
        return labels[arn]
    parts = arn.split(":targetgroup/")
    return parts[1].split("/")[0] if len(parts) == 2 else arn


def forward_action(rule: dict) -> dict:
    """The forward action of a rule (ValueError if it has none)."""
    for action in rule.get("Actions", []):
        if action.get("Type") == "forward":
            return action
    raise ValueError("rule has no forward action")


def weights_of(action: dict) -> dict[str, int]:
    """Target group ARN -> weight of a forward action (a plain TargetGroupArn carries everything)."""
    groups = action.get("ForwardConfig", {}).get("TargetGroups")
    if groups:
        return {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups}
    return {action["TargetGroupArn"]: 1}


def live_target(weights: dict[str, int]) -> str | None:
    """The one target group carrying all traffic, or None when traffic is split or nowhere."""
    carrying = [arn for arn, weight in weights.items() if weight > 0]
    return carrying[0] if len(carrying) == 1 else None


def fmt_weights(weights: dict[str, int], labels: dict[str, str]) -> str:
    """`blue 100 / green 0`, in the stack's blue, green order first."""
    order = sorted(weights, key=lambda arn: (list(labels).index(arn) if arn in labels else len(labels), arn))
    return " / ".join(f"{tg_label(arn, labels)} {weights[arn]}" for arn in order)


def all_to(weights: dict[str, int], target: str) -> dict[str, int]:
    """The same target groups with every bit of traffic on one of them."""
    shifted = {arn: 0 for arn in weights}
    shifted[target] = 100
    return shifted


def with_weights(action: dict, weights: dict[str, int]) -> dict:
    """A forward action with new weights, keeping stickiness and order of the original."""
    new = {"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights.items()],
    }}
    stickiness = action.get("ForwardConfig", {}).get("TargetGroupStickinessConfig")
    if stickiness:
        new["ForwardConfig"]["TargetGroupStickinessConfig"] = copy.deepcopy(stickiness)
    if "Order" in action:
        new["Order"] = action["Order"]
    return new


def priority_of(rule: dict) -> int | None:
    """The numeric priority of a rule (None for the default rule)."""
    value = rule.get("Priority", "default")
    return int(value) if str(value).isdigit() else None


def describe_rule(elb, rule_arn: str) -> dict:
    """One rule by ARN."""
    return elb.describe_rules(RuleArns=[rule_arn])["Rules"][0]


def production_rule(elb, rule_arn: str) -> tuple[dict, dict]:
    """The production listener rule and its forward action (Failed if it has none)."""
    rule = describe_rule(elb, rule_arn)
    try:
        return rule, forward_action(rule)
    except ValueError:
        raise Failed(f"production rule {rule_arn} has no forward action") from None


def listener_rules(elb, listener_arn: str) -> list[dict]:
    """All rules of a listener, following pagination."""
    rules, marker = [], None
    while True:
        page = elb.describe_rules(ListenerArn=listener_arn, **({"Marker": marker} if marker else {}))
        rules.extend(page["Rules"])
        marker = page.get("NextMarker")
        if not marker:
            return rules


def tags_of(elb, rules: list[dict]) -> dict[str, dict[str, str]]:
    """Rule ARN -> its tags, for every non-default rule."""
    arns = [r["RuleArn"] for r in rules if priority_of(r) is not None]
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), TAGS_PER_CALL):
        for desc in elb.describe_tags(ResourceArns=arns[start:start + TAGS_PER_CALL])["TagDescriptions"]:
            tags[desc["ResourceArn"]] = {t["Key"]: t.get("Value", "") for t in desc.get("Tags", [])}
    return tags


def api_conditions(conditions: dict[str, list[str]]) -> list[dict]:
    """Plan conditions (field -> values) as ELBv2 rule conditions."""
    return [{"Field": field, CONDITION_CONFIG[field]: {"Values": list(values)}} for field, values in conditions.items()]


def condition_values(rule: dict) -> list[tuple[str, list[str]]]:
    """(field, values) of each condition of a described rule."""
    found = []
    for condition in rule.get("Conditions", []):
        config = condition.get(CONDITION_CONFIG.get(condition["Field"], ""), {})
        found.append((condition["Field"], list(config.get("Values") or condition.get("Values") or [])))
    return found


def creatable(rule: dict) -> dict:
    """Priority, conditions and actions of a described rule, as CreateRule accepts them again."""
    conditions = api_conditions(dict(condition_values(rule)))
    actions = []
    for action in rule.get("Actions", []):
        if action.get("Type") == "forward":
            actions.append(with_weights(action, weights_of(action)))
        else:
            actions.append({k: v for k, v in action.items() if k in ("Type", "Order", "FixedResponseConfig",
                                                                     "RedirectConfig")})
    return {"Priority": priority_of(rule), "Conditions": conditions, "Actions": actions}

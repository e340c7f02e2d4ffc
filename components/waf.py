"""The WAF web ACL on the load balancer: AWS managed rule groups, per-IP rate limits, redacted logs."""

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.waf import COMMON, KNOWN_BAD_INPUTS, RateLimit

LOG_GROUP_PREFIX = "aws-waf-logs-"  # WAF refuses log destinations without this prefix
REDACTED_HEADERS = ("authorization", "cookie")  # bearer tokens and sessions never reach the logs
RATE_LIMITED_BODY = "rate-limited"
RATE_LIMIT_PRIORITY_BASE = 100
# Fixed priorities: enabling or removing a group never renumbers the others (smaller diffs, same order).
MANAGED_PRIORITIES = {
    "AWSManagedRulesAmazonIpReputationList": 0,
    COMMON: 10,
    KNOWN_BAD_INPUTS: 20,
}
# On an ALB, WAF inspects only the first 8 KB of a body, and SizeRestrictions_BODY blocks every body larger
# than that. JSON APIs legitimately take bigger bodies (bulk writes, rich text), and the app enforces its own
# body limit (express.json, 100 KB by default), so that one rule only counts: the metric stays, requests pass.
COUNT_ONLY_RULES = {COMMON: ("SizeRestrictions_BODY",)}


def visibility(metric_name: str) -> dict[str, Any]:
    """CloudWatch metrics and sampled requests for one rule (or the ACL's default action)."""
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric_name, "sampled_requests_enabled": True}


def managed_rule(acl_name: str, group: str) -> dict[str, Any]:
    """An AWS managed rule group with its own block actions, except the rules we only count."""
    statement: dict[str, Any] = {"vendor_name": "AWS", "name": group}
    overrides = COUNT_ONLY_RULES.get(group, ())
    if overrides:
        statement["rule_action_overrides"] = [{"name": rule, "action_to_use": {"count": {}}} for rule in overrides]
    return {
        "name": group,
        "priority": MANAGED_PRIORITIES[group],
        "override_action": {"none": {}},
        "statement": {"managed_rule_group_statement": statement},
        "visibility_config": visibility(f"{acl_name}-{group}"),
    }


def rate_rule(acl_name: str, index: int, limit: RateLimit) -> dict[str, Any]:
    """Block an IP above `limit` requests per window (under `path_prefix` only, if set) with a JSON 429."""
    statement: dict[str, Any] = {
        "aggregate_key_type": "IP",
        "limit": limit.limit,
        "evaluation_window_sec": limit.window_seconds,
    }
    if limit.path_prefix:
        statement["scope_down_statement"] = {"byte_match_statement": {
            "positional_constraint": "STARTS_WITH",
            "search_string": limit.path_prefix,
            "field_to_match": {"uri_path": {}},
            "text_transformations": [{"priority": 0, "type": "NONE"}],
        }}
    return {
        "name": f"rate-{limit.name}",
        "priority": RATE_LIMIT_PRIORITY_BASE + index,
        "action": {"block": {"custom_response": {
            "response_code": 429,
            "custom_response_body_key": RATE_LIMITED_BODY,
            "response_headers": [{"name": "Retry-After", "value": str(limit.window_seconds)}],
        }}},
        "statement": {"rate_based_statement": statement},
        "visibility_config": visibility(f"{acl_name}-rate-{limit.name}"),
    }


def web_acl_rules(acl_name: str, managed_groups: list[str], rate_limits: list[RateLimit]) -> list[dict[str, Any]]:
    """Managed groups first (in priority order), then the rate limits in settings order."""
    groups = sorted(managed_groups, key=MANAGED_PRIORITIES.__getitem__)
    return ([managed_rule(acl_name, group) for group in groups]
            + [rate_rule(acl_name, index, limit) for index, limit in enumerate(rate_limits)])


def log_delivery_policy(log_group_arn: str) -> str:
    """Let the log delivery service write this log group only, for this account's sources."""
    _, partition, _, region, account, *_ = log_group_arn.split(":")
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "WafLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{log_group_arn}:*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account},
                      "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account}:*"}},
    }]}, sort_keys=True)


@dataclass(frozen=True, kw_only=True)
class WafArgs:
    """`acl_name` names the ACL, its metrics and the log group `aws-waf-logs-<acl_name>`."""

    acl_name: str
    rate_limits: list[RateLimit]
    log_retention_days: int
    load_balancer_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None = None
    managed_rule_groups: list[str] = field(default_factory=lambda: [COMMON, KNOWN_BAD_INPUTS])


class Waf(pulumi.ComponentResource):
    """A regional web ACL associated with the ALB, logging to CloudWatch with credentials redacted."""

    def __init__(self, name: str, args: WafArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:service:Waf", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.web_acl = aws.wafv2.WebAcl(
            name,
            name=args.acl_name,
            description=f"{args.acl_name}: AWS managed rules and per-IP rate limits in front of the API",
            scope="REGIONAL",
            default_action={"allow": {}},
            custom_response_bodies=[{
                "key": RATE_LIMITED_BODY,
                "content_type": "APPLICATION_JSON",
                "content": json.dumps({"error": "Too many requests, please try again later"}),
            }],
            rules=web_acl_rules(args.acl_name, args.managed_rule_groups, args.rate_limits),
            visibility_config=visibility(args.acl_name),
            tags={"Name": args.acl_name},
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-association", resource_arn=args.load_balancer_arn, web_acl_arn=self.web_acl.arn, opts=child,
        )
        self.log_group = self._logging(name, args)
        self.web_acl_arn = self.web_acl.arn
        self.log_group_name = self.log_group.name
        self.register_outputs({"web_acl_arn": self.web_acl_arn, "log_group_name": self.log_group_name})

    def _logging(self, name: str, args: WafArgs) -> aws.cloudwatch.LogGroup:
        """Log group (encrypted with the stack key: its policy lets CloudWatch Logs use it), policy, config."""
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"{LOG_GROUP_PREFIX}{args.acl_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags={"Name": f"{LOG_GROUP_PREFIX}{args.acl_name}"},
            opts=child,
        )
        # Our own narrow policy; otherwise WAF grows the account-wide AWSWAF-LOGS policy, which hits its size limit.
        policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-delivery",
            policy_name=f"{LOG_GROUP_PREFIX}{args.acl_name}",
            policy_document=log_group.arn.apply(log_delivery_policy),
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=[{"single_header": {"name": header}} for header in REDACTED_HEADERS],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        return log_group

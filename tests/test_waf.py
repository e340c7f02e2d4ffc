"""The WAF: settings messages, and the web ACL, its association and redacted logging under mocks."""

import copy

import pulumi
import pytest

from components.waf import Waf, WafArgs, log_delivery_policy
from settings import SettingsError, parse_settings
from settings.waf import RateLimit
from tests.helpers import ABSENT, assert_inputs, one, parsed, stack_settings
from tools.preview import record

SOURCE = "nodeapi:settings (Pulumi.prod.yaml)"
ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/nodeapi-test/0123456789abcdef"
KEY = "arn:aws:kms:us-east-1:123456789012:key/0000-key"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:webAcl/nodeapi-test"  # the mocks' generic ARN
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-nodeapi-test"


# --- settings ---

def waf_message(waf) -> str:
    raw = copy.deepcopy(stack_settings("prod"))
    raw["waf"] = waf
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, SOURCE)
    return str(caught.value).removeprefix(f"Invalid settings in {SOURCE}:\n  ")


def limit(**changes) -> dict:
    return {"name": "api", "limit": 100, "windowSeconds": 600, "pathPrefix": "/api/", **changes}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_defaults_are_the_nearest_waf_can_do_to_the_playbook_limits(stack):
    waf = parse_settings(stack_settings(stack), stack).waf
    assert waf.enabled is True and waf.log_retention_days == 30
    assert waf.managed_rule_groups == ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]
    assert [(r.name, r.limit, r.window_seconds, r.path_prefix) for r in waf.rate_limits] == [
        ("api", 100, 600, "/api/"), ("auth", 10, 600, "/api/auth/")]


@pytest.mark.parametrize("waf, expected", [
    ({"rateLimits": [limit(windowSeconds=900)]},
     "waf.rateLimits[0].windowSeconds: got 900; WAF rate-based rules evaluate over 60, 120, 300 or 600 seconds"),
    ({"rateLimits": [limit(), limit(name="auth", limit=5)]},
     "waf.rateLimits[1].limit: got 5; WAF rate-based rules allow limits from 10 to 2,000,000,000 requests"),
    ({"rateLimits": [limit(limit=2_000_000_001)]},
     "waf.rateLimits[0].limit: got 2000000001; WAF rate-based rules allow limits from 10 to 2,000,000,000 requests"),
    ({"rateLimits": [limit(), limit(limit=50)]},
     "waf.rateLimits[1].name: got 'api'; each rate limit needs its own name"),
    ({"rateLimits": [limit(pathPrefix="api/")]},
     "waf.rateLimits[0].pathPrefix: got 'api/'; must be a URI path starting with '/', e.g. '/api/'"),
    ({"rateLimits": [limit(name="API limit")]},
     "waf.rateLimits[0].name: got 'API limit'; must be 1-32 characters: a lowercase letter, then a-z, 0-9 or '-'"),
    ({"rateLimits": [limit(window=600)]},
     "waf.rateLimits[0].window: unknown key (got 600); allowed keys here: limit, name, pathPrefix, windowSeconds"),
    ({"logRetentionDays": 10},
     "waf.logRetentionDays: got 10; not a CloudWatch Logs retention; allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, "
     "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"),
    ({"managedRuleGroups": ["AWSManagedRulesBotControlRuleSet"]},
     "waf.managedRuleGroups[0]: got 'AWSManagedRulesBotControlRuleSet'; input should be "
     "'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet' or "
     "'AWSManagedRulesAmazonIpReputationList'"),
])
def test_bad_waf_settings_have_one_exact_message(waf, expected):
    assert waf_message(waf) == expected


def test_every_broken_limit_is_reported_on_its_own_line():
    assert waf_message({"rateLimits": [limit(windowSeconds=30, limit=1), limit(name="auth", windowSeconds=3600)]}) == (
        "waf.rateLimits[0].limit: got 1; WAF rate-based rules allow limits from 10 to 2,000,000,000 requests\n"
        "  waf.rateLimits[0].windowSeconds: got 30; WAF rate-based rules evaluate over 60, 120, 300 or 600 seconds\n"
        "  waf.rateLimits[1].windowSeconds: got 3600; WAF rate-based rules evaluate over 60, 120, 300 or 600 seconds")


def test_limits_at_the_edges_are_accepted():
    raw = copy.deepcopy(stack_settings("prod"))
    raw["waf"] = {"rateLimits": [limit(limit=10, windowSeconds=60), limit(name="all", limit=2_000_000_000,
                                                                         windowSeconds=120, pathPrefix=None)]}
    assert [(r.limit, r.window_seconds, r.path_prefix) for r in parse_settings(raw, SOURCE).waf.rate_limits] == [
        (10, 60, "/api/"), (2_000_000_000, 120, None)]


# --- the component under mocks ---

DEFAULT_LIMITS = [RateLimit(name="api", limit=100, window_seconds=600, path_prefix="/api/"),
                  RateLimit(name="auth", limit=10, window_seconds=600, path_prefix="/api/auth/")]


def graph_of(**changes) -> dict:
    args = {"acl_name": "nodeapi-test", "rate_limits": DEFAULT_LIMITS, "log_retention_days": 90,
            "load_balancer_arn": ALB, "kms_key_arn": KEY, **changes}

    def build():
        waf = Waf("waf", WafArgs(**args))
        pulumi.export("webAclArn", waf.web_acl_arn)
        pulumi.export("logGroupName", waf.log_group_name)

    return record(build)


@pytest.fixture(scope="module")
def graph() -> dict:
    return graph_of()


def metrics(name: str) -> dict:
    return {"cloudwatchMetricsEnabled": True, "metricName": name, "sampledRequestsEnabled": True}


def scope_down(prefix: str) -> dict:
    return {"byteMatchStatement": {"positionalConstraint": "STARTS_WITH", "searchString": prefix,
                                   "fieldToMatch": {"uriPath": {}},
                                   "textTransformations": [{"priority": 0, "type": "NONE"}]}}


def rate_rule(name: str, priority: int, limit_: int, window: int, prefix: str | None) -> dict:
    statement = {"aggregateKeyType": "IP", "limit": limit_, "evaluationWindowSec": window}
    if prefix:
        statement["scopeDownStatement"] = scope_down(prefix)
    return {
        "name": f"rate-{name}", "priority": priority,
        "action": {"block": {"customResponse": {
            "responseCode": 429, "customResponseBodyKey": "rate-limited",
            "responseHeaders": [{"name": "Retry-After", "value": str(window)}]}}},
        "statement": {"rateBasedStatement": statement},
        "visibilityConfig": metrics(f"nodeapi-test-rate-{name}"),
    }


def test_only_the_expected_resources(graph):
    assert sorted(r["type"] for r in graph["resources"]) == [
        "aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws:wafv2/webAcl:WebAcl", "aws:wafv2/webAclAssociation:WebAclAssociation",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "nodeapi:service:Waf"]
    component = "urn:pulumi:test::nodeapi::nodeapi:service:Waf::waf"
    assert all(r["parent"] == component for r in graph["resources"] if r["type"] != "nodeapi:service:Waf")


def test_web_acl_is_regional_allow_by_default_with_rules_in_order(graph):
    acl = one(graph, WEB_ACL, "waf")
    assert_inputs(acl, {
        "name": "nodeapi-test", "scope": "REGIONAL", "defaultAction": {"allow": {}},
        "visibilityConfig": metrics("nodeapi-test"),
        "customResponseBodies": [{"key": "rate-limited", "contentType": "APPLICATION_JSON",
                                  "content": '{"error": "Too many requests, please try again later"}'}],
    })
    assert acl["inputs"]["rules"] == [
        {"name": "AWSManagedRulesCommonRuleSet", "priority": 10, "overrideAction": {"none": {}},
         "statement": {"managedRuleGroupStatement": {
             "vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet",
             "ruleActionOverrides": [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]}},
         "visibilityConfig": metrics("nodeapi-test-AWSManagedRulesCommonRuleSet")},
        {"name": "AWSManagedRulesKnownBadInputsRuleSet", "priority": 20, "overrideAction": {"none": {}},
         "statement": {"managedRuleGroupStatement": {"vendorName": "AWS",
                                                     "name": "AWSManagedRulesKnownBadInputsRuleSet"}},
         "visibilityConfig": metrics("nodeapi-test-AWSManagedRulesKnownBadInputsRuleSet")},
        rate_rule("api", 100, 100, 600, "/api/"),
        rate_rule("auth", 101, 10, 600, "/api/auth/"),
    ]


def test_ip_reputation_goes_first_and_a_limit_without_prefix_counts_everything():
    graph = graph_of(managed_rule_groups=["AWSManagedRulesKnownBadInputsRuleSet",
                                          "AWSManagedRulesAmazonIpReputationList"],
                     rate_limits=[RateLimit(name="all", limit=2000, window_seconds=300)])
    rules = one(graph, WEB_ACL, "waf")["inputs"]["rules"]
    assert [(r["name"], r["priority"]) for r in rules] == [
        ("AWSManagedRulesAmazonIpReputationList", 0), ("AWSManagedRulesKnownBadInputsRuleSet", 20), ("rate-all", 100)]
    assert rules[2] == rate_rule("all", 100, 2000, 300, None)
    assert "ruleActionOverrides" not in rules[0]["statement"]["managedRuleGroupStatement"]


def test_web_acl_is_associated_with_the_load_balancer(graph):
    assert one(graph, "aws:wafv2/webAclAssociation:WebAclAssociation", "waf-association")["inputs"] == {
        "resourceArn": ALB, "webAclArn": ACL_ARN}
    assert graph["outputs"]["webAclArn"] == ACL_ARN


def test_logs_go_to_an_encrypted_aws_waf_logs_group_with_credentials_redacted(graph):
    assert one(graph, LOG_GROUP, "waf-logs")["inputs"] == {
        "name": "aws-waf-logs-nodeapi-test", "retentionInDays": 90, "kmsKeyId": KEY,
        "tags": {"Name": "aws-waf-logs-nodeapi-test"}}
    logging = one(graph, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "waf-logging")
    assert logging["inputs"] == {
        "resourceArn": ACL_ARN, "logDestinationConfigs": [LOG_GROUP_ARN],
        "redactedFields": [{"singleHeader": {"name": "authorization"}}, {"singleHeader": {"name": "cookie"}}]}
    policy = one(graph, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "waf-log-delivery")
    assert logging["options"]["dependsOn"] == [policy["urn"]]
    assert policy["inputs"]["policyName"] == "aws-waf-logs-nodeapi-test"
    assert parsed(policy["inputs"]["policyDocument"]) == {"Version": "2012-10-17", "Statement": [{
        "Sid": "WafLogDelivery", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{LOG_GROUP_ARN}:*",
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"},
                      "ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:*"}}}]}
    assert graph["outputs"]["logGroupName"] == "aws-waf-logs-nodeapi-test"


def test_log_group_without_a_key_is_not_encrypted():
    assert_inputs(one(graph_of(kms_key_arn=None), LOG_GROUP, "waf-logs"), {"kmsKeyId": ABSENT})


def test_delivery_policy_follows_the_partition_of_the_log_group():
    arn = "arn:aws-us-gov:logs:us-gov-west-1:111122223333:log-group:aws-waf-logs-x"
    statement = parsed(log_delivery_policy(arn))["Statement"][0]
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws-us-gov:logs:us-gov-west-1:111122223333:*"}

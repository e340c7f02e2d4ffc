"""The ALB edge: security group, listeners, TLS and headers, blue/green target groups, ECS-owned rules,
access logs and the maintenance rules, for both stacks."""

import functools
import json

import pytest

from components.access_logs import log_delivery_principal
from components.load_balancer import source_ip_rules
from tests.conftest import graph_with
from tests.data_helpers import SG, app_sg_id, state_of
from tests.helpers import ABSENT, assert_inputs, one, parsed, resources, stack_settings

LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"
TG = "aws:lb/targetGroup:TargetGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
CIDR = {"staging": "10.30.0.0/16", "prod": "10.20.0.0/16"}


def arn(graph: dict, type_: str, name: str) -> str:
    return state_of(graph, type_, name)["arn"]


def forward(graph: dict, blue: int, green: int) -> dict:
    return {"type": "forward", "forward": {"targetGroups": [
        {"arn": arn(graph, TG, "load-balancer-blue"), "weight": blue},
        {"arn": arn(graph, TG, "load-balancer-green"), "weight": green}]}}


def test_alb_is_public_hardened_and_logged(stack_graph):
    stack = stack_graph["stack"]
    public = [state_of(stack_graph, "aws:ec2/subnet:Subnet", r["name"])["id"]
              for r in resources(stack_graph, "aws:ec2/subnet:Subnet") if "public" in r["name"]]
    alb = one(stack_graph, LB)
    assert_inputs(alb, {
        "name": f"nodeapi-{stack}", "loadBalancerType": "application", "internal": False, "ipAddressType": "ipv4",
        "subnets": public, "securityGroups": [state_of(stack_graph, SG, "load-balancer-sg")["id"]],
        "dropInvalidHeaderFields": True, "enableDeletionProtection": stack == "prod", "idleTimeout": 60,
        "accessLogs": {"bucket": f"nodeapi-{stack}-alb-logs-123456789012-us-east-1", "prefix": "alb",
                       "enabled": True},
    })
    assert len(public) == (3 if stack == "prod" else 2)
    assert alb["options"]["dependsOn"] == [one(stack_graph, "aws:s3/bucketPolicy:BucketPolicy",
                                               "access-logs-policy")["urn"]]


def test_security_group_faces_the_internet_only_on_80_and_443(stack_graph):
    alb_sg = state_of(stack_graph, SG, "load-balancer-sg")["id"]
    for port in (443, 80):
        assert_inputs(one(stack_graph, INGRESS, f"load-balancer-in-{port}"), {
            "securityGroupId": alb_sg, "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": port, "toPort": port,
            "tags": {"Name": f"load-balancer-in-{port}", "Exposure": "public-load-balancer"}})
    assert_inputs(one(stack_graph, INGRESS, "load-balancer-test-in-vpc"), {
        "securityGroupId": alb_sg, "cidrIpv4": CIDR[stack_graph["stack"]], "fromPort": 8443, "toPort": 8443,
        "tags": {"Name": "load-balancer-test-in-vpc"}})
    assert_inputs(one(stack_graph, EGRESS, "load-balancer-to-app"), {
        "securityGroupId": alb_sg, "referencedSecurityGroupId": app_sg_id(stack_graph), "fromPort": 3000,
        "toPort": 3000, "ipProtocol": "tcp", "cidrIpv4": ABSENT})
    assert_inputs(one(stack_graph, INGRESS, "load-balancer-app-from-alb"), {
        "securityGroupId": app_sg_id(stack_graph), "referencedSecurityGroupId": alb_sg, "fromPort": 3000,
        "toPort": 3000})
    world = [r["name"] for r in resources(stack_graph, INGRESS) if r["inputs"].get("cidrIpv4") == "0.0.0.0/0"]
    assert sorted(world) == ["load-balancer-in-443", "load-balancer-in-80"]


@functools.lru_cache(maxsize=None)
def prod_opened_up() -> dict:
    """Prod with maintenance mode on and CIDRs allowed onto the test port (one graph for both tests)."""
    settings = stack_settings("prod")["service"]
    return graph_with("prod", service={
        **settings,
        "loadBalancer": {**settings["loadBalancer"], "testAllowedCidrs": ["203.0.113.0/24", "2001:db8::/32"]},
        "maintenance": {"enabled": True, "adminPaths": ["/admin/*", "/api/admin/*"],
                        "allowedCidrs": ["203.0.113.7/32"], "message": "Upgrading, back soon."},
    })


def test_allow_listed_cidrs_reach_the_test_port_only():
    graph = prod_opened_up()
    assert_inputs(one(graph, INGRESS, "load-balancer-test-in-1"), {"cidrIpv4": "203.0.113.0/24", "fromPort": 8443})
    assert_inputs(one(graph, INGRESS, "load-balancer-test-in-2"), {"cidrIpv6": "2001:db8::/32", "toPort": 8443,
                                                                    "cidrIpv4": ABSENT})


@pytest.mark.parametrize("cidrs, expected", [
    ([], []), (["10.0.0.0/8"], [("cidr_ipv4", "10.0.0.0/8")]),
    (["2001:db8::/32", "192.0.2.1/32"], [("cidr_ipv6", "2001:db8::/32"), ("cidr_ipv4", "192.0.2.1/32")]),
])
def test_source_ip_rules(cidrs, expected):
    assert source_ip_rules(cidrs) == expected


def test_http_only_redirects_to_https(stack_graph):
    assert_inputs(one(stack_graph, LISTENER, "load-balancer-http"), {
        "port": 80, "protocol": "HTTP", "loadBalancerArn": arn(stack_graph, LB, "load-balancer"),
        "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443",
                                                             "statusCode": "HTTP_301"}}]})


@pytest.mark.parametrize("name, port", [("load-balancer-https", 443), ("load-balancer-test", 8443)])
def test_tls_listeners_with_security_headers(stack_graph, name, port):
    stack = stack_graph["stack"]
    certificate = stack_settings(stack)["service"]["loadBalancer"]["certificateArn"]
    assert_inputs(one(stack_graph, LISTENER, name), {
        "port": port, "protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "certificateArn": certificate,
        "routingHttpResponseStrictTransportSecurityHeaderValue": "max-age=31536000; includeSubDomains",
        "routingHttpResponseXContentTypeOptionsHeaderValue": "nosniff",
        "routingHttpResponseXFrameOptionsHeaderValue": "DENY",
        "routingHttpResponseContentSecurityPolicyHeaderValue": "default-src 'none'; frame-ancestors 'none'",
        "routingHttpResponseServerEnabled": False,
        "defaultActions": [{"type": "fixed-response", "fixedResponse": {
            "contentType": "application/json", "statusCode": "404", "messageBody": '{"error":"not found"}'}}],
    })


@pytest.mark.parametrize("color", ["blue", "green"])
def test_target_groups_check_health_fast_but_safely(stack_graph, color):
    stack = stack_graph["stack"]
    assert_inputs(one(stack_graph, TG, f"load-balancer-{color}"), {
        "name": f"nodeapi-{stack}-{color}", "targetType": "ip", "protocol": "HTTP", "port": 3000,
        "vpcId": state_of(stack_graph, "aws:ec2/vpc:Vpc", "network")["id"], "deregistrationDelay": 30,
        "healthCheck": {"enabled": True, "path": "/health", "protocol": "HTTP", "port": "traffic-port",
                        "matcher": "200", "interval": 5, "timeout": 4, "healthyThreshold": 2,
                        "unhealthyThreshold": 3},
    })


@pytest.mark.parametrize("name, listener", [("load-balancer-production", "load-balancer-https"),
                                            ("load-balancer-test-rule", "load-balancer-test")])
def test_forward_rules_start_on_blue_and_leave_weights_to_ecs(stack_graph, name, listener):
    rule = one(stack_graph, RULE, name)
    assert_inputs(rule, {"listenerArn": arn(stack_graph, LISTENER, listener), "priority": 100,
                         "conditions": [{"pathPattern": {"values": ["/*"]}}],
                         "actions": [forward(stack_graph, 100, 0)]})
    assert rule["options"]["ignoreChanges"] == ["actions"]


def test_no_maintenance_rules_unless_enabled(stack_graph):
    assert sorted(r["name"] for r in resources(stack_graph, RULE)) == [
        "load-balancer-production", "load-balancer-test-rule"]


def test_maintenance_mode_bypasses_admins_then_answers_503():
    graph = prod_opened_up()
    rules = {r["name"]: r for r in resources(graph, RULE)}
    https = arn(graph, LISTENER, "load-balancer-https")
    live = forward(graph, 100, 0)  # the production rule's weights as AWS holds them (as declared, offline)
    assert_inputs(rules["load-balancer-maintenance-bypass-1"], {
        "listenerArn": https, "priority": 1, "actions": [live],
        "conditions": [{"pathPattern": {"values": ["/admin/*", "/api/admin/*"]}}]})
    assert_inputs(rules["load-balancer-maintenance-bypass-2"], {
        "listenerArn": https, "priority": 2, "actions": [live],
        "conditions": [{"sourceIp": {"values": ["203.0.113.7/32"]}}]})
    maintenance = rules["load-balancer-maintenance"]
    assert_inputs(maintenance, {"listenerArn": https, "priority": 3,
                                "conditions": [{"pathPattern": {"values": ["/*"]}}]})
    response = maintenance["inputs"]["actions"][0]["fixedResponse"]
    assert (response["statusCode"], response["contentType"]) == ("503", "application/json")
    assert json.loads(response["messageBody"]) == {"error": "maintenance", "message": "Upgrading, back soon."}
    assert graph["outputs"]["maintenanceAdminPaths"] == ["/admin/*", "/api/admin/*"]
    assert graph["outputs"]["maintenanceAllowedCidrs"] == ["203.0.113.7/32"]


@pytest.mark.parametrize("region, principal", [
    ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
    ("us-west-2", {"AWS": "arn:aws:iam::797873946194:root"}),
    ("ap-southeast-5", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
])
def test_log_delivery_principal(region, principal):
    assert log_delivery_principal(region) == principal


def test_access_logs_bucket(stack_graph):
    stack = stack_graph["stack"]
    name = f"nodeapi-{stack}-alb-logs-123456789012-us-east-1"
    bucket = one(stack_graph, "aws:s3/bucket:Bucket", "access-logs")
    assert_inputs(bucket, {"bucket": name, "forceDestroy": False})
    assert bucket["options"]["protect"] is (stack == "prod")
    assert_inputs(one(stack_graph, "aws:s3/bucketServerSideEncryptionConfiguration:"
                                   "BucketServerSideEncryptionConfiguration", "access-logs-encryption"),
                  {"bucket": name, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]})
    assert_inputs(one(stack_graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                      "access-logs-public-access-block"),
                  {"bucket": name, "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
                   "restrictPublicBuckets": True})
    days = 90 if stack == "prod" else 30
    assert one(stack_graph, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
               "access-logs-lifecycle")["inputs"]["rules"][0]["expiration"] == {"days": days}
    statements = parsed(one(stack_graph, "aws:s3/bucketPolicy:BucketPolicy", "access-logs-policy")["inputs"]["policy"])
    assert statements["Statement"] == [
        {"Sid": "AlbLogDelivery", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::127311923021:root"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/alb/AWSLogs/123456789012/*"},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]


def test_traffic_outputs(stack_graph):
    outputs = stack_graph["outputs"]
    stack = stack_graph["stack"]
    assert outputs["url"] == ("https://api.example.com" if stack == "prod" else "https://api.staging.example.com")
    assert outputs["albArn"] == arn(stack_graph, LB, "load-balancer")
    assert outputs["httpsListenerArn"] == arn(stack_graph, LISTENER, "load-balancer-https")
    assert outputs["testListenerArn"] == arn(stack_graph, LISTENER, "load-balancer-test")
    assert outputs["productionListenerRuleArn"] == arn(stack_graph, RULE, "load-balancer-production")
    assert outputs["testListenerRuleArn"] == arn(stack_graph, RULE, "load-balancer-test-rule")
    assert outputs["blueTargetGroupArn"] == arn(stack_graph, TG, "load-balancer-blue")
    assert outputs["greenTargetGroupArn"] == arn(stack_graph, TG, "load-balancer-green")
    assert (outputs["maintenanceAdminPaths"], outputs["maintenanceAllowedCidrs"]) == (["/admin/*"], [])

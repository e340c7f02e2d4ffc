"""The ALB edge: security group, listeners, TLS and headers, blue/green target groups, ECS-owned rules,
access logs and the maintenance rules, for both stacks."""

import functools
import json

import pytest

from components.access_logs import log_delivery_principal
from components.load_balancer import source_ip_rules, target_group_key
from tests.conftest import graph_with
from tests.data_helpers import SG, state_of
from tests.helpers import ABSENT, assert_inputs, mock_state, one, parsed, resources, stack_settings

LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"
TG = "aws:lb/targetGroup:TargetGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
CIDR = {"staging": "10.30.0.0/16", "prod": "10.20.0.0/16"}


def arn(graph: dict, type_: str, name: str) -> str:
    return state_of(graph, type_, name)["arn"]


def forward(graph: dict, blue: int, green: int, service: str = "web", **extra) -> dict:
    return {"type": "forward", "forward": {"targetGroups": [
        {"arn": arn(graph, TG, f"load-balancer-{service}-blue"), "weight": blue},
        {"arn": arn(graph, TG, f"load-balancer-{service}-green"), "weight": green}], **extra}}


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
    assert len(public) == 2
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
    web_sg = state_of(stack_graph, SG, "service-groups-web")["id"]
    assert_inputs(one(stack_graph, EGRESS, "load-balancer-to-web"), {
        "securityGroupId": alb_sg, "referencedSecurityGroupId": web_sg, "fromPort": 3000,
        "toPort": 3000, "ipProtocol": "tcp", "cidrIpv4": ABSENT})
    assert_inputs(one(stack_graph, INGRESS, "load-balancer-web-from-alb"), {
        "securityGroupId": web_sg, "referencedSecurityGroupId": alb_sg, "fromPort": 3000,
        "toPort": 3000})
    # Nothing reaches the queue worker: its own group has no ingress at all.
    queue_sg = state_of(stack_graph, SG, "service-groups-queue")["id"]
    assert not [r for r in resources(stack_graph, INGRESS) if r["inputs"]["securityGroupId"] == queue_sg]
    world = [r["name"] for r in resources(stack_graph, INGRESS) if r["inputs"].get("cidrIpv4") == "0.0.0.0/0"]
    assert sorted(world) == ["load-balancer-in-443", "load-balancer-in-80"]


@functools.lru_cache(maxsize=None)
def prod_opened_up() -> dict:
    """Prod with maintenance on, CIDRs allowed onto the test port, and two more services: a public bot on its
    own path and an internal runtime the web service calls by name (one graph for these tests)."""
    raw = stack_settings("prod")
    web = raw["services"]["web"]
    return graph_with(
        "prod",
        loadBalancer={**raw["loadBalancer"], "testAllowedCidrs": ["203.0.113.0/24", "2001:db8::/32"]},
        maintenance={"enabled": True, "adminPaths": ["/admin/*", "/api/admin/*"],
                     "allowedCidrs": ["203.0.113.7/32"], "message": "Upgrading, back soon."},
        services={
            **raw["services"],
            "web": {**web, "connectsTo": ["runtime"],
                    "public": {**web["public"], "stickiness": {"durationSeconds": 3600}, "idleTimeoutSeconds": 300}},
            "bot": {"access": "public", "port": 8080, "command": ["node", "bot.js"], "cpu": 256, "memory": 512,
                    "scaling": {"desiredCount": 2, "minCount": 2, "maxCount": 2},
                    "public": {"routes": [{"paths": ["/telegram/*"]}], "bakeTimeMinutes": 10}},
            "runtime": {"access": "internal", "port": 8000, "image": {"build": {"context": "app", "args": {"VARIANT": "runtime"}}},
                        "healthCheck": {"command": ["CMD", "python", "-c", "import sys; sys.exit(0)"]}},
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
    # prod brings its certificate; staging's is requested in its managed domain (tests/test_domain.py)
    certificate = stack_settings(stack)["loadBalancer"].get("certificateArn") or mock_state(
        stack_graph, "aws:acm/certificate:Certificate", "certificates-api")["arn"]
    assert certificate.startswith("arn:aws:acm:us-east-1:123456789012:certificate/")
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
    key = {"staging": "fc5d", "prod": "44dc"}[stack]  # target_group_key(3000, the stack's VPC CIDR)
    assert_inputs(one(stack_graph, TG, f"load-balancer-web-{color}"), {
        "name": f"nodeapi-{stack}-web-{color}-{key}", "targetType": "ip", "stickiness": {"enabled": False, "type": "lb_cookie"}, "protocol": "HTTP", "port": 3000,
        "vpcId": state_of(stack_graph, "aws:ec2/vpc:Vpc", "network")["id"], "deregistrationDelay": 30,
        "healthCheck": {"enabled": True, "path": "/health", "protocol": "HTTP", "port": "traffic-port",
                        "matcher": "200", "interval": 5, "timeout": 4, "healthyThreshold": 2,
                        "unhealthyThreshold": 3},
    })


def test_target_group_key_follows_the_inputs_that_replace_a_group():
    assert target_group_key(3000, "10.30.0.0/16") == "fc5d"
    assert len({target_group_key(3000, "10.30.0.0/16"), target_group_key(3001, "10.30.0.0/16"),
                target_group_key(3000, "10.31.0.0/16")}) == 3


def test_a_port_change_renames_the_groups_so_their_replacements_do_not_collide():
    """Port is ForceNew: the new groups are created under new names before the old ones are deleted."""
    raw = stack_settings("staging")
    web = {**raw["services"]["web"], "port": 8080}
    graph = graph_with("staging", services={**raw["services"], "web": web})
    key = target_group_key(8080, CIDR["staging"])
    for color in ("blue", "green"):
        assert_inputs(one(graph, TG, f"load-balancer-web-{color}"), {"name": f"nodeapi-staging-web-{color}-{key}",
                                                                      "port": 8080})


@pytest.mark.parametrize("name, listener", [("load-balancer-web", "load-balancer-https"),
                                            ("load-balancer-web-test", "load-balancer-test")])
def test_forward_rules_start_on_blue_and_leave_weights_to_ecs(stack_graph, name, listener):
    rule = one(stack_graph, RULE, name)
    assert_inputs(rule, {"listenerArn": arn(stack_graph, LISTENER, listener), "priority": 100,
                         "conditions": [{"pathPattern": {"values": ["/*"]}}],
                         "actions": [forward(stack_graph, 100, 0)]})
    assert rule["options"]["ignoreChanges"] == ["actions"]


def test_no_maintenance_rules_unless_enabled(stack_graph):
    assert sorted(r["name"] for r in resources(stack_graph, RULE)) == ["load-balancer-web", "load-balancer-web-test"]


def test_maintenance_mode_bypasses_admins_and_allowed_addresses_along_every_route_then_answers_503():
    graph = prod_opened_up()
    rules = {r["name"]: r for r in resources(graph, RULE)}
    https = arn(graph, LISTENER, "load-balancer-https")
    # the production rules' weights as AWS holds them (as declared, offline)
    web = forward(graph, 100, 0, stickiness={"enabled": True, "duration": 3600})
    bot = forward(graph, 100, 0, service="bot")
    expected = [
        # admin paths go to the admin service (default: the first public one by name, here bot)
        (1, [{"pathPattern": {"values": ["/admin/*", "/api/admin/*"]}}], bot),
        (2, [{"pathPattern": {"values": ["/telegram/*"]}}, {"sourceIp": {"values": ["203.0.113.7/32"]}}], bot),
        (3, [{"pathPattern": {"values": ["/*"]}}, {"sourceIp": {"values": ["203.0.113.7/32"]}}], web),
    ]
    for priority, conditions, action in expected:
        assert_inputs(rules[f"load-balancer-maintenance-bypass-{priority}"], {
            "listenerArn": https, "priority": priority, "actions": [action], "conditions": conditions})
    maintenance = rules["load-balancer-maintenance"]
    assert_inputs(maintenance, {"listenerArn": https, "priority": 4,
                                "conditions": [{"pathPattern": {"values": ["/*"]}}]})
    response = maintenance["inputs"]["actions"][0]["fixedResponse"]
    assert (response["statusCode"], response["contentType"]) == ("503", "application/json")
    assert json.loads(response["messageBody"]) == {"error": "maintenance", "message": "Upgrading, back soon."}
    assert graph["outputs"]["maintenanceAdminPaths"] == ["/admin/*", "/api/admin/*"]
    assert graph["outputs"]["maintenanceAllowedCidrs"] == ["203.0.113.7/32"]
    assert graph["outputs"]["maintenanceAdminService"] == "bot"

def test_routes_get_derived_priorities_their_own_target_groups_and_stickiness():
    graph = prod_opened_up()
    https, test = arn(graph, LISTENER, "load-balancer-https"), arn(graph, LISTENER, "load-balancer-test")
    # The bot's path route is more specific than web's catch-all: it gets the lower priority.
    for name, listener, priority, paths, action in (
            ("load-balancer-bot", https, 100, ["/telegram/*"], forward(graph, 100, 0, service="bot")),
            ("load-balancer-bot-test", test, 100, ["/telegram/*"], forward(graph, 100, 0, service="bot")),
            ("load-balancer-web", https, 110, ["/*"], forward(graph, 100, 0, stickiness={"enabled": True,
                                                                                         "duration": 3600})),
    ):
        rule = one(graph, RULE, name)
        assert_inputs(rule, {"listenerArn": listener, "priority": priority,
                             "conditions": [{"pathPattern": {"values": paths}}], "actions": [action]})
        assert rule["options"]["ignoreChanges"] == ["actions"]
    assert_inputs(one(graph, TG, "load-balancer-bot-blue"), {"name": "nodeapi-prod-bot-blue-7d1a", "port": 8080,
                                                              "stickiness": {"enabled": False, "type": "lb_cookie"}})
    assert_inputs(one(graph, TG, "load-balancer-web-green"), {
        "stickiness": {"enabled": True, "type": "lb_cookie", "cookieDuration": 3600}})
    assert one(graph, LB, "load-balancer")["inputs"]["idleTimeout"] == 300  # raised for web's WebSockets
    assert not [r for r in resources(graph, TG) if "runtime" in r["name"]]  # internal: no load balancer


def test_internal_service_is_reached_by_name_only_from_its_callers():
    graph = prod_opened_up()
    web_sg = state_of(graph, SG, "service-groups-web")["id"]
    runtime_sg = state_of(graph, SG, "service-groups-runtime")["id"]
    into_runtime = [r for r in resources(graph, INGRESS) if r["inputs"]["securityGroupId"] == runtime_sg]
    assert [r["name"] for r in into_runtime] == ["service-groups-runtime-from-web"]
    assert_inputs(into_runtime[0], {"referencedSecurityGroupId": web_sg, "fromPort": 8000, "toPort": 8000,
                                    "ipProtocol": "tcp"})
    runtime = one(graph, "aws:ecs/service:Service", "runtime")["inputs"]
    assert runtime["serviceConnectConfiguration"]["services"] == [
        {"portName": "http", "discoveryName": "runtime", "clientAlias": [{"port": 8000, "dnsName": "runtime"}]}]
    assert runtime["deploymentConfiguration"] == {"strategy": "ROLLING"} and "loadBalancers" not in runtime
    repositories = sorted(r["inputs"]["name"] for r in resources(graph, "aws:ecr/repository:Repository"))
    # web and queue share the arm64 build, bot the default (amd64) one, the runtime its own target
    assert repositories == ["nodeapi-prod-app", "nodeapi-prod-app-arm64", "nodeapi-prod-app-runtime"]


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
    assert outputs["services"]["web"]["routes"][0]["productionListenerRuleArn"] == arn(stack_graph, RULE,
                                                                                      "load-balancer-web")
    assert (outputs["maintenanceAdminPaths"], outputs["maintenanceAllowedCidrs"]) == (["/admin/*"], [])
    assert outputs["maintenanceAdminService"] == "web"

"""Network: subnet plan, routing per tier, NAT per strategy, endpoints, flow logs, locked-down SGs."""

import pytest

from components.network import INTERFACE_ENDPOINT_SERVICES, nat_count, nat_for_az, subnet_cidrs
from tests.conftest import graph_with
from tests.helpers import assert_inputs, mock_id, mock_state, one, parsed, resources, stack_settings

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
NAT = "aws:ec2/natGateway:NatGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENI = "aws:ec2/networkInterface:NetworkInterface"


@pytest.mark.parametrize(
    "cidr, azs, expected",
    [
        ("10.20.0.0/16", 2, {"public": ["10.20.0.0/20", "10.20.16.0/20"],
                              "private": ["10.20.64.0/20", "10.20.80.0/20"],
                              "isolated": ["10.20.128.0/20", "10.20.144.0/20"]}),
        ("10.1.0.0/20", 3, {"public": ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"],
                             "private": ["10.1.4.0/24", "10.1.5.0/24", "10.1.6.0/24"],
                             "isolated": ["10.1.8.0/24", "10.1.9.0/24", "10.1.10.0/24"]}),
    ],
)
def test_subnet_plan(cidr, azs, expected):
    assert subnet_cidrs(cidr, azs) == expected


@pytest.mark.parametrize(
    "strategy, per_az, azs, count, routes",
    [("none", False, 3, 0, [None, None, None]), ("single", False, 3, 1, [0, 0, 0]),
     ("one-per-az", False, 2, 2, [0, 1]), ("instance", False, 3, 1, [0, 0, 0]), ("instance", True, 3, 3, [0, 1, 2])],
)
def test_nat_strategy(strategy, per_az, azs, count, routes):
    assert nat_count(strategy, azs, per_az) == count
    assert [nat_for_az(strategy, i, per_az) for i in range(azs)] == routes


@pytest.mark.parametrize("stack, azs", [("staging", ["a", "b"]), ("prod", ["a", "b"])])
def test_subnets_per_tier_per_az(request, stack, azs):
    graph = request.getfixturevalue(stack)
    plan = subnet_cidrs(stack_settings(stack)["network"]["cidr"], len(azs))
    for tier in ("public", "private", "isolated"):
        for az, cidr in zip(azs, plan[tier]):
            assert_inputs(one(graph, SUBNET, f"network-{tier}-{az}"), {
                "cidrBlock": cidr, "availabilityZone": f"us-east-1{az}", "mapPublicIpOnLaunch": False,
                "tags": {"nodeapi:tier": tier}, "vpcId": mock_id(graph, "aws:ec2/vpc:Vpc", "network"),
            })
    assert len(resources(graph, SUBNET)) == 3 * len(azs)


SG = "aws:ec2/securityGroup:SecurityGroup"
RT = "aws:ec2/routeTable:RouteTable"


def _route_table_of(graph, subnet_name):
    subnet_id = mock_id(graph, SUBNET, subnet_name)
    association = next(r for r in resources(graph, "aws:ec2/routeTableAssociation:RouteTableAssociation")
                       if r["inputs"]["subnetId"] == subnet_id)
    return association["inputs"]["routeTableId"]


def _routes_of(graph, table_id):
    return [r["inputs"] for r in resources(graph, ROUTE) if r["inputs"]["routeTableId"] == table_id]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_each_tier_routes_as_intended(request, stack):
    graph = request.getfixturevalue(stack)
    azs = "ab"
    for az in azs:
        public = _routes_of(graph, _route_table_of(graph, f"network-public-{az}"))
        assert public == [{"routeTableId": public[0]["routeTableId"], "destinationCidrBlock": "0.0.0.0/0",
                           "gatewayId": mock_id(graph, "aws:ec2/internetGateway:InternetGateway", "network-igw")}]
        private = _routes_of(graph, _route_table_of(graph, f"network-private-{az}"))
        if stack == "staging":  # one NAT instance: both AZs route to its interface in AZ a
            target = {"networkInterfaceId": mock_id(graph, ENI, "network-nat-a-eni")}
        else:
            target = {"natGatewayId": mock_id(graph, NAT, f"network-nat-{az}")}
        assert private == [{"routeTableId": private[0]["routeTableId"], "destinationCidrBlock": "0.0.0.0/0", **target}]
        assert _routes_of(graph, _route_table_of(graph, f"network-isolated-{az}")) == []


@pytest.mark.parametrize("stack, nats", [("staging", 0), ("prod", 2)])
def test_nat_gateways_sit_in_public_subnets(request, stack, nats):
    graph = request.getfixturevalue(stack)
    gateways = resources(graph, NAT)
    assert len(gateways) == nats
    public_ids = {mock_id(graph, SUBNET, r["name"]) for r in resources(graph, SUBNET) if "public" in r["name"]}
    assert all(g["inputs"]["subnetId"] in public_ids for g in gateways)
    assert all(g["options"]["dependsOn"] == [one(graph, "aws:ec2/internetGateway:InternetGateway")["urn"]] for g in gateways)


def test_no_nat_with_interface_endpoints():
    network = dict(stack_settings("staging")["network"], natStrategy="none", interfaceEndpoints=True)
    network.pop("natInstance")
    graph = graph_with("staging", network=network)
    assert resources(graph, NAT) == []
    assert all("natGatewayId" not in r["inputs"] for r in resources(graph, ROUTE))
    interface = [r for r in resources(graph, ENDPOINT) if r["inputs"]["vpcEndpointType"] == "Interface"]
    assert sorted(r["inputs"]["serviceName"] for r in interface) == sorted(
        f"com.amazonaws.us-east-1.{s}" for s in INTERFACE_ENDPOINT_SERVICES)
    private = [mock_id(graph, SUBNET, "network-private-a"), mock_id(graph, SUBNET, "network-private-b")]
    endpoints_sg = mock_id(graph, SG, "network-endpoints")
    assert all(r["inputs"]["privateDnsEnabled"] is True and r["inputs"]["subnetIds"] == private and
               r["inputs"]["securityGroupIds"] == [endpoints_sg] for r in interface)
    rule = one(graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "network-endpoints-from-app")
    assert_inputs(rule, {"securityGroupId": endpoints_sg, "referencedSecurityGroupId": mock_id(graph, SG, "network-app"),
                         "fromPort": 443, "toPort": 443, "ipProtocol": "tcp"})


def test_s3_gateway_endpoint_serves_private_and_isolated_tiers(stack_graph):
    endpoint = one(stack_graph, ENDPOINT, "network-s3")
    private_and_isolated = sorted(
        mock_id(stack_graph, RT, r["name"]) for r in resources(stack_graph, RT)
        if r["name"].startswith(("network-private", "network-isolated")))
    assert endpoint["inputs"]["vpcEndpointType"] == "Gateway"
    assert sorted(endpoint["inputs"]["routeTableIds"]) == private_and_isolated


def test_flow_logs_write_only_to_their_log_group(stack_graph):
    log_group = one(stack_graph, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    days = stack_settings(stack_graph["stack"])["network"]["flowLogsRetentionDays"]
    assert log_group["inputs"]["retentionInDays"] == days
    flow_log = one(stack_graph, "aws:ec2/flowLog:FlowLog", "network-flow-log")
    assert_inputs(flow_log, {"trafficType": "ALL", "logDestinationType": "cloud-watch-logs",
                             "vpcId": mock_id(stack_graph, "aws:ec2/vpc:Vpc", "network"), "maxAggregationInterval": 60})
    role = one(stack_graph, "aws:iam/role:Role", "network-flow-logs")
    assert parsed(role["inputs"]["assumeRolePolicy"])["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]
    policy = parsed(one(stack_graph, "aws:iam/rolePolicy:RolePolicy", "network-flow-logs")["inputs"]["policy"])
    arn = mock_state(stack_graph, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")["arn"]
    assert arn.startswith("arn:aws:logs:us-east-1:123456789012:log-group:network-flow-logs-")
    assert policy["Statement"] == [{"Effect": "Allow",
                                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                    "Resource": [arn, arn + ":*"]}]


def test_default_security_group_is_stripped(stack_graph):
    assert_inputs(one(stack_graph, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"), {"ingress": [], "egress": []})


def test_network_opens_nothing_to_the_internet(stack_graph):
    network_urn = one(stack_graph, "nodeapi:network:Network")["urn"]
    ingress = [r for r in resources(stack_graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r["parent"] == network_urn]
    private = subnet_cidrs(stack_settings(stack_graph["stack"])["network"]["cidr"], 3)["private"]
    # Groups reference groups; the one exception, the NAT instances' group, admits the private tier's CIDRs.
    cidrs = [r["inputs"]["cidrIpv4"] for r in ingress if "cidrIpv4" in r["inputs"]]
    assert all(r["name"].startswith("network-nat-from-private-") for r in ingress if "cidrIpv4" in r["inputs"])
    assert set(cidrs) <= set(private) and all("cidrIpv6" not in r["inputs"] for r in ingress)
    egress = one(stack_graph, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "network-app-egress")
    assert_inputs(egress, {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"})


def test_every_resource_uses_the_explicit_provider(stack_graph):
    provider = one(stack_graph, "pulumi:providers:aws", "aws")
    assert provider["inputs"]["region"] == "us-east-1"
    customs = [r for r in stack_graph["resources"] if r["custom"] and r["type"].startswith("aws:")]
    assert customs and all(r["options"]["provider"] == provider["urn"] for r in customs)


def test_cluster_has_insights_and_both_fargate_capacity_providers(stack_graph):
    insights = "enhanced" if stack_graph["stack"] == "prod" else "enabled"
    assert_inputs(one(stack_graph, "aws:ecs/cluster:Cluster", "cluster"), {
        "name": f"nodeapi-{stack_graph['stack']}", "settings": [{"name": "containerInsights", "value": insights}]})
    assert stack_graph["outputs"]["clusterName"] == f"nodeapi-{stack_graph['stack']}"
    assert_inputs(one(stack_graph, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "cluster-capacity"), {
        "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "defaultCapacityProviderStrategies": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
    })

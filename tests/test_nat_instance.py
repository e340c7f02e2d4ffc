"""NAT instances: settings and their messages, every input of the group, template, interface, address, role and
alarms, the routes, the boot script's order, and the real staging stack."""

import base64
import re
import subprocess

import pytest

from components.nat_instance import IMAGE_ID, bandwidth_threshold_bytes, boot_script, instance_statements
from components.network import Network, NetworkArgs
from settings.network import NatInstanceSettings
from tests.helpers import mock_id, one, parsed, resources, settings_error
from tools.preview import record

ACCOUNT = "123456789012"
GROUP = "aws:autoscaling/group:Group"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ENI = "aws:ec2/networkInterface:NetworkInterface"
EIP = "aws:ec2/eip:Eip"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ROUTE = "aws:ec2/route:Route"
SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
WARN, CRIT = f"arn:aws:sns:us-east-1:{ACCOUNT}:warning", f"arn:aws:sns:us-east-1:{ACCOUNT}:critical"
STACK_TAGS = {"project": "nodeapi", "stack": "test", "cost-center": "platform"}  # what the provider's default tags hold


def network(**changes) -> dict:
    """The graph of a two-AZ network with NAT instances (staging's shape), built alone under the mocks."""
    args = dict(cidr="10.30.0.0/16", az_count=2, nat_strategy="instance", interface_endpoints=False,
                flow_logs_retention_days=14, region="us-east-1", account_id=ACCOUNT, name_prefix="nodeapi-test",
                warning_topic_arn=WARN, critical_topic_arn=CRIT, instance_tags=STACK_TAGS)
    args.update(changes)
    return record(lambda: Network("network", NetworkArgs(**args)))


@pytest.fixture(scope="module")
def single() -> dict:
    return network()


def _ids(graph: dict, az: str = "a") -> tuple[str, str]:
    return mock_id(graph, ENI, f"network-nat-{az}-eni"), mock_id(graph, EIP, f"network-nat-{az}-eip")


# ---------------------------------------------------------------------------------------------- the component


def test_launch_template_is_hardened_and_boots_the_script(single):
    template = one(single, TEMPLATE, "network-nat-a-template")
    eni, allocation = _ids(single)
    inputs = dict(template["inputs"])
    assert base64.b64decode(inputs.pop("userData")).decode() == boot_script(eni, allocation)
    own = {"Name": "nodeapi-test-nat-a", "nodeapi:nat-instance": "nodeapi-test-nat-a"}
    tags = {**STACK_TAGS, **own}  # the provider's default tags do not reach what a launch template starts
    assert inputs == {
        "description": "nodeapi-test-nat-a: Amazon Linux 2023 arm64 NAT instance",
        "imageId": "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
        "instanceType": "t4g.nano",
        "iamInstanceProfile": {"arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/network-nat-a-instance-fe53a23"},
        "instanceInitiatedShutdownBehavior": "terminate",
        "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1,
                            "instanceMetadataTags": "disabled"},
        "creditSpecification": {"cpuCredits": "standard"},
        "networkInterfaces": [{"deviceIndex": 0, "associatePublicIpAddress": True, "deleteOnTermination": True,
                               "securityGroups": [mock_id(single, SG, "network-nat")]}],
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 8, "volumeType": "gp3",
                                                                   "encrypted": True, "deleteOnTermination": True}}],
        "tagSpecifications": [{"resourceType": kind, "tags": tags} for kind in ("instance", "volume", "network-interface")],
        "updateDefaultVersion": True,
        "tags": own,
    }
    assert "keyName" not in inputs and IMAGE_ID == inputs["imageId"]


def test_group_of_one_replaces_the_instance_and_waits_for_its_permissions(single):
    group = one(single, GROUP, "network-nat-a")
    assert group["inputs"] == {
        "minSize": 1, "maxSize": 2, "desiredCapacity": 1,
        "vpcZoneIdentifiers": [mock_id(single, SUBNET, "network-public-a")],
        "launchTemplate": {"id": mock_id(single, TEMPLATE, "network-nat-a-template"), "version": "1"},
        "healthCheckType": "EC2", "healthCheckGracePeriod": 300,
        "maxInstanceLifetime": 14 * 86_400,
        "instanceMaintenancePolicy": {"minHealthyPercentage": 100, "maxHealthyPercentage": 200},
        "instanceRefresh": {"strategy": "Rolling", "preferences": {
            "minHealthyPercentage": 100, "maxHealthyPercentage": 200, "instanceWarmup": "300"}},
        "enabledMetrics": ["GroupDesiredCapacity", "GroupInServiceInstances"], "metricsGranularity": "1Minute",
        "tags": [{"key": key, "value": value, "propagateAtLaunch": False} for key, value in {
            **STACK_TAGS, "Name": "nodeapi-test-nat-a", "nodeapi:nat-instance": "nodeapi-test-nat-a"}.items()],
    }
    waits_for = {u.rsplit("::", 1)[0].rsplit("$", 1)[-1] for u in group["options"]["dependsOn"]}
    assert waits_for == {"aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"}


def test_route_target_interface_and_address(single):
    tags = {"Name": "nodeapi-test-nat-a", "nodeapi:nat-instance": "nodeapi-test-nat-a"}
    assert one(single, ENI, "network-nat-a-eni")["inputs"] == {
        "subnetId": mock_id(single, SUBNET, "network-public-a"), "securityGroups": [mock_id(single, SG, "network-nat")],
        "sourceDestCheck": False, "tags": tags,
        "description": "nodeapi-test-nat-a: route target of the private subnets, held by the running instance"}
    assert one(single, EIP, "network-nat-a-eip")["inputs"] == {"domain": "vpc", "tags": tags}
    eni, _ = _ids(single)
    for az in "ab":  # one instance for the stack: both AZs route to it
        table = mock_id(single, "aws:ec2/routeTable:RouteTable", f"network-private-{az}")
        assert one(single, ROUTE, f"network-private-{az}-egress")["inputs"] == {
            "routeTableId": table, "destinationCidrBlock": "0.0.0.0/0", "networkInterfaceId": eni}
    assert resources(single, "aws:ec2/natGateway:NatGateway") == []


def test_instance_role_may_only_take_over_its_own_interface_and_address(single):
    role = one(single, "aws:iam/role:Role", "network-nat-a-instance")
    assert parsed(role["inputs"]["assumeRolePolicy"]) == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    eni, allocation = _ids(single)
    ec2, own = f"arn:aws:ec2:us-east-1:{ACCOUNT}", {"StringEquals": {"aws:ResourceTag/nodeapi:nat-instance":
                                                                    "nodeapi-test-nat-a"}}
    policy = parsed(one(single, "aws:iam/rolePolicy:RolePolicy", "network-nat-a-instance")["inputs"]["policy"])
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["ec2:AttachNetworkInterface"], "Resource": [f"{ec2}:network-interface/{eni}"]},
        {"Effect": "Allow", "Action": ["ec2:AttachNetworkInterface", "ec2:AssociateAddress"],
         "Resource": [f"{ec2}:instance/*"], "Condition": own},
        {"Effect": "Allow", "Action": ["ec2:AssociateAddress"], "Resource": [f"{ec2}:elastic-ip/{allocation}"]},
        {"Effect": "Allow", "Action": ["ec2:AssociateAddress", "ec2:ModifyNetworkInterfaceAttribute"],
         "Resource": [f"{ec2}:network-interface/*"], "Condition": own},
    ]
    role_name = f"network-nat-a-instance-{mock_id(single, 'aws:iam/role:Role', 'network-nat-a-instance')[-7:]}"
    assert one(single, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")["inputs"] == {
        "role": role_name, "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}
    assert one(single, "aws:iam/instanceProfile:InstanceProfile")["inputs"] == {"role": role_name}


def test_security_group_admits_the_private_subnets_only(single):
    group = mock_id(single, SG, "network-nat")
    rules = {r["name"]: r["inputs"] for r in resources(single, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r["inputs"]["securityGroupId"] == group}
    assert rules == {f"network-nat-from-private-{az}": {
        "securityGroupId": group, "cidrIpv4": cidr, "ipProtocol": "-1", "tags": {"Name": f"network-nat-from-private-{az}"},
        "description": f"everything from the private subnet in us-east-1{az} (to be forwarded)"}
        for az, cidr in (("a", "10.30.64.0/20"), ("b", "10.30.80.0/20"))}
    egress = one(single, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "network-nat-egress")["inputs"]
    assert (egress["securityGroupId"], egress["cidrIpv4"], egress["ipProtocol"]) == (group, "0.0.0.0/0", "-1")


def test_alarms_for_egress_down_and_bandwidth(single):
    group = {"AutoScalingGroupName": mock_id(single, GROUP, "network-nat-a")}
    alarms = {r["name"]: r["inputs"] for r in resources(single, ALARM)}
    docs = "See docs/cost.md (NAT instance)."

    def common(name, topic, level):
        return {"name": name, "alarmActions": [topic], "okActions": [topic], "tags": {"Name": name, "severity": level},
                "treatMissingData": "notBreaching"}

    assert alarms == {
        "network-nat-a-in-service": {
            **common("nodeapi-test-nat-a-in-service-critical", CRIT, "critical"),
            "alarmDescription": f"NAT instance not in service: private subnets have no egress. {docs}",
            "comparisonOperator": "GreaterThanThreshold", "threshold": 0, "evaluationPeriods": 5,
            "datapointsToAlarm": 5, "metricQueries": [
                {"id": "desired", "returnData": False, "metric": {"namespace": "AWS/AutoScaling", "period": 60,
                 "metricName": "GroupDesiredCapacity", "dimensions": group, "stat": "Maximum"}},
                {"id": "in_service", "returnData": False, "metric": {"namespace": "AWS/AutoScaling", "period": 60,
                 "metricName": "GroupInServiceInstances", "dimensions": group, "stat": "Minimum"}},
                {"id": "missing", "expression": "desired - in_service", "label": "instances missing",
                 "returnData": True}]},
        "network-nat-a-status-check": {
            **common("nodeapi-test-nat-a-status-check-critical", CRIT, "critical"),
            "alarmDescription": f"NAT instance failing its EC2 status checks. {docs}",
            "namespace": "AWS/EC2", "metricName": "StatusCheckFailed", "dimensions": group, "statistic": "Maximum",
            "period": 60, "comparisonOperator": "GreaterThanOrEqualToThreshold", "threshold": 1,
            "evaluationPeriods": 3, "datapointsToAlarm": 3},
        "network-nat-a-bandwidth": {
            **common("nodeapi-test-nat-a-bandwidth-warning", WARN, "warning"),
            "alarmDescription": f"NAT instance sending over 80% of the t4g.nano baseline (0.032 Gbit/s) for 15 "
                                f"minutes. {docs}",
            "namespace": "AWS/EC2", "metricName": "NetworkOut", "dimensions": group, "statistic": "Sum",
            "period": 300, "comparisonOperator": "GreaterThanThreshold", "threshold": 960_000_000,
            "evaluationPeriods": 3, "datapointsToAlarm": 3},
    }


def test_bandwidth_threshold():
    # 0.032 Gbit/s = 4,000,000 bytes/s; × 300 s × 80%
    assert bandwidth_threshold_bytes(0.032, 300) == 960_000_000
    assert bandwidth_threshold_bytes(0.512, 60, share=0.5) == 0.512e9 / 8 * 60 / 2


def test_one_instance_per_az_each_route_stays_in_its_az():
    graph = network(nat_instance=NatInstanceSettings(per_az=True, instance_type="t4g.micro", max_lifetime_days=7))
    for az in "ab":
        group = one(graph, GROUP, f"network-nat-{az}")["inputs"]
        assert group["vpcZoneIdentifiers"] == [mock_id(graph, SUBNET, f"network-public-{az}")]
        assert group["maxInstanceLifetime"] == 7 * 86_400
        assert one(graph, TEMPLATE, f"network-nat-{az}-template")["inputs"]["instanceType"] == "t4g.micro"
        assert one(graph, ROUTE, f"network-private-{az}-egress")["inputs"]["networkInterfaceId"] == \
            mock_id(graph, ENI, f"network-nat-{az}-eni")
    assert len(resources(graph, "nodeapi:network:NatInstance")) == 2 and len(resources(graph, ALARM)) == 6


def test_without_an_elastic_ip_the_instance_keeps_its_own_address():
    graph = network(nat_instance=NatInstanceSettings(elastic_ip=False))
    assert resources(graph, EIP) == []
    eni = mock_id(graph, ENI, "network-nat-a-eni")
    script = base64.b64decode(one(graph, TEMPLATE)["inputs"]["userData"]).decode()
    assert script == boot_script(eni, None) and "associate-address" not in script
    actions = {a for s in parsed(one(graph, "aws:iam/rolePolicy:RolePolicy", "network-nat-a-instance")["inputs"]["policy"])["Statement"]
               for a in s["Action"]}
    assert actions == {"ec2:AttachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"}


def test_statements_without_an_address():
    assert instance_statements(region="eu-west-1", account_id="1", eni_id="eni-1", allocation_id=None,
                               tag_value="x") == [
        {"Effect": "Allow", "Action": ["ec2:AttachNetworkInterface"],
         "Resource": ["arn:aws:ec2:eu-west-1:1:network-interface/eni-1"]},
        {"Effect": "Allow", "Action": ["ec2:AttachNetworkInterface"], "Resource": ["arn:aws:ec2:eu-west-1:1:instance/*"],
         "Condition": {"StringEquals": {"aws:ResourceTag/nodeapi:nat-instance": "x"}}},
        {"Effect": "Allow", "Action": ["ec2:ModifyNetworkInterfaceAttribute"],
         "Resource": ["arn:aws:ec2:eu-west-1:1:network-interface/*"],
         "Condition": {"StringEquals": {"aws:ResourceTag/nodeapi:nat-instance": "x"}}},
    ]


def test_flow_log_group_class():
    graph = network(nat_strategy="single", flow_logs_class="INFREQUENT_ACCESS")
    assert one(graph, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")["inputs"]["logGroupClass"] == \
        "INFREQUENT_ACCESS"
    assert resources(graph, GROUP) == [] and len(resources(graph, "aws:ec2/natGateway:NatGateway")) == 1


# ---------------------------------------------------------------------------------------------- the boot script


def boot_order_problems(script: str) -> list[str]:
    """What in a boot script could leave the instance holding the route without translating, or silent."""
    lines = script.splitlines()

    def first(pattern: str) -> int:
        return next((i for i, line in enumerate(lines) if re.search(pattern, line)), len(lines))

    problems = []
    steps = [("swap", r"swapon /swapfile"), ("install", r"dnf install"), ("masquerade", r"-A POSTROUTING .*MASQUERADE"),
             ("check", r"-C POSTROUTING .*MASQUERADE.*\|\| fail"), ("save", r"iptables-save >"),
             ("forward", r"ip_forward = 1"), ("attach", r"attach-network-interface")]
    at = {name: first(pattern) for name, pattern in steps}
    missing = [name for name, index in at.items() if index == len(lines)]
    problems += [f"no {name} step" for name in missing]
    order = [name for name, _ in steps if name not in missing]
    problems += [f"{a} after {b}" for a, b in zip(order, order[1:]) if at[a] > at[b]]
    if "set -e" in script.replace("No `set -e`", ""):
        problems.append("set -e ends the script without powering off")
    if not re.search(r"fail\(\) \{ .*poweroff", script):
        problems.append("fail does not power off")
    return problems


def test_boot_script_translates_before_it_takes_the_route():
    script = boot_script("eni-0123456789abcdef0", "eipalloc-0123456789abcdef0")
    assert boot_order_problems(script) == []
    assert script.index("attach-network-interface") < script.index("associate-address")
    assert "ENI_ID=eni-0123456789abcdef0\nALLOCATION_ID=eipalloc-0123456789abcdef0\n" in script


@pytest.mark.parametrize("mutation, problem", [
    (lambda s: s.replace('iptables -t nat -C POSTROUTING -o "$OUTBOUND_IF" -j MASQUERADE || fail "MASQUERADE rule '
                         'missing"\n', ""), "no check step"),
    (lambda s: s.replace(" && swapon /swapfile;", ";").replace(
        "dnf install -y iptables-services", "dnf install -y iptables-services\nswapon /swapfile"), "swap after install"),
    (lambda s: s.replace("ip_forward = 1", "ip_forward = 0") + "sysctl -w net.ipv4.ip_forward = 1\n",
     "forward after attach"),
    (lambda s: s.replace("poweroff;", "true;"), "fail does not power off"),
    (lambda s: "set -e\n" + s, "set -e ends the script without powering off"),
])
def test_boot_order_check_catches_each_regression(mutation, problem):
    assert problem in boot_order_problems(mutation(boot_script("eni-1", "eipalloc-1")))


@pytest.mark.parametrize("allocation", ["eipalloc-1", None])
def test_boot_script_is_valid_bash(allocation):
    run = subprocess.run(["bash", "-n"], input=boot_script("eni-1", allocation), text=True, capture_output=True)
    assert (run.returncode, run.stderr) == (0, "")


# ---------------------------------------------------------------------------------------------- settings


def _network(change):
    return lambda raw: raw["network"].update(change(raw["network"]) or {})


@pytest.mark.parametrize("stack, change, expected", [
    ("prod", lambda n: {"natInstance": {"perAz": True}},
     "network.natInstance: got {\"perAz\": true}; only used with network.natStrategy: instance (natStrategy is "
     "'one-per-az'); remove it or set natStrategy: instance"),
    ("staging", lambda n: {"natInstance": {"instanceType": "t3.nano"}},
     "network.natInstance.instanceType: got 't3.nano'; input should be 't4g.nano', 't4g.micro', 't4g.small', "
     "'t4g.medium', 't4g.large', 't4g.xlarge' or 't4g.2xlarge'"),
    ("staging", lambda n: {"natInstance": {"maxLifetimeDays": 400}},
     "network.natInstance.maxLifetimeDays: got 400; input should be less than or equal to 365"),
    ("prod", lambda n: {"natStrategy": "instance"},
     "network.natInstance.perAz: got false; production needs one NAT instance per AZ (perAz: true), so an instance "
     "or AZ failure cuts only its own AZ's egress; or use natStrategy: one-per-az (NAT gateways)"),
    ("staging", lambda n: {"natStrategy": "double"},
     "network.natStrategy: got 'double'; input should be 'none', 'single', 'one-per-az' or 'instance'"),
    ("staging", lambda n: {"flowLogsClass": "DELIVERY"},
     "network.flowLogsClass: got 'DELIVERY'; input should be 'STANDARD' or 'INFREQUENT_ACCESS'"),
])
def test_nat_settings_errors(stack, change, expected):
    assert expected in settings_error(stack, _network(change))


def test_production_accepts_one_instance_per_az():
    from settings import parse_settings
    from tests.helpers import stack_settings

    raw = stack_settings("prod")
    raw["network"] = {**raw["network"], "natStrategy": "instance", "natInstance": {"perAz": True}}
    options = parse_settings(raw, "prod").network.nat_instance_options()
    assert options == NatInstanceSettings(per_az=True)
    assert (options.instance_type, options.max_lifetime_days, options.elastic_ip) == ("t4g.nano", 14, True)


# ---------------------------------------------------------------------------------------------- the real stack


def test_staging_egress_is_one_nat_instance(staging):
    assert [r["name"] for r in resources(staging, "nodeapi:network:NatInstance")] == ["network-nat-a"]
    template = one(staging, TEMPLATE)["inputs"]
    assert (template["instanceType"], template["imageId"]) == ("t4g.nano", IMAGE_ID)
    assert [a["inputs"]["name"] for a in resources(staging, ALARM) if a["name"].startswith("network-nat-")] == [
        "nodeapi-staging-nat-a-bandwidth-warning", "nodeapi-staging-nat-a-in-service-critical",
        "nodeapi-staging-nat-a-status-check-critical"]

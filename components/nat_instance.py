"""A NAT instance that heals itself: an Auto Scaling group of one, a fixed network interface the private routes
target, and an Elastic IP, both taken over by each new instance at boot (fck-nat's high-availability design)."""

import base64
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .iam import assume_role_policy, policy_document

# Amazon Linux 2023 arm64, resolved when each instance launches (not at deploy time), so every replacement boots
# the latest patched image and a deploy never replaces the instance for a new AMI.
# https://docs.aws.amazon.com/autoscaling/ec2/userguide/using-systems-manager-parameters.html
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
IMAGE_ID = f"resolve:ssm:{AMI_PARAMETER}"
ROOT_DEVICE = "/dev/xvda"  # the root device name of Amazon Linux 2023 AMIs
ROOT_VOLUME_GB = 8  # the AL2023 AMI's snapshot size: the smallest root volume it boots from
SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"  # Session Manager access, no SSH
TAG = "nodeapi:nat-instance"  # marks the instance, its interfaces and its address: the role may act on these only
SECONDS_PER_DAY = 86_400
# (min, max, desired): one instance, room for its replacement to boot before it goes (instance maintenance policy).
GROUP_SIZE = (1, 2, 1)
ATTACH_ATTEMPTS = 90  # × 10 s: long enough for the previous instance to terminate and free the interface


@dataclass(frozen=True, kw_only=True)
class NatInstanceArgs:
    """Where the NAT lives and how it is sized. `name_prefix` (`<app>-<stack>`) makes its identity
    `<prefix>-nat-<az>`: the Name and ownership tag of its instance, interfaces and address, its alarm names."""

    az_suffix: str
    public_subnet_id: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    instance_type: str
    baseline_gbps: float
    max_lifetime_days: int
    elastic_ip: bool = True
    region: str
    account_id: str
    name_prefix: str
    warning_topic_arn: pulumi.Input[str] | None = None
    critical_topic_arn: pulumi.Input[str] | None = None
    # The provider's default tags reach neither an auto scaling group nor what its launch template starts
    # (https://github.com/hashicorp/terraform-provider-aws/issues/19387): the stack's tags (project, stack,
    # environment, cost centre) go on the group, instances, volumes and interfaces from here.
    instance_tags: dict[str, str] = field(default_factory=dict)


def boot_script(eni_id: str, allocation_id: str | None) -> str:
    """User data: translate first, verify, forward, then take over the route target (the ENI) and the address.

    Any failed step powers the instance off, so the Auto Scaling group replaces it: a box that forwards without
    translating would pass its status checks and drop every packet. Swap comes before the package install (512 MB
    of RAM is not enough for dnf), the rules are saved so a reboot restores them. Without `allocation_id` the
    instance keeps the public address it launched with. NAT AMI steps:
    https://docs.aws.amazon.com/vpc/latest/userguide/VPC_NAT_Instance.html#create-nat-ami
    """
    return _boot_head(eni_id, allocation_id) + (_TAKE_ADDRESS if allocation_id else "") + \
        'echo "nat-instance: translating for $ENI_ID through $OUTBOUND_IF"\n'


def _boot_head(eni_id: str, allocation_id: str | None) -> str:
    """Everything up to and including the takeover of the route target."""
    return f"""#!/bin/bash
# nodeapi NAT instance. No `set -e`: every step that matters ends in `fail`, which powers off.
ENI_ID={eni_id}
ALLOCATION_ID={allocation_id or ""}
fail() {{ echo "nat-instance: $1; powering off so Auto Scaling replaces this instance" >&2; poweroff; exit 1; }}
TOKEN=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 900' http://169.254.169.254/latest/api/token) \\
  || fail "no IMDSv2 token"
meta() {{ curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }}
INSTANCE_ID=$(meta instance-id) || fail "no instance id"
REGION=$(meta placement/region) || fail "no region"
export AWS_DEFAULT_REGION="$REGION"
OUTBOUND_MAC=$(meta mac) || fail "no MAC address"
OUTBOUND_ENI=$(meta "network/interfaces/macs/$OUTBOUND_MAC/interface-id") || fail "no primary interface id"
OUTBOUND_IF=$(ip -o -4 route show to default | awk '{{print $5; exit}}')
[ -n "$OUTBOUND_IF" ] || fail "no default route"

if ! swapon --show=NAME --noheadings | grep -qx /swapfile; then
  {{ dd if=/dev/zero of=/swapfile bs=1M count=1024 status=none && chmod 600 /swapfile \\
    && mkswap /swapfile >/dev/null && swapon /swapfile; }} || fail "cannot add swap"
fi
dnf install -y iptables-services || fail "cannot install iptables-services"
iptables -F FORWARD || fail "cannot clear the FORWARD chain"
iptables -t nat -F POSTROUTING || fail "cannot clear the nat table"
iptables -t nat -A POSTROUTING -o "$OUTBOUND_IF" -j MASQUERADE
iptables -t nat -C POSTROUTING -o "$OUTBOUND_IF" -j MASQUERADE || fail "MASQUERADE rule missing"
iptables-save > /etc/sysconfig/iptables || fail "cannot save the rules"
systemctl enable iptables || fail "cannot restore the rules at boot"

aws ec2 modify-network-interface-attribute --network-interface-id "$OUTBOUND_ENI" --no-source-dest-check \\
  || fail "cannot turn off the source/destination check"
printf 'net.ipv4.ip_forward = 1\\nnet.ipv4.conf.all.rp_filter = 0\\nnet.ipv4.conf.default.rp_filter = 0\\n' \\
  > /etc/sysctl.d/90-nat-instance.conf
for filter in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > "$filter"; done
sysctl -q -p /etc/sysctl.d/90-nat-instance.conf || fail "cannot turn on forwarding"

attached() {{
  for mac in $(meta network/interfaces/macs/); do
    [ "$(meta "network/interfaces/macs/${{mac}}interface-id")" = "$ENI_ID" ] && return 0
  done
  return 1
}}
for attempt in $(seq 1 {ATTACH_ATTEMPTS}); do
  attached && break
  aws ec2 attach-network-interface --instance-id "$INSTANCE_ID" --network-interface-id "$ENI_ID" \\
    --device-index 1 >/dev/null 2>&1 || sleep 10
done
attached || fail "cannot attach $ENI_ID (the route target)"
"""


# Last: the address moves only once this instance holds the route target, so the previous one keeps working until then.
_TAKE_ADDRESS = """
ASSOCIATED=""
for attempt in 1 2 3 4 5; do
  aws ec2 associate-address --allocation-id "$ALLOCATION_ID" --network-interface-id "$OUTBOUND_ENI" \\
    --allow-reassociation >/dev/null && ASSOCIATED=yes && break
  sleep 5
done
[ -n "$ASSOCIATED" ] || fail "cannot take the Elastic IP $ALLOCATION_ID"
"""


def instance_statements(*, region: str, account_id: str, eni_id: str, allocation_id: str | None,
                        tag_value: str) -> list[dict]:
    """What the instance may do at boot: attach its route-target ENI, take its Elastic IP (if any), turn off the
    source/destination check of its own interface. Resources are this NAT's only (ARN or tag)."""
    ec2 = f"arn:aws:ec2:{region}:{account_id}"
    own = {"StringEquals": {f"aws:ResourceTag/{TAG}": tag_value}}
    take = ["ec2:AssociateAddress"] if allocation_id else []
    statements = [
        {"Effect": "Allow", "Action": ["ec2:AttachNetworkInterface"],
         "Resource": [f"{ec2}:network-interface/{eni_id}"]},
        {"Effect": "Allow", "Action": ["ec2:AttachNetworkInterface", *take],
         "Resource": [f"{ec2}:instance/*"], "Condition": own},
    ]
    if allocation_id:
        statements.append({"Effect": "Allow", "Action": take, "Resource": [f"{ec2}:elastic-ip/{allocation_id}"]})
    statements.append({"Effect": "Allow", "Action": [*take, "ec2:ModifyNetworkInterfaceAttribute"],
                       "Resource": [f"{ec2}:network-interface/*"], "Condition": own})
    return statements


def bandwidth_threshold_bytes(baseline_gbps: float, period_seconds: int, share: float = 0.8) -> float:
    """Bytes out in one period at `share` of the baseline bandwidth: above it, the instance spends burst credits."""
    return baseline_gbps * 1e9 / 8 * period_seconds * share


class NatInstance(pulumi.ComponentResource):
    """One NAT for one AZ (or the stack): the private route tables target `network_interface_id`."""

    def __init__(self, name: str, args: NatInstanceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:network:NatInstance", name, None, opts)
        self._name = name
        self.identity = f"{args.name_prefix}-nat-{args.az_suffix}"
        child = pulumi.ResourceOptions(parent=self)
        tags = {"Name": self.identity, TAG: self.identity}
        self.interface = aws.ec2.NetworkInterface(
            f"{name}-eni",
            subnet_id=args.public_subnet_id,
            security_groups=[args.security_group_id],
            source_dest_check=False,  # it receives packets for the whole internet
            description=f"{self.identity}: route target of the private subnets, held by the running instance",
            tags=tags,
            opts=child,
        )
        self.address = aws.ec2.Eip(f"{name}-eip", domain="vpc", tags=tags, opts=child) if args.elastic_ip else None
        profile, permissions = self._instance_profile(args)
        template = self._launch_template(args, profile, {**args.instance_tags, **tags})
        self.group = aws.autoscaling.Group(
            name,
            min_size=GROUP_SIZE[0],
            max_size=GROUP_SIZE[1],
            desired_capacity=GROUP_SIZE[2],
            vpc_zone_identifiers=[args.public_subnet_id],
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            health_check_type="EC2",  # a failed status check, or the user data's poweroff, replaces the instance
            health_check_grace_period=300,
            max_instance_lifetime=args.max_lifetime_days * SECONDS_PER_DAY,
            instance_maintenance_policy={"min_healthy_percentage": 100, "max_healthy_percentage": 200},
            instance_refresh={"strategy": "Rolling",
                              "preferences": {"min_healthy_percentage": 100, "max_healthy_percentage": 200,
                                              "instance_warmup": "300"}},
            enabled_metrics=["GroupDesiredCapacity", "GroupInServiceInstances"],
            metrics_granularity="1Minute",
            tags=[{"key": key, "value": value, "propagate_at_launch": False}
                  for key, value in {**args.instance_tags, **tags}.items()],
            # The first instance boots straight into EC2 calls: its permissions must exist before it does.
            opts=pulumi.ResourceOptions(parent=self, depends_on=permissions),
        )
        self._alarms(args)
        self.network_interface_id = self.interface.id
        self.public_ip = self.address.public_ip if self.address else None  # None: changes with each instance
        self.group_name = self.group.name
        self.register_outputs({"network_interface_id": self.network_interface_id, "public_ip": self.public_ip,
                               "group_name": self.group_name})

    def _allocation_id(self) -> pulumi.Input[str | None]:
        return self.address.allocation_id if self.address else None

    def _instance_profile(self, args: NatInstanceArgs) -> tuple[aws.iam.InstanceProfile, list[pulumi.Resource]]:
        """Session Manager access (no SSH key, no inbound port) and the boot-time takeover, nothing else."""
        name = f"{self._name}-instance"
        # EC2 does not document sending aws:SourceAccount when it assumes an instance role: no condition.
        role = aws.iam.Role(name, assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
                            opts=pulumi.ResourceOptions(parent=self))
        statements = pulumi.Output.all(self.interface.id, self._allocation_id()).apply(
            lambda ids: instance_statements(region=args.region, account_id=args.account_id, eni_id=ids[0],
                                            allocation_id=ids[1], tag_value=self.identity))
        policy = aws.iam.RolePolicy(name, role=role.id, policy=statements.apply(policy_document),
                                    opts=pulumi.ResourceOptions(parent=self))
        ssm = aws.iam.RolePolicyAttachment(name, role=role.name, policy_arn=SSM_CORE_POLICY,
                                           opts=pulumi.ResourceOptions(parent=self))
        profile = aws.iam.InstanceProfile(name, role=role.name, opts=pulumi.ResourceOptions(parent=self))
        return profile, [policy, ssm]

    def _launch_template(self, args: NatInstanceArgs, profile: aws.iam.InstanceProfile,
                         tags: dict[str, str]) -> aws.ec2.LaunchTemplate:
        """Hardened: IMDSv2 only with one hop, no key pair, encrypted gp3 root, standard CPU credits."""
        user_data = pulumi.Output.all(self.interface.id, self._allocation_id()).apply(
            lambda ids: base64.b64encode(boot_script(ids[0], ids[1]).encode()).decode())
        return aws.ec2.LaunchTemplate(
            f"{self._name}-template",
            description=f"{self.identity}: Amazon Linux 2023 arm64 NAT instance",
            image_id=IMAGE_ID,
            instance_type=args.instance_type,
            iam_instance_profile={"arn": profile.arn},
            user_data=user_data,
            # A box whose boot script gives up powers off: terminating it lets Auto Scaling launch a fresh one.
            instance_initiated_shutdown_behavior="terminate",
            metadata_options={"http_endpoint": "enabled", "http_tokens": "required",
                              "http_put_response_hop_limit": 1, "instance_metadata_tags": "disabled"},
            # Standard credits: a busy NAT slows to its baseline instead of running up surplus-credit charges.
            credit_specification={"cpu_credits": "standard"},
            network_interfaces=[{"device_index": 0, "associate_public_ip_address": True,
                                 "security_groups": [args.security_group_id], "delete_on_termination": True}],
            block_device_mappings=[{"device_name": ROOT_DEVICE, "ebs": {
                "volume_size": ROOT_VOLUME_GB, "volume_type": "gp3", "encrypted": True, "delete_on_termination": True,
            }}],  # the AWS-managed EBS key: a customer key would need a grant for the Auto Scaling service role
            tag_specifications=[{"resource_type": kind, "tags": tags}
                                for kind in ("instance", "volume", "network-interface")],
            update_default_version=True,
            tags={"Name": tags["Name"], TAG: tags[TAG]},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _alarms(self, args: NatInstanceArgs) -> None:
        """Egress down (fewer instances in service than wanted, or a failed status check) is critical;
        sustained traffic above 80% of the baseline bandwidth is a warning (burst credits run out next)."""
        group = {"AutoScalingGroupName": self.group.name}
        key = self.identity
        self._alarm("in-service", f"{key}-in-service-critical", args.critical_topic_arn,
                    "NAT instance not in service: private subnets have no egress. See docs/cost.md (NAT instance).",
                    comparison_operator="GreaterThanThreshold", threshold=0, evaluation_periods=5,
                    datapoints_to_alarm=5, treat_missing_data="notBreaching", metric_queries=[
                        {"id": "desired", "return_data": False, "metric": {
                            "namespace": "AWS/AutoScaling", "metric_name": "GroupDesiredCapacity",
                            "dimensions": group, "stat": "Maximum", "period": 60}},
                        {"id": "in_service", "return_data": False, "metric": {
                            "namespace": "AWS/AutoScaling", "metric_name": "GroupInServiceInstances",
                            "dimensions": group, "stat": "Minimum", "period": 60}},
                        {"id": "missing", "expression": "desired - in_service", "label": "instances missing",
                         "return_data": True}])
        self._alarm("status-check", f"{key}-status-check-critical", args.critical_topic_arn,
                    "NAT instance failing its EC2 status checks. See docs/cost.md (NAT instance).",
                    namespace="AWS/EC2", metric_name="StatusCheckFailed", dimensions=group, statistic="Maximum",
                    period=60, comparison_operator="GreaterThanOrEqualToThreshold", threshold=1,
                    evaluation_periods=3, datapoints_to_alarm=3, treat_missing_data="notBreaching")
        period = 300  # basic monitoring: EC2 network metrics every 5 minutes
        self._alarm("bandwidth", f"{key}-bandwidth-warning", args.warning_topic_arn,
                    f"NAT instance sending over 80% of the {args.instance_type} baseline ({args.baseline_gbps:g} "
                    "Gbit/s) for 15 minutes. See docs/cost.md (NAT instance).",
                    namespace="AWS/EC2", metric_name="NetworkOut", dimensions=group, statistic="Sum", period=period,
                    comparison_operator="GreaterThanThreshold",
                    threshold=bandwidth_threshold_bytes(args.baseline_gbps, period),
                    evaluation_periods=3, datapoints_to_alarm=3, treat_missing_data="notBreaching")

    def _alarm(self, role: str, alarm_name: str, topic_arn: pulumi.Input[str] | None, description: str,
               **source) -> aws.cloudwatch.MetricAlarm:
        """One alarm; without a topic it still shows in the console and on the dashboard, but notifies nobody."""
        actions = [topic_arn] if topic_arn is not None else []
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{role}",
            name=alarm_name,
            alarm_description=description,
            alarm_actions=actions,
            ok_actions=actions,
            tags={"Name": alarm_name, "severity": alarm_name.rsplit("-", 1)[-1]},
            opts=pulumi.ResourceOptions(parent=self),
            **source,
        )

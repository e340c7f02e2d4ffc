"""The VPC: public, private (app) and isolated (data) subnets per AZ, NAT (gateways or instances), endpoints,
flow logs."""

import ipaddress
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from settings.network import NAT_INSTANCE_BASELINE_GBPS, NatInstanceSettings

from .iam import service_role
from .nat_instance import NatInstance, NatInstanceArgs
from .security import allow_all_egress, allow_from, security_group

TIERS = ("public", "private", "isolated")
# Interface endpoints that let tasks run with no NAT: image pulls, logs, secrets, KMS, STS.
INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "kms", "sts")


def subnet_cidrs(vpc_cidr: str, az_count: int) -> dict[str, list[str]]:
    """Split the VPC into 16 equal blocks: tier t, AZ i gets block 4*t + i (room for a 4th AZ)."""
    blocks = list(ipaddress.IPv4Network(vpc_cidr).subnets(prefixlen_diff=4))
    return {tier: [str(blocks[4 * t + i]) for i in range(az_count)] for t, tier in enumerate(TIERS)}


def nat_count(strategy: str, az_count: int, per_az: bool = False) -> int:
    """How many NATs (gateways or instances) a strategy needs."""
    return {"none": 0, "single": 1, "one-per-az": az_count, "instance": az_count if per_az else 1}[strategy]


def nat_for_az(strategy: str, az_index: int, per_az: bool = False) -> int | None:
    """Index of the NAT the private subnet of AZ `az_index` routes through."""
    return {"none": None, "single": 0, "one-per-az": az_index, "instance": az_index if per_az else 0}[strategy]


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """What the network is made of; all plain values because they decide which resources exist."""

    cidr: str
    az_count: int
    nat_strategy: str
    interface_endpoints: bool
    flow_logs_retention_days: int
    region: str
    account_id: str
    # natStrategy `instance`: the options (settings.network.nat_instance_options(); None: the defaults), the prefix
    # of the NAT instances' names and alarms (None: `<project>-<stack>`), the topics the alarms notify (None: none).
    nat_instance: NatInstanceSettings | None = None
    name_prefix: str | None = None
    warning_topic_arn: pulumi.Input[str] | None = None
    critical_topic_arn: pulumi.Input[str] | None = None
    instance_tags: dict[str, str] = field(default_factory=dict)  # the provider's default tags, for NAT instances
    flow_logs_class: str = "STANDARD"


class Network(pulumi.ComponentResource):
    """A three-tier VPC with private-by-default subnets and the shared app security group."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:network:Network", name, None, opts)
        self._name = name
        self.endpoint_security_group: aws.ec2.SecurityGroup | None = None
        self.azs = self._availability_zones(args.az_count)
        self.vpc = aws.ec2.Vpc(
            name,
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The default group allows all traffic between its members; strip it so nothing relies on it.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-locked"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.subnets = self._subnets(args)
        self.nat_gateways: list[aws.ec2.NatGateway] = []
        self.nat_instances: list[NatInstance] = []
        nat_targets = self._public_routing(args)
        route_tables = self._private_routing(args, nat_targets) + [self._isolated_routing()]
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in route_tables],
            tags={"Name": f"{name}-s3"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.app_security_group = security_group(
            f"{name}-app", vpc_id=self.vpc.id, description="ECS tasks: API, workers, jobs", parent=self
        )
        allow_all_egress(
            f"{name}-app-egress",
            group=self.app_security_group,
            description="tasks reach AWS APIs and external services",
            parent=self,
        )
        if args.interface_endpoints:
            self._interface_endpoints(args)
        self._flow_logs(args)

        self.vpc_id = self.vpc.id
        self.public_subnet_ids = [s.id for s in self.subnets["public"]]
        self.private_subnet_ids = [s.id for s in self.subnets["private"]]
        self.isolated_subnet_ids = [s.id for s in self.subnets["isolated"]]
        self.app_security_group_id = self.app_security_group.id
        self.nat_public_ips = self._nat_public_ips
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "azs": self.azs,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "isolated_subnet_ids": self.isolated_subnet_ids,
                "app_security_group_id": self.app_security_group_id,
                "nat_public_ips": self.nat_public_ips,
            }
        )

    def _availability_zones(self, count: int) -> list[str]:
        """The first `count` standard AZs of the region (local and wavelength zones excluded)."""
        zones = aws.get_availability_zones(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOptions(parent=self),
        )
        names = sorted(zones.names)
        if len(names) < count:
            raise pulumi.RunError(
                f"network.azCount is {count} but the region has only {len(names)} standard AZs: {names}"
            )
        return names[:count]

    def _subnets(self, args: NetworkArgs) -> dict[str, list[aws.ec2.Subnet]]:
        """One subnet per tier per AZ; none maps public IPs on launch (the ALB needs none)."""
        plan = subnet_cidrs(args.cidr, args.az_count)
        subnets: dict[str, list[aws.ec2.Subnet]] = {}
        self._subnet_names: dict[aws.ec2.Subnet, str] = {}
        for tier in TIERS:
            subnets[tier] = [
                self._subnet(f"{self._name}-{tier}-{az[-1]}", tier, az, cidr)
                for az, cidr in zip(self.azs, plan[tier])
            ]
        return subnets

    def _subnet(self, name: str, tier: str, az: str, cidr: str) -> aws.ec2.Subnet:
        """One subnet, remembered by name for its route table association."""
        subnet = aws.ec2.Subnet(
            name,
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=az,
            map_public_ip_on_launch=False,
            tags={"Name": name, "nodeapi:tier": tier},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._subnet_names[subnet] = name
        return subnet

    def _route_table(self, role: str, subnets: list[aws.ec2.Subnet]) -> aws.ec2.RouteTable:
        """A route table associated with the given subnets (named after the subnet they bind)."""
        table = aws.ec2.RouteTable(
            f"{self._name}-{role}",
            vpc_id=self.vpc.id,
            tags={"Name": f"{self._name}-{role}"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        for subnet in subnets:
            aws.ec2.RouteTableAssociation(
                f"{self._subnet_names[subnet]}-routes",
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return table

    def _public_routing(self, args: NetworkArgs) -> list[dict[str, pulumi.Output[str]]]:
        """Internet gateway for the public tier and the NATs that live there; returns each NAT's route target."""
        igw = aws.ec2.InternetGateway(
            f"{self._name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{self._name}-igw"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        table = self._route_table("public", self.subnets["public"])
        aws.ec2.Route(
            f"{self._name}-public-internet",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._nat_public_ips: list[pulumi.Output[str]] = []
        if args.nat_strategy == "instance":
            return self._nat_instances(args, igw)
        targets = []
        for index in range(nat_count(args.nat_strategy, args.az_count)):
            suffix = self.azs[index][-1]
            eip = aws.ec2.Eip(
                f"{self._name}-nat-{suffix}", domain="vpc", tags={"Name": f"{self._name}-nat-{suffix}"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            gateway = aws.ec2.NatGateway(
                f"{self._name}-nat-{suffix}",
                allocation_id=eip.id,
                subnet_id=self.subnets["public"][index].id,
                tags={"Name": f"{self._name}-nat-{suffix}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
            self.nat_gateways.append(gateway)
            self._nat_public_ips.append(eip.public_ip)
            targets.append({"nat_gateway_id": gateway.id})
        return targets

    def _nat_instances(self, args: NetworkArgs, igw: aws.ec2.InternetGateway) -> list[dict[str, pulumi.Output[str]]]:
        """NAT instances in the public subnets, one group for them all: in from the private subnets, out anywhere."""
        options = args.nat_instance or NatInstanceSettings()
        group = security_group(f"{self._name}-nat", vpc_id=self.vpc.id, parent=self,
                               description="NAT instances: traffic from the private subnets to the internet")
        # Forwarded packets keep the sender's address, and anything in a private subnet may need egress (tasks,
        # functions, one-off runs): the source is the private tier's CIDRs, not a group. Nothing from the internet.
        for az, cidr in zip(self.azs, subnet_cidrs(args.cidr, args.az_count)["private"]):
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-nat-from-private-{az[-1]}",
                security_group_id=group.id,
                cidr_ipv4=cidr,
                ip_protocol="-1",
                description=f"everything from the private subnet in {az} (to be forwarded)",
                tags={"Name": f"{self._name}-nat-from-private-{az[-1]}"},
                opts=pulumi.ResourceOptions(parent=self),
            )
        allow_all_egress(f"{self._name}-nat-egress", group=group, parent=self,
                         description="forwarded traffic and the instance's own updates go anywhere")
        prefix = args.name_prefix or f"{pulumi.get_project()}-{pulumi.get_stack()}"
        targets = []
        for index in range(nat_count("instance", args.az_count, options.per_az)):
            suffix = self.azs[index][-1]
            nat = NatInstance(
                f"{self._name}-nat-{suffix}",
                NatInstanceArgs(
                    az_suffix=suffix,
                    public_subnet_id=self.subnets["public"][index].id,
                    security_group_id=group.id,
                    instance_type=options.instance_type,
                    baseline_gbps=NAT_INSTANCE_BASELINE_GBPS[options.instance_type],
                    max_lifetime_days=options.max_lifetime_days,
                    elastic_ip=options.elastic_ip,
                    region=args.region,
                    account_id=args.account_id,
                    name_prefix=prefix,
                    warning_topic_arn=args.warning_topic_arn,
                    critical_topic_arn=args.critical_topic_arn,
                    instance_tags=args.instance_tags,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
            self.nat_instances.append(nat)
            if nat.public_ip is not None:
                self._nat_public_ips.append(nat.public_ip)
            targets.append({"network_interface_id": nat.network_interface_id})
        return targets

    def _private_routing(self, args: NetworkArgs, nat_targets: list[dict]) -> list[aws.ec2.RouteTable]:
        """A route table per AZ, so one NAT per AZ keeps each AZ's egress inside that AZ."""
        per_az = bool(args.nat_instance and args.nat_instance.per_az)
        tables = []
        for index, subnet in enumerate(self.subnets["private"]):
            suffix = self.azs[index][-1]
            table = self._route_table(f"private-{suffix}", [subnet])
            nat_index = nat_for_az(args.nat_strategy, index, per_az)
            if nat_index is not None:
                aws.ec2.Route(
                    f"{self._name}-private-{suffix}-egress",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    opts=pulumi.ResourceOptions(parent=self),
                    **nat_targets[nat_index],
                )
            tables.append(table)
        return tables

    def _isolated_routing(self) -> aws.ec2.RouteTable:
        """The data tier has no route out of the VPC at all (S3 only through the gateway endpoint)."""
        return self._route_table("isolated", self.subnets["isolated"])

    def admit_to_endpoints(self, key: str, group: aws.ec2.SecurityGroup) -> None:
        """Let tasks outside the shared app group (e.g. the data tier's own) call AWS APIs through the interface
        endpoints, when the network has them."""
        if self.endpoint_security_group is not None:
            allow_from(f"{self._name}-endpoints-from-{key}", group=self.endpoint_security_group, source=group,
                       port=443, description=f"{key} call AWS APIs over TLS", parent=self)

    def _interface_endpoints(self, args: NetworkArgs) -> None:
        """Private endpoints for AWS APIs, reachable only from the app security group."""
        endpoint_sg = security_group(
            f"{self._name}-endpoints", vpc_id=self.vpc.id, description="VPC interface endpoints",
            parent=self,
        )
        self.endpoint_security_group = endpoint_sg
        allow_from(
            f"{self._name}-endpoints-from-app", group=endpoint_sg, source=self.app_security_group,
            port=443, description="tasks call AWS APIs over TLS", parent=self,
        )
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{self._name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.subnets["private"]],
                security_group_ids=[endpoint_sg.id],
                tags={"Name": f"{self._name}-{service}"},
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _flow_logs(self, args: NetworkArgs) -> None:
        """All accepted and rejected traffic to CloudWatch Logs, with a role that can write only there."""
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-flow-logs",
            retention_in_days=args.flow_logs_retention_days,
            log_group_class=args.flow_logs_class,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role, _ = service_role(
            f"{self._name}-flow-logs", service="vpc-flow-logs.amazonaws.com", account_id=args.account_id, parent=self,
            statements=[
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [log_group.arn, pulumi.Output.concat(log_group.arn, ":*")],
                }
            ],
        )
        aws.ec2.FlowLog(
            f"{self._name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{self._name}-flow-log"},
            opts=pulumi.ResourceOptions(parent=self),
        )

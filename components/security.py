"""Security-group building blocks: groups reference groups, never CIDRs, except at the edge."""

import pulumi
import pulumi_aws as aws


def security_group(
    name: str, *, vpc_id: pulumi.Input[str], description: str, parent: pulumi.Resource
) -> aws.ec2.SecurityGroup:
    """An empty group; rules are separate resources so other components can add to it."""
    return aws.ec2.SecurityGroup(
        name,
        vpc_id=vpc_id,
        description=description,
        revoke_rules_on_delete=True,
        tags={"Name": name},
        opts=pulumi.ResourceOptions(parent=parent),
    )


def allow_from(
    name: str,
    *,
    group: aws.ec2.SecurityGroup,
    source: aws.ec2.SecurityGroup,
    port: int,
    description: str,
    parent: pulumi.Resource,
) -> aws.vpc.SecurityGroupIngressRule:
    """Let members of `source` reach members of `group` on one TCP port."""
    return _between_groups(aws.vpc.SecurityGroupIngressRule, name, group=group, other=source, port=port,
                           description=description, parent=parent)


def allow_egress_to(
    name: str,
    *,
    group: aws.ec2.SecurityGroup,
    destination: aws.ec2.SecurityGroup,
    port: int,
    description: str,
    parent: pulumi.Resource,
) -> aws.vpc.SecurityGroupEgressRule:
    """Let members of `group` open connections to members of `destination` on one TCP port."""
    return _between_groups(aws.vpc.SecurityGroupEgressRule, name, group=group, other=destination, port=port,
                           description=description, parent=parent)


def _between_groups(rule_type, name: str, *, group, other, port: int, description: str, parent: pulumi.Resource):
    """One TCP port between two groups, as an ingress or egress rule of `group`."""
    return rule_type(
        name,
        security_group_id=group.id,
        referenced_security_group_id=other.id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=description,
        tags={"Name": name},
        opts=pulumi.ResourceOptions(parent=parent),
    )


def allow_all_egress(
    name: str, *, group: aws.ec2.SecurityGroup, description: str, parent: pulumi.Resource
) -> aws.vpc.SecurityGroupEgressRule:
    """Outbound to anywhere (through NAT or endpoints): tasks call external APIs and AWS."""
    return aws.vpc.SecurityGroupEgressRule(
        name,
        security_group_id=group.id,
        cidr_ipv4="0.0.0.0/0",
        ip_protocol="-1",
        description=description,
        tags={"Name": name},
        opts=pulumi.ResourceOptions(parent=parent),
    )

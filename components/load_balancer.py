"""The public Application Load Balancer: TLS edge, blue/green target groups and the rules ECS shifts."""

import ipaddress
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ops.maintenance import chunk, response_body

from .security import allow_egress_to, allow_from, security_group

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"  # TLS 1.2 and 1.3 only
HSTS = "max-age=31536000; includeSubDomains"
EDGE_TAGS = {"Exposure": "public-load-balancer"}  # the policy pack lets only these rules face the internet
PRODUCTION_RULE_PRIORITY = 100
MAINTENANCE_PRIORITIES = range(1, 10)
NOT_FOUND = {"type": "fixed-response", "fixed_response": {
    "content_type": "application/json", "status_code": "404", "message_body": '{"error":"not found"}'}}


@dataclass(frozen=True, kw_only=True)
class HealthCheck:
    """How the target groups judge a task (the app's /health)."""

    path: str
    interval_seconds: int
    timeout_seconds: int
    healthy_threshold: int
    unhealthy_threshold: int


@dataclass(frozen=True, kw_only=True)
class Maintenance:
    """The 503 rules: who still gets through."""

    admin_paths: list[str]
    allowed_cidrs: list[str]
    message: str


@dataclass(frozen=True, kw_only=True)
class LoadBalancerArgs:
    """Where the ALB lives, what it serves, and how it reaches the app."""

    lb_name: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    public_subnet_ids: list[pulumi.Input[str]]
    app_security_group: aws.ec2.SecurityGroup
    app_port: int
    certificate_arn: str
    test_listener_port: int
    test_allowed_cidrs: list[str]
    health_check: HealthCheck
    deregistration_delay_seconds: int
    idle_timeout_seconds: int
    content_security_policy: str
    deletion_protection: bool
    access_logs_bucket: pulumi.Input[str]
    access_logs_prefix: str
    access_logs_ready: list[pulumi.Resource] = field(default_factory=list)
    maintenance: Maintenance | None = None


def forward_both(blue: pulumi.Input[str], green: pulumi.Input[str]) -> dict:
    """All traffic to blue, none to green: the starting point ECS then shifts."""
    return {"type": "forward", "forward": {"target_groups": [{"arn": blue, "weight": 100},
                                                             {"arn": green, "weight": 0}]}}


def source_ip_rules(cidrs: list[str]) -> list[tuple[str, str]]:
    """(input name, cidr) of each security-group rule for a list of IPv4/IPv6 CIDRs."""
    return [("cidr_ipv6" if ipaddress.ip_network(c).version == 6 else "cidr_ipv4", c) for c in cidrs]


def live_forward(rule: aws.lb.GetListenerRuleResult) -> dict:
    """The production rule's forward action as AWS holds it now (weights set by ECS), as rule input."""
    forward = next(a for a in rule.actions if a.type == "forward")
    groups = [group for config in forward.forwards or [] for group in config.target_groups or []]
    return {"type": "forward", "forward": {"target_groups": [{"arn": g.arn, "weight": g.weight} for g in groups]}}


class LoadBalancer(pulumi.ComponentResource):
    """ALB, its security group, HTTP->HTTPS, HTTPS and test listeners, blue/green target groups and rules."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:service:LoadBalancer", name, None, opts)
        self.security_group = self._security_group(name, args)
        self.alb = aws.lb.LoadBalancer(
            name,
            name=args.lb_name,
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            subnets=args.public_subnet_ids,
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection,
            idle_timeout=args.idle_timeout_seconds,
            access_logs={"bucket": args.access_logs_bucket, "prefix": args.access_logs_prefix, "enabled": True},
            tags={"Name": args.lb_name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.access_logs_ready),
        )
        self.blue_target_group = self._target_group(f"{name}-blue", f"{args.lb_name}-blue", args)
        self.green_target_group = self._target_group(f"{name}-green", f"{args.lb_name}-green", args)
        self._listeners(name, args)
        self.maintenance_rules = self._maintenance(name, args.maintenance) if args.maintenance else []
        self.arn = self.alb.arn
        self.arn_suffix = self.alb.arn_suffix
        self.dns_name = self.alb.dns_name
        self.zone_id = self.alb.zone_id
        self.https_listener_arn = self.https_listener.arn
        self.test_listener_arn = self.test_listener.arn
        self.production_rule_arn = self.production_rule.arn
        self.test_rule_arn = self.test_rule.arn
        self.register_outputs({
            "arn": self.arn, "arn_suffix": self.arn_suffix, "dns_name": self.dns_name, "zone_id": self.zone_id,
            "https_listener_arn": self.https_listener_arn, "test_listener_arn": self.test_listener_arn,
            "production_rule_arn": self.production_rule_arn, "test_rule_arn": self.test_rule_arn,
        })

    def _security_group(self, name: str, args: LoadBalancerArgs) -> aws.ec2.SecurityGroup:
        """Internet on 80/443, the VPC (and allow-listed CIDRs) on the test port; out only to the app."""
        group = security_group(f"{name}-sg", vpc_id=args.vpc_id, description="ALB: HTTPS from the internet",
                               parent=self)
        for port in (443, 80):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-in-{port}", security_group_id=group.id, cidr_ipv4="0.0.0.0/0", ip_protocol="tcp",
                from_port=port, to_port=port, description=f"internet to the ALB on {port}",
                tags={"Name": f"{name}-in-{port}", **EDGE_TAGS}, opts=pulumi.ResourceOptions(parent=self),
            )
        test_sources = [("cidr_ipv4", args.vpc_cidr)] + source_ip_rules(args.test_allowed_cidrs)
        for index, (key, cidr) in enumerate(test_sources):
            rule_name = f"{name}-test-in-vpc" if index == 0 else f"{name}-test-in-{index}"
            aws.vpc.SecurityGroupIngressRule(
                rule_name, security_group_id=group.id, ip_protocol="tcp", from_port=args.test_listener_port,
                to_port=args.test_listener_port, description=f"test listener from {cidr}",
                tags={"Name": rule_name}, opts=pulumi.ResourceOptions(parent=self), **{key: cidr},
            )
        allow_egress_to(f"{name}-to-app", group=group, destination=args.app_security_group, port=args.app_port,
                        description="ALB to the app tasks", parent=self)
        allow_from(f"{name}-app-from-alb", group=args.app_security_group, source=group, port=args.app_port,
                   description="app tasks from the ALB", parent=self)
        return group

    def _target_group(self, name: str, physical: str, args: LoadBalancerArgs) -> aws.lb.TargetGroup:
        """IP targets (Fargate), health checked on the app's path; a healthy task serves within 20 s."""
        check = args.health_check
        return aws.lb.TargetGroup(
            name,
            name=physical,
            target_type="ip",
            protocol="HTTP",
            protocol_version="HTTP1",
            port=args.app_port,
            vpc_id=args.vpc_id,
            deregistration_delay=args.deregistration_delay_seconds,
            health_check={
                "enabled": True, "path": check.path, "protocol": "HTTP", "port": "traffic-port", "matcher": "200",
                "interval": check.interval_seconds, "timeout": check.timeout_seconds,
                "healthy_threshold": check.healthy_threshold, "unhealthy_threshold": check.unhealthy_threshold,
            },
            tags={"Name": physical},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _listeners(self, name: str, args: LoadBalancerArgs) -> None:
        """HTTP redirects; HTTPS and the test listener forward through one rule each, which ECS owns."""
        child = pulumi.ResourceOptions(parent=self)
        aws.lb.Listener(
            f"{name}-http", load_balancer_arn=self.alb.arn, port=80, protocol="HTTP",
            default_actions=[{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443",
                                                               "status_code": "HTTP_301"}}],
            opts=child,
        )
        self.https_listener = self._tls_listener(f"{name}-https", 443, args)
        self.test_listener = self._tls_listener(f"{name}-test", args.test_listener_port, args)
        self.production_rule = self._forward_rule(f"{name}-production", self.https_listener, args)
        self.test_rule = self._forward_rule(f"{name}-test-rule", self.test_listener, args)

    def _tls_listener(self, name: str, port: int, args: LoadBalancerArgs) -> aws.lb.Listener:
        """TLS 1.2+ with the security headers every response gets; unmatched requests get a JSON 404."""
        return aws.lb.Listener(
            name, load_balancer_arn=self.alb.arn, port=port, protocol="HTTPS", ssl_policy=TLS_POLICY,
            certificate_arn=args.certificate_arn, default_actions=[NOT_FOUND],
            routing_http_response_strict_transport_security_header_value=HSTS,
            routing_http_response_x_content_type_options_header_value="nosniff",
            routing_http_response_x_frame_options_header_value="DENY",
            routing_http_response_content_security_policy_header_value=args.content_security_policy,
            routing_http_response_server_enabled=False,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _forward_rule(self, name: str, listener: aws.lb.Listener, args: LoadBalancerArgs) -> aws.lb.ListenerRule:
        """Forward everything to blue/green. ECS rewrites the weights on every deployment and rollback, so
        Pulumi ignores `actions` after creation: otherwise the next `pulumi up` would put traffic back on
        the old target group, behind ECS's back (the known Terraform/awsx failure)."""
        return aws.lb.ListenerRule(
            name,
            listener_arn=listener.arn,
            priority=PRODUCTION_RULE_PRIORITY,
            conditions=[{"path_pattern": {"values": ["/*"]}}],
            actions=[forward_both(self.blue_target_group.arn, self.green_target_group.arn)],
            tags={"Name": name},
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["actions"]),
        )

    def _maintenance(self, name: str, mode: Maintenance) -> list[aws.lb.ListenerRule]:
        """Bypass rules (admin paths, then allowed CIDRs) forward with the live weights; then the 503."""
        live = aws.lb.get_listener_rule_output(arn=self.production_rule.arn,
                                               opts=pulumi.InvokeOutputOptions(parent=self))
        forward = live.apply(live_forward)
        conditions = [{"path_pattern": {"values": values}} for values in chunk(mode.admin_paths)]
        conditions += [{"source_ip": {"values": values}} for values in chunk(mode.allowed_cidrs)]
        actions = [forward] * len(conditions)
        conditions.append({"path_pattern": {"values": ["/*"]}})
        actions.append({"type": "fixed-response", "fixed_response": {
            "content_type": "application/json", "status_code": "503", "message_body": response_body(mode.message)}})
        rules = []
        for priority, condition, action in zip(MAINTENANCE_PRIORITIES, conditions, actions):
            role = "maintenance" if priority == len(conditions) else f"maintenance-bypass-{priority}"
            rules.append(aws.lb.ListenerRule(
                f"{name}-{role}", listener_arn=self.https_listener.arn, priority=priority,
                conditions=[condition], actions=[action], tags={"Name": f"{name}-{role}"},
                opts=pulumi.ResourceOptions(parent=self),
            ))
        return rules


"""The public Application Load Balancer: TLS edge, blue/green target groups and the rules ECS shifts."""

import hashlib
import ipaddress
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from contract.maintenance import PULUMI_PRIORITIES, PlannedRule, response_body

from .security import allow_egress_to, allow_from, security_group

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"  # TLS 1.2 and 1.3 only
IP_ADDRESS_TYPE = "ipv4"  # no IPv6 (dualstack) listeners: a managed domain gives the API host an A record only
HSTS = "max-age=31536000; includeSubDomains"
EDGE_TAGS = {"Exposure": "public-load-balancer"}  # the policy pack lets only these rules face the internet
NOT_FOUND = {"type": "fixed-response", "fixed_response": {
    "content_type": "application/json", "status_code": "404", "message_body": '{"error":"not found"}'}}
# Target groups: IP targets (Fargate) over HTTP/1.1.
TARGET_TYPE, PROTOCOL, PROTOCOL_VERSION = "ip", "HTTP", "HTTP1"


@dataclass(frozen=True, kw_only=True)
class HealthCheck:
    """How a service's target groups judge a task (the app's /health)."""

    path: str
    interval_seconds: int
    timeout_seconds: int
    healthy_threshold: int
    unhealthy_threshold: int


@dataclass(frozen=True, kw_only=True)
class RouteSpec:
    """One listener rule of a service: its priority and conditions (both empty: every path)."""

    priority: int
    hosts: list[str]
    paths: list[str]


@dataclass(frozen=True, kw_only=True)
class PublicTarget:
    """A public service as the load balancer sees it: port, group, checks, routes, and how it deploys."""

    service: str
    port: int
    security_group: aws.ec2.SecurityGroup
    health_check: HealthCheck
    deregistration_delay_seconds: int
    stickiness_seconds: int | None
    routes: list[RouteSpec]
    blue_green: bool = True  # False: single-writer services deploy rolling onto one target group


@dataclass(frozen=True, kw_only=True)
class Maintenance:
    """The 503 rules: the plan (contract.maintenance.plan) and the message."""

    rules: list[PlannedRule]
    message: str


@dataclass
class RouteResources:
    """What one route is made of: its target groups and rules (green and the test rule only with blue/green)."""

    spec: RouteSpec
    blue: aws.lb.TargetGroup
    green: aws.lb.TargetGroup | None
    production_rule: aws.lb.ListenerRule
    test_rule: aws.lb.ListenerRule | None


@dataclass(frozen=True, kw_only=True)
class LoadBalancerArgs:
    """Where the ALB lives, what it serves, and how it reaches the public services."""

    lb_name: str
    target_group_names: dict[tuple[str, int, str], str]  # (service, route index, blue|green) -> physical name
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    public_subnet_ids: list[pulumi.Input[str]]
    targets: list[PublicTarget]
    certificate_arn: pulumi.Input[str]  # the validated ARN when the program manages it (waits for ACM)
    test_listener_port: int
    test_allowed_cidrs: list[str]
    idle_timeout_seconds: int
    content_security_policy: str
    deletion_protection: bool
    access_logs_bucket: pulumi.Input[str]
    access_logs_prefix: str
    access_logs_ready: list[pulumi.Resource] = field(default_factory=list)
    maintenance: Maintenance | None = None


def target_group_key(port: int, vpc_cidr: str) -> str:
    """Four hex characters that change exactly when a target group must be replaced.

    A target group's port, protocol, protocol version, target type and VPC cannot change in place (ForceNew in the
    Terraform AWS provider's `aws_lb_target_group`, which pulumi-aws bridges), and its name must be unique in the
    account and region. With the key in the name, the replacement is created under a new name before the old one
    is deleted, instead of failing on the old name (docs/service-tier.md, "Replacing a target group")."""
    text = f"{port}/{PROTOCOL}/{PROTOCOL_VERSION}/{TARGET_TYPE}/{vpc_cidr}"
    return hashlib.sha256(text.encode()).hexdigest()[:4]


def conditions_of(spec: RouteSpec) -> list[dict]:
    """Listener rule conditions of a route (no condition at all is not allowed: a bare route matches `/*`)."""
    conditions = []
    if spec.hosts:
        conditions.append({"host_header": {"values": list(spec.hosts)}})
    if spec.paths or not spec.hosts:
        conditions.append({"path_pattern": {"values": list(spec.paths) or ["/*"]}})
    return conditions


def forward_one(target_group: pulumi.Input[str]) -> dict:
    """Everything to one target group (single-writer services)."""
    return {"type": "forward", "target_group_arn": target_group}


def forward_both(blue: pulumi.Input[str], green: pulumi.Input[str], stickiness_seconds: int | None = None) -> dict:
    """All traffic to blue, none to green: the starting point ECS then shifts. With sticky sessions the
    group-level stickiness keeps a client on the same group while weights shift (ELB User Guide, "Listener
    rules": forward action, target group stickiness)."""
    forward: dict = {"target_groups": [{"arn": blue, "weight": 100}, {"arn": green, "weight": 0}]}
    if stickiness_seconds:
        forward["stickiness"] = {"enabled": True, "duration": stickiness_seconds}
    return {"type": "forward", "forward": forward}


def source_ip_rules(cidrs: list[str]) -> list[tuple[str, str]]:
    """(input name, cidr) of each security-group rule for a list of IPv4/IPv6 CIDRs."""
    return [("cidr_ipv6" if ipaddress.ip_network(c).version == 6 else "cidr_ipv4", c) for c in cidrs]


def live_forward(rule: aws.lb.GetListenerRuleResult) -> dict:
    """The production rule's forward action as AWS holds it now (weights set by ECS), as rule input."""
    forward = next(a for a in rule.actions if a.type == "forward")
    configs = forward.forwards or []
    groups = [group for config in configs for group in config.target_groups or []]
    result: dict = {"target_groups": [{"arn": g.arn, "weight": g.weight} for g in groups]}
    stickiness = next((st for c in configs for st in c.stickinesses or []), None)
    if stickiness and stickiness.enabled:
        result["stickiness"] = {"enabled": True, "duration": stickiness.duration}
    return {"type": "forward", "forward": result}


class LoadBalancer(pulumi.ComponentResource):
    """ALB, its security group, HTTP->HTTPS, HTTPS and test listeners, each route's target groups and rules."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:service:LoadBalancer", name, None, opts)
        self.security_group = self._security_group(name, args)
        self.alb = aws.lb.LoadBalancer(
            name,
            name=args.lb_name,
            load_balancer_type="application",
            internal=False,
            ip_address_type=IP_ADDRESS_TYPE,
            subnets=args.public_subnet_ids,
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection,
            idle_timeout=args.idle_timeout_seconds,
            access_logs={"bucket": args.access_logs_bucket, "prefix": args.access_logs_prefix, "enabled": True},
            tags={"Name": args.lb_name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.access_logs_ready),
        )
        self._listeners(name, args)
        self.routes: dict[str, list[RouteResources]] = {
            target.service: [self._route(name, args, target, index, spec) for index, spec in enumerate(target.routes)]
            for target in args.targets
        }
        self.maintenance_rules = self._maintenance(name, args.maintenance) if args.maintenance else []
        self.arn = self.alb.arn
        self.arn_suffix = self.alb.arn_suffix
        self.dns_name = self.alb.dns_name
        self.zone_id = self.alb.zone_id
        self.certificate_arn = self.https_listener.certificate_arn
        self.https_listener_arn = self.https_listener.arn
        self.test_listener_arn = self.test_listener.arn
        self.register_outputs({
            "arn": self.arn, "arn_suffix": self.arn_suffix, "dns_name": self.dns_name, "zone_id": self.zone_id,
            "https_listener_arn": self.https_listener_arn, "test_listener_arn": self.test_listener_arn,
            "certificate_arn": self.certificate_arn,
        })

    def _security_group(self, name: str, args: LoadBalancerArgs) -> aws.ec2.SecurityGroup:
        """Internet on 80/443, the VPC (and allow-listed CIDRs) on the test port; out only to public services."""
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
        for target in args.targets:
            allow_egress_to(f"{name}-to-{target.service}", group=group, destination=target.security_group,
                            port=target.port, description=f"ALB to {target.service}", parent=self)
            allow_from(f"{name}-{target.service}-from-alb", group=target.security_group, source=group,
                       port=target.port, description=f"{target.service} from the ALB", parent=self)
        return group

    def _target_group(self, name: str, physical: str, args: LoadBalancerArgs, target: PublicTarget) -> aws.lb.TargetGroup:
        """IP targets (Fargate), health checked on the service's path; a healthy task serves within 20 s."""
        check = target.health_check
        stickiness = ({"enabled": True, "type": "lb_cookie", "cookie_duration": target.stickiness_seconds}
                      if target.stickiness_seconds else {"enabled": False, "type": "lb_cookie"})
        return aws.lb.TargetGroup(
            name,
            name=physical,
            target_type=TARGET_TYPE,
            protocol=PROTOCOL,
            protocol_version=PROTOCOL_VERSION,
            port=target.port,
            vpc_id=args.vpc_id,
            deregistration_delay=target.deregistration_delay_seconds,
            stickiness=stickiness,
            health_check={
                "enabled": True, "path": check.path, "protocol": "HTTP", "port": "traffic-port", "matcher": "200",
                "interval": check.interval_seconds, "timeout": check.timeout_seconds,
                "healthy_threshold": check.healthy_threshold, "unhealthy_threshold": check.unhealthy_threshold,
            },
            tags={"Name": physical, "nodeapi:service": target.service},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _listeners(self, name: str, args: LoadBalancerArgs) -> None:
        """HTTP redirects; HTTPS and the test listener answer a JSON 404 to what no route matches."""
        child = pulumi.ResourceOptions(parent=self)
        aws.lb.Listener(
            f"{name}-http", load_balancer_arn=self.alb.arn, port=80, protocol="HTTP",
            default_actions=[{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443",
                                                               "status_code": "HTTP_301"}}],
            opts=child,
        )
        self.https_listener = self._tls_listener(f"{name}-https", 443, args)
        self.test_listener = self._tls_listener(f"{name}-test", args.test_listener_port, args)

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

    def _route(self, name: str, args: LoadBalancerArgs, target: PublicTarget, index: int,
               spec: RouteSpec) -> RouteResources:
        """The route's target groups and its rules on the HTTPS (and, for blue/green, the test) listener."""
        role = f"{target.service}-{index}" if index else target.service
        blue = self._target_group(f"{name}-{role}-blue", args.target_group_names[(target.service, index, "blue")],
                                  args, target)
        if not target.blue_green:
            rule = self._rule(f"{name}-{role}", self.https_listener, spec, forward_one(blue.arn), owned_by_ecs=False)
            return RouteResources(spec=spec, blue=blue, green=None, production_rule=rule, test_rule=None)
        green = self._target_group(f"{name}-{role}-green", args.target_group_names[(target.service, index, "green")],
                                   args, target)
        action = forward_both(blue.arn, green.arn, target.stickiness_seconds)
        production = self._rule(f"{name}-{role}", self.https_listener, spec, action, owned_by_ecs=True)
        test = self._rule(f"{name}-{role}-test", self.test_listener, spec, action, owned_by_ecs=True)
        return RouteResources(spec=spec, blue=blue, green=green, production_rule=production, test_rule=test)

    def _rule(self, name: str, listener: aws.lb.Listener, spec: RouteSpec, action: dict,
              owned_by_ecs: bool) -> aws.lb.ListenerRule:
        """A route's rule. ECS rewrites blue/green weights on every deployment and rollback, so Pulumi ignores
        `actions` of those rules after creation: otherwise the next `pulumi up` would put traffic back on the
        old target group, behind ECS's back (the known Terraform/awsx failure)."""
        return aws.lb.ListenerRule(
            name,
            listener_arn=listener.arn,
            priority=spec.priority,
            conditions=conditions_of(spec),
            actions=[action],
            tags={"Name": name},
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["actions"] if owned_by_ecs else None),
        )

    def _maintenance(self, name: str, mode: Maintenance) -> list[aws.lb.ListenerRule]:
        """Bypass rules forward like the route they copy (with its live weights); then the 503. After ECS shifts
        traffic, the service's deployment hook copies the new weights onto them (lambdas/migration_hook/bypass.py);
        `actions` stay managed here, so each `pulumi up` re-reads the same live weights (no ignore_changes)."""
        live = {}
        rules = []
        for priority, planned in zip(PULUMI_PRIORITIES, mode.rules):
            if planned.route is None:
                action = {"type": "fixed-response", "fixed_response": {
                    "content_type": "application/json", "status_code": "503",
                    "message_body": response_body(mode.message)}}
                role = "maintenance"
            else:
                action = live.setdefault(planned.route, self._live_forward(planned.route))
                role = f"maintenance-bypass-{priority}"
            conditions = [{_CONDITION_KEYS[field_name]: {"values": values}}
                          for field_name, values in planned.conditions.items()]
            rules.append(aws.lb.ListenerRule(
                f"{name}-{role}", listener_arn=self.https_listener.arn, priority=priority,
                conditions=conditions, actions=[action], tags={"Name": f"{name}-{role}"},
                opts=pulumi.ResourceOptions(parent=self),
            ))
        return rules

    def _live_forward(self, route) -> pulumi.Output:
        """The forward action of the route's production rule as AWS holds it now (weights set by ECS)."""
        resources = next(r for r in self.routes[route.service]
                         if tuple(r.spec.hosts) == route.hosts and (tuple(r.spec.paths) or ("/*",)) == route.paths)
        if resources.green is None:  # not blue/green: nothing moves the weights
            return pulumi.Output.from_input(forward_one(resources.blue.arn))
        live = aws.lb.get_listener_rule_output(arn=resources.production_rule.arn,
                                               opts=pulumi.InvokeOutputOptions(parent=self))
        return live.apply(live_forward)


_CONDITION_KEYS = {"host-header": "host_header", "path-pattern": "path_pattern", "source-ip": "source_ip"}

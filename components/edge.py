"""The public edge: the shared ALB with every public service's routes, its access logs, maintenance mode, WAF."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from contract.maintenance import plan
from settings.model import StackSettings
from settings.services import admin_route, planned_routes, route_priorities

from .access_logs import AccessLogs, AccessLogsArgs
from .load_balancer import (HealthCheck, LoadBalancer, LoadBalancerArgs, Maintenance, PublicTarget, RouteSpec,
                            target_group_key)
from .moved import MOVED
from .stack_names import StackNames
from .waf import Waf, WafArgs


@dataclass(frozen=True, kw_only=True)
class EdgeArgs:
    """The stack's settings, its names, and the network and groups the ALB connects."""

    settings: StackSettings
    names: StackNames
    account_id: str
    vpc_id: pulumi.Input[str]
    public_subnet_ids: list[pulumi.Input[str]]
    service_groups: dict[str, aws.ec2.SecurityGroup]
    kms_key_arn: pulumi.Input[str]
    certificate_arn: pulumi.Input[str]  # `loadBalancer.certificateArn`, or the managed one once validated


def public_targets(settings: StackSettings, groups: dict[str, aws.ec2.SecurityGroup]) -> list[PublicTarget]:
    """Every public service as the load balancer sees it, routes with their derived priorities."""
    priorities = route_priorities(settings.services)
    targets = []
    for name, service in sorted(settings.services.items()):
        if service.access != "public":
            continue
        public = service.public
        targets.append(PublicTarget(
            service=name, port=service.port, security_group=groups[name],
            health_check=HealthCheck(path=service.health_check.path,
                                     interval_seconds=public.health_check_interval_seconds,
                                     timeout_seconds=public.health_check_timeout_seconds,
                                     healthy_threshold=public.healthy_threshold,
                                     unhealthy_threshold=public.unhealthy_threshold),
            deregistration_delay_seconds=public.deregistration_delay_seconds,
            stickiness_seconds=public.stickiness.duration_seconds if public.stickiness and public.stickiness.enabled
            else None,
            routes=[RouteSpec(priority=priorities[(name, index)], hosts=list(route.hosts), paths=list(route.paths))
                    for index, route in enumerate(public.routes)],
            blue_green=not settings.single_writer(name),
        ))
    return targets


def idle_timeout(settings: StackSettings) -> int:
    """The ALB's idle timeout: the setting, raised to what the longest-lived WebSocket service asks."""
    asked = [s.public.idle_timeout_seconds for s in settings.services.values()
             if s.public and s.public.idle_timeout_seconds]
    return max([settings.load_balancer.idle_timeout_seconds, *asked])


class Edge(pulumi.ComponentResource):
    """Access-log bucket, load balancer (listeners, routes, maintenance rules) and the WAF in front of it.

    Children keep the names they had before the edge was one component (`load-balancer`, `access-logs`, `waf`):
    one edge per stack, and their URNs stay put."""

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:edge:Edge", name, None, opts)
        settings, names = args.settings, args.names
        lb, child = settings.load_balancer, pulumi.ResourceOptions(parent=self, aliases=[MOVED])
        self.access_logs = AccessLogs("access-logs", AccessLogsArgs(
            bucket_name=names.bucket("alb-logs", args.account_id, settings.region),
            retention_days=lb.access_logs_retention_days, region=settings.region, account_id=args.account_id,
            protect=settings.is_production), child)
        targets = public_targets(settings, args.service_groups)
        self.load_balancer = LoadBalancer("load-balancer", LoadBalancerArgs(
            lb_name=names.load_balancer(),
            target_group_names={
                (t.service, i, color): names.target_group(t.service, i, color,
                                                          target_group_key(t.port, settings.network.cidr))
                for t in targets for i in range(len(t.routes)) for color in ("blue", "green")},
            vpc_id=args.vpc_id, vpc_cidr=settings.network.cidr, public_subnet_ids=args.public_subnet_ids,
            targets=targets, certificate_arn=args.certificate_arn, test_listener_port=lb.test_listener_port,
            test_allowed_cidrs=list(lb.test_allowed_cidrs), idle_timeout_seconds=idle_timeout(settings),
            content_security_policy=lb.content_security_policy, deletion_protection=lb.deletion_protection,
            access_logs_bucket=self.access_logs.bucket_name, access_logs_prefix=self.access_logs.prefix,
            access_logs_ready=[self.access_logs.policy], maintenance=self._maintenance(settings),
        ), child)
        if settings.waf.enabled:
            Waf("waf", WafArgs(
                acl_name=names.prefix, rate_limits=list(settings.waf.rate_limits),
                log_retention_days=settings.waf.log_retention_days, load_balancer_arn=self.load_balancer.arn,
                kms_key_arn=args.kms_key_arn, managed_rule_groups=list(settings.waf.managed_rule_groups)), child)
        self.routes = self.load_balancer.routes
        self.register_outputs({"alb_arn": self.load_balancer.arn, "dns_name": self.load_balancer.dns_name})

    @staticmethod
    def _maintenance(settings: StackSettings) -> Maintenance | None:
        mode = settings.maintenance
        if not mode.enabled:
            return None
        rules = plan(planned_routes(settings.services), admin_route(settings), list(mode.admin_paths),
                     list(mode.allowed_cidrs))
        return Maintenance(rules=rules, message=mode.message)

"""Alias records in the stack's hosted zone: each managed host points at the load balancer or a distribution.

Record types follow what the target answers (Route 53 Developer Guide, "Values specific for simple alias
records", Record type): a CloudFront distribution with IPv6 enabled gets an A and an AAAA record; the ALB is
IPv4-only (`ipAddressType: ipv4`), so it gets an A record only (an AAAA alias to it would answer nothing).
`evaluateTargetHealth` is off: each name has one record, so there is nothing to fail over to, and CloudFront
targets do not support it.

Records are never created over existing ones (`allowOverwrite` off): a host that already has a record (the
old server's, during a migration) stops `pulumi up` with Route 53's "already exists" instead of moving live
traffic by surprise. docs/service-tier.md, "Domain and TLS", has the cut-over.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.domain import AliasPlace

from .load_balancer import IP_ADDRESS_TYPE
from .site import IPV6


@dataclass(frozen=True, kw_only=True)
class AliasTarget:
    """Where a host points: the target's DNS name and canonical hosted zone, and whether it answers on IPv6."""

    dns_name: pulumi.Input[str]
    zone_id: pulumi.Input[str]
    ipv6: bool


@dataclass(frozen=True, kw_only=True)
class AliasSpec:
    """One host: `place` names its records (`<name>-<place>-a`), `host` is the full name in the zone."""

    place: str
    host: str
    target: AliasTarget


@dataclass(frozen=True, kw_only=True)
class AliasRecordsArgs:
    """The hosted zone and the hosts to point."""

    zone_id: pulumi.Input[str]
    aliases: list[AliasSpec]


def record_types(target: AliasTarget) -> list[str]:
    """A for every target; AAAA too when the target answers on IPv6."""
    return ["A", "AAAA"] if target.ipv6 else ["A"]


class AliasRecords(pulumi.ComponentResource):
    """An A (and AAAA) alias record per host."""

    def __init__(self, name: str, args: AliasRecordsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:domain:AliasRecords", name, None, opts)
        self.records: dict[str, list[aws.route53.Record]] = {
            spec.place: [self._record(name, args.zone_id, spec, kind) for kind in record_types(spec.target)]
            for spec in args.aliases
        }
        self.hosts = {spec.place: spec.host for spec in args.aliases}
        self.register_outputs({"hosts": self.hosts})

    def _record(self, name: str, zone_id: pulumi.Input[str], spec: AliasSpec, kind: str) -> aws.route53.Record:
        return aws.route53.Record(
            f"{name}-{spec.place}-{kind.lower()}",
            zone_id=zone_id,
            name=spec.host,
            type=kind,
            aliases=[{"name": spec.target.dns_name, "zone_id": spec.target.zone_id,
                      "evaluate_target_health": False}],
            opts=pulumi.ResourceOptions(parent=self),
        )


def alias_specs(places: list[AliasPlace], load_balancer, frontends) -> list[AliasSpec]:
    """The records of `settings.domain.alias_places`, each with its target: the ALB (`alb`, a LoadBalancer), the
    API's distribution (`api-cdn`) or a site's (`site-<name>`), both from Frontends."""
    def target(kind: str) -> AliasTarget:
        if kind == "alb":
            return AliasTarget(dns_name=load_balancer.dns_name, zone_id=load_balancer.zone_id,
                               ipv6=IP_ADDRESS_TYPE == "dualstack")
        cdn = frontends.api_cdn if kind == "api-cdn" else frontends.sites[kind.removeprefix("site-")]
        return AliasTarget(dns_name=cdn.domain_name, zone_id=cdn.hosted_zone_id, ipv6=IPV6)

    return [AliasSpec(place=place.place, host=place.host, target=target(place.target)) for place in places]

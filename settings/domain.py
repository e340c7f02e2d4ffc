"""The managed domain (`domain`): a Route 53 hosted zone where the program creates certificates and records.

With `domain` set, every host of the stack (the API, its route hosts, each site) is a name in that zone: the
program requests an ACM certificate per place, validates it through DNS records in the zone, waits for the
validation, and points alias records at the load balancer or the distribution. Without it, every place brings
its own certificate (`certificateArn`) and DNS is the user's. Exactly one of the two per place: a
`certificateArn` beside `domain` is refused, and so is a place with neither. The zone itself is never created
(a new zone means re-delegating DNS at the registrar). docs/service-tier.md, "Domain and TLS".
"""

import re
from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator

from .base import Section

# "In compliance with RFC 5280, the length of the domain name (technically, the Common Name) that you provide
# cannot exceed 64 octets (characters), including periods." ACM API Reference, RequestCertificate, DomainName.
# https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html
MAX_CERTIFICATE_NAME = 64
# "Domain names per ACM certificate": 10 by default (adjustable up to 100). ACM User Guide, Quotas.
# https://docs.aws.amazon.com/acm/latest/userguide/acm-limits.html
MAX_NAMES_PER_CERTIFICATE = 10
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_ZONE = re.compile(rf"^(?=.{{1,253}}$)({_LABEL}\.)+[a-z]{{2,63}}$")
_RELATIVE = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
# Hosted zone IDs: 'Z' and upper-case letters and digits, at most 32 characters (Route 53 API Reference,
# GetHostedZone: Id, "Length Constraints: Maximum length of 32").
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
BRING_YOUR_OWN = "remove domain to bring every certificate and DNS record yourself"


class DomainSettings(Section):
    """A Route 53 public hosted zone (looked up by name, or pinned by id) and the API's host in it."""

    zone: str = Field(description="name of the Route 53 public hosted zone, e.g. example.com (never created here)")
    zone_id: str | None = Field(
        default=None, description="the zone's id, e.g. Z0123456789ABCDEFGHIJ: used as is instead of looking the "
                                  "zone up by name (when the account holds two public zones of that name)")
    api: str | None = Field(
        default=None, description="the API's host: labels joined to zone (api -> api.example.com) or a full name "
                                  "in the zone")

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not _ZONE.match(value):
            raise ValueError("not a lowercase DNS name without a trailing dot; expected e.g. 'example.com'")
        return value

    @field_validator("zone_id")
    @classmethod
    def _zone_id(cls, value: str | None) -> str | None:
        if value is not None and not _ZONE_ID.match(value):
            raise ValueError("not a Route 53 hosted zone id: 'Z' and up to 31 upper-case letters and digits, e.g. "
                             "'Z0123456789ABCDEFGHIJ' (without '/hostedzone/')")
        return value

    @field_validator("api")
    @classmethod
    def _api(cls, value: str | None) -> str | None:
        if value is not None and not _RELATIVE.match(value):
            raise ValueError("not a lowercase DNS label (or labels, or a full name in the zone); expected e.g. 'api'")
        return value

    def host(self, name: str) -> str:
        """A name in the zone: a full name that ends in the zone stays as is; anything else is joined to it."""
        return name if self.contains(name) else f"{name}.{self.zone}"

    def contains(self, host: str) -> bool:
        """Whether a host name is the zone's apex or a name under it."""
        return host == self.zone or host.endswith(f".{self.zone}")

    @property
    def api_host(self) -> str | None:
        """The API's full host name, when `api` is set."""
        return self.host(self.api) if self.api else None


@dataclass(frozen=True)
class CertificatePlace:
    """One certificate the program requests: `place` names its resources, `names` its domain then its SANs."""

    place: str
    names: tuple[str, ...]
    cloudfront: bool  # requested in us-east-1: CloudFront reads viewer certificates from there only


@dataclass(frozen=True)
class AliasPlace:
    """One host pointed at a target: `place` names its records; `target` is 'alb', 'api-cdn' or 'site-<name>'."""

    place: str
    host: str
    target: str


def api_host(stack: Any) -> str | None:
    """The API's host: `loadBalancer.domainName` (brought), else `domain.api` (managed); None without an API."""
    if stack.load_balancer is None:
        return None
    if stack.load_balancer.domain_name:
        return stack.load_balancer.domain_name
    return stack.domain.api_host if stack.domain else None


def route_hosts(stack: Any) -> dict[str, str]:
    """Literal host names of the public routes (wildcard patterns left out), each with its first key."""
    found: dict[str, str] = {}
    for name, service in sorted(stack.services.items()):
        for index, route in enumerate(service.public.routes if service.public else []):
            for host in route.hosts:
                if not _is_pattern(host):
                    found.setdefault(host, f"services.{name}.public.routes[{index}].hosts")
    return found


def _is_pattern(host: str) -> bool:
    return "*" in host or "?" in host


def certificate_places(stack: Any) -> list[CertificatePlace]:
    """The certificates a managed domain requests: the ALB's (API host and route hosts), the API CDN's, one per
    site. None without `domain`."""
    if stack.domain is None:
        return []
    places = []
    api = api_host(stack)
    if api:
        routes = sorted(host for host in route_hosts(stack) if host != api)
        places.append(CertificatePlace("api", (api, *routes), cloudfront=False))
        if stack.cdn is not None:
            places.append(CertificatePlace("api-cdn", (api,), cloudfront=True))
    for name, site in sorted(stack.sites.items()):
        places.append(CertificatePlace(f"site-{name}", (site.host(stack.domain.zone),), cloudfront=True))
    return places


def alias_places(stack: Any) -> list[AliasPlace]:
    """The hosts a managed domain points: the API (at its CDN when `cdn` is set), route hosts, each site."""
    if stack.domain is None:
        return []
    places = []
    api = api_host(stack)
    if api:
        places.append(AliasPlace("api", api, "api-cdn" if stack.cdn is not None else "alb"))
        places += [AliasPlace(f"route-{host}", host, "alb") for host in sorted(route_hosts(stack)) if host != api]
    places += [AliasPlace(f"site-{name}", site.host(stack.domain.zone), f"site-{name}")
               for name, site in sorted(stack.sites.items())]
    return places


def domain_rules(stack: Any) -> list[tuple[str, Any, str]]:
    """Managed or brought, exactly one per place; managed hosts in the zone, within ACM's limits."""
    domain = stack.domain
    return _managed_rules(stack, domain) if domain else _brought_rules(stack)


def _brought_rules(stack: Any) -> list[tuple[str, Any, str]]:
    """Without `domain` every place names its host and brings its certificate."""
    found = []
    managed = "or set domain (a Route 53 hosted zone) and the program creates and validates it"
    lb = stack.load_balancer
    if lb is not None and not lb.domain_name:
        found.append(("loadBalancer.domainName", None,
                      "required without domain: the API's host name, e.g. api.example.com (or set domain and "
                      "domain.api)"))
    if lb is not None and not lb.certificate_arn:
        found.append(("loadBalancer.certificateArn", None,
                      f"required without domain: an ACM certificate for the API's host in the stack's region ({managed})"))
    if stack.cdn is not None and not stack.cdn.certificate_arn:
        found.append(("cdn.certificateArn", None,
                      f"required without domain: an ACM certificate for the API's host in us-east-1 ({managed})"))
    for name, site in sorted(stack.sites.items()):
        if not site.certificate_arn:
            found.append((f"sites.{name}.certificateArn", None,
                          f"required without domain: an ACM certificate for the site's host in us-east-1 ({managed})"))
    return found


def _managed_rules(stack: Any, domain: DomainSettings) -> list[tuple[str, Any, str]]:
    """With `domain` the program owns every certificate and record: no brought ones, every host in the zone."""
    found = []
    owned = "domain is set, so the program creates and validates this certificate: remove certificateArn, or " \
            + BRING_YOUR_OWN
    lb = stack.load_balancer
    if lb is not None:
        if lb.domain_name:
            found.append(("loadBalancer.domainName", lb.domain_name,
                          f"domain is set: name the API's host with domain.api (a label joined to {domain.zone}, "
                          "e.g. 'api'); remove loadBalancer.domainName"))
        if lb.certificate_arn:
            found.append(("loadBalancer.certificateArn", lb.certificate_arn, owned))
        if not domain.api and not lb.domain_name:
            found.append(("domain.api", None, f"required with a public service: the API's host in {domain.zone}, "
                                              f"e.g. 'api' (api.{domain.zone})"))
    elif domain.api and not any(service.access == "public" for service in stack.services.values()):
        found.append(("domain.api", domain.api, "no service is public: nothing would answer on this host; remove "
                                                "domain.api"))
    if stack.cdn is not None and stack.cdn.certificate_arn:
        found.append(("cdn.certificateArn", stack.cdn.certificate_arn, owned))
    for name, site in sorted(stack.sites.items()):
        if site.certificate_arn:
            found.append((f"sites.{name}.certificateArn", site.certificate_arn, owned))
        if site.host_name and not domain.contains(site.host_name):
            found.append((f"sites.{name}.hostName", site.host_name,
                          f"not in the hosted zone {domain.zone!r} (domain.zone), where the program validates its "
                          f"certificate and creates its records: use a name in it, or subdomain"))
    found += _route_host_rules(stack, domain)
    found += _length_rules(stack, domain)
    return found


def _route_host_rules(stack: Any, domain: DomainSettings) -> list[tuple[str, Any, str]]:
    """Route hosts go on the ALB's certificate and get records: literal names in the zone, within the quota."""
    found = []
    for name, service in sorted(stack.services.items()):
        for index, route in enumerate(service.public.routes if service.public else []):
            key = f"services.{name}.public.routes[{index}].hosts"
            for host in route.hosts:
                if _is_pattern(host):
                    found.append((key, host, "domain is set: the program requests a certificate and records for each "
                                             "host, so route hosts are literal names (no '*' or '?'); or "
                                             + BRING_YOUR_OWN))
                elif not domain.contains(host):
                    found.append((key, host, f"not in the hosted zone {domain.zone!r} (domain.zone), where the "
                                             "program validates the ALB's certificate and creates records"))
    api = next((p for p in certificate_places(stack) if p.place == "api"), None)
    if api and len(api.names) > MAX_NAMES_PER_CERTIFICATE:
        found.append(("services", list(api.names),
                      f"the ALB's certificate would name {len(api.names)} hosts (the API's and the routes'); ACM "
                      f"allows {MAX_NAMES_PER_CERTIFICATE} per certificate by default (quota 'Domain names per ACM "
                      "certificate')"))
    return found


def _length_rules(stack: Any, domain: DomainSettings) -> list[tuple[str, Any, str]]:
    """A managed certificate's domain name is its Common Name: at most 64 characters."""
    keys = {}
    if stack.load_balancer is not None and domain.api:
        keys[domain.api_host] = "domain.api"
    for name, site in sorted(stack.sites.items()):
        if site.host_name or site.subdomain:
            keys.setdefault(site.host(domain.zone), f"sites.{name}.{'hostName' if site.host_name else 'subdomain'}")
    return [(key, host, f"is {len(host)} characters; an ACM certificate's domain name (its Common Name) has at most "
                        f"{MAX_CERTIFICATE_NAME} (RFC 5280): choose a shorter host")
            for host, key in keys.items() if len(host) > MAX_CERTIFICATE_NAME]

"""Settings of the managed domain: host names in the zone, what is requested and pointed, exact messages.

Staging ships the managed form, prod brings its certificates: every rule is shown on the stack it belongs to.
"""

import copy

import pytest

from components.certificates import ZoneLookupError, zone_id_of
from settings import parse_settings
from settings.domain import AliasPlace, CertificatePlace, DomainSettings, alias_places, certificate_places
from tests.helpers import settings_error, stack_settings

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-0000000000aa"
OWNED = ("domain is set, so the program creates and validates this certificate: remove certificateArn, or remove "
         "domain to bring every certificate and DNS record yourself")
BROUGHT = "or set domain (a Route 53 hosted zone) and the program creates and validates it"
SITE = {"sourceDir": "tests/fixtures/site"}
LONG = "a" * 60  # with ".example.com": 72 characters


def settings_of(stack: str, change=None):
    raw = copy.deepcopy(stack_settings(stack))
    if change:
        change(raw)
    return parse_settings(raw, stack)


def set_at(*path, **values):
    """A change merging `values` into the mapping at `path` (created when missing)."""
    def change(raw):
        node = raw
        for key in path:
            node = node.setdefault(key, {})
        node.update(values)
    return change


def drop(*path):
    def change(raw):
        node = raw
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1])
    return change


def routes(*hosts_per_route, admin_paths: bool = True):
    """Web's routes with these hosts (without admin paths, five hosts fit in a route's maintenance rules)."""
    def change(raw):
        set_at("services", "web", "public", routes=[{"hosts": list(hosts)} for hosts in hosts_per_route])(raw)
        if not admin_paths:
            raw["maintenance"] = {"adminPaths": []}
    return change


def no_public_service(raw):
    """Staging with its one public service made private (no load balancer, no job on it)."""
    raw.pop("loadBalancer")
    raw["services"]["web"].update(access="none", healthCheck={"command": ["CMD", "true"]},
                                  scaling={"minCount": 1, "desiredCount": 1})
    raw["services"]["web"].pop("public")
    raw["jobs"].clear()


# --- the domain section itself ---

@pytest.mark.parametrize("name, host", [
    ("api", "api.example.com"), ("api.staging", "api.staging.example.com"),
    ("api.example.com", "api.example.com"), ("example.com", "example.com"),
    ("api.example", "api.example.example.com"),  # not a name in the zone: joined
])
def test_a_host_is_a_full_name_in_the_zone_or_labels_joined_to_it(name, host):
    assert DomainSettings(zone="example.com").host(name) == host


@pytest.mark.parametrize("host, inside", [
    ("example.com", True), ("api.example.com", True), ("a.b.example.com", True),
    ("badexample.com", False), ("example.com.evil.org", False), ("example.org", False),
])
def test_the_zone_contains_its_apex_and_names_under_it(host, inside):
    assert DomainSettings(zone="example.com").contains(host) is inside


def test_staging_ships_the_managed_form_and_prod_brings_its_own():
    staging, prod = settings_of("staging"), settings_of("prod")
    assert (staging.domain.zone, staging.domain.zone_id, staging.domain.api) == ("example.com", None, "api.staging")
    assert (staging.api_host, staging.load_balancer.domain_name, staging.load_balancer.certificate_arn) == (
        "api.staging.example.com", None, None)
    assert (prod.domain, prod.api_host) == (None, "api.example.com")
    assert prod.load_balancer.certificate_arn.startswith("arn:aws:acm:us-east-1:")
    assert certificate_places(prod) == alias_places(prod) == []


def test_places_of_a_managed_stack_with_routes_cdn_and_sites():
    stack = settings_of("staging", lambda raw: (
        raw.update(cdn={}, sites={"web": {**SITE, "subdomain": "app"}, "docs": {**SITE, "hostName": "docs.example.com"}}),
        routes(["admin.example.com", "api.staging.example.com"], [])(raw)))
    assert certificate_places(stack) == [
        CertificatePlace("api", ("api.staging.example.com", "admin.example.com"), cloudfront=False),
        CertificatePlace("api-cdn", ("api.staging.example.com",), cloudfront=True),
        CertificatePlace("site-docs", ("docs.example.com",), cloudfront=True),
        CertificatePlace("site-web", ("app.example.com",), cloudfront=True),
    ]
    assert alias_places(stack) == [
        AliasPlace("api", "api.staging.example.com", "api-cdn"),
        AliasPlace("route-admin.example.com", "admin.example.com", "alb"),
        AliasPlace("site-docs", "docs.example.com", "site-docs"),
        AliasPlace("site-web", "app.example.com", "site-web"),
    ]


def test_without_cdn_the_api_host_points_at_the_load_balancer():
    assert alias_places(settings_of("staging")) == [AliasPlace("api", "api.staging.example.com", "alb")]


# --- exactly one of managed or brought, per place ---

@pytest.mark.parametrize("stack, change, expected", [
    # managed (staging): nothing brought
    ("staging", set_at("loadBalancer", certificateArn=CERT), f"loadBalancer.certificateArn: got '{CERT}'; {OWNED}"),
    ("staging", set_at("loadBalancer", domainName="api.staging.example.com"),
     "loadBalancer.domainName: got 'api.staging.example.com'; domain is set: name the API's host with domain.api (a "
     "label joined to example.com, e.g. 'api'); remove loadBalancer.domainName"),
    ("staging", set_at("cdn", certificateArn=CERT), f"cdn.certificateArn: got '{CERT}'; {OWNED}"),
    ("staging", set_at("sites", web={**SITE, "subdomain": "app", "certificateArn": CERT}),
     f"sites.web.certificateArn: got '{CERT}'; {OWNED}"),
    ("staging", drop("domain", "api"),
     "domain.api: got null; required with a public service: the API's host in example.com, e.g. 'api' "
     "(api.example.com)"),
    # brought (prod): every place names its certificate
    ("prod", drop("loadBalancer", "domainName"),
     "loadBalancer.domainName: got null; required without domain: the API's host name, e.g. api.example.com (or "
     "set domain and domain.api)"),
    ("prod", drop("loadBalancer", "certificateArn"),
     f"loadBalancer.certificateArn: got null; required without domain: an ACM certificate for the API's host in the "
     f"stack's region ({BROUGHT})"),
    ("prod", set_at("cdn"),
     f"cdn.certificateArn: got null; required without domain: an ACM certificate for the API's host in us-east-1 "
     f"({BROUGHT})"),
    ("prod", set_at("sites", web={**SITE, "hostName": "app.example.com"}),
     f"sites.web.certificateArn: got null; required without domain: an ACM certificate for the site's host in "
     f"us-east-1 ({BROUGHT})"),
])
def test_each_place_is_managed_or_brought(stack, change, expected):
    assert settings_error(stack, change).splitlines()[1:] == [f"  {expected}"]


# --- managed hosts: in the zone, literal, within ACM's limits ---

@pytest.mark.parametrize("change, expected", [
    (set_at("sites", web={**SITE, "hostName": "app.example.org"}),
     "sites.web.hostName: got 'app.example.org'; not in the hosted zone 'example.com' (domain.zone), where the "
     "program validates its certificate and creates its records: use a name in it, or subdomain"),
    (routes(["*.staging.example.com"], []),
     "services.web.public.routes[0].hosts: got '*.staging.example.com'; domain is set: the program requests a "
     "certificate and records for each host, so route hosts are literal names (no '*' or '?'); or remove domain to "
     "bring every certificate and DNS record yourself"),
    (routes([], ["admin.example.org"]),
     "services.web.public.routes[1].hosts: got 'admin.example.org'; not in the hosted zone 'example.com' "
     "(domain.zone), where the program validates the ALB's certificate and creates records"),
    (set_at("domain", api=LONG),
     f"domain.api: got '{LONG}.example.com'; is 72 characters; an ACM certificate's domain name (its Common Name) "
     "has at most 64 (RFC 5280): choose a shorter host"),
    (set_at("sites", web={**SITE, "subdomain": LONG}),
     f"sites.web.subdomain: got '{LONG}.example.com'; is 72 characters; an ACM certificate's domain name (its Common "
     "Name) has at most 64 (RFC 5280): choose a shorter host"),
    (routes([f"h{i}.example.com" for i in range(5)], [f"h{i}.example.com" for i in range(5, 10)], admin_paths=False),
     "services: got [\"api.staging.example.com\", " + ", ".join(f'"h{i}.example.com"' for i in range(10)) +
     "]; the ALB's certificate would name 11 hosts (the API's and the routes'); ACM allows 10 per certificate by "
     "default (quota 'Domain names per ACM certificate')"),
    (no_public_service,
     "domain.api: got 'api.staging'; no service is public: nothing would answer on this host; remove domain.api"),
    (set_at("sites", web={**SITE, "subdomain": "api.staging"}),
     "sites.web.subdomain: got 'api.staging.example.com'; api.staging.example.com is already served by domain.api"),
    (lambda raw: (routes(["admin.example.com"], [])(raw), raw.update(sites={"web": {**SITE, "subdomain": "admin"}}))
     and None,
     "sites.web.subdomain: got 'admin.example.com'; admin.example.com is already served by "
     "services.web.public.routes[0].hosts"),
])
def test_managed_hosts_have_exact_messages(change, expected):
    assert settings_error("staging", change).splitlines()[1:] == [f"  {expected}"]


def test_ten_names_fit_on_one_certificate():
    stack = settings_of("staging", routes([f"h{i}.example.com" for i in range(5)],
                                          [f"h{i}.example.com" for i in range(5, 9)], admin_paths=False))
    assert len(certificate_places(stack)[0].names) == 10


@pytest.mark.parametrize("domain, expected", [
    ({"zone": "Example.com", "api": "api"},
     "domain.zone: got 'Example.com'; not a lowercase DNS name without a trailing dot; expected e.g. 'example.com'"),
    ({"zone": "example.com.", "api": "api"},
     "domain.zone: got 'example.com.'; not a lowercase DNS name without a trailing dot; expected e.g. 'example.com'"),
    ({"zone": "example.com", "api": "api", "zoneId": "/hostedzone/Z0123456789ABCDEFGHIJ"},
     "domain.zoneId: got '/hostedzone/Z0123456789ABCDEFGHIJ'; not a Route 53 hosted zone id: 'Z' and up to 31 "
     "upper-case letters and digits, e.g. 'Z0123456789ABCDEFGHIJ' (without '/hostedzone/')"),
    ({"zone": "example.com", "api": "-api"},
     "domain.api: got '-api'; not a lowercase DNS label (or labels, or a full name in the zone); expected e.g. 'api'"),
    ({"api": "api"}, "domain.zone: required key is missing"),
])
def test_bad_domain_settings_have_exact_messages(domain, expected):
    assert settings_error("staging", lambda raw: raw.update(domain=domain)).splitlines()[1:] == [f"  {expected}"]


def test_app_domain_is_gone_the_zone_is_the_one_source_of_truth():
    message = settings_error("prod", set_at("app", domain="example.com")).splitlines()[1:]
    assert message == ["  app.domain: unknown key (got 'example.com'); allowed keys here: environment, name, "
                       "secrets"]


# --- the zone lookup ---

def test_a_zone_that_cannot_be_found_is_one_clear_error(monkeypatch):
    import pulumi_aws as aws

    def not_found(**kwargs):
        raise Exception("invoke of aws:route53/getZone:getZone failed: no matching Route 53 Hosted Zone found")

    monkeypatch.setattr(aws.route53, "get_zone", not_found)
    with pytest.raises(ZoneLookupError) as caught:
        zone_id_of(DomainSettings(zone="example.com", api="api"), provider=None)
    assert str(caught.value) == (
        "domain.zone: no usable public hosted zone 'example.com' in this account (invoke of "
        "aws:route53/getZone:getZone failed: no matching Route 53 Hosted Zone found). The program never creates the "
        "zone: create it (and delegate the domain to its name servers) first, or pin it with domain.zoneId when the "
        "account holds more than one of that name")

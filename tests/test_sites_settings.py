"""Settings of static sites (`sites.<name>`) and of CloudFront in front of the API (`cdn`): defaults, exact messages."""

import pytest
from pydantic import Field, ValidationError

from settings.base import Section
from settings.loader import describe_error
from settings.sites import DEFAULT_SITE_CSP, ApiCdnSettings, Sites, site_rules

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000001"
EU_CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000001"


class Holder(Section):
    """The two keys as the stack settings hold them (`sites: Sites`, `cdn: ApiCdnSettings | None`)."""

    sites: Sites = Field(default_factory=dict)
    cdn: ApiCdnSettings | None = None


def site(**changes) -> dict:
    return {"sourceDir": "web/dist", "hostName": "app.example.com", "certificateArn": CERT, **changes}


def parse(raw: dict) -> Holder:
    return Holder.model_validate(raw)


def message(raw: dict) -> str:
    """Every error line, as the settings loader prints them."""
    with pytest.raises(ValidationError) as caught:
        parse(raw)
    return "\n".join(describe_error(error, Holder) for error in caught.value.errors())


# --- sites ---

def test_a_site_needs_little_and_defaults_to_a_safe_spa():
    web = parse({"sites": {"web": site()}}).sites["web"]
    assert (web.source_dir, web.host_name, web.subdomain, web.certificate_arn) == (
        "web/dist", "app.example.com", None, CERT)
    assert (web.spa_fallback, web.frame_options, web.price_class) == (True, "DENY", "PriceClass_100")
    assert web.content_security_policy == DEFAULT_SITE_CSP
    assert "frame-ancestors 'none'" in DEFAULT_SITE_CSP and "object-src 'none'" in DEFAULT_SITE_CSP
    assert (web.caching.immutable_prefixes, web.caching.html_max_age_seconds,
            web.caching.default_max_age_seconds) == (["assets/", "static/", "_next/static/"], 0, 300)


def test_host_is_the_host_name_or_the_subdomain_of_the_stack_domain():
    sites = parse({"sites": {"web": site(), "play": site(hostName=None, subdomain="play")}}).sites
    assert sites["web"].host("example.org") == "app.example.com"
    assert sites["play"].host("example.org") == "play.example.org"


def test_no_source_dir_means_another_pipeline_uploads():
    assert parse({"sites": {"web": site(sourceDir=None)}}).sites["web"].source_dir is None


@pytest.mark.parametrize("changes, expected", [
    ({"sourceDir": "/srv/web/dist"},
     "sites.web.sourceDir: got '/srv/web/dist'; must be a directory relative to the project directory "
     "(where Pulumi.yaml is), e.g. 'web/dist'"),
    ({"sourceDir": "C:\\web\\dist"},
     "sites.web.sourceDir: got 'C:\\\\web\\\\dist'; must be a directory relative to the project directory "
     "(where Pulumi.yaml is), e.g. 'web/dist'"),
    ({"certificateArn": EU_CERT},
     f"sites.web.certificateArn: got '{EU_CERT}'; in eu-west-1; CloudFront only uses ACM certificates from "
     "us-east-1 (US East, N. Virginia), whatever the stack's region: request or import the certificate there"),
    ({"certificateArn": "arn:aws:iam::123456789012:server-certificate/web"},
     "sites.web.certificateArn: got 'arn:aws:iam::123456789012:server-certificate/web'; not an ACM certificate "
     "ARN; expected arn:aws:acm:us-east-1:<account>:certificate/<uuid>"),
    ({"hostName": "App.Example.com"},
     "sites.web.hostName: got 'App.Example.com'; not a lowercase DNS name; expected e.g. 'app.example.com'"),
    ({"hostName": None, "subdomain": "-app"},
     "sites.web.subdomain: got '-app'; not a lowercase DNS label (or labels); expected e.g. 'app'"),
    ({"subdomain": "app"},
     "sites.web.subdomain: got 'app'; set hostName or subdomain, not both (hostName is 'app.example.com')"),
    ({"hostName": None},
     "sites.web.hostName: got null; set hostName (a full name, e.g. app.example.com) or subdomain (joined to "
     "domain.zone, e.g. app)"),
    ({"frameOptions": None, "contentSecurityPolicy": "default-src 'self'"},
     "sites.web.frameOptions: got null; without X-Frame-Options the contentSecurityPolicy must say who may frame "
     "the site, e.g. \"frame-ancestors https://web.telegram.org\" for a Telegram mini-app"),
    ({"frameOptions": "ALLOW-FROM https://web.telegram.org"},
     "sites.web.frameOptions: got 'ALLOW-FROM https://web.telegram.org'; input should be 'DENY' or 'SAMEORIGIN'"),
    ({"priceClass": "PriceClass_300"},
     "sites.web.priceClass: got 'PriceClass_300'; input should be 'PriceClass_100', 'PriceClass_200' or "
     "'PriceClass_All'"),
    ({"contentSecurityPolicy": "default-src 'self';\nscript-src 'self'"},
     "sites.web.contentSecurityPolicy: got \"default-src 'self';\\nscript-src 'self'\"; must be one line (a YAML "
     "'>' block folds lines; use a plain or quoted string)"),
    ({"contentSecurityPolicy": " "}, "sites.web.contentSecurityPolicy: got ' '; must not be empty"),
    ({"caching": {"immutablePrefixes": ["/assets/"]}},
     "sites.web.caching.immutablePrefixes: got [\"/assets/\"]; prefix '/assets/' must be a directory of the site, "
     "relative and ending in '/', e.g. 'assets/'"),
    ({"caching": {"immutablePrefixes": ["../assets/"]}},
     "sites.web.caching.immutablePrefixes: got [\"../assets/\"]; prefix '../assets/' must be a directory of the "
     "site, relative and ending in '/', e.g. 'assets/'"),
    ({"caching": {"htmlMaxAgeSeconds": -1}},
     "sites.web.caching.htmlMaxAgeSeconds: got -1; input should be greater than or equal to 0"),
    ({"cdn": True},
     "sites.web.cdn: unknown key (got true); allowed keys here: caching, certificateArn, contentSecurityPolicy, "
     "frameOptions, hostName, priceClass, sourceDir, spaFallback, subdomain"),
])
def test_bad_site_settings_have_one_exact_message(changes, expected):
    assert message({"sites": {"web": site(**changes)}}) == expected


def test_source_dir_must_be_stated():
    raw = site()
    del raw["sourceDir"]
    assert message({"sites": {"web": raw}}) == "sites.web.sourceDir: required key is missing"


def test_a_long_csp_is_refused_at_cloudfronts_limit():
    assert parse({"sites": {"web": site(contentSecurityPolicy="a" * 1783)}}).sites["web"]
    assert message({"sites": {"web": site(contentSecurityPolicy="a" * 1784)}}) == (
        f"sites.web.contentSecurityPolicy: got '{'a' * 1784}'; is 1784 characters; CloudFront allows at most 1783")


def test_framing_allowed_by_the_csp_needs_no_frame_options():
    csp = "default-src 'self'; script-src 'self' https://telegram.org; frame-ancestors https://web.telegram.org"
    web = parse({"sites": {"web": site(frameOptions=None, contentSecurityPolicy=csp)}}).sites["web"]
    assert (web.frame_options, web.content_security_policy) == (None, csp)


def test_every_broken_site_is_reported_on_its_own_line():
    raw = {"sites": {"Web": site(), "admin": site(hostName="admin.example.com"), "play": site(hostName=None)}}
    assert message(raw) == (
        "sites.Web: got 'Web'; a site name is 1-20 characters: a lowercase letter, then a-z, 0-9 or '-'\n"
        "  sites.play.hostName: got null; set hostName (a full name, e.g. app.example.com) or subdomain (joined to "
        "domain.zone, e.g. app)")


def test_two_sites_on_one_host_name():
    assert message({"sites": {"web": site(), "admin": site()}}) == (
        "sites.admin.hostName: got 'app.example.com'; already the host of sites.web")


# --- rules that need the stack ---

def test_subdomain_needs_the_stacks_zone():
    sites = parse({"sites": {"play": site(hostName=None, subdomain="play")}}).sites
    assert site_rules(sites, zone=None) == [
        ("sites.play.subdomain", "play", "the stack has no domain.zone to join it to; set hostName instead, or domain")]
    assert site_rules(sites, zone="example.com") == []


def test_a_host_serves_one_thing():
    sites = parse({"sites": {"web": site(), "play": site(hostName=None, subdomain="app")}}).sites
    assert site_rules(sites, zone="example.com") == [
        ("sites.play.subdomain", "app.example.com", "app.example.com is already served by sites.web")]
    api = {"app.example.com": "loadBalancer.domainName"}
    assert site_rules({"web": sites["web"]}, zone="example.com", taken=api) == [
        ("sites.web.hostName", "app.example.com", "app.example.com is already served by loadBalancer.domainName")]


# --- cdn ---

def test_cdn_defaults_cache_the_usual_static_mounts():
    cdn = parse({"cdn": {"certificateArn": CERT}}).cdn
    assert (cdn.static_paths, cdn.price_class, cdn.origin_read_timeout_seconds) == (
        ["/static/*", "/assets/*"], "PriceClass_100", 30)
    assert parse({}).cdn is None


@pytest.mark.parametrize("changes, expected", [
    ({"certificateArn": EU_CERT},
     f"cdn.certificateArn: got '{EU_CERT}'; in eu-west-1; CloudFront only uses ACM certificates from "
     "us-east-1 (US East, N. Virginia), whatever the stack's region: request or import the certificate there"),
    ({"staticPaths": ["static/*"]},
     "cdn.staticPaths: got [\"static/*\"]; path pattern 'static/*' must start with '/' and hold at most 255 of "
     "A-Z a-z 0-9 _ - . * ? $ / ~ \" ' @ : +, e.g. '/static/*'"),
    ({"staticPaths": ["/static/{id}"]},
     "cdn.staticPaths: got [\"/static/{id}\"]; path pattern '/static/{id}' must start with '/' and hold at most "
     "255 of A-Z a-z 0-9 _ - . * ? $ / ~ \" ' @ : +, e.g. '/static/*'"),
    ({"staticPaths": ["/" + "a" * 255]},
     f"cdn.staticPaths: got [\"/{'a' * 255}\"]; path pattern '/{'a' * 255}' must start with '/' and hold at most "
     "255 of A-Z a-z 0-9 _ - . * ? $ / ~ \" ' @ : +, e.g. '/static/*'"),
    ({"staticPaths": ["/*"]},
     "cdn.staticPaths: got [\"/*\"]; path pattern '/*' would cache the whole API; list static paths only"),
    ({"staticPaths": ["/static/*", "/static/*"]},
     "cdn.staticPaths: got [\"/static/*\", \"/static/*\"]; each path pattern at most once"),
    ({"staticPaths": []}, "cdn.staticPaths: got []; list should have at least 1 item after validation, not 0"),
    ({"originReadTimeoutSeconds": 61},
     "cdn.originReadTimeoutSeconds: got 61; input should be less than or equal to 60"),
    ({"defaultTtl": 60},
     "cdn.defaultTtl: unknown key (got 60); allowed keys here: certificateArn, originReadTimeoutSeconds, "
     "priceClass, staticPaths"),
])
def test_bad_cdn_settings_have_one_exact_message(changes, expected):
    assert message({"cdn": {"certificateArn": CERT, **changes}}) == expected


def test_cdn_takes_at_most_24_static_paths():
    paths = [f"/s{i}/*" for i in range(25)]
    assert len(parse({"cdn": {"certificateArn": CERT, "staticPaths": paths[:24]}}).cdn.static_paths) == 24
    assert message({"cdn": {"certificateArn": CERT, "staticPaths": paths}}).endswith(
        "; list should have at most 24 items after validation, not 25")

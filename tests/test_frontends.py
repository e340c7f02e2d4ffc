"""Sites and the API CDN wired into a real stack: settings rules, resources, outputs."""

import functools

import pytest

from tests.conftest import graph_with
from tests.helpers import mock_state, one, resources, settings_error

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-0000000000aa"


@functools.lru_cache(maxsize=None)
def prod_with_frontends() -> dict:
    """Prod (certificates brought) with one site and CloudFront in front of the API."""
    return graph_with("prod",
                      sites={"web": {"sourceDir": "tests/fixtures/site", "hostName": "app.example.com",
                                     "certificateArn": CERT}},
                      cdn={"certificateArn": CERT})


def test_no_frontends_unless_asked(stack_graph):
    assert resources(stack_graph, DISTRIBUTION) == []
    assert stack_graph["outputs"]["sites"] == {} and "cdn" not in stack_graph["outputs"]


def test_site_and_api_cdn_in_the_stack():
    graph = prod_with_frontends()
    assert sorted(r["name"] for r in resources(graph, DISTRIBUTION)) == ["api-cdn", "site-web"]
    assert one(graph, DISTRIBUTION, "site-web")["inputs"]["aliases"] == ["app.example.com"]
    api = one(graph, DISTRIBUTION, "api-cdn")["inputs"]
    assert api["aliases"] == ["api.example.com"]
    alb_dns = mock_state(graph, "aws:lb/loadBalancer:LoadBalancer", "load-balancer")["dnsName"]
    assert [o["domainName"] for o in api["origins"]] == [alb_dns]  # the ALB is the API CDN's origin
    objects = sorted(r["inputs"]["key"] for r in resources(graph, "aws:s3/bucketObjectv2:BucketObjectv2"))
    assert objects == ["assets/app-3f2a.js", "index.html"]
    bucket = one(graph, "aws:s3/bucketV2:BucketV2", "site-web") if resources(graph, "aws:s3/bucketV2:BucketV2") \
        else one(graph, "aws:s3/bucket:Bucket", "site-web")
    assert bucket["options"].get("protect") is True  # prod protects stateful buckets
    site = graph["outputs"]["sites"]["web"]
    assert (site["url"], site["bucketName"]) == ("https://app.example.com", "nodeapi-prod-site-web-123456789012")
    assert graph["outputs"]["cdn"]["domainName"] == mock_state(graph, DISTRIBUTION, "api-cdn")["domainName"]


@pytest.mark.parametrize("change, expected", [
    (lambda r: r.update(sites={"web": {"sourceDir": "dist", "subdomain": "app", "certificateArn": CERT}}),
     "sites.web.subdomain: got 'app'; the stack has no domain.zone to join it to; set hostName instead, or domain"),
    (lambda r: r.update(sites={"web": {"sourceDir": "dist", "hostName": "api.example.com", "certificateArn": CERT}}),
     "sites.web.hostName: got 'api.example.com'; api.example.com is already served by loadBalancer.domainName"),
    (lambda r: (r.update(cdn={"certificateArn": CERT}), r.pop("loadBalancer"),
                r["services"]["web"].update(access="none", healthCheck={"command": ["CMD", "true"]},
                                            scaling={"minCount": 1, "desiredCount": 1}),
                r["services"]["web"].pop("public"), r["jobs"].clear()),
     "cdn: got 'set'; CloudFront in front of the API needs loadBalancer (a public service)"),
])
def test_frontend_rules_have_exact_messages(change, expected):
    assert settings_error("prod", change).splitlines()[1:] == [f"  {expected}"]

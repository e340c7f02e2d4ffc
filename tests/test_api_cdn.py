"""CloudFront in front of the API under mocks: cached static paths, uncached pass-through, the whole distribution."""

import pulumi
import pytest

from components.api_cdn import ApiCdn, ApiCdnArgs
from policy.rules import violations
from settings.sites import ApiCdnSettings
from tests.helpers import mock_id, mock_state, one
from tools.preview import record

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000003"
ALB = "nodeapi-test-0123456789.us-east-1.elb.amazonaws.com"
CSP = "default-src 'none'; frame-ancestors 'none'"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CACHE = "aws:cloudfront/cachePolicy:CachePolicy"
HEADERS = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"


def graph_of(**changes) -> dict:
    settings = ApiCdnSettings(certificate_arn=CERT, **changes)

    def build():
        cdn = ApiCdn("api-cdn", ApiCdnArgs(settings=settings, physical_name="nodeapi-test-api-cdn",
                                           host_name="api.example.com", certificate_arn=CERT, origin_domain_name=ALB,
                                           content_security_policy=CSP))
        for output in ("distribution_id", "distribution_arn", "domain_name", "hosted_zone_id"):
            pulumi.export(output, getattr(cdn, output))

    return record(build)


@pytest.fixture(scope="module")
def graph() -> dict:
    return graph_of()


def test_only_the_expected_resources(graph):
    assert sorted((r["type"], r["name"]) for r in graph["resources"]) == [
        (CACHE, "api-cdn-static"), (DISTRIBUTION, "api-cdn"), (HEADERS, "api-cdn-headers"),
        ("nodeapi:sites:ApiCdn", "api-cdn")]
    component = "urn:pulumi:test::nodeapi::nodeapi:sites:ApiCdn::api-cdn"
    assert all(r["parent"] == component for r in graph["resources"] if r["custom"])


def test_static_files_are_cached_by_path_and_query_string_only(graph):
    assert one(graph, CACHE, "api-cdn-static")["inputs"] == {
        "name": "nodeapi-test-api-cdn-static", "comment": "nodeapi-test-api-cdn: static files, by path and query string",
        "minTtl": 0, "defaultTtl": 86400, "maxTtl": 31536000,
        "parametersInCacheKeyAndForwardedToOrigin": {
            "cookiesConfig": {"cookieBehavior": "none"}, "headersConfig": {"headerBehavior": "none"},
            "queryStringsConfig": {"queryStringBehavior": "all"},
            "enableAcceptEncodingGzip": True, "enableAcceptEncodingBrotli": True}}


def test_headers_policy_matches_the_load_balancers_headers(graph):
    assert one(graph, HEADERS, "api-cdn-headers")["inputs"] == {
        "name": "nodeapi-test-api-cdn", "comment": "nodeapi-test-api-cdn: security headers",
        "securityHeadersConfig": {
            "strictTransportSecurity": {"accessControlMaxAgeSec": 31536000, "includeSubdomains": True,
                                        "preload": False, "override": True},
            "contentTypeOptions": {"override": True},
            "referrerPolicy": {"referrerPolicy": "strict-origin-when-cross-origin", "override": True},
            "contentSecurityPolicy": {"contentSecurityPolicy": CSP, "override": True},
            "frameOptions": {"frameOption": "DENY", "override": True}}}


def static_behaviour(pattern: str, cache_policy: str, headers: str) -> dict:
    return {"pathPattern": pattern, "targetOriginId": "api", "viewerProtocolPolicy": "redirect-to-https",
            "allowedMethods": ["GET", "HEAD", "OPTIONS"], "cachedMethods": ["GET", "HEAD"], "compress": True,
            "cachePolicyId": cache_policy, "originRequestPolicyId": "bf0718e1-ba1e-49d1-88b1-f726733018ae",
            "responseHeadersPolicyId": headers}


def test_distribution_whole_input_set(graph):
    cache, headers = mock_id(graph, CACHE, "api-cdn-static"), mock_id(graph, HEADERS, "api-cdn-headers")
    assert one(graph, DISTRIBUTION, "api-cdn")["inputs"] == {
        "enabled": True,
        "comment": "nodeapi-test-api-cdn: api.example.com",
        "aliases": ["api.example.com"],
        "httpVersion": "http2and3",
        "isIpv6Enabled": True,
        "priceClass": "PriceClass_100",
        "origins": [{"originId": "api", "domainName": ALB, "customOriginConfig": {
            "httpPort": 80, "httpsPort": 443, "originProtocolPolicy": "https-only", "originSslProtocols": ["TLSv1.2"],
            "originReadTimeout": 30, "originKeepaliveTimeout": 5}}],
        "defaultCacheBehavior": {
            "targetOriginId": "api", "viewerProtocolPolicy": "redirect-to-https",
            "allowedMethods": ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
            "cachedMethods": ["GET", "HEAD"], "compress": False,
            "cachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            "originRequestPolicyId": "216adef6-5c7f-47e4-b989-5492eafa07d3",
            "responseHeadersPolicyId": headers},
        "orderedCacheBehaviors": [static_behaviour("/static/*", cache, headers),
                                  static_behaviour("/assets/*", cache, headers)],
        "customErrorResponses": [{"errorCode": code, "errorCachingMinTtl": 0}
                                 for code in (400, 403, 404, 405, 414, 500, 501, 502, 503, 504)],
        "restrictions": {"geoRestriction": {"restrictionType": "none"}},
        "viewerCertificate": {"acmCertificateArn": CERT, "sslSupportMethod": "sni-only",
                              "minimumProtocolVersion": "TLSv1.2_2021"},
        "tags": {"Name": "nodeapi-test-api-cdn"},
    }


def test_settings_choose_paths_price_class_and_read_timeout():
    graph = graph_of(static_paths=["/public/*", "/img/*.png"], price_class="PriceClass_All",
                     origin_read_timeout_seconds=60)
    inputs = one(graph, DISTRIBUTION, "api-cdn")["inputs"]
    assert [b["pathPattern"] for b in inputs["orderedCacheBehaviors"]] == ["/public/*", "/img/*.png"]
    assert (inputs["priceClass"], inputs["origins"][0]["customOriginConfig"]["originReadTimeout"]) == (
        "PriceClass_All", 60)


def test_outputs_for_dns_and_waf(graph):
    distribution = mock_id(graph, DISTRIBUTION, "api-cdn")
    assert graph["outputs"] == {
        "distribution_id": distribution,
        "distribution_arn": f"arn:aws:cloudfront::123456789012:distribution/{distribution}",
        "domain_name": mock_state(graph, DISTRIBUTION, "api-cdn")["domainName"], "hosted_zone_id": "Z2FDTNDATAQYW2"}
    assert graph["outputs"]["domain_name"].endswith(".cloudfront.net")


def test_the_policy_pack_accepts_it(graph):
    assert violations(graph, "prod") == []

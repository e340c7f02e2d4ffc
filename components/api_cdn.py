"""CloudFront in front of the API: static path patterns cached at the edge, everything else passed through.

The origin is the load balancer's own DNS name over HTTPS. Every behaviour forwards the viewer's Host header:
the ALB routes by host, and CloudFront accepts the ALB's certificate when it covers the Host it forwards
("One of the domain names in the certificate must match ... the value of the Host header if you configured
CloudFront to forward the Host header to your origin", CloudFront Developer Guide, HTTP 502 status code).
So the ALB keeps its certificate for the API host; DNS for that host points at this distribution instead of
the ALB (docs/sites.md, "CloudFront in front of the API").

Managed-AllViewerExceptHostHeader is meant for API Gateway and Lambda URL origins, which expect their own
name as Host; on an ALB it would break host routing and the origin's certificate check, hence AllViewer.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.sites import ONE_YEAR, ApiCdnSettings

from .site import IPV6, security_headers, viewer_certificate

ORIGIN_ID = "api"
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
# Managed policy IDs are fixed (CloudFront Developer Guide, "Use managed cache policies" and "Use managed origin
# request policies"): CachingDisabled (TTL 0, nothing cached); AllViewer (every header, cookie and query
# string, Host included); HostHeaderOnly (just Host, which the ALB routes and checks the certificate by).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
HOST_HEADER_ONLY = "bf0718e1-ba1e-49d1-88b1-f726733018ae"
# Static files: the app's Cache-Control decides (min 0); without one, a day.
STATIC_DEFAULT_TTL = 86_400
# CloudFront caches 4xx/5xx answers to GET/HEAD for 10 s by default, keyed by URL alone: one user's 403 or 500
# would be served to the next caller of that URL. For an API every error passes through uncached. These are the
# codes CloudFront caches (416 never is). Developer Guide, "Control how long CloudFront caches errors".
UNCACHED_ERRORS = (400, 403, 404, 405, 414, 500, 501, 502, 503, 504)
ORIGIN_KEEPALIVE_SECONDS = 5  # below the ALB's idle timeout, so the ALB never closes a connection CloudFront reuses


@dataclass(frozen=True, kw_only=True)
class ApiCdnArgs:
    """The `cdn` settings, the API's host name (the distribution's alias), its us-east-1 certificate (brought, or
    the managed one once validated) and the ALB's DNS name (the origin).

    `content_security_policy` is the API's own (the one the ALB listener sends), so both paths answer alike.
    """

    settings: ApiCdnSettings
    physical_name: str
    host_name: str
    certificate_arn: pulumi.Input[str]
    origin_domain_name: pulumi.Input[str]
    content_security_policy: str
    web_acl_arn: pulumi.Input[str] | None = None


def pass_through_errors() -> list[dict]:
    """Error answers reach the viewer as the API sent them, never from CloudFront's cache."""
    return [{"error_code": code, "error_caching_min_ttl": 0} for code in UNCACHED_ERRORS]


class ApiCdn(pulumi.ComponentResource):
    """Distribution, the static paths' cache policy and the security headers policy."""

    def __init__(self, name: str, args: ApiCdnArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:sites:ApiCdn", name, None, opts)
        settings, child = args.settings, pulumi.ResourceOptions(parent=self)
        self.cache_policy = aws.cloudfront.CachePolicy(
            f"{name}-static", name=f"{args.physical_name}-static",
            comment=f"{args.physical_name}: static files, by path and query string",
            min_ttl=0, default_ttl=STATIC_DEFAULT_TTL, max_ttl=ONE_YEAR,
            parameters_in_cache_key_and_forwarded_to_origin={
                "cookies_config": {"cookie_behavior": "none"},
                "headers_config": {"header_behavior": "none"},
                # `app.css?v=2` and `?v=3` are different files when the app busts caches by query string.
                "query_strings_config": {"query_string_behavior": "all"},
                "enable_accept_encoding_gzip": True, "enable_accept_encoding_brotli": True,
            },
            opts=child,
        )
        self.headers_policy = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-headers", name=args.physical_name, comment=f"{args.physical_name}: security headers",
            security_headers_config=security_headers(args.content_security_policy, "DENY"), opts=child,
        )
        self.distribution = aws.cloudfront.Distribution(
            name,
            enabled=True,
            comment=f"{args.physical_name}: {args.host_name}",
            aliases=[args.host_name],
            http_version="http2and3",
            is_ipv6_enabled=IPV6,
            price_class=settings.price_class,
            origins=[self._origin(args)],
            default_cache_behavior=self._pass_through(),
            ordered_cache_behaviors=[self._static(pattern) for pattern in settings.static_paths],
            custom_error_responses=pass_through_errors(),
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=viewer_certificate(args.certificate_arn),
            web_acl_id=args.web_acl_arn,
            tags={"Name": args.physical_name},
            opts=child,
        )
        self.distribution_id = self.distribution.id
        self.distribution_arn = self.distribution.arn
        self.domain_name = self.distribution.domain_name
        self.hosted_zone_id = self.distribution.hosted_zone_id
        self.register_outputs({
            "distribution_id": self.distribution_id, "distribution_arn": self.distribution_arn,
            "domain_name": self.domain_name, "hosted_zone_id": self.hosted_zone_id,
        })

    @staticmethod
    def _origin(args: ApiCdnArgs) -> dict:
        """The ALB, over HTTPS with TLS 1.2 only."""
        return {
            "origin_id": ORIGIN_ID,
            "domain_name": args.origin_domain_name,
            "custom_origin_config": {
                "http_port": 80, "https_port": 443, "origin_protocol_policy": "https-only",
                "origin_ssl_protocols": ["TLSv1.2"],
                "origin_read_timeout": args.settings.origin_read_timeout_seconds,
                "origin_keepalive_timeout": ORIGIN_KEEPALIVE_SECONDS,
            },
        }

    def _pass_through(self) -> dict:
        """Every method, header, cookie and query string to the API; nothing cached."""
        return {
            "target_origin_id": ORIGIN_ID, "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": ALL_METHODS, "cached_methods": ["GET", "HEAD"], "compress": False,
            "cache_policy_id": CACHING_DISABLED, "origin_request_policy_id": ALL_VIEWER,
            "response_headers_policy_id": self.headers_policy.id,
        }

    def _static(self, pattern: str) -> dict:
        """Public files: cached by path and query string; no cookies or Authorization reach the origin."""
        return {
            "path_pattern": pattern, "target_origin_id": ORIGIN_ID, "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": ["GET", "HEAD", "OPTIONS"], "cached_methods": ["GET", "HEAD"], "compress": True,
            "cache_policy_id": self.cache_policy.id, "origin_request_policy_id": HOST_HEADER_ONLY,
            "response_headers_policy_id": self.headers_policy.id,
        }

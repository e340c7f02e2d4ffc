"""Static sites (`sites.<name>`) and CloudFront in front of the API (`cdn`): settings and their rules.

A site is a directory of built files (an SPA, a Telegram mini-app) served from a private S3 bucket through
CloudFront on its own host name. `cdn` puts CloudFront in front of the API host: listed path patterns are
cached at the edge, everything else passes through uncached. See docs/sites.md.
"""

import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from .base import Section, rule_error

# CloudFront uses ACM certificates from US East (N. Virginia) only: "To use an ACM certificate with Amazon
# CloudFront, you must request or import the certificate in the US East (N. Virginia) region."
# https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html
CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"
# Response headers policies: a Content-Security-Policy value of at most 1,783 characters
# (CloudFront quotas, "Quotas on response headers policies"; the API answers TooLongCSPInResponseHeadersPolicy).
MAX_CSP_LENGTH = 1783
# 25 cache behaviours per distribution by default, the default behaviour among them (CloudFront quotas,
# "General quotas on distributions"): one ordered behaviour per static path leaves 24.
MAX_STATIC_PATHS = 24
ONE_YEAR = 31_536_000
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
PriceClass = Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]
# An SPA calls its API on another host (https:, wss:), loads its own scripts only, and may not be framed.
DEFAULT_SITE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                    "img-src 'self' data: https:; font-src 'self' data:; connect-src 'self' https: wss:; "
                    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# Static files an Express app serves itself (express.static): the usual mount points.
DEFAULT_STATIC_PATHS = ("/static/*", "/assets/*")
# Directories whose file names carry a content hash: Vite (assets/), Create React App (static/), Next.js export.
DEFAULT_IMMUTABLE_PREFIXES = ("assets/", "static/", "_next/static/")

_SITE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_CERTIFICATE = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$)({_LABEL}\.)+[a-z]{{2,63}}$")
_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
# CloudFront path patterns: at most 255 characters of A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + (and ? as a
# one-character wildcard), case-sensitive. Developer Guide, "Values that you specify...": Path pattern.
_PATH_PATTERN = re.compile(r"""^/[A-Za-z0-9_\-.*$/~"'@:+?]{0,254}$""")
_KEY_PREFIX = re.compile(r"^([A-Za-z0-9._-]+/)+$")


def check_certificate(value: str) -> str:
    """An ACM certificate ARN in us-east-1, the only region CloudFront reads certificates from."""
    match = _CERTIFICATE.match(value)
    if not match:
        raise ValueError(f"not an ACM certificate ARN; expected "
                         f"arn:aws:acm:{CLOUDFRONT_CERTIFICATE_REGION}:<account>:certificate/<uuid>")
    if match.group(1) != CLOUDFRONT_CERTIFICATE_REGION:
        raise ValueError(f"in {match.group(1)}; CloudFront only uses ACM certificates from "
                         f"{CLOUDFRONT_CERTIFICATE_REGION} (US East, N. Virginia), whatever the stack's region: request "
                         f"or import the certificate there")
    return value


def check_csp(value: str) -> str:
    """A CSP CloudFront accepts as one header value: one line, at most 1,783 characters."""
    if not value.strip():
        raise ValueError("must not be empty")
    if "\n" in value or "\r" in value:
        raise ValueError("must be one line (a YAML '>' block folds lines; use a plain or quoted string)")
    if len(value) > MAX_CSP_LENGTH:
        raise ValueError(f"is {len(value)} characters; CloudFront allows at most {MAX_CSP_LENGTH}")
    return value


class SiteCachingSettings(Section):
    """The Cache-Control each uploaded file gets: hashed assets forever, HTML revalidated, the rest briefly."""

    immutable_prefixes: list[str] = Field(
        default=list(DEFAULT_IMMUTABLE_PREFIXES),
        description="key prefixes whose files have content-hashed names: cached a year, immutable")
    html_max_age_seconds: int = Field(default=0, ge=0, le=ONE_YEAR,
                                      description="max-age of .html files; 0 sends no-cache (revalidate each time)")
    default_max_age_seconds: int = Field(default=300, ge=0, le=ONE_YEAR,
                                         description="max-age of every other file (favicon, manifest, robots.txt)")

    @field_validator("immutable_prefixes")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        for prefix in value:
            if not _KEY_PREFIX.match(prefix) or any(part in (".", "..") for part in prefix.split("/")):
                raise ValueError(f"prefix {prefix!r} must be a directory of the site, relative and ending in '/', "
                                 "e.g. 'assets/'")
        return value


class SiteSettings(Section):
    """One static site: built files in a private bucket behind CloudFront, on its own host name."""

    source_dir: str | None = Field(
        description="directory of built files, relative to the project directory (e.g. web/dist); null: the "
                    "files are uploaded by another pipeline (aws s3 sync) and Pulumi manages bucket and CDN only")
    host_name: str | None = Field(default=None, description="full host name, e.g. app.example.com")
    subdomain: str | None = Field(default=None, description="label joined to domain.zone, e.g. app")
    certificate_arn: str | None = Field(
        default=None, description="ACM certificate covering the host name, in us-east-1 (brought: without domain)")
    spa_fallback: bool = Field(default=True, description="serve /index.html (200) for paths with no file (403/404)")
    content_security_policy: str = Field(default=DEFAULT_SITE_CSP, description="Content-Security-Policy header")
    frame_options: Literal["DENY", "SAMEORIGIN"] | None = Field(
        default="DENY", description="X-Frame-Options; null sends none (then the CSP must say frame-ancestors)")
    price_class: PriceClass = Field(default="PriceClass_100", description="CloudFront edge locations used")
    caching: SiteCachingSettings = Field(default_factory=SiteCachingSettings)

    @field_validator("source_dir")
    @classmethod
    def _source_dir(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.strip() or PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute():
            raise ValueError("must be a directory relative to the project directory (where Pulumi.yaml is), "
                             "e.g. 'web/dist'")
        return value

    @field_validator("host_name")
    @classmethod
    def _host_name(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.match(value):
            raise ValueError("not a lowercase DNS name; expected e.g. 'app.example.com'")
        return value

    @field_validator("subdomain")
    @classmethod
    def _subdomain(cls, value: str | None) -> str | None:
        if value is not None and not _SUBDOMAIN.match(value):
            raise ValueError("not a lowercase DNS label (or labels); expected e.g. 'app'")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        return value if value is None else check_certificate(value)

    @field_validator("content_security_policy")
    @classmethod
    def _csp(cls, value: str) -> str:
        return check_csp(value)

    def host(self, zone: str | None) -> str:
        """The host name the site answers on: `hostName`, else `subdomain` joined to the hosted zone's name."""
        if self.host_name:
            return self.host_name
        if not (self.subdomain and zone):
            raise ValueError("no host name: check_sites and site_rules refuse this settings shape")
        return f"{self.subdomain}.{zone}"

    def problems(self, path: str) -> list[tuple[str, Any, str]]:
        """Rules across this site's keys, as (key path, value, allowed)."""
        found = []
        if self.host_name and self.subdomain:
            found.append((f"{path}.subdomain", self.subdomain,
                          f"set hostName or subdomain, not both (hostName is {self.host_name!r})"))
        if not self.host_name and not self.subdomain:
            found.append((f"{path}.hostName", None,
                          "set hostName (a full name, e.g. app.example.com) or subdomain (joined to domain.zone, "
                          "e.g. app)"))
        if self.frame_options is None and "frame-ancestors" not in self.content_security_policy:
            found.append((f"{path}.frameOptions", None,
                          "without X-Frame-Options the contentSecurityPolicy must say who may frame the site, e.g. "
                          "\"frame-ancestors https://web.telegram.org\" for a Telegram mini-app"))
        return found


def _raise(found: list[tuple[str, Any, str]]) -> None:
    """One error naming every problem, one line each (as the WAF settings do)."""
    if len(found) == 1:
        raise rule_error(*found[0])
    if found:
        text = "\n".join(str(rule_error(*problem)) for problem in found)
        raise PydanticCustomError("settings_rules", text.replace("{", "{{").replace("}", "}}"))


def check_sites(value: dict[str, SiteSettings]) -> dict[str, SiteSettings]:
    """Site names become resource names; each site has exactly one way to name its host."""
    found: list[tuple[str, Any, str]] = []
    hosts: dict[str, str] = {}
    for name, site in value.items():
        if not _SITE_NAME.match(name):
            found.append((f"sites.{name}", name, "a site name is 1-20 characters: a lowercase letter, then a-z, "
                                                  "0-9 or '-'"))
            continue
        found += site.problems(f"sites.{name}")
        if site.host_name in hosts:
            found.append((f"sites.{name}.hostName", site.host_name, f"already the host of sites.{hosts[site.host_name]}"))
        elif site.host_name:
            hosts[site.host_name] = name
    _raise(found)
    return value


Sites = Annotated[dict[str, SiteSettings], AfterValidator(check_sites)]


def site_rules(sites: dict[str, SiteSettings], *, zone: str | None,
               taken: dict[str, str] | None = None) -> list[tuple[str, Any, str]]:
    """Rules that need the stack: subdomains need its hosted zone; a host serves one thing.

    `zone` is the name of the stack's hosted zone (`domain.zone`, what `subdomain` is joined to); `taken` maps
    host names already served by something else (e.g. the API's host) to the key that serves them.
    """
    found: list[tuple[str, Any, str]] = []
    served = dict(taken or {})
    for name, site in sites.items():
        if site.subdomain and not site.host_name and not zone:
            found.append((f"sites.{name}.subdomain", site.subdomain,
                          "the stack has no domain.zone to join it to; set hostName instead, or domain"))
            continue
        if not (site.host_name or site.subdomain):
            continue  # refused by check_sites already
        host, key = site.host(zone), "hostName" if site.host_name else "subdomain"
        if host in served:
            found.append((f"sites.{name}.{key}", host, f"{host} is already served by {served[host]}"))
        served.setdefault(host, f"sites.{name}")
    return found


class ApiCdnSettings(Section):
    """CloudFront in front of the API host: static paths cached at the edge, the rest passed through."""

    certificate_arn: str | None = Field(
        default=None, description="ACM certificate for the API's host name, in us-east-1 (brought: without domain)")
    static_paths: list[str] = Field(
        default=list(DEFAULT_STATIC_PATHS), min_length=1, max_length=MAX_STATIC_PATHS,
        description="path patterns cached at the edge (public files only: no cookies or auth reach them)")
    price_class: PriceClass = Field(default="PriceClass_100", description="CloudFront edge locations used")
    origin_read_timeout_seconds: int = Field(
        default=30, ge=1, le=60,
        description="how long CloudFront waits for the API's response (60 s at most without a quota increase)")

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        return value if value is None else check_certificate(value)

    @field_validator("static_paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not _PATH_PATTERN.match(pattern):
                raise ValueError(f"path pattern {pattern!r} must start with '/' and hold at most 255 of "
                                 "A-Z a-z 0-9 _ - . * ? $ / ~ \" ' @ : +, e.g. '/static/*'")
            if pattern in ("/*", "/"):
                raise ValueError(f"path pattern {pattern!r} would cache the whole API; list static paths only")
        if len(set(value)) != len(value):
            raise ValueError("each path pattern at most once")
        return value

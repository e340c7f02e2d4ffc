"""A static site under mocks: private bucket, OAC, headers, the whole distribution, the uploaded files, errors."""

from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from components.site import Site, SiteArgs, site_bucket_name
from components.site_files import SiteSourceError, cache_control, content_type, site_files
from policy.rules import violations
from settings.sites import DEFAULT_SITE_CSP, SiteCachingSettings, SiteSettings
from tests.helpers import assert_inputs, mock_id, mock_state, one, parsed, resources
from tools.preview import record

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000001"
BUCKET = "nodeapi-test-site-web-123456789012"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
HEADERS = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
COMPONENT = "urn:pulumi:test::nodeapi::nodeapi:sites:Site::site-web"
BUILD = {  # a Vite build, plus what must not be published
    "index.html": b"<!doctype html><script type=module src=/assets/index-B1x2.js></script>",
    "assets/index-B1x2.js": b"console.log(1)",
    "assets/index-C3d4.css": b"body{}",
    "favicon.ico": b"\x00\x00\x01\x00",
    "manifest.webmanifest": b"{}",
    "robots.txt": b"User-agent: *",
    ".well-known/security.txt": b"Contact: mailto:security@example.com",
    ".DS_Store": b"\x00",
    ".git/config": b"[core]",
}


def write_build(root: Path, files: dict[str, bytes] = BUILD, source: str = "web/dist") -> Path:
    for key, body in files.items():
        (root / source / key).parent.mkdir(parents=True, exist_ok=True)
        (root / source / key).write_bytes(body)
    return root


def settings(**changes) -> SiteSettings:
    return SiteSettings(**{"source_dir": "web/dist", "host_name": "app.example.com", "certificate_arn": CERT,
                           **changes})


def graph_of(project_dir: Path, provider_region: str | None = None, **changes) -> dict:
    site_settings = settings(**changes)

    def build():
        opts = None
        if provider_region:
            opts = pulumi.ResourceOptions(providers={"aws": aws.Provider("aws", region=provider_region)})
        site = Site("site-web", SiteArgs(settings=site_settings, key="sites.web", physical_name="nodeapi-test-site-web",
                                         bucket_name=BUCKET, host_name="app.example.com", certificate_arn=CERT,
                                         project_dir=project_dir,
                                         protect=True), opts)
        for output in ("bucket_name", "distribution_id", "distribution_arn", "domain_name", "hosted_zone_id", "url"):
            pulumi.export(output, getattr(site, output))

    return record(build)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_build(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def graph(project) -> dict:
    return graph_of(project)


def state(graph: dict, type_: str, name: str) -> str:
    return mock_id(graph, type_, name)


# --- resources and their inputs ---

def test_only_the_expected_resources(graph):
    assert sorted((r["type"], r["name"]) for r in graph["resources"] if r["type"] != OBJECT) == [
        (DISTRIBUTION, "site-web"), (OAC, "site-web-oac"), (HEADERS, "site-web-headers"),
        ("aws:s3/bucket:Bucket", "site-web"),
        ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "site-web-lifecycle"),
        ("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "site-web-ownership"),
        ("aws:s3/bucketPolicy:BucketPolicy", "site-web-policy"),
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "site-web-public-access-block"),
        ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
         "site-web-encryption"),
        ("aws:s3/bucketVersioning:BucketVersioning", "site-web-versioning"),
        ("nodeapi:sites:Site", "site-web"),
    ]
    assert all(r["parent"] == COMPONENT for r in graph["resources"] if r["type"] != "nodeapi:sites:Site")


def test_bucket_is_private_owner_enforced_encrypted_and_versioned(graph):
    bucket = one(graph, "aws:s3/bucket:Bucket", "site-web")
    assert bucket["inputs"] == {"bucket": BUCKET, "forceDestroy": True, "tags": {"Name": BUCKET}}
    assert bucket["options"]["protect"] is True
    assert one(graph, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "site-web-ownership")["inputs"] == {
        "bucket": BUCKET, "rule": {"objectOwnership": "BucketOwnerEnforced"}}
    assert one(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
               "site-web-public-access-block")["inputs"] == {
        "bucket": BUCKET, "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
        "restrictPublicBuckets": True}
    assert one(graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
               "site-web-encryption")["inputs"] == {
        "bucket": BUCKET, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}
    versioning = one(graph, "aws:s3/bucketVersioning:BucketVersioning", "site-web-versioning")
    assert versioning["inputs"] == {"bucket": BUCKET, "versioningConfiguration": {"status": "Enabled"}}
    lifecycle = one(graph, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "site-web-lifecycle")
    assert lifecycle["inputs"] == {"bucket": BUCKET, "rules": [{
        "id": "expire-old-versions", "status": "Enabled", "filter": {"prefix": ""},
        "noncurrentVersionExpiration": {"noncurrentDays": 30},
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1}}]}
    assert lifecycle["options"]["dependsOn"] == [versioning["urn"]]


def test_bucket_policy_lets_only_this_distribution_read_and_denies_plain_http(graph):
    policy = one(graph, "aws:s3/bucketPolicy:BucketPolicy", "site-web-policy")
    distribution = state(graph, DISTRIBUTION, "site-web")
    assert policy["inputs"]["bucket"] == BUCKET
    assert parsed(policy["inputs"]["policy"]) == {"Version": "2012-10-17", "Statement": [
        {"Sid": "CloudFrontReadsThroughOriginAccessControl", "Effect": "Allow",
         "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{BUCKET}/*",
         "Condition": {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::123456789012:distribution/{distribution}"}}},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    block = one(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "site-web-public-access-block")
    assert policy["options"]["dependsOn"] == [block["urn"]]


def test_origin_access_control_signs_every_request(graph):
    assert one(graph, OAC, "site-web-oac")["inputs"] == {
        "name": "nodeapi-test-site-web", "description": "nodeapi-test-site-web: CloudFront reads the site",
        "originAccessControlOriginType": "s3", "signingBehavior": "always", "signingProtocol": "sigv4"}


def security_headers(csp: str, frame: str | None = "DENY") -> dict:
    headers = {
        "strictTransportSecurity": {"accessControlMaxAgeSec": 31536000, "includeSubdomains": True, "preload": False,
                                    "override": True},
        "contentTypeOptions": {"override": True},
        "referrerPolicy": {"referrerPolicy": "strict-origin-when-cross-origin", "override": True},
        "contentSecurityPolicy": {"contentSecurityPolicy": csp, "override": True},
    }
    if frame:
        headers["frameOptions"] = {"frameOption": frame, "override": True}
    return headers


def test_headers_policy_sends_the_security_headers(graph):
    assert one(graph, HEADERS, "site-web-headers")["inputs"] == {
        "name": "nodeapi-test-site-web", "comment": "nodeapi-test-site-web: security headers",
        "securityHeadersConfig": security_headers(DEFAULT_SITE_CSP)}


def test_distribution_whole_input_set(graph):
    assert one(graph, DISTRIBUTION, "site-web")["inputs"] == {
        "enabled": True,
        "comment": "nodeapi-test-site-web: app.example.com",
        "aliases": ["app.example.com"],
        "defaultRootObject": "index.html",
        "httpVersion": "http2and3",
        "isIpv6Enabled": True,
        "priceClass": "PriceClass_100",
        "origins": [{"originId": "s3", "domainName": f"{BUCKET}.s3.us-east-1.amazonaws.com",
                     "originAccessControlId": state(graph, OAC, "site-web-oac")}],
        "defaultCacheBehavior": {
            "targetOriginId": "s3", "viewerProtocolPolicy": "redirect-to-https",
            "allowedMethods": ["GET", "HEAD"], "cachedMethods": ["GET", "HEAD"], "compress": True,
            "cachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            "responseHeadersPolicyId": state(graph, HEADERS, "site-web-headers")},
        "customErrorResponses": [
            {"errorCode": 403, "responseCode": 200, "responsePagePath": "/index.html", "errorCachingMinTtl": 10},
            {"errorCode": 404, "responseCode": 200, "responsePagePath": "/index.html", "errorCachingMinTtl": 10}],
        "restrictions": {"geoRestriction": {"restrictionType": "none"}},
        "viewerCertificate": {"acmCertificateArn": CERT, "sslSupportMethod": "sni-only",
                              "minimumProtocolVersion": "TLSv1.2_2021"},
        "tags": {"Name": "nodeapi-test-site-web"},
    }


UPLOADED = {  # key: (content type, cache-control, retained when it leaves the build)
    "assets/index-B1x2.js": ("text/javascript; charset=utf-8", "public, max-age=31536000, immutable", True),
    "assets/index-C3d4.css": ("text/css; charset=utf-8", "public, max-age=31536000, immutable", True),
    "favicon.ico": ("image/x-icon", "public, max-age=300", False),
    "manifest.webmanifest": ("application/manifest+json; charset=utf-8", "public, max-age=300", False),
    "robots.txt": ("text/plain; charset=utf-8", "public, max-age=300", False),
    ".well-known/security.txt": ("text/plain; charset=utf-8", "public, max-age=300", False),
    "index.html": ("text/html; charset=utf-8", "no-cache", False),
}


def test_every_published_file_is_uploaded_with_its_type_and_cache_control(graph):
    import hashlib

    objects = resources(graph, OBJECT)
    assert sorted(o["name"] for o in objects) == sorted(f"site-web-file-{key}" for key in UPLOADED)
    for key, (kind, cache, retained) in UPLOADED.items():
        uploaded = one(graph, OBJECT, f"site-web-file-{key}")
        assert uploaded["inputs"] == {
            "bucket": BUCKET, "key": key, "source": {"path": f"web/dist/{key}"},
            "sourceHash": hashlib.md5(BUILD[key]).hexdigest(), "contentType": kind, "cacheControl": cache}, key
        assert uploaded["options"]["retainOnDelete"] is retained, key


def test_html_goes_up_after_every_asset_it_may_reference(graph):
    index = one(graph, OBJECT, "site-web-file-index.html")
    assets = [o["urn"] for o in resources(graph, OBJECT) if o["name"] != "site-web-file-index.html"]
    assert sorted(index["options"]["dependsOn"]) == sorted(assets)
    assert all(one(graph, OBJECT, o["name"])["options"]["dependsOn"] == [] for o in resources(graph, OBJECT)
               if o["name"] != "site-web-file-index.html")


def test_outputs_name_bucket_distribution_and_url(graph):
    distribution = state(graph, DISTRIBUTION, "site-web")
    outputs = graph["outputs"]
    assert outputs == {
        "bucket_name": BUCKET, "distribution_id": distribution,
        "distribution_arn": f"arn:aws:cloudfront::123456789012:distribution/{distribution}",
        "domain_name": mock_state(graph, DISTRIBUTION, "site-web")["domainName"], "hosted_zone_id": "Z2FDTNDATAQYW2",
        "url": "https://app.example.com"}
    assert outputs["domain_name"].endswith(".cloudfront.net") and distribution.startswith("E")


def test_the_policy_pack_accepts_a_production_site(graph):
    assert violations(graph, "prod") == []


# --- variants ---

def test_without_spa_fallback_frame_options_or_files(project):
    csp = "default-src 'self'; frame-ancestors https://web.telegram.org"
    graph = graph_of(project, source_dir=None, spa_fallback=False, frame_options=None, content_security_policy=csp,
                     price_class="PriceClass_All")
    assert resources(graph, OBJECT) == []
    distribution = one(graph, DISTRIBUTION, "site-web")
    assert_inputs(distribution, {"priceClass": "PriceClass_All", "defaultRootObject": "index.html",
                                 "customErrorResponses": []})
    assert one(graph, HEADERS, "site-web-headers")["inputs"]["securityHeadersConfig"] == security_headers(csp, None)


def test_a_stack_in_eu_west_1_keeps_its_bucket_there_and_cloudfront_global(project):
    graph = graph_of(project, provider_region="eu-west-1")
    distribution = one(graph, DISTRIBUTION, "site-web")
    assert distribution["inputs"]["origins"][0]["domainName"] == f"{BUCKET}.s3.eu-west-1.amazonaws.com"
    assert distribution["options"]["provider"] == "urn:pulumi:test::nodeapi::pulumi:providers:aws::aws"
    assert "region" not in distribution["inputs"]
    assert distribution["inputs"]["viewerCertificate"]["acmCertificateArn"] == CERT


def test_a_missing_source_directory_stops_the_preview_with_one_line(tmp_path):
    with pytest.raises(pulumi.RunError) as caught:
        graph_of(tmp_path, source_dir="web/dist")
    assert str(caught.value) == (
        f"sites.web.sourceDir: directory 'web/dist' not found (looked for {tmp_path}/web/dist); build the site "
        "first (e.g. npm run build) or fix the path, which is relative to the project directory")


# --- the files of a build (pure) ---

def test_a_build_without_index_html_is_refused(tmp_path):
    write_build(tmp_path, {"dist/index.htm": b"", "dist/app/index.html": b""}, source="")
    with pytest.raises(SiteSourceError) as caught:
        site_files(tmp_path, "dist", SiteCachingSettings(), "sites.web")
    assert str(caught.value) == (
        "sites.web.sourceDir: 'dist' has no index.html at its top level; CloudFront serves it for / and, with "
        "spaFallback, for every path without a file. Is this the build output directory?")


def test_files_are_listed_in_key_order_hidden_ones_skipped(project):
    keys = [f.key for f in site_files(project, "web/dist", SiteCachingSettings(), "sites.web")]
    assert keys == [".well-known/security.txt", "assets/index-B1x2.js", "assets/index-C3d4.css", "favicon.ico",
                    "index.html", "manifest.webmanifest", "robots.txt"]


@pytest.mark.parametrize("key, expected", [
    ("index.html", "text/html; charset=utf-8"), ("assets/app.JS", "text/javascript; charset=utf-8"),
    ("assets/app.mjs", "text/javascript; charset=utf-8"), ("assets/app.js.map", "application/json; charset=utf-8"),
    ("logo.svg", "image/svg+xml"), ("fonts/inter.woff2", "font/woff2"), ("app.wasm", "application/wasm"),
    ("data.bin", "application/octet-stream"), ("LICENSE", "application/octet-stream"),
])
def test_content_type_by_extension(key, expected):
    assert content_type(key) == expected


@pytest.mark.parametrize("key, caching, expected", [
    ("assets/index-B1x2.js", {}, "public, max-age=31536000, immutable"),
    ("static/js/main.3f2a1b9c.js", {}, "public, max-age=31536000, immutable"),
    ("_next/static/chunks/app.js", {}, "public, max-age=31536000, immutable"),
    ("assets/page.html", {}, "public, max-age=31536000, immutable"),  # the prefix wins: the user said hashed
    ("index.html", {}, "no-cache"),
    ("about/index.HTML", {"html_max_age_seconds": 60}, "public, max-age=60"),
    ("favicon.ico", {}, "public, max-age=300"),
    ("sw.js", {"default_max_age_seconds": 0}, "no-cache"),
    ("build/app.js", {"immutable_prefixes": ["build/"]}, "public, max-age=31536000, immutable"),
    ("assets/app.js", {"immutable_prefixes": ["build/"]}, "public, max-age=300"),
])
def test_cache_control_by_kind_of_file(key, caching, expected):
    assert cache_control(key, SiteCachingSettings(**caching)) == expected


def test_bucket_names_fit_s3s_limit_and_stay_stable():
    assert site_bucket_name("nodeapi-prod", "web", "123456789012") == "nodeapi-prod-site-web-123456789012"
    long = site_bucket_name("a-very-long-app-name-staging", "marketing-site-eu", "123456789012")
    assert len(long) == 63 and long == site_bucket_name("a-very-long-app-name-staging", "marketing-site-eu",
                                                        "123456789012")
    assert long.startswith("a-very-long-app-name-staging-site-marketing-site-eu-1234") and long[-7] == "-"


def test_the_preview_cli_reports_a_missing_build_as_one_error(tmp_path):
    """Through `python -m tools.preview` the RunError is one `error:` line with exit code 2, no traceback."""
    from tools.preview import PreviewError, build_graph

    (tmp_path / "Pulumi.yaml").write_text("name: nodeapi\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(
        "from pathlib import Path\n"
        "from components.site import Site, SiteArgs\n"
        "from settings.sites import SiteSettings\n"
        f"settings = SiteSettings(source_dir='web/dist', host_name='app.example.com', certificate_arn={CERT!r})\n"
        "Site('site-web', SiteArgs(settings=settings, key='sites.web', physical_name='x', bucket_name='b',\n"
        "                          host_name='app.example.com', certificate_arn=settings.certificate_arn,\n"
        "                          project_dir=Path(__file__).parent))\n")
    with pytest.raises(PreviewError) as caught:
        build_graph("test", root=tmp_path)
    assert (str(caught.value), caught.value.exit_code, caught.value.declared) == (
        f"sites.web.sourceDir: directory 'web/dist' not found (looked for {tmp_path}/web/dist); build the site "
        "first (e.g. npm run build) or fix the path, which is relative to the project directory", 2, 0)

"""The managed domain in the real stacks: certificates, validation records, validations, alias records, providers.

Staging ships the managed form (`domain: {zone: example.com, api: api.staging}`), prod brings its certificate.
A third graph moves staging to eu-west-1 and adds a route host, a site and `cdn`, so the ALB's certificate
(stack region, with a SAN), the CloudFront certificates (us-east-1 provider) and a validation record shared by
two certificates of one host all show.
"""

import copy
import functools
import json

import pytest
import yaml

from tests.helpers import ROOT, mock_state, one, resources, stack_settings
from tools.mock_outputs import hosted_zone_id, validation_record
from tools.preview import _graph, run_program

CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
PROVIDER = "pulumi:providers:aws"
LISTENER = "aws:lb/listener:Listener"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
ZONE = hosted_zone_id("example.com")
API = "api.staging.example.com"
ADMIN = "admin.staging.example.com"
APP = "app.staging.example.com"
STAGING_PROVIDER = "urn:pulumi:staging::nodeapi::pulumi:providers:aws::aws"
US_EAST_1_PROVIDER = "urn:pulumi:staging::nodeapi::pulumi:providers:aws::aws-us-east-1"
CERTIFICATES = "urn:pulumi:staging::nodeapi::nodeapi:domain:Certificates"
ALIASES = "urn:pulumi:staging::nodeapi::nodeapi:domain:AliasRecords"


@functools.lru_cache(maxsize=None)
def program(stack: str, variant: str = "") -> tuple[dict, object]:
    """(graph, monitor) of a real stack, or of a variant of its settings (the monitor keeps input dependencies)."""
    raw = copy.deepcopy(stack_settings(stack))
    if variant == "everything":
        raw.update(region="eu-west-1", backupRegion="us-west-2", cdn={},
                   sites={"web": {"sourceDir": "tests/fixtures/site", "subdomain": "app.staging"}})
        raw["services"]["web"]["public"]["routes"] = [{"hosts": [ADMIN]}, {}]
    elif variant == "zone-id":
        raw["domain"] = {**raw["domain"], "zoneId": "Z0123456789ABCDEFGHIJ"}
    project, monitor, outputs = run_program(stack, settings=raw if variant else None)
    return _graph(project, stack, monitor, outputs), monitor


def urn_of(graph: dict, type_: str, name: str) -> str:
    return one(graph, type_, name)["urn"]


def depends_on(monitor, graph: dict, type_: str, name: str) -> dict[str, list[str]]:
    """Which resources each input of a resource came from."""
    return monitor.registrations[urn_of(graph, type_, name)].input_dependencies


def validation_cname(host: str) -> dict:
    name, value = validation_record(host, "123456789012")
    return {"zoneId": ZONE, "name": name, "type": "CNAME", "records": [value], "ttl": 300, "allowOverwrite": True}


def state(type_: str, name: str, stack: str = "staging", variant: str = "") -> dict:
    """A resource's outputs as the mocks answered them (its region included)."""
    graph, monitor = program(stack, variant)
    return monitor.registrations[urn_of(graph, type_, name)].outputs


def certificate_arn(graph: dict, name: str, variant: str = "") -> str:
    return state(CERTIFICATE, name, graph["stack"], variant)["arn"]


# --- staging: the API's certificate and its record ---

def test_staging_requests_one_certificate_for_the_api_host():
    graph, _ = program("staging")
    certificate = one(graph, CERTIFICATE)
    assert (certificate["name"], certificate["parent"]) == ("certificates-api", f"{CERTIFICATES}::certificates")
    assert certificate["inputs"] == {"domainName": API, "validationMethod": "DNS", "keyAlgorithm": "RSA_2048",
                                     "tags": {"Name": "nodeapi-staging-api"}}
    assert certificate["options"]["provider"] == STAGING_PROVIDER


def test_staging_validates_it_through_one_cname_in_the_zone():
    graph, monitor = program("staging")
    record = one(graph, RECORD, f"certificates-validation-{API}")
    assert record["inputs"] == validation_cname(API)
    validation = one(graph, VALIDATION)
    assert validation["name"] == "certificates-api-validation"
    assert validation["inputs"] == {"certificateArn": certificate_arn(graph, "certificates-api"),
                                    "validationRecordFqdns": [validation_record(API, "123456789012")[0].rstrip(".")]}
    assert validation["options"]["provider"] == STAGING_PROVIDER
    # Fails the update before the deploy job's 60 minutes run out (the provider's default wait is 75).
    assert validation["options"]["customTimeouts"] == {"create": "40m"}
    deploy = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())["jobs"]
    assert all(deploy[job]["timeout-minutes"] > 40 for job in ("staging", "prod"))
    assert depends_on(monitor, graph, VALIDATION, "certificates-api-validation") == {
        "certificateArn": [urn_of(graph, CERTIFICATE, "certificates-api")],
        "validationRecordFqdns": [record["urn"]]}


@pytest.mark.parametrize("listener", ["load-balancer-https", "load-balancer-test"])
def test_the_listeners_take_the_validated_certificate(listener):
    graph, monitor = program("staging")
    assert one(graph, LISTENER, listener)["inputs"]["certificateArn"] == certificate_arn(graph, "certificates-api")
    # From the validation, so the listener is created once ACM has issued the certificate, not while pending.
    assert depends_on(monitor, graph, LISTENER, listener)["certificateArn"] == [
        urn_of(graph, VALIDATION, "certificates-api-validation")]


def test_staging_points_the_api_host_at_the_load_balancer_with_an_a_record_only():
    graph, _ = program("staging")
    alb = mock_state(graph, "aws:lb/loadBalancer:LoadBalancer", "load-balancer")
    aliases = [r for r in resources(graph, RECORD) if r["parent"] == f"{ALIASES}::dns"]
    assert [(r["name"], r["inputs"]) for r in aliases] == [("dns-api-a", {
        "zoneId": ZONE, "name": API, "type": "A",
        "aliases": [{"name": alb["dnsName"], "zoneId": "Z35SXDOTRQ7X7K", "evaluateTargetHealth": False}]})]


def test_staging_looks_the_zone_up_by_name_among_public_zones():
    graph, monitor = program("staging")
    lookups = [args for token, args in monitor.aws.calls if token == "aws:route53/getZone:getZone"]
    assert lookups == [{"name": "example.com", "privateZone": False}]
    assert graph["outputs"]["hostedZoneId"] == ZONE
    assert graph["outputs"]["certificateArn"] == certificate_arn(graph, "certificates-api")
    assert graph["outputs"]["url"] == f"https://{API}"


def test_staging_needs_no_us_east_1_provider():
    graph, _ = program("staging")
    assert [r["name"] for r in resources(graph, PROVIDER)] == ["aws"]


def test_a_pinned_zone_id_is_used_without_a_lookup():
    graph, monitor = program("staging", "zone-id")
    assert [token for token, _ in monitor.aws.calls if token == "aws:route53/getZone:getZone"] == []
    assert {r["inputs"]["zoneId"] for r in resources(graph, RECORD)} == {"Z0123456789ABCDEFGHIJ"}
    assert graph["outputs"]["hostedZoneId"] == "Z0123456789ABCDEFGHIJ"


# --- prod: brought certificate, no records ---

def test_prod_brings_its_certificate_and_dns():
    graph, monitor = program("prod")
    assert resources(graph, CERTIFICATE) + resources(graph, VALIDATION) + resources(graph, RECORD) == []
    brought = stack_settings("prod")["loadBalancer"]["certificateArn"]
    assert {one(graph, LISTENER, name)["inputs"]["certificateArn"]
            for name in ("load-balancer-https", "load-balancer-test")} == {brought}
    assert graph["outputs"]["certificateArn"] == brought and "hostedZoneId" not in graph["outputs"]
    assert "aws:route53/getZone:getZone" not in [token for token, _ in monitor.aws.calls]


# --- everything managed: a route host, cdn and a site, stack in eu-west-1 ---

def test_both_providers_carry_the_stack_default_tags():
    graph, _ = program("staging", "everything")
    providers = {r["name"]: r["inputs"] for r in resources(graph, PROVIDER)}
    assert sorted(providers) == ["aws", "aws-us-east-1"]
    assert (providers["aws"]["region"], providers["aws-us-east-1"]["region"]) == ("eu-west-1", "us-east-1")
    tags = {"tags": {"app": "nodeapi", "stack": "staging", "environment": "staging", "managed-by": "pulumi",
                     "cost-center": "platform-staging"}}
    assert json.loads(providers["aws"]["defaultTags"]) == json.loads(providers["aws-us-east-1"]["defaultTags"]) == tags


@pytest.mark.parametrize("name, domain_name, alternatives, provider, region", [
    ("certificates-api", API, [ADMIN], STAGING_PROVIDER, "eu-west-1"),
    ("certificates-api-cdn", API, None, US_EAST_1_PROVIDER, "us-east-1"),
    ("certificates-site-web", APP, None, US_EAST_1_PROVIDER, "us-east-1"),
])
def test_a_certificate_per_place_cloudfront_ones_in_us_east_1(name, domain_name, alternatives, provider, region):
    graph, _ = program("staging", "everything")
    certificate = one(graph, CERTIFICATE, name)
    place = name.removeprefix("certificates-")
    assert certificate["inputs"] == {"domainName": domain_name, "validationMethod": "DNS", "keyAlgorithm": "RSA_2048",
                                     "tags": {"Name": f"nodeapi-staging-{place}"},
                                     **({"subjectAlternativeNames": alternatives} if alternatives else {})}
    assert certificate["options"]["provider"] == provider
    validation = one(graph, VALIDATION, f"{name}-validation")
    assert validation["options"]["provider"] == provider
    assert validation["inputs"]["certificateArn"].startswith(f"arn:aws:acm:{region}:123456789012:certificate/")


def test_one_validation_record_per_host_shared_by_the_certificates_naming_it():
    graph, monitor = program("staging", "everything")
    records = {r["name"]: r for r in resources(graph, RECORD) if r["parent"] == f"{CERTIFICATES}::certificates"}
    assert sorted(records) == [f"certificates-validation-{host}" for host in sorted([ADMIN, API, APP])]
    for host in (ADMIN, API, APP):
        assert records[f"certificates-validation-{host}"]["inputs"] == validation_cname(host)
    api_record = records[f"certificates-validation-{API}"]["urn"]
    fqdn = {host: validation_record(host, "123456789012")[0].rstrip(".") for host in (ADMIN, API, APP)}
    expected = {"api": ([API, ADMIN], [api_record, records[f"certificates-validation-{ADMIN}"]["urn"]]),
                "api-cdn": ([API], [api_record]),
                "site-web": ([APP], [records[f"certificates-validation-{APP}"]["urn"]])}
    for place, (hosts, urns) in expected.items():
        name = f"certificates-{place}-validation"
        assert one(graph, VALIDATION, name)["inputs"]["validationRecordFqdns"] == [fqdn[h] for h in hosts]
        assert sorted(depends_on(monitor, graph, VALIDATION, name)["validationRecordFqdns"]) == sorted(urns)


def test_distributions_take_their_validated_us_east_1_certificates():
    graph, monitor = program("staging", "everything")
    for distribution, place in (("api-cdn", "api-cdn"), ("site-web", "site-web")):
        viewer = one(graph, DISTRIBUTION, distribution)["inputs"]["viewerCertificate"]
        assert viewer == {"acmCertificateArn": certificate_arn(graph, f"certificates-{place}", "everything"),
                          "sslSupportMethod": "sni-only", "minimumProtocolVersion": "TLSv1.2_2021"}
        assert depends_on(monitor, graph, DISTRIBUTION, distribution)["viewerCertificate"] == [
            urn_of(graph, VALIDATION, f"certificates-{place}-validation")]
    assert one(graph, LISTENER, "load-balancer-https")["inputs"]["certificateArn"] == certificate_arn(
        graph, "certificates-api", "everything")


def test_alias_records_point_each_host_at_what_serves_it():
    graph, _ = program("staging", "everything")
    alb = state("aws:lb/loadBalancer:LoadBalancer", "load-balancer", variant="everything")
    assert alb["dnsName"].endswith(".eu-west-1.elb.amazonaws.com")
    api_cdn, site = (state(DISTRIBUTION, name, variant="everything")["domainName"] for name in ("api-cdn", "site-web"))
    aliases = {r["name"]: r["inputs"] for r in resources(graph, RECORD) if r["parent"] == f"{ALIASES}::dns"}

    def alias(host, kind, target, zone):
        return {"zoneId": ZONE, "name": host, "type": kind,
                "aliases": [{"name": target, "zoneId": zone, "evaluateTargetHealth": False}]}

    assert aliases == {
        "dns-api-a": alias(API, "A", api_cdn, "Z2FDTNDATAQYW2"),  # with cdn the API host is the distribution's
        "dns-api-aaaa": alias(API, "AAAA", api_cdn, "Z2FDTNDATAQYW2"),
        f"dns-route-{ADMIN}-a": alias(ADMIN, "A", alb["dnsName"], alb["zoneId"]),  # IPv4-only ALB: no AAAA
        "dns-site-web-a": alias(APP, "A", site, "Z2FDTNDATAQYW2"),
        "dns-site-web-aaaa": alias(APP, "AAAA", site, "Z2FDTNDATAQYW2"),
    }
    assert graph["outputs"]["sites"]["web"]["url"] == f"https://{APP}"


def test_every_provider_is_pinned_to_the_stacks_account():
    """`accountId`: credentials of another account (a wrong AWS_PROFILE) fail before any call, in both regions."""
    graph, _ = program("staging", "everything")
    providers = {r["name"]: r["inputs"] for r in resources(graph, PROVIDER)}
    assert {name: json.loads(inputs["allowedAccountIds"]) for name, inputs in providers.items()} == {
        "aws": ["123456789012"], "aws-us-east-1": ["123456789012"]}

"""Managed certificates: ACM certificates validated through DNS records in the stack's Route 53 hosted zone.

Each place (the ALB, the API's distribution, each site) gets its own certificate, so adding a site never touches
the API's. A certificate for CloudFront is requested in us-east-1 through the us-east-1 provider ("To use an ACM
certificate with Amazon CloudFront, you must request or import the certificate in the US East (N. Virginia)
region", ACM User Guide, Supported Regions); the ALB's in the stack's region.

One validation record per host name, whatever the number of certificates naming it: ACM gives every
certificate of a name in the account the same CNAME, in every region ("Since the CNAME validation token works
for any AWS Region, you can re-create the same certificate in multiple Regions", ACM User Guide, DNS
validation, https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html). The ALB's and the API
distribution's certificates therefore wait on the same record. ACM renews a certificate by itself as long as it
is in use and its record stays in place, so the records live as long as the certificates.

Everything that uses a certificate takes `CertificateValidation.certificate_arn`, which resolves once ACM has
issued it: the listener and the distributions wait for the validation, never attach a pending certificate.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.domain import CertificatePlace, DomainSettings

VALIDATION_TTL_SECONDS = 300
# How long `pulumi up` waits for ACM to issue a certificate. With the records in Route 53 it takes minutes; when
# it cannot happen (a zone not delegated to its name servers) the provider's default of 75 minutes would outlast
# the deploy job's 60, and a runner killed mid-update leaves the stack locked with pending operations. 40
# minutes fails the update cleanly first.
VALIDATION_TIMEOUT = "40m"
# RSA 2048: what every client validates. ECDSA keys are accepted by CloudFront and the ALB, but old clients
# (and some IoT and payment terminals) fail on them.
KEY_ALGORITHM = "RSA_2048"


class ZoneLookupError(Exception):
    """The hosted zone the settings name cannot be used (not found, more than one, private)."""


def zone_id_of(domain: DomainSettings, provider: pulumi.ProviderResource) -> str:
    """The hosted zone's id: `domain.zoneId` as given, else the account's one public zone named `domain.zone`."""
    if domain.zone_id:
        return domain.zone_id
    try:
        zone = aws.route53.get_zone(name=domain.zone, private_zone=False,
                                    opts=pulumi.InvokeOptions(provider=provider))
    except Exception as error:  # the provider's message says which: no zone, or several of that name
        raise ZoneLookupError(
            f"domain.zone: no usable public hosted zone {domain.zone!r} in this account ({error}). The program "
            "never creates the zone: create it (and delegate the domain to its name servers) first, or pin it with "
            "domain.zoneId when the account holds more than one of that name") from None
    return zone.zone_id


@dataclass(frozen=True, kw_only=True)
class CertificatesArgs:
    """The zone, what to request (settings.domain.certificate_places), and the provider for us-east-1.

    `us_east_1` is the provider of CloudFront's certificates (required when a place is for CloudFront); the others
    use the provider the component inherits (the stack's)."""

    prefix: str
    zone_id: pulumi.Input[str]
    places: list[CertificatePlace]
    us_east_1: pulumi.ProviderResource | None = None


def validation_option(options: list, domain_name: str):
    """The validation option of one name among a certificate's."""
    found = [option for option in options or [] if option.domain_name == domain_name]
    if not found:
        raise ValueError(f"ACM returned no DNS validation option for {domain_name}")
    return found[0]


class Certificates(pulumi.ComponentResource):
    """A certificate per place, a validation CNAME per host name, and a validation per certificate."""

    def __init__(self, name: str, args: CertificatesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:domain:Certificates", name, None, opts)
        if any(place.cloudfront for place in args.places) and args.us_east_1 is None:
            raise ValueError("a CloudFront certificate needs the us-east-1 provider (CertificatesArgs.us_east_1)")
        self.certificates: dict[str, aws.acm.Certificate] = {}
        self.records: dict[str, aws.route53.Record] = {}
        self.validations: dict[str, aws.acm.CertificateValidation] = {}
        for place in args.places:
            provider = args.us_east_1 if place.cloudfront else None
            certificate = self._certificate(name, args.prefix, place, provider)
            for host in place.names:
                if host not in self.records:
                    self.records[host] = self._record(name, args.zone_id, certificate, host)
            self.certificates[place.place] = certificate
            self.validations[place.place] = aws.acm.CertificateValidation(
                f"{name}-{place.place}-validation", certificate_arn=certificate.arn,
                validation_record_fqdns=[self.records[host].fqdn for host in place.names],
                opts=pulumi.ResourceOptions(parent=self, provider=provider,
                                            custom_timeouts=pulumi.CustomTimeouts(create=VALIDATION_TIMEOUT)))
        # The validated ARN: resolves once ACM has issued the certificate.
        self.arns = {place: validation.certificate_arn for place, validation in self.validations.items()}
        self.register_outputs({"arns": self.arns})

    def _certificate(self, name: str, prefix: str, place: CertificatePlace,
                     provider: pulumi.ProviderResource | None) -> aws.acm.Certificate:
        """A public certificate for the place's names, validated through DNS (renewed by ACM)."""
        domain_name, *alternatives = place.names
        return aws.acm.Certificate(
            f"{name}-{place.place}",
            domain_name=domain_name,
            subject_alternative_names=alternatives or None,
            validation_method="DNS",
            key_algorithm=KEY_ALGORITHM,
            tags={"Name": f"{prefix}-{place.place}"},
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )

    def _record(self, name: str, zone_id: pulumi.Input[str], certificate: aws.acm.Certificate,
                host: str) -> aws.route53.Record:
        """The CNAME ACM asks for one host name. `allowOverwrite`: the record may already exist from a
        certificate of the same name requested by hand in this account; its value is the same token, so taking
        it over changes nothing in DNS (the pattern of the provider's own certificate-validation example)."""
        option = certificate.domain_validation_options.apply(lambda options: validation_option(options, host))
        return aws.route53.Record(
            f"{name}-validation-{host}",
            zone_id=zone_id,
            name=option.apply(lambda o: o.resource_record_name),
            type=option.apply(lambda o: o.resource_record_type),
            records=[option.apply(lambda o: o.resource_record_value)],
            ttl=VALIDATION_TTL_SECONDS,
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

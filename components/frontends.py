"""The app's static frontends (`sites.<name>`) and the optional CloudFront in front of the API (`cdn`)."""

from dataclasses import dataclass, field
from pathlib import Path

import pulumi

from settings.model import StackSettings

from .api_cdn import ApiCdn, ApiCdnArgs
from .site import Site, SiteArgs, site_bucket_name
from .stack_names import StackNames


@dataclass(frozen=True, kw_only=True)
class FrontendsArgs:
    """Settings, names, the ALB the API CDN fronts (None when no service is public), and the managed certificates.

    `certificate_arns` maps a place (`api-cdn`, `site-<name>`) to its validated us-east-1 certificate when the
    program manages the domain; without it each place uses the `certificateArn` its settings bring."""

    settings: StackSettings
    names: StackNames
    account_id: str
    project_dir: str
    alb_dns_name: pulumi.Input[str] | None = None
    certificate_arns: dict[str, pulumi.Input[str]] = field(default_factory=dict)


def certificate_of(place: str, brought: str | None, managed: dict[str, pulumi.Input[str]]) -> pulumi.Input[str]:
    """The place's managed certificate, else the one its settings bring (the settings guarantee one of the two)."""
    arn = managed.get(place, brought)
    if arn is None:
        raise ValueError(f"{place}: no certificate (the settings rules refuse this shape)")
    return arn


class Frontends(pulumi.ComponentResource):
    """One Site per `sites.<name>`, and the ApiCdn when `cdn` is set."""

    def __init__(self, name: str, args: FrontendsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:sites:Frontends", name, None, opts)
        settings, names, child = args.settings, args.names, pulumi.ResourceOptions(parent=self)
        self.sites = {
            site: Site(f"site-{site}", SiteArgs(
                settings=spec, key=f"sites.{site}", physical_name=f"{names.prefix}-site-{site}",
                bucket_name=site_bucket_name(names.prefix, site, args.account_id),
                host_name=spec.host(settings.domain.zone if settings.domain else None),
                certificate_arn=certificate_of(f"site-{site}", spec.certificate_arn, args.certificate_arns),
                project_dir=Path(args.project_dir),
                protect=settings.is_production), child)
            for site, spec in sorted(settings.sites.items())
        }
        self.api_cdn = None
        if settings.cdn is not None:
            lb = settings.load_balancer
            self.api_cdn = ApiCdn("api-cdn", ApiCdnArgs(
                settings=settings.cdn, physical_name=f"{names.prefix}-api-cdn", host_name=settings.api_host,
                certificate_arn=certificate_of("api-cdn", settings.cdn.certificate_arn, args.certificate_arns),
                origin_domain_name=args.alb_dns_name, content_security_policy=lb.content_security_policy), child)
        self.outputs = {
            "sites": {site: {"bucketName": s.bucket_name, "distributionId": s.distribution_id,
                             "domainName": s.domain_name, "url": s.url} for site, s in self.sites.items()},
            **({"cdn": {"distributionId": self.api_cdn.distribution_id, "domainName": self.api_cdn.domain_name}}
               if self.api_cdn else {}),
        }
        self.register_outputs(self.outputs)

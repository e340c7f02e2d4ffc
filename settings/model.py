"""The stack settings model: everything a stack varies, read once from `nodeapi:settings`."""

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .alarms import AlarmSettings
from .app_secrets import AppSecretsSettings
from .backups import BackupSettings
from .base import Section, rule_error
from .checks import certificate_problems, check_tags, partition_of
from .cache import CacheSettings
from .cluster import ClusterSettings
from .storage import StorageSettings
from .cost import CostSettings
from .database import DatabaseSettings
from .domain import DomainSettings, api_host, domain_rules, route_hosts
from .app import AppSettings
from .image import RegistrySettings
from .network import NetworkSettings
from .services import (JobSettings, LoadBalancerSettings, MaintenanceSettings, ServiceSettings, ServicesRules,
                       check_names, check_service_names, reserved_rules)
from .schedule import ScheduleSettings, office_hours_conflicts
from .sites import ApiCdnSettings, Sites, site_rules
from .waf import WafSettings

PROGRAM_TAGS = 5  # app, stack, environment, managed-by (provider default tags) and Name
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


def check_region(value: str) -> str:
    """Refuse strings that cannot be an AWS region code."""
    if not _REGION.match(value):
        raise ValueError("not an AWS region code; expected e.g. 'eu-west-1'")
    return value


class StackSettings(Section):
    """All settings of one stack. Secrets never live here: they stay Pulumi secrets."""

    environment: Literal["staging", "production"] = Field(
        description="production turns on the durability rules (multi-AZ, protection, retention)"
    )
    region: str = Field(description="primary AWS region")
    backup_region: str = Field(description="region for cross-region backup copies")
    account_id: str | None = Field(
        default=None, description="the AWS account the stack belongs to; every provider refuses credentials of any "
                                  "other account before doing anything (allowed_account_ids)")
    tags: dict[str, str] = Field(default_factory=dict, description="extra tags on every resource")
    app: AppSettings = Field(default_factory=AppSettings)
    network: NetworkSettings
    # Sections of the data and service tiers are added below this line.
    database: DatabaseSettings
    cache: CacheSettings | None = Field(default=None, description="absent (or enabled: false): no cache")
    storage: StorageSettings = Field(default_factory=StorageSettings)
    backups: BackupSettings = Field(default_factory=BackupSettings)
    app_secrets: AppSecretsSettings = Field(default_factory=AppSecretsSettings)
    cost: CostSettings = Field(default_factory=CostSettings)
    services: dict[str, ServiceSettings] = Field(min_length=1, description="the app's long-running services")
    jobs: dict[str, JobSettings] = Field(default_factory=dict, description="scheduled tasks by name")
    load_balancer: LoadBalancerSettings | None = Field(default=None, description="the shared ALB (public services)")
    domain: DomainSettings | None = Field(
        default=None, description="a Route 53 hosted zone: the program creates certificates and records in it")
    maintenance: MaintenanceSettings = Field(default_factory=MaintenanceSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    sites: Sites = Field(default_factory=dict, description="static frontends behind CloudFront, by name")
    cdn: ApiCdnSettings | None = Field(default=None, description="CloudFront in front of the API's static paths")
    waf: WafSettings = Field(default_factory=WafSettings)
    alarms: AlarmSettings = Field(default_factory=AlarmSettings)

    @field_validator("region", "backup_region")
    @classmethod
    def _valid_region(cls, value: str) -> str:
        return check_region(value)

    @field_validator("account_id", mode="before")
    @classmethod
    def _account(cls, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # unquoted in YAML
        if value is not None and not (isinstance(value, str) and re.fullmatch(r"\d{12}", value)):
            raise ValueError("an AWS account ID is 12 digits, e.g. '123456789012' (quote it in YAML: a leading 0 "
                             "would be lost as a number)")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        # The provider adds five default tags of its own (app, stack, environment, managed-by) plus Name.
        return check_tags(value, reserved=PROGRAM_TAGS)

    @field_validator("services")
    @classmethod
    def _service_names(cls, value: dict) -> dict:
        return check_service_names(value)

    @field_validator("jobs")
    @classmethod
    def _names(cls, value: dict) -> dict:
        return check_names(value)

    @model_validator(mode="after")
    def _cross_section_rules(self) -> "StackSettings":
        problems = [rule_error(*p) for p in self.rule_violations()]
        if problems:
            raise _combined(problems)
        return self

    def rule_violations(self) -> list[tuple[str, Any, str]]:
        """(key path, value, what is allowed) for every broken cross-field rule."""
        found = []
        if self.backup_region == self.region:
            found.append(("backupRegion", self.backup_region, f"must differ from region {self.region!r}"))
        elif partition_of(self.backup_region) != partition_of(self.region):
            found.append(("backupRegion", self.backup_region,
                          f"is in partition {partition_of(self.backup_region)}, region {self.region!r} in "
                          f"{partition_of(self.region)}: copies cannot cross partitions"))
        for section_name in type(self).model_fields:
            section = getattr(self, section_name)
            if isinstance(section, Section):
                alias = type(self).model_fields[section_name].alias or section_name
                found += [(f"{alias}.{path}", value, allowed) for path, value, allowed in section.rules(self)]
        for name, service in self.services.items():
            found += [(f"services.{name}.{path}", value, allowed) for path, value, allowed in service.rules(self)]
        found += ServicesRules.check(self)
        found += reserved_rules(self)
        found += domain_rules(self)
        found += site_rules(self.sites, zone=self.domain.zone if self.domain else None, taken=self._served_hosts())
        if self.schedule.office_hours is not None:
            scheduled = {"backups.planSchedule": self.backups.plan_schedule,
                         **{f"jobs.{name}.schedule": job.schedule for name, job in self.jobs.items()}}
            if self.backups.dump.enabled:
                scheduled["backups.dump.schedule"] = self.backups.dump.schedule
            found += office_hours_conflicts(self.schedule.office_hours, scheduled)
        found += self._certificate_problems()
        if self.cdn is not None and self.load_balancer is None:
            found.append(("cdn", "set", "CloudFront in front of the API needs loadBalancer (a public service)"))
        return found

    def _certificate_problems(self) -> list[tuple[str, Any, str]]:
        """Brought certificates in the wrong partition or account."""
        arns = {"loadBalancer.certificateArn": self.load_balancer.certificate_arn if self.load_balancer else None,
                "cdn.certificateArn": self.cdn.certificate_arn if self.cdn else None,
                **{f"sites.{name}.certificateArn": site.certificate_arn for name, site in self.sites.items()}}
        return [problem for key, arn in arns.items() for problem in certificate_problems(key, arn, self.account_id)]

    def _served_hosts(self) -> dict[str, str]:
        """Host names the load balancer answers on (the API's, literal route hosts), each with its key."""
        api = api_host(self)
        if api is None:
            return {}
        key = "loadBalancer.domainName" if self.load_balancer.domain_name else "domain.api"
        return {**route_hosts(self), api: key}

    @property
    def api_host(self) -> str | None:
        """The API's host name: `loadBalancer.domainName`, else `domain.api` in the zone (None without an API)."""
        return api_host(self)

    @property
    def secret_names(self) -> list[str]:
        """Every app secret the program creates: app-wide ones and those of single services."""
        names = set(self.app.secrets)
        for service in self.services.values():
            names.update(service.secrets)
        return sorted(names)

    def single_writer(self, service: str) -> bool:
        """Whether a service holds single-writer state on its volume (one task, stop before start)."""
        return self.services[service].single_writer

    def exec_enabled(self, service: str) -> bool:
        """Whether `ops exec` may open a shell in this service (default: outside production only)."""
        explicit = self.services[service].exec
        return (not self.is_production) if explicit is None else explicit

    @property
    def is_production(self) -> bool:
        """True for the stack that carries real users."""
        return self.environment == "production"


def _combined(problems: list) -> Exception:
    """Fold several rule errors into one, one line each."""
    if len(problems) == 1:
        return problems[0]
    from pydantic_core import PydanticCustomError

    text = "\n".join(str(p) for p in problems)
    return PydanticCustomError("settings_rules", text.replace("{", "{{").replace("}", "}}"))

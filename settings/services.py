"""Service tier settings: the app's named services, scheduled jobs, the shared load balancer, maintenance mode."""

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from contract.maintenance import PULUMI_PRIORITIES, ROUTE_PRIORITY_START, VALUES_PER_RULE, Route, body_problem, plan
from .backups import SchedulerExpression
from .base import Section
from .fargate import fargate_problem
from .image import BuildSettings, check_image_reference
from .network import LogRetentionDays
from .volumes import VolumeSettings, single_writer_rules, volume_rules

PROD_MIN_BAKE_MINUTES = 10
PROD_MIN_PUBLIC_TASKS = 2
HEALTHY_WITHIN_SECONDS = 20
MAX_DEREGISTRATION_SECONDS = 30
# ECS: at most 5 target groups per service ("Use multiple target groups", ECS Developer Guide); every route
# carries a blue/green pair, so two routes (4 groups) is the most a service can have.
MAX_ROUTES = 2
MAX_PRIORITY = 50000  # ALB rule priorities are 1-50000 (ELB API Reference, CreateRule)
DEFAULT_MIGRATION_COMMAND = ("npx", "prisma", "migrate", "deploy")
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'"
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SECRET_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CERTIFICATE = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_HOST_PATTERN = re.compile(r"^(?=.{1,128}$)[a-z0-9*?.-]+$")


def check_cidr(value: str) -> str:
    """An IPv4 or IPv6 network in CIDR notation, host bits zero."""
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"not a valid CIDR ({exc}); expected e.g. '203.0.113.0/24'") from None
    return value


def check_names(value: dict) -> dict:
    """Service and job names become ECS service names, task families and DNS names: short, lowercase, dashes."""
    for name in value:
        if not SERVICE_NAME.match(name):
            raise ValueError(f"name {name!r} must be 1-20 characters: a lowercase letter, then a-z, 0-9 or '-'")
    return value


# Alarm rows of the stack's own stores are keyed alb-*, db-*, cache-*: a service of that name would collide.
RESERVED_SERVICE_NAMES = ("alb", "db", "cache")


def check_service_names(value: dict) -> dict:
    """Service names: the common rule, and none that would collide with the stack's own alarm rows."""
    check_names(value)
    for name in value:
        if any(name == r or name.startswith(f"{r}-") for r in RESERVED_SERVICE_NAMES):
            raise ValueError(f"name {name!r} is reserved: alarm rows of the load balancer, database and cache are "
                             "keyed alb-*, db-* and cache-*; choose another name")
    return value


def check_environment(value: dict[str, str]) -> dict[str, str]:
    """Environment variable names ECS accepts."""
    bad = [name for name in value if not ENV_NAME.match(name)]
    if bad:
        raise ValueError(f"invalid variable name(s) {', '.join(bad)}: letters, digits and _, not first a digit")
    return value


def check_secret_names(value: list[str]) -> list[str]:
    """Secret names are environment variable names in UPPER_SNAKE_CASE, each once."""
    bad = [n for n in value if not SECRET_NAME.match(n)]
    if bad:
        raise ValueError(f"not env var names (UPPER_SNAKE_CASE): {', '.join(bad)}")
    if len(set(value)) != len(value):
        raise ValueError("names must be unique")
    return value


EnvironmentVariables = Annotated[dict[str, str], AfterValidator(check_environment)]
SecretNames = Annotated[list[str], AfterValidator(check_secret_names)]


def size_rules(prefix: str, cpu: int, memory: int) -> list[tuple[str, Any, str]]:
    """The Fargate size rule, as (key path, value, allowed) under `prefix`."""
    problem = fargate_problem(cpu, memory)
    return [(f"{prefix}.{problem[0]}", problem[1], problem[2])] if problem else []


def literal_length(pattern: str) -> int:
    """Characters before the first wildcard: longer literal prefixes are more specific."""
    return len(re.split(r"[*?]", pattern, maxsplit=1)[0])


class ImageSource(Section):
    """Where a service's image comes from: a Dockerfile build, a pinned image, or another service's image."""

    build: BuildSettings | None = Field(default=None, description="build from a Dockerfile and push to ECR")
    uri: str | None = Field(default=None, description="prebuilt image, pinned by tag or digest")
    service: str | None = Field(default=None, description="use the image of this other service")

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data:
            return {"build": {}}
        if isinstance(data, dict):
            given = [key for key in ("build", "uri", "service") if data.get(key) is not None]
            if len(given) != 1:
                raise ValueError("set exactly one of image.build (a Dockerfile), image.uri (a pinned image) or "
                                 "image.service (the image of another service)")
        return data

    @field_validator("uri")
    @classmethod
    def _reference(cls, value: str | None) -> str | None:
        return None if value is None else check_image_reference(value)


class HealthCheckSettings(Section):
    """The container health check ECS runs (and, for public services, the target groups' path)."""

    path: str = Field(default="/health", description="HTTP path that answers 200 when the service can serve")
    command: list[str] | None = Field(default=None, min_length=1,
                                      description="check command (ECS form, e.g. [CMD-SHELL, 'pgrep -f bot']); "
                                                  "default for services with a port: an HTTP GET of `path` with node")
    interval_seconds: int = Field(default=10, ge=5, le=300, description="seconds between container checks")
    timeout_seconds: int = Field(default=5, ge=2, le=60, description="seconds a check may take")
    retries: int = Field(default=3, ge=1, le=10, description="failures before the container is unhealthy")
    grace_seconds: int = Field(default=30, ge=0, le=300, description="start period: failures ignored after start")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or len(value) > 1024:
            raise ValueError("must start with '/' (at most 1024 characters)")
        return value

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and value[0] not in ("CMD", "CMD-SHELL"):
            raise ValueError("must start with 'CMD' (exec form) or 'CMD-SHELL' (shell form), as ECS expects")
        return value


class ScalingSettings(Section):
    """Task count and target tracking; autoscaling owns the count after creation."""

    desired_count: int = Field(default=1, ge=0, description="tasks at creation")
    min_count: int = Field(default=1, ge=0, description="autoscaling floor")
    max_count: int = Field(default=2, ge=1, le=100, description="autoscaling ceiling")
    cpu_target: int = Field(default=60, ge=10, le=90, description="target average CPU (%)")
    memory_target: int | None = Field(default=None, ge=10, le=90, description="target average memory (%)")
    requests_per_target: int | None = Field(default=None, ge=10,
                                            description="target ALB requests per task per minute (public only)")


class RouteSettings(Section):
    """One listener rule: host and/or path patterns (both empty: everything not matched by another route)."""

    hosts: list[str] = Field(default_factory=list, description="host-header patterns, e.g. api.example.com")
    paths: list[str] = Field(default_factory=list, description="path patterns, e.g. /api/*")
    priority: int | None = Field(default=None, ge=ROUTE_PRIORITY_START, le=MAX_PRIORITY,
                                 description="listener priority; default: derived from how specific the route is")

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not _HOST_PATTERN.match(host):
                raise ValueError(f"host pattern {host!r}: lowercase letters, digits, '-', '.', '*', '?'; "
                                 "at most 128 characters")
        return value

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.startswith("/") or len(path) > 128:
                raise ValueError(f"path pattern {path!r} must start with '/' and be at most 128 characters")
        return value

    @model_validator(mode="after")
    def _quota(self) -> "RouteSettings":
        values = len(self.hosts) + len(self.paths)
        wildcards = sum(p.count("*") + p.count("?") for p in self.hosts + self.paths)
        if values > VALUES_PER_RULE or wildcards > 5:
            raise ValueError(f"a listener rule holds at most {VALUES_PER_RULE} condition values and 5 wildcards "
                             f"(got {values} values, {wildcards} wildcards)")
        return self


class StickinessSettings(Section):
    """Load-balancer cookie stickiness (Socket.IO long-polling needs every request on one task)."""

    enabled: bool = Field(default=True, description="pin a client to one task")
    duration_seconds: int = Field(default=86400, ge=1, le=604800, description="cookie lifetime (1 s to 7 days)")


class MigrationSettings(Section):
    """The new revision's migrations, run once before it gets traffic (blue/green lifecycle hook)."""

    command: list[str] = Field(default=list(DEFAULT_MIGRATION_COMMAND), min_length=1, description="migration command")
    timeout_seconds: int = Field(default=1800, ge=60, le=86400, description="migration run limit")


class PublicSettings(Section):
    """How a public service is reached through the shared ALB, and how it is deployed blue/green."""

    routes: list[RouteSettings] = Field(default_factory=lambda: [RouteSettings()], min_length=1,
                                        max_length=MAX_ROUTES, description="listener rules of this service")
    stickiness: StickinessSettings | None = Field(default=None, description="sticky sessions (WebSockets)")
    idle_timeout_seconds: int | None = Field(default=None, ge=1, le=4000,
                                             description="ALB idle timeout this service needs (long-lived "
                                                         "WebSockets); the ALB takes the largest asked")
    health_check_interval_seconds: int = Field(default=5, ge=5, le=300, description="target group check interval")
    health_check_timeout_seconds: int = Field(default=4, ge=2, le=120, description="seconds to answer")
    healthy_threshold: int = Field(default=2, ge=2, le=10, description="passes before a target is healthy")
    unhealthy_threshold: int = Field(default=3, ge=2, le=10, description="failures before a target is unhealthy")
    deregistration_delay_seconds: int = Field(default=30, ge=0, description="draining time of a stopping task")
    bake_time_minutes: int = Field(default=10, ge=0, le=1440,
                                   description="minutes both revisions run after the switch: the rollback window")
    migrations: MigrationSettings | None = Field(default=None, description="run migrations before traffic shifts")
    allow_rolled_back_revisions: list[int] = Field(
        default_factory=list, description="task definition revisions ECS rolled back that may be deployed again "
                                          "(the deployment hook refuses the others: docs/service-tier.md)")

    @field_validator("allow_rolled_back_revisions")
    @classmethod
    def _revisions(cls, value: list[int]) -> list[int]:
        if any(revision < 1 for revision in value):
            raise ValueError("task definition revisions are numbers from 1")
        return sorted(set(value))

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        found = []
        seconds = self.health_check_interval_seconds * self.healthy_threshold
        if seconds > HEALTHY_WITHIN_SECONDS:
            found.append(("healthCheckIntervalSeconds", self.health_check_interval_seconds,
                          f"interval x healthyThreshold ({self.healthy_threshold}) must be at most "
                          f"{HEALTHY_WITHIN_SECONDS} s so a healthy task is in service quickly (got {seconds} s)"))
        if self.health_check_timeout_seconds >= self.health_check_interval_seconds:
            found.append(("healthCheckTimeoutSeconds", self.health_check_timeout_seconds,
                          f"less than healthCheckIntervalSeconds ({self.health_check_interval_seconds})"))
        if self.deregistration_delay_seconds > MAX_DEREGISTRATION_SECONDS:
            found.append(("deregistrationDelaySeconds", self.deregistration_delay_seconds,
                          f"at most {MAX_DEREGISTRATION_SECONDS} s, so deploys and rollbacks finish quickly"))
        return found


class ServiceSettings(Section):
    """One long-running service of the app: its image, command, size, how it is reached and scaled."""

    access: Literal["public", "internal", "none"] = Field(
        default="none", description="public: routes on the ALB; internal: other services by name; none: a worker")
    image: ImageSource = Field(default_factory=ImageSource, description="default: build app/")
    command: list[str] | None = Field(default=None, min_length=1, description="container command; default: CMD")
    port: int | None = Field(default=None, ge=1024, le=65535, description="port it listens on (non-root: >= 1024)")
    cpu: int = Field(default=512, description="task CPU units (256 = 1/4 vCPU); Fargate pairs it with memory")
    memory: int = Field(default=1024, description="task memory (MiB)")
    environment: EnvironmentVariables = Field(default_factory=dict, description="plain variables of this service")
    secrets: SecretNames = Field(default_factory=list, description="app secrets only this service receives")
    health_check: HealthCheckSettings = Field(default_factory=HealthCheckSettings)
    scaling: ScalingSettings = Field(default_factory=ScalingSettings)
    spot: bool = Field(default=False, description="run on Fargate Spot (not in production for reachable services)")
    public: PublicSettings | None = Field(default=None, description="routes and deployment (access: public)")
    connects_to: list[str] = Field(default_factory=list,
                                   description="services this one calls by name (Service Connect)")
    exec: bool | None = Field(default=None, description="allow `python -m ops exec` (default: on outside production)")
    volume: VolumeSettings | None = Field(default=None, description="an encrypted EFS volume (state on files)")
    log_retention_days: LogRetentionDays = Field(default=30, description="CloudWatch retention of the container logs")

    @model_validator(mode="before")
    @classmethod
    def _public_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("access") == "public" and "public" not in data:
            return {**data, "public": {}}
        return data


    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        found = size_rules("", self.cpu, self.memory)
        found = [(path.lstrip("."), value, allowed) for path, value, allowed in found]
        scaling = self.scaling
        if not scaling.min_count <= scaling.desired_count <= scaling.max_count:
            found.append(("scaling.desiredCount", scaling.desired_count,
                          f"between scaling.minCount ({scaling.min_count}) and scaling.maxCount ({scaling.max_count})"))
        if self.access != "none" and self.port is None:
            found.append(("port", None, f"a service with access {self.access!r} must say which port it listens on"))
        if self.access != "public" and self.public is not None:
            found.append(("public", "set", "only services with access: public have routes"))
        if self.access != "public" and scaling.requests_per_target is not None:
            found.append(("scaling.requestsPerTarget", scaling.requests_per_target,
                          "only public services scale on ALB requests"))
        if self.port is None and self.health_check.command is None:
            found.append(("healthCheck.command", None,
                          "a service without a port needs a health check command, e.g. "
                          "[CMD-SHELL, 'test -f /tmp/alive'] (every long-running service has one)"))
        if self.public is not None:
            found += [(f"public.{path}", value, allowed) for path, value, allowed in self.public.rules(stack)]
        if self.volume is not None:
            found += volume_rules("volume", self.volume, stack.is_production)
        if self.single_writer:
            found += self._single_writer_rules()
        if stack.is_production:
            found += self._production_rules()
        return found

    @property
    def single_writer(self) -> bool:
        """Holds single-writer state on its volume: one task, stopped before its replacement starts."""
        return bool(self.volume and self.volume.single_writer)

    def _single_writer_rules(self) -> list[tuple[str, Any, str]]:
        scaling, given = self.scaling, self.scaling.model_fields_set
        # Counts left at their defaults are simply 1 for such a service; counts the user wrote must say 1.
        counts = {key: getattr(scaling, key) if key in given else 1
                  for key in ("desired_count", "min_count", "max_count")}
        found = single_writer_rules("scaling", **counts)
        if self.public is not None and self.public.migrations is not None:
            found.append(("public.migrations", "set", "a single-writer service cannot run a migration task beside "
                          "its one writer (the hook would start a second copy); migrate in the start command"))
        return found

    def _production_rules(self) -> list[tuple[str, Any, str]]:
        found = []
        if self.access == "public" and not self.single_writer:  # one writer: one task, rolling (accepted above)
            if self.public.bake_time_minutes < PROD_MIN_BAKE_MINUTES:
                found.append(("public.bakeTimeMinutes", self.public.bake_time_minutes,
                              f"production keeps the old revision at least {PROD_MIN_BAKE_MINUTES} minutes "
                              "(the instant-rollback window)"))
            if self.scaling.min_count < PROD_MIN_PUBLIC_TASKS:
                found.append(("scaling.minCount", self.scaling.min_count,
                              f"production runs at least {PROD_MIN_PUBLIC_TASKS} tasks of a public service "
                              "(one per AZ survives an AZ loss)"))
        if self.spot and self.access != "none":
            found.append(("spot", True, "production serves reachable services from on-demand Fargate (spot: false)"))
        if self.exec:
            found.append(("exec", True, "production allows no shell into tasks (ECS Exec off)"))
        return found


class JobSettings(Section):
    """A scheduled task (EventBridge Scheduler -> ECS RunTask) with the image and environment of a service."""

    service: str = Field(description="the service whose image, environment and secrets the job uses")
    command: list[str] = Field(min_length=1, description="the job's command")
    schedule: SchedulerExpression = Field(description="EventBridge Scheduler expression, UTC, e.g. 'cron(0 3 * * ? *)'")
    cpu: int = Field(default=256, description="task CPU units")
    memory: int = Field(default=512, description="task memory (MiB)")
    log_retention_days: LogRetentionDays = Field(default=30, description="CloudWatch retention of the job logs")


class LoadBalancerSettings(Section):
    """The shared public ALB: TLS, headers, the test listener (needed when any service is public)."""

    domain_name: str | None = Field(
        default=None, description="public host name of the API, brought (without domain; with it: domain.api)")
    certificate_arn: str | None = Field(
        default=None, description="ACM certificate for domainName (and route hosts), stack region (without domain)")
    test_listener_port: int = Field(default=8443, ge=1, le=65535, description="test listener (VPC-only) port")
    test_allowed_cidrs: list[str] = Field(default_factory=list, description="extra CIDRs that may reach the test port")
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000, description="ALB idle connection timeout")
    content_security_policy: str = Field(default=DEFAULT_CSP, min_length=1, description="CSP response header")
    deletion_protection: bool = Field(default=True, description="the ALB refuses deletion (required in production)")
    access_logs_retention_days: int = Field(default=90, ge=1, description="days ALB access logs are kept")

    @field_validator("test_allowed_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return [check_cidr(v) for v in value]

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None and not _CERTIFICATE.match(value):
            raise ValueError("not an ACM certificate ARN; expected arn:aws:acm:<region>:<account>:certificate/<uuid>")
        return value

    @field_validator("domain_name")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.match(value):
            raise ValueError("not a lowercase DNS name; expected e.g. 'api.example.com'")
        return value

    @field_validator("test_listener_port")
    @classmethod
    def _test_port(cls, value: int) -> int:
        if value in (80, 443):
            raise ValueError("80 and 443 are the ALB's public listeners; choose another port, e.g. 8443")
        return value

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        found = []
        region = _CERTIFICATE.match(self.certificate_arn).group(1) if self.certificate_arn else stack.region
        if region != stack.region:
            found.append(("certificateArn", self.certificate_arn,
                          f"the certificate must be in the stack's region {stack.region!r} (ALB certificates are regional)"))
        if stack.is_production and not self.deletion_protection:
            found.append(("deletionProtection", False, "production keeps ALB deletion protection on"))
        return found


class MaintenanceSettings(Section):
    """The playbooks' upgrading.lock: 503 for everyone but admin paths and allow-listed addresses."""

    enabled: bool = Field(default=False, description="serve the 503 maintenance response")
    admin_service: str | None = Field(default=None, description="public service the admin paths go to "
                                                                "(default: the first public service by name)")
    admin_paths: list[str] = Field(default_factory=lambda: ["/admin/*"], description="path patterns that bypass it")
    allowed_cidrs: list[str] = Field(default_factory=list, description="source CIDRs that bypass it")
    message: str = Field(default="The service is down for maintenance. Please try again later.", min_length=1,
                         description="message in the JSON body of the 503")

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return [check_cidr(v) for v in value]

    @field_validator("admin_paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.startswith("/") or len(path) > 128 or path.count("*") + path.count("?") > 5:
                raise ValueError(f"path pattern {path!r} must start with '/', be at most 128 characters "
                                 "and hold at most 5 wildcards")
        return value

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        if problem := body_problem(value):
            raise ValueError(problem)
        return value


def route_priorities(services: dict[str, ServiceSettings]) -> dict[tuple[str, int], int]:
    """(service, route index) -> listener priority. Explicit priorities stand; the others follow specificity
    (path routes before catch-alls, longer literal paths first, host routes before hostless ones), every 10
    from 100, skipping explicit values. Deterministic: the same settings give the same priorities."""
    routes = [(name, index, route) for name, service in sorted(services.items()) if service.public
              for index, route in enumerate(service.public.routes)]
    taken = {route.priority for _, _, route in routes if route.priority is not None}

    def specificity(item):
        name, index, route = item
        longest = max((literal_length(p) for p in route.paths), default=-1)
        return (not route.paths, -longest, not route.hosts, name, index)

    priorities, next_free = {}, ROUTE_PRIORITY_START
    for name, index, route in sorted(routes, key=specificity):
        if route.priority is not None:
            priorities[(name, index)] = route.priority
            continue
        while next_free in taken:
            next_free += 10
        priorities[(name, index)] = next_free
        taken.add(next_free)
        next_free += 10
    return priorities


def planned_routes(services: dict[str, ServiceSettings]) -> list[Route]:
    """Every public route in priority order, as the maintenance plan sees them."""
    priorities = route_priorities(services)
    order = sorted(priorities, key=priorities.get)
    return [Route(name, tuple(services[name].public.routes[index].hosts) or (),
                  tuple(services[name].public.routes[index].paths) or ("/*",)) for name, index in order]


class ServicesRules:
    """Rules spanning services, jobs, the load balancer and maintenance (called by the stack model)."""

    @staticmethod
    def check(stack: Any) -> list[tuple[str, Any, str]]:
        services, jobs = stack.services, stack.jobs
        found = []
        for name, service in services.items():
            source = service.image.service
            if source is not None and (source not in services or services[source].image.service is not None):
                found.append((f"services.{name}.image.service", source,
                              f"name a service that has its own image (build or uri): {_own_images(services)}"))
            for target in service.connects_to:
                if target == name or target not in services or services[target].port is None:
                    found.append((f"services.{name}.connectsTo", target,
                                  f"name another service that listens on a port: {_with_port(services, name)}"))
        for name, job in jobs.items():
            if job.service not in services:
                found.append((f"jobs.{name}.service", job.service, f"one of the services: {sorted(services)}"))
            found += size_rules(f"jobs.{name}", job.cpu, job.memory)
        public = [name for name, service in services.items() if service.access == "public"]
        if public and stack.load_balancer is None:
            found.append(("loadBalancer", None, f"required: services {public} are public"))
        found += _priority_rules(services)
        found += _maintenance_rules(stack, public)
        return found


def _own_images(services: dict[str, ServiceSettings]) -> list[str]:
    return sorted(name for name, service in services.items() if service.image.service is None)


def _with_port(services: dict[str, ServiceSettings], other_than: str) -> list[str]:
    return sorted(name for name, service in services.items() if service.port is not None and name != other_than)


def _priority_rules(services: dict[str, ServiceSettings]) -> list[tuple[str, Any, str]]:
    seen: dict[int, str] = {}
    found = []
    for name, service in sorted(services.items()):
        for index, route in enumerate(service.public.routes if service.public else []):
            if route.priority is None:
                continue
            key = f"services.{name}.public.routes[{index}].priority"
            if route.priority in seen:
                found.append((key, route.priority, f"unique on the listener; {seen[route.priority]} has it too"))
            seen[route.priority] = key
    return found


def _maintenance_rules(stack: Any, public: list[str]) -> list[tuple[str, Any, str]]:
    mode = stack.maintenance
    if mode.admin_service is not None and mode.admin_service not in public:
        return [("maintenance.adminService", mode.admin_service, f"one of the public services: {sorted(public)}")]
    if not public:
        return [("maintenance.enabled", True, "maintenance mode needs a public service")] if mode.enabled else []
    routes = planned_routes(stack.services)
    admin = admin_route(stack)
    try:
        needed = len(plan(routes, admin, list(mode.admin_paths), list(mode.allowed_cidrs)))
    except ValueError as error:
        return [("maintenance.allowedCidrs", mode.allowed_cidrs, str(error))]
    if needed > len(PULUMI_PRIORITIES):
        return [("maintenance.adminPaths", mode.admin_paths,
                 f"these paths and allowedCidrs need {needed} listener rules across the public routes; at most "
                 f"{len(PULUMI_PRIORITIES)} fit")]
    return []


# Variables the program sets on every container: an app setting must not shadow them.
PLATFORM_VARIABLES = frozenset({
    "PORT", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_SSL", "DB_IAM_AUTH", "DATABASE_URL",
    "DATABASE_READ_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_TLS", "REDIS_AUTH_TOKEN", "REDIS_URL",
})


def reserved_rules(stack: Any) -> list[tuple[str, Any, str]]:
    """App and service variables or secrets that would shadow what the program injects."""
    places = [("app.environment", stack.app.environment), ("app.secrets", stack.app.secrets)]
    for name, service in stack.services.items():
        places += [(f"services.{name}.environment", service.environment), (f"services.{name}.secrets", service.secrets)]
    found = []
    for key, names in places:
        shadowing = sorted(set(names) & PLATFORM_VARIABLES)
        if shadowing:
            found.append((key, shadowing, "the program sets these itself (database, cache, port); "
                                         "choose other names"))
    return found


def admin_route(stack: Any) -> Route | None:
    """The first route of the service that receives the admin paths during maintenance."""
    public = sorted(name for name, service in stack.services.items() if service.access == "public")
    if not public:
        return None
    name = stack.maintenance.admin_service or public[0]
    return next(route for route in planned_routes(stack.services) if route.service == name)

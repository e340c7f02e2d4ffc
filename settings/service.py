"""Service tier settings: the web API, workers, scheduled jobs, the load balancer and maintenance mode."""

import ipaddress
import re
from typing import Any

from pydantic import Field, field_validator

from .backups import check_schedule
from .base import Section
from .fargate import fargate_problem
from .network import check_log_retention

PROD_MIN_BAKE_MINUTES = 10
PROD_MIN_WEB_TASKS = 2
HEALTHY_WITHIN_SECONDS = 20
MAX_DEREGISTRATION_SECONDS = 30
MAINTENANCE_RULE_SLOTS = 9  # listener priorities 1-9 belong to the Pulumi maintenance rules (docs/outputs.md)
DEFAULT_MIGRATION_COMMAND = ("npx", "prisma", "migrate", "deploy")
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'"
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CERTIFICATE = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def check_cidr(value: str) -> str:
    """An IPv4 or IPv6 network in CIDR notation, host bits zero."""
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"not a valid CIDR ({exc}); expected e.g. '203.0.113.0/24'") from None
    return value


def check_names(value: dict) -> dict:
    """Worker and job names become ECS service names and task families: short, lowercase, dashes."""
    for name in value:
        if not _NAME.match(name):
            raise ValueError(f"name {name!r} must be 1-20 characters: a lowercase letter, then a-z, 0-9 or '-'")
    return value


def size_rules(prefix: str, cpu: int, memory: int) -> list[tuple[str, Any, str]]:
    """The Fargate size rule, as (key path, value, allowed) under `prefix`."""
    problem = fargate_problem(cpu, memory)
    return [(f"{prefix}.{problem[0]}", problem[1], problem[2])] if problem else []


def count_rules(prefix: str, low: int, desired: int, high: int) -> list[tuple[str, Any, str]]:
    """minCount <= desiredCount <= maxCount."""
    if low <= desired <= high:
        return []
    return [(f"{prefix}.desiredCount", desired, f"between minCount ({low}) and maxCount ({high})")]


class TaskSettings(Section):
    """What every container of the app shares: size, logs."""

    cpu: int = Field(default=512, description="task CPU units (256 = 1/4 vCPU); Fargate pairs it with memory")
    memory: int = Field(default=1024, description="task memory (MiB)")
    command: list[str] | None = Field(default=None, description="container command; default: the image's CMD")
    log_retention_days: int = Field(default=30, description="CloudWatch retention of the container logs")

    @field_validator("log_retention_days")
    @classmethod
    def _logs(cls, value: int) -> int:
        return check_log_retention(value)


class WebSettings(TaskSettings):
    """The API behind the load balancer, deployed blue/green."""

    port: int = Field(default=3000, ge=1024, le=65535, description="port the app listens on (non-root: >= 1024)")
    desired_count: int = Field(default=2, ge=1, description="tasks at creation; autoscaling owns the count after")
    min_count: int = Field(default=2, ge=1, description="autoscaling floor")
    max_count: int = Field(default=6, ge=1, le=100, description="autoscaling ceiling")
    cpu_target: int = Field(default=60, ge=10, le=90, description="target average CPU (%)")
    memory_target: int = Field(default=70, ge=10, le=90, description="target average memory (%)")
    requests_per_target: int = Field(default=500, ge=10, description="target ALB requests per task per minute")
    spot: bool = Field(default=False, description="run on Fargate Spot (not allowed in production)")
    bake_time_minutes: int = Field(default=10, ge=0, le=1440,
                                   description="minutes both revisions run after the switch: the instant-rollback window")
    health_check_grace_seconds: int = Field(default=30, ge=0, le=600, description="ignore failed checks after start")
    migration_command: list[str] = Field(default=list(DEFAULT_MIGRATION_COMMAND), min_length=1,
                                         description="run once with the new revision before it gets traffic")
    migration_timeout_seconds: int = Field(default=1800, ge=60, le=86400, description="migration run limit")
    environment: dict[str, str] = Field(default_factory=dict, description="extra plain environment variables")

    @field_validator("environment")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [name for name in value if not _ENV_NAME.match(name)]
        if bad:
            raise ValueError(f"invalid variable name(s) {', '.join(bad)}: letters, digits and _, not first a digit")
        return value


class WorkerSettings(TaskSettings):
    """A queue consumer: no load balancer, rolling deploys, CPU autoscaling."""

    command: list[str] = Field(min_length=1, description="the worker's command, e.g. [node, dist/worker.js]")
    desired_count: int = Field(default=1, ge=0, description="tasks at creation; autoscaling owns the count after")
    min_count: int = Field(default=1, ge=0, description="autoscaling floor")
    max_count: int = Field(default=2, ge=1, le=100, description="autoscaling ceiling")
    cpu_target: int = Field(default=60, ge=10, le=90, description="target average CPU (%)")
    spot: bool = Field(default=False, description="run on Fargate Spot (workers must tolerate interruption)")


class JobSettings(TaskSettings):
    """A scheduled task (EventBridge Scheduler -> ECS RunTask) with the app image."""

    command: list[str] = Field(min_length=1, description="the job's command")
    schedule: str = Field(description="EventBridge Scheduler expression, UTC, e.g. 'cron(0 3 * * ? *)'")
    cpu: int = Field(default=256, description="task CPU units")
    memory: int = Field(default=512, description="task memory (MiB)")

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return check_schedule(value)


class LoadBalancerSettings(Section):
    """The public ALB: TLS, headers, the test listener and the target groups' health checks."""

    domain_name: str = Field(description="public host name of the API (its DNS points at the ALB)")
    certificate_arn: str = Field(description="ACM certificate for domainName, in the stack's region")
    test_listener_port: int = Field(default=8443, ge=1, le=65535, description="test listener (VPC-only) port")
    test_allowed_cidrs: list[str] = Field(default_factory=list, description="extra CIDRs that may reach the test port")
    health_check_path: str = Field(default="/health", description="must answer 200 when the app can serve")
    health_check_interval_seconds: int = Field(default=5, ge=5, le=300, description="seconds between checks")
    health_check_timeout_seconds: int = Field(default=4, ge=2, le=120, description="seconds to answer")
    healthy_threshold: int = Field(default=2, ge=2, le=10, description="passes before a target is healthy")
    unhealthy_threshold: int = Field(default=3, ge=2, le=10, description="failures before a target is unhealthy")
    deregistration_delay_seconds: int = Field(default=30, ge=0, description="draining time of a stopping task")
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
    def _certificate(cls, value: str) -> str:
        if not _CERTIFICATE.match(value):
            raise ValueError("not an ACM certificate ARN; expected arn:aws:acm:<region>:<account>:certificate/<uuid>")
        return value

    @field_validator("domain_name")
    @classmethod
    def _domain(cls, value: str) -> str:
        if not _DOMAIN.match(value):
            raise ValueError("not a lowercase DNS name; expected e.g. 'api.example.com'")
        return value

    @field_validator("health_check_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or len(value) > 1024:
            raise ValueError("must start with '/' (at most 1024 characters)")
        return value


class MaintenanceSettings(Section):
    """The playbooks' upgrading.lock: 503 for everyone but admin paths and allow-listed addresses."""

    enabled: bool = Field(default=False, description="serve the 503 maintenance response")
    admin_paths: list[str] = Field(default_factory=lambda: ["/admin/*"], description="path patterns that bypass it")
    allowed_cidrs: list[str] = Field(default_factory=list, description="source CIDRs that bypass it")
    message: str = Field(default="The service is down for maintenance. Please try again later.", min_length=1,
                         max_length=900, description="message in the JSON body of the 503")

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


class ServiceSettings(Section):
    """The service tier."""

    web: WebSettings = Field(default_factory=WebSettings)
    workers: dict[str, WorkerSettings] = Field(default_factory=dict, description="queue consumers by name")
    jobs: dict[str, JobSettings] = Field(default_factory=dict, description="scheduled tasks by name")
    load_balancer: LoadBalancerSettings
    maintenance: MaintenanceSettings = Field(default_factory=MaintenanceSettings)

    @field_validator("workers", "jobs")
    @classmethod
    def _names(cls, value: dict) -> dict:
        return check_names(value)

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        web, lb = self.web, self.load_balancer
        found = size_rules("web", web.cpu, web.memory)
        found += count_rules("web", web.min_count, web.desired_count, web.max_count)
        for name, worker in self.workers.items():
            found += size_rules(f"workers.{name}", worker.cpu, worker.memory)
            found += count_rules(f"workers.{name}", worker.min_count, worker.desired_count, worker.max_count)
        for name, job in self.jobs.items():
            found += size_rules(f"jobs.{name}", job.cpu, job.memory)
        found += self._health_rules(lb)
        found += self._maintenance_rules()
        region = _CERTIFICATE.match(lb.certificate_arn).group(1)
        if region != stack.region:
            found.append(("loadBalancer.certificateArn", lb.certificate_arn,
                          f"the certificate must be in the stack's region {stack.region!r} (ALB certificates are regional)"))
        if stack.is_production:
            found += self._production_rules()
        return found

    def _health_rules(self, lb: LoadBalancerSettings) -> list[tuple[str, Any, str]]:
        found = []
        seconds = lb.health_check_interval_seconds * lb.healthy_threshold
        if seconds > HEALTHY_WITHIN_SECONDS:
            found.append(("loadBalancer.healthCheckIntervalSeconds", lb.health_check_interval_seconds,
                          f"interval x healthyThreshold ({lb.healthy_threshold}) must be at most "
                          f"{HEALTHY_WITHIN_SECONDS} s so a healthy task is in service quickly (got {seconds} s)"))
        if lb.health_check_timeout_seconds >= lb.health_check_interval_seconds:
            found.append(("loadBalancer.healthCheckTimeoutSeconds", lb.health_check_timeout_seconds,
                          f"less than healthCheckIntervalSeconds ({lb.health_check_interval_seconds})"))
        if lb.deregistration_delay_seconds > MAX_DEREGISTRATION_SECONDS:
            found.append(("loadBalancer.deregistrationDelaySeconds", lb.deregistration_delay_seconds,
                          f"at most {MAX_DEREGISTRATION_SECONDS} s, so deploys and rollbacks finish quickly"))
        return found

    def _maintenance_rules(self) -> list[tuple[str, Any, str]]:
        from ops.maintenance import chunk

        mode = self.maintenance
        needed = len(chunk(mode.admin_paths)) + len(chunk(mode.allowed_cidrs)) + 1
        if needed > MAINTENANCE_RULE_SLOTS:
            return [("maintenance.adminPaths", mode.admin_paths,
                     f"these paths and allowedCidrs need {needed} listener rules; at most "
                     f"{MAINTENANCE_RULE_SLOTS} fit (5 values per rule)")]
        return []

    def _production_rules(self) -> list[tuple[str, Any, str]]:
        web, found = self.web, []
        if web.bake_time_minutes < PROD_MIN_BAKE_MINUTES:
            found.append(("web.bakeTimeMinutes", web.bake_time_minutes,
                          f"production keeps the old revision at least {PROD_MIN_BAKE_MINUTES} minutes "
                          "(the instant-rollback window)"))
        if web.min_count < PROD_MIN_WEB_TASKS:
            found.append(("web.minCount", web.min_count,
                          f"production runs at least {PROD_MIN_WEB_TASKS} web tasks (one per AZ survives an AZ loss)"))
        if web.spot:
            found.append(("web.spot", web.spot, "production serves the API from on-demand Fargate (spot: false)"))
        if not self.load_balancer.deletion_protection:
            found.append(("loadBalancer.deletionProtection", False, "production keeps ALB deletion protection on"))
        return found

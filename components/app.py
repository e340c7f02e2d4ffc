"""The app: its images, its long-running services and its scheduled jobs, wired to the data tier and the edge."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from settings.model import StackSettings
from settings.services import JobSettings, ServiceSettings

from .alarm_names import deployment_alarm_names
from .app_service import AppService, AppServiceArgs, Migrations, RouteTraffic, ServiceConnect
from .app_task import AppTaskArgs, HealthCheck, cpu_architecture, health_check_command
from .cluster import Cluster
from .image import Image, ImageArgs
from .load_balancer import RouteResources
from .scheduled_job import ScheduledJob, ScheduledJobArgs
from .stack_names import StackNames
from .data_tier import DataTier
from .wiring import AppWiring


@dataclass(frozen=True, kw_only=True)
class AppArgs:
    """Settings, names, and what the services are wired to."""

    settings: StackSettings
    names: StackNames
    account_id: str
    project_dir: str
    cluster: Cluster
    private_subnet_ids: list[pulumi.Input[str]]
    app_security_group_id: pulumi.Input[str]
    service_groups: dict[str, aws.ec2.SecurityGroup]
    data: DataTier  # service_wiring(service): what a service's containers get; ready: app users in place
    kms_key_arn: pulumi.Input[str]
    routes: dict[str, list[RouteResources]] = field(default_factory=dict)
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    https_listener_arn: pulumi.Input[str] | None = None  # maintenance bypass rules live there (deployment hooks)
    volumes: dict = field(default_factory=dict)  # service -> FileVolume


def image_key(service: ServiceSettings, owner: str) -> str:
    """A stable name for an image: a build by its context (and target/Dockerfile when not the default), a
    prebuilt image by the service that names it. Adding a service never renames an existing image."""
    build = service.image.build
    if build is None:
        return owner
    key = re.sub(r"[^a-z0-9]+", "-", Path(build.context).name.lower()).strip("-") or "app"
    if build.target:
        key += "-" + re.sub(r"[^a-z0-9]+", "-", build.target.lower()).strip("-")
    if build.dockerfile != "Dockerfile":
        key += "-" + re.sub(r"[^a-z0-9]+", "-", Path(build.dockerfile).stem.lower()).strip("-")
    if build.platform != "linux/amd64":
        key += "-" + build.platform.removeprefix("linux/")
    return key


def image_owners(services: dict[str, ServiceSettings]) -> dict[str, str]:
    """service -> key of the image it runs. Identical sources share one image (the default stacks build `app/`
    once); `image.service` runs another service's image; two different builds with one key are told apart by
    the first service using each."""
    owners: dict[str, str] = {}
    keys: dict[str, str] = {}  # source -> key
    for name, service in sorted(services.items()):
        if service.image.service is not None:
            continue
        source = json.dumps(service.image.model_dump(mode="json", exclude_none=True), sort_keys=True)
        if source not in keys:
            key = image_key(service, name)
            keys[source] = key if key not in keys.values() else f"{key}-{name}"
        owners[name] = keys[source]
    for name, service in services.items():
        if service.image.service is not None:
            owners[name] = owners[service.image.service]
    return owners


def image_definers(services: dict[str, ServiceSettings], owners: dict[str, str]) -> dict[str, str]:
    """key -> the name of the service whose settings define that image."""
    return {key: min(n for n, k in owners.items() if k == key and services[n].image.service is None)
            for key in sorted(set(owners.values()))}


def image_settings(services: dict[str, ServiceSettings], owners: dict[str, str]) -> dict[str, ServiceSettings]:
    """key -> a service whose settings define that image."""
    return {key: services[name] for key, name in image_definers(services, owners).items()}


def service_environment(settings: StackSettings, name: str, wiring: AppWiring) -> dict[str, pulumi.Input[str]]:
    """Plain variables of a service: platform, app-wide, then the service's own (most specific wins)."""
    service = settings.services[name]
    environment: dict[str, pulumi.Input[str]] = {"NODE_ENV": "production", "LOG_LEVEL": "info",
                                                 **wiring.environment, **settings.app.environment}
    if service.port is not None:
        environment["PORT"] = str(service.port)
    environment.update(service.environment)
    return environment


def service_secrets(settings: StackSettings, name: str, wiring: AppWiring) -> dict[str, pulumi.Input[str]]:
    """Secrets of a service: the platform's, the app-wide ones and its own (not other services' own)."""
    wanted = set(settings.app.secrets) | set(settings.services[name].secrets)
    others = set(settings.secret_names) - wanted
    return {key: value for key, value in wiring.secrets.items() if key not in others}


class App(pulumi.ComponentResource):
    """Images (ECR + build), one AppService per service, one ScheduledJob per job.

    Children are named for what they are (`web`, `job-analytics`, `image-app`): service and job names are unique
    in the stack, so the app's name would only lengthen every URN below it."""

    def __init__(self, name: str, args: AppArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:app:App", name, None, opts)
        settings, child = args.settings, pulumi.ResourceOptions(parent=self)
        owners = image_owners(settings.services)
        self._image_sources = image_settings(settings.services, owners)
        definers = image_definers(settings.services, owners)
        self.images = {
            key: Image(f"image-{key}", ImageArgs(
                repository_name=args.names.repository(key), keep_images=settings.registry.keep_images,
                kms_key_arn=args.kms_key_arn, build=source.image.build, uri=source.image.uri,
                project_dir=args.project_dir, settings_key=f"services.{definers[key]}.image"), child)
            for key, source in self._image_sources.items()
        }
        self._owners = owners
        self.services = {service: AppService(service, self._service_args(args, service), child)
                         for service in sorted(settings.services)}
        self.jobs = {job: ScheduledJob(f"job-{job}", self._job_args(args, job, spec), child)
                     for job, spec in sorted(settings.jobs.items())}
        self.register_outputs({
            "service_names": {n: s.service_name for n, s in self.services.items()},
            "repository_urls": {n: i.repository_url for n, i in self.images.items()},
        })

    def _task(self, args: AppArgs, role: str, source: str, cpu: int, memory: int, command, log_retention_days: int,
              **extra) -> AppTaskArgs:
        """Task arguments every container shares: its service's image, environment and secrets, logs."""
        settings, image = args.settings, self.images[self._owners[source]]
        build = self._image_sources[self._owners[source]].image.build
        wiring = args.data.service_wiring(source)
        statements = list(wiring.task_role_statements) + list(extra.pop("statements", []))
        return AppTaskArgs(
            family=args.names.family(role), container_name=role, image=image.image_uri, cpu=cpu, memory=memory,
            command=command, environment=service_environment(settings, source, wiring),
            secrets=service_secrets(settings, source, wiring), secret_arns=list(wiring.secret_arns),
            kms_key_arns=list(wiring.kms_key_arns), repository_arn=image.repository_arn,
            log_retention_days=log_retention_days, log_group_name=args.names.log_group(role),
            log_kms_key_arn=args.kms_key_arn, region=settings.region, account_id=args.account_id,
            cpu_architecture=cpu_architecture(build.platform if build else None),
            task_role_statements=statements, **extra,
        )

    def _service_args(self, args: AppArgs, name: str) -> AppServiceArgs:
        settings, service = args.settings, args.settings.services[name]
        check = service.health_check
        command = check.command or health_check_command(service.port, check.path)
        volume = args.volumes.get(name)
        exec_enabled = settings.exec_enabled(name)
        task = self._task(
            args, name, name, service.cpu, service.memory, service.command, service.log_retention_days,
            port=service.port,
            health_check=HealthCheck(command=command, interval=check.interval_seconds, timeout=check.timeout_seconds,
                                     retries=check.retries, start_period=check.grace_seconds),
            statements=(args.cluster.exec_statements() if exec_enabled else [])
            + (volume.task_role_statements() if volume else []),
            volumes=volume.task_volumes() if volume else [], mount_points=volume.mount_points() if volume else [],
        )
        routes = [RouteTraffic(
            blue_target_group_arn=r.blue.arn, green_target_group_arn=r.green.arn if r.green else None,
            production_rule_arn=r.production_rule.arn, test_rule_arn=r.test_rule.arn if r.test_rule else None,
            target_group_arn_suffixes=[r.blue.arn_suffix] + ([r.green.arn_suffix] if r.green else []),
        ) for r in args.routes.get(name, [])]
        public = service.public
        scaling = service.scaling
        migrations = Migrations(function_name=args.names.function(f"{name}-migrate"),
                                command=list(public.migrations.command),
                                timeout_seconds=public.migrations.timeout_seconds,
                                bootstrap=args.data.bootstrap_task) \
            if public and public.migrations else None
        return AppServiceArgs(
            service_name=name, cluster_arn=args.cluster.arn, cluster_name=args.names.cluster(), task=task,
            subnet_ids=args.private_subnet_ids,
            security_group_ids=[args.app_security_group_id, args.service_groups[name].id],
            desired_count=scaling.desired_count, min_count=scaling.min_count, max_count=scaling.max_count,
            cpu_target=scaling.cpu_target, memory_target=scaling.memory_target, spot=service.spot,
            account_id=args.account_id, routes=routes, load_balancer_arn_suffix=args.load_balancer_arn_suffix,
            requests_per_target=scaling.requests_per_target, single_writer=settings.single_writer(name),
            bake_time_minutes=public.bake_time_minutes if public else 0,
            health_check_grace_seconds=check.grace_seconds,
            alarm_names=deployment_alarm_names(args.names.prefix, name) if routes else [],
            migrations=migrations,
            hook_function_name=args.names.function(f"{name}-deploy-hook"),
            https_listener_arn=args.https_listener_arn,
            allowed_revisions=list(public.allow_rolled_back_revisions) if public else [],
            service_connect=ServiceConnect(namespace_arn=args.cluster.namespace_arn, port=service.port,
                                           log_group_name=args.names.log_group(name)),
            exec_enabled=exec_enabled,
            volume=volume, ready=[args.data.ready],
        )

    def _job_args(self, args: AppArgs, job: str, spec: JobSettings) -> ScheduledJobArgs:
        role = f"job-{job}"
        return ScheduledJobArgs(
            schedule_name=args.names.schedule(job), schedule=spec.schedule, cluster_arn=args.cluster.arn,
            task=self._task(args, role, spec.service, spec.cpu, spec.memory, list(spec.command),
                            spec.log_retention_days),
            subnet_ids=args.private_subnet_ids,
            security_group_ids=[args.app_security_group_id, args.service_groups[spec.service].id],
        )

"""nodeapi: load the stack's settings, build the components, export the outputs."""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.cluster import Cluster, ClusterArgs
from components.network import Network, NetworkArgs
from settings import SettingsError, load_settings

try:
    settings = load_settings(pulumi.get_project())
except SettingsError as error:
    raise pulumi.RunError(str(error)) from None

stack = pulumi.get_stack()
provider = aws.Provider(
    "aws",
    region=settings.region,
    default_tags={"tags": {"project": pulumi.get_project(), "stack": stack,
                           "environment": settings.environment, "managed-by": "pulumi", **settings.tags}},
)
children = pulumi.ResourceOptions(providers={"aws": provider})
account_id = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id

network = Network(
    "network",
    NetworkArgs(
        cidr=settings.network.cidr,
        az_count=settings.network.az_count,
        nat_strategy=settings.network.nat_strategy,
        interface_endpoints=settings.network.interface_endpoints,
        flow_logs_retention_days=settings.network.flow_logs_retention_days,
        region=settings.region,
        account_id=account_id,
    ),
    children,
)

cluster = Cluster(
    "cluster",
    ClusterArgs(
        cluster_name=f"{pulumi.get_project()}-{stack}",
        container_insights="enhanced" if settings.is_production else "enabled",
    ),
    children,
)

# --- data tier ---
from components.app_secrets import AppSecrets, AppSecretsArgs, config_overrides
from components.backup_bucket import BackupBucket, BackupBucketArgs, BucketCopy, bucket_name
from components.backup_plan import BackupPlan, BackupPlanArgs
from components.cache import Cache, CacheArgs
from components.database import Database, DatabaseArgs
from components.db_dump import DbDump, DbDumpArgs
from components.encryption import Encryption, EncryptionArgs
from settings.backups import DUMP_DIR, DUMP_FILE

data_name = f"nodeapi-{stack}"  # stable physical names: RDS identifier, cache group, vaults, secrets prefix
protect_data = settings.is_production
encryption = Encryption(
    "encryption",
    EncryptionArgs(alias=data_name, region=settings.region, backup_region=settings.backup_region,
                   account_id=account_id, protect=protect_data),
    children,
)
stack_key = encryption.key
db_settings = settings.database
database = Database(
    "database",
    DatabaseArgs(
        identifier=data_name,
        engine_version=db_settings.engine_version,
        major_version=db_settings.major_version,
        instance_class=db_settings.instance_class,
        allocated_storage_gb=db_settings.allocated_storage_gb,
        max_allocated_storage_gb=db_settings.max_allocated_storage_gb,
        multi_az=db_settings.multi_az,
        db_name=db_settings.db_name,
        username=db_settings.username,
        backup_retention_days=db_settings.backup_retention_days,
        backup_window=db_settings.backup_window,
        maintenance_window=db_settings.maintenance_window,
        deletion_protection=db_settings.deletion_protection,
        final_snapshot=db_settings.final_snapshot,
        performance_insights=db_settings.performance_insights,
        monitoring_interval=db_settings.monitoring_interval,
        slow_query_ms=db_settings.slow_query_ms,
        log_retention_days=db_settings.log_retention_days,
        kms_key_arn=encryption.key_arn,
        vpc_id=network.vpc_id,
        subnet_ids=network.isolated_subnet_ids,
        app_security_group=network.app_security_group,
        account_id=account_id,
        protect=protect_data,
        cross_region_backups=db_settings.cross_region_backups,
        backup_region=settings.backup_region,
        backup_kms_key_arn=encryption.backup_key_arn,
        proxy=db_settings.proxy,
    ),
    children,
)
cache_settings = settings.cache
cache = Cache(
    "cache",
    CacheArgs(
        group_id=data_name,
        engine=cache_settings.engine,
        engine_version=cache_settings.engine_version,
        parameter_family=cache_settings.parameter_family,
        node_type=cache_settings.node_type,
        replicas=cache_settings.replicas,
        snapshot_retention_days=cache_settings.snapshot_retention_days,
        snapshot_window=cache_settings.snapshot_window,
        maintenance_window=cache_settings.maintenance_window,
        maxmemory_policy=cache_settings.maxmemory_policy,
        kms_key_arn=encryption.key_arn,
        vpc_id=network.vpc_id,
        subnet_ids=network.isolated_subnet_ids,
        app_security_group=network.app_security_group,
        secret_recovery_window_days=settings.app_secrets.recovery_window_days,
        protect=protect_data,
    ),
    children,
)
backup_settings = settings.backups
backup_bucket = BackupBucket(
    "backup-bucket",
    BackupBucketArgs(
        bucket_name=bucket_name(stack, account_id, settings.region),
        region=settings.region,
        kms_key_arn=encryption.key_arn,
        retention_days=backup_settings.retention_days,
        noncurrent_retention_days=backup_settings.noncurrent_retention_days,
        account_id=account_id,
        protect=protect_data,
        object_lock=backup_settings.object_lock,
        object_lock_days=backup_settings.object_lock_days,
        replica=BucketCopy(
            bucket_name=bucket_name(stack, account_id, settings.backup_region),
            region=settings.backup_region,
            kms_key_arn=encryption.backup_key_arn,
        ) if backup_settings.cross_region else None,
    ),
    children,
)
backup_plan = BackupPlan(
    "backup-plan",
    BackupPlanArgs(
        vault_name=data_name,
        copy_vault_name=f"{data_name}-copy",
        backup_region=settings.backup_region,
        kms_key_arn=encryption.key_arn,
        backup_kms_key_arn=encryption.backup_key_arn,
        schedule=backup_settings.plan_schedule,
        retention_days=backup_settings.retention_days,
        resource_arns=[database.instance.arn],
        account_id=account_id,
        protect=protect_data,
    ),
    children,
)
dump_settings = backup_settings.dump
if dump_settings.enabled:
    db_dump = DbDump(
        "db-dump",
        DbDumpArgs(
            family=f"{data_name}-db-dump",
            schedule=dump_settings.schedule,
            dump_image=dump_settings.image,
            dump_command=list(dump_settings.command),
            dump_dir=DUMP_DIR,
            dump_file=DUMP_FILE,
            upload_image=dump_settings.upload_image,
            cpu=dump_settings.cpu,
            memory=dump_settings.memory,
            log_retention_days=dump_settings.log_retention_days,
            db_host=database.address,
            db_port=database.port,
            db_name=database.db_name,
            db_user=database.username,
            db_secret_arn=database.secret_arn,
            db_kms_key_arn=encryption.key_arn,
            bucket_name=backup_bucket.bucket_name,
            bucket_arn=backup_bucket.arn,
            bucket_kms_key_arn=encryption.key_arn,
            cluster_arn=cluster.arn,
            subnet_ids=network.private_subnet_ids,
            security_group_ids=[network.app_security_group.id],
            region=settings.region,
            account_id=account_id,
        ),
        children,
    )
app_secret_store = AppSecrets(
    "app-secrets",
    AppSecretsArgs(
        prefix=data_name,
        names=list(settings.app_secrets.names),
        length=settings.app_secrets.length,
        recovery_window_days=settings.app_secrets.recovery_window_days,
        kms_key_arn=encryption.key_arn,
        overrides=config_overrides(pulumi.Config(), settings.app_secrets.names),
    ),
    children,
)
# What app containers get: plain environment, secrets by ARN (ECS `valueFrom`), what the execution role reads.
app_environment: dict[str, pulumi.Input[str]] = {
    "DB_HOST": database.host,
    "DB_PORT": str(database.port),
    "DB_NAME": database.db_name,
    "DB_USER": database.username,
    "DB_SSL": "true",
    "DB_IAM_AUTH": "true" if db_settings.proxy else "false",
    "REDIS_HOST": cache.host,
    "REDIS_PORT": str(cache.port),
    "REDIS_TLS": "true",
}
app_secrets: dict[str, pulumi.Input[str]] = {
    "DB_PASSWORD": pulumi.Output.concat(database.secret_arn, ":password::"),
    "REDIS_AUTH_TOKEN": cache.auth_secret_arn,
    **app_secret_store.arns,
}
secret_arns: list[pulumi.Input[str]] = [database.secret_arn, cache.auth_secret_arn, *app_secret_store.arns.values()]
kms_key_arns: list[pulumi.Input[str]] = [encryption.key_arn]

pulumi.export("dbInstanceIdentifier", database.identifier)
pulumi.export("dbEndpoint", database.endpoint)
pulumi.export("dbSecretArn", database.secret_arn)
pulumi.export("dbSubnetGroupName", database.subnet_group_name)
pulumi.export("dbSecurityGroupIds", database.security_group_ids)
pulumi.export("dbKmsKeyArn", encryption.key_arn)
pulumi.export("backupKmsKeyArn", encryption.backup_key_arn)
pulumi.export("cacheEndpoint", cache.host)
pulumi.export("backupBucketName", backup_bucket.bucket_name)
pulumi.export("backupVaultName", backup_plan.vault_name)
pulumi.export("backupCopyVaultName", backup_plan.copy_vault_name)

# --- service tier ---
from components.access_logs import AccessLogs, AccessLogsArgs
from components.alarm_names import deployment_alarm_names
from components.app_task import AppTaskArgs, cpu_architecture, health_check_command
from components.image import Image, ImageArgs
from components.load_balancer import HealthCheck, LoadBalancer, LoadBalancerArgs, Maintenance
from components.scheduled_job import ScheduledJob, ScheduledJobArgs
from components.waf import Waf, WafArgs
from components.web_service import Migrations, TrafficArgs, WebService, WebServiceArgs
from components.worker_service import WorkerService, WorkerServiceArgs

service_settings = settings.service
image_settings = settings.image
image = Image(
    "image",
    ImageArgs(repository_name=data_name, keep_images=image_settings.keep_images, kms_key_arn=encryption.key_arn,
              build=image_settings.build, uri=image_settings.uri, project_dir=str(Path(__file__).parent)),
    children,
)
lb_settings = service_settings.load_balancer
web_settings = service_settings.web
access_logs = AccessLogs(
    "access-logs",
    AccessLogsArgs(bucket_name=f"nodeapi-{stack}-alb-logs-{account_id}-{settings.region}",
                   retention_days=lb_settings.access_logs_retention_days, region=settings.region,
                   account_id=account_id, protect=settings.is_production),
    children,
)
maintenance = service_settings.maintenance
load_balancer = LoadBalancer(
    "load-balancer",
    LoadBalancerArgs(
        lb_name=data_name,
        vpc_id=network.vpc_id,
        vpc_cidr=settings.network.cidr,
        public_subnet_ids=network.public_subnet_ids,
        app_security_group=network.app_security_group,
        app_port=web_settings.port,
        certificate_arn=lb_settings.certificate_arn,
        test_listener_port=lb_settings.test_listener_port,
        test_allowed_cidrs=list(lb_settings.test_allowed_cidrs),
        health_check=HealthCheck(
            path=lb_settings.health_check_path,
            interval_seconds=lb_settings.health_check_interval_seconds,
            timeout_seconds=lb_settings.health_check_timeout_seconds,
            healthy_threshold=lb_settings.healthy_threshold,
            unhealthy_threshold=lb_settings.unhealthy_threshold,
        ),
        deregistration_delay_seconds=lb_settings.deregistration_delay_seconds,
        idle_timeout_seconds=lb_settings.idle_timeout_seconds,
        content_security_policy=lb_settings.content_security_policy,
        deletion_protection=lb_settings.deletion_protection,
        access_logs_bucket=access_logs.bucket_name,
        access_logs_prefix=access_logs.prefix,
        access_logs_ready=[access_logs.policy],
        maintenance=Maintenance(admin_paths=list(maintenance.admin_paths), allowed_cidrs=list(maintenance.allowed_cidrs),
                                message=maintenance.message) if maintenance.enabled else None,
    ),
    children,
)


# With RDS Proxy the app authenticates with IAM tokens: its task role may connect as the app user, nothing more.
db_connect = [{"Effect": "Allow", "Action": ["rds-db:connect"], "Resource": [database.iam_connect_arn]}] \
    if database.iam_connect_arn else []


def app_task(family: str, container: str, task_settings, **extra) -> AppTaskArgs:
    """Task arguments every app container shares: image, plain environment, secrets by ARN, logs."""
    environment = {"NODE_ENV": "production", "LOG_LEVEL": "info", **app_environment}
    environment.update(extra.pop("environment", {}))
    return AppTaskArgs(
        family=f"{data_name}-{family}", container_name=container, image=image.image_uri,
        cpu=task_settings.cpu, memory=task_settings.memory, command=task_settings.command,
        environment=environment, secrets=app_secrets, secret_arns=secret_arns, kms_key_arns=kms_key_arns,
        repository_arn=image.repository_arn, log_retention_days=task_settings.log_retention_days,
        log_kms_key_arn=encryption.key_arn, region=settings.region, account_id=account_id,
        cpu_architecture=cpu_architecture(image_settings.build.platform if image_settings.build else None),
        task_role_statements=db_connect, **extra,
    )


private_app = {"subnet_ids": network.private_subnet_ids, "security_group_ids": [network.app_security_group.id]}
web_task = app_task(
    "web", "web", web_settings, port=web_settings.port,
    environment={"PORT": str(web_settings.port), **web_settings.environment},
    health_check=health_check_command(web_settings.port, lb_settings.health_check_path),
    start_period_seconds=web_settings.health_check_grace_seconds,
)
web = WebService(
    "web",
    WebServiceArgs(
        service_name="web",
        cluster_arn=cluster.arn,
        cluster_name=f"{pulumi.get_project()}-{stack}",
        task=web_task,
        traffic=TrafficArgs(
            blue_target_group_arn=load_balancer.blue_target_group.arn,
            green_target_group_arn=load_balancer.green_target_group.arn,
            production_rule_arn=load_balancer.production_rule_arn,
            test_rule_arn=load_balancer.test_rule_arn,
            load_balancer_arn_suffix=load_balancer.arn_suffix,
            target_group_arn_suffixes=[load_balancer.blue_target_group.arn_suffix,
                                       load_balancer.green_target_group.arn_suffix],
        ),
        desired_count=web_settings.desired_count,
        min_count=web_settings.min_count,
        max_count=web_settings.max_count,
        cpu_target=web_settings.cpu_target,
        memory_target=web_settings.memory_target,
        requests_per_target=web_settings.requests_per_target,
        spot=web_settings.spot,
        bake_time_minutes=web_settings.bake_time_minutes,
        health_check_grace_seconds=web_settings.health_check_grace_seconds,
        alarm_names=deployment_alarm_names(data_name),
        account_id=account_id,
        migrations=Migrations(function_name=f"{data_name}-migrate", command=list(web_settings.migration_command),
                              timeout_seconds=web_settings.migration_timeout_seconds),
        **private_app,
    ),
    children,
)
workers = {
    worker_name: WorkerService(
        f"worker-{worker_name}",
        WorkerServiceArgs(
            service_name=f"worker-{worker_name}", cluster_arn=cluster.arn,
            cluster_name=f"{pulumi.get_project()}-{stack}",
            task=app_task(f"worker-{worker_name}", "worker", worker),
            desired_count=worker.desired_count, min_count=worker.min_count, max_count=worker.max_count,
            cpu_target=worker.cpu_target, spot=worker.spot, **private_app,
        ),
        children,
    )
    for worker_name, worker in service_settings.workers.items()
}
jobs = {
    job_name: ScheduledJob(
        f"job-{job_name}",
        ScheduledJobArgs(schedule_name=f"{data_name}-{job_name}", schedule=job.schedule, cluster_arn=cluster.arn,
                         task=app_task(f"job-{job_name}", "job", job), **private_app),
        children,
    )
    for job_name, job in service_settings.jobs.items()
}

waf_settings = settings.waf
if waf_settings.enabled:
    waf = Waf(
        "waf",
        WafArgs(acl_name=data_name, rate_limits=list(waf_settings.rate_limits),
                log_retention_days=waf_settings.log_retention_days, load_balancer_arn=load_balancer.arn,
                kms_key_arn=encryption.key_arn, managed_rule_groups=list(waf_settings.managed_rule_groups)),
        children,
    )

pulumi.export("url", f"https://{lb_settings.domain_name}")
pulumi.export("albArn", load_balancer.arn)
pulumi.export("albDnsName", load_balancer.dns_name)
pulumi.export("httpsListenerArn", load_balancer.https_listener_arn)
pulumi.export("testListenerArn", load_balancer.test_listener_arn)
pulumi.export("productionListenerRuleArn", load_balancer.production_rule_arn)
pulumi.export("testListenerRuleArn", load_balancer.test_rule_arn)
pulumi.export("blueTargetGroupArn", load_balancer.blue_target_group.arn)
pulumi.export("greenTargetGroupArn", load_balancer.green_target_group.arn)
pulumi.export("webServiceName", web.service_name)
pulumi.export("repositoryUrl", image.repository_url)
pulumi.export("maintenanceAdminPaths", list(maintenance.admin_paths))
pulumi.export("maintenanceAllowedCidrs", list(maintenance.allowed_cidrs))

# --- observability ---
from components.alarm_rows import Watched
from components.alarms import Alarms, AlarmsArgs
from components.dashboard import Dashboard, DashboardArgs
from components.notifications import Notifications, NotificationsArgs, Subscribers

alarm_settings = settings.alarms
subscribers = {
    level: Subscribers(emails=list(endpoints.emails), https_endpoints=list(endpoints.https_endpoints))
    for level, endpoints in (("warning", alarm_settings.notifications.warning),
                             ("critical", alarm_settings.notifications.critical))
}
notifications = Notifications(
    "notifications",
    NotificationsArgs(prefix=data_name, kms_key_arn=encryption.key_arn, warning=subscribers["warning"],
                      critical=subscribers["critical"]),
    children,
)
alarms = Alarms(
    "alarms",
    AlarmsArgs(
        prefix=data_name,  # the web service's deployment alarms are named from the same prefix
        watched=Watched(
            load_balancer_arn_suffix=load_balancer.arn_suffix,
            blue_target_group_arn_suffix=load_balancer.blue_target_group.arn_suffix,
            green_target_group_arn_suffix=load_balancer.green_target_group.arn_suffix,
            cluster_name=cluster.cluster_name,
            services={"web": web.service_name,
                      **{f"worker-{worker_name}": worker.service_name for worker_name, worker in workers.items()}},
            db_identifier=data_name,
            db_instance_class=db_settings.instance_class,
            db_allocated_storage_gb=db_settings.allocated_storage_gb,
            cache_group_id=data_name,
            cache_node_type=cache_settings.node_type,
            cache_replicas=cache_settings.replicas,
        ),
        thresholds=alarm_settings,
        log_groups={"web": web.log_group_name,
                    **{f"worker-{worker_name}": worker.log_group_name for worker_name, worker in workers.items()},
                    **{f"job-{job_name}": job.log_group_name for job_name, job in jobs.items()}},
        warning_topic_arn=notifications.warning_topic_arn,
        critical_topic_arn=notifications.critical_topic_arn,
    ),
    children,
)
dashboard = Dashboard(
    "dashboard",
    DashboardArgs(dashboard_name=data_name, region=settings.region, rows=alarms.rows,
                  error_metrics=alarms.error_metrics),
    children,
)
pulumi.export("warningTopicArn", notifications.warning_topic_arn)
pulumi.export("criticalTopicArn", notifications.critical_topic_arn)
pulumi.export("dashboardName", dashboard.dashboard_name)

pulumi.export("region", settings.region)
pulumi.export("backupRegion", settings.backup_region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("isolatedSubnetIds", network.isolated_subnet_ids)
pulumi.export("clusterName", cluster.cluster_name)

"""The data tier: database, cache, backups (bucket, AWS Backup plan, nightly dump) and app secrets."""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from settings.backups import DUMP_DIR, DUMP_FILE
from settings.model import StackSettings

from .app_secrets import AppSecrets, AppSecretsArgs, config_overrides
from .backup_bucket import BackupBucket, BackupBucketArgs, BucketCopy, bucket_name
from .backup_plan import BackupPlan, BackupPlanArgs
from .cache import Cache, CacheArgs
from .database import Database, DatabaseArgs
from .db_dump import DbDump, DbDumpArgs
from .encryption import Encryption
from .wiring import AppWiring


@dataclass(frozen=True, kw_only=True)
class DataTierArgs:
    """Settings, the name prefix, keys, network and cluster the data tier lives in."""

    settings: StackSettings
    prefix: str
    stack: str
    account_id: str
    encryption: Encryption
    vpc_id: pulumi.Input[str]
    isolated_subnet_ids: list[pulumi.Input[str]]
    private_subnet_ids: list[pulumi.Input[str]]
    app_security_group: aws.ec2.SecurityGroup
    cluster_arn: pulumi.Input[str]
    backup_resource_arns: list[pulumi.Input[str]] = field(default_factory=list)  # e.g. EFS volumes


class DataTier(pulumi.ComponentResource):
    """Database, cache, backup bucket and plan, nightly dump, app secrets; `wiring` is what containers get.

    Children keep the names they had before the data tier was a component (`database`, `cache`, ...), so the
    URNs of stateful resources do not change when the program is reorganised."""

    def __init__(self, name: str, args: DataTierArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:data:DataTier", name, None, opts)
        settings, encryption, child = args.settings, args.encryption, pulumi.ResourceOptions(parent=self)
        protect, db = settings.is_production, settings.database
        self.database = Database("database", DatabaseArgs(
            identifier=args.prefix, engine_version=db.engine_version, major_version=db.major_version,
            instance_class=db.instance_class, allocated_storage_gb=db.allocated_storage_gb,
            max_allocated_storage_gb=db.max_allocated_storage_gb, multi_az=db.multi_az, db_name=db.db_name,
            username=db.username, backup_retention_days=db.backup_retention_days, backup_window=db.backup_window,
            maintenance_window=db.maintenance_window, deletion_protection=db.deletion_protection,
            final_snapshot=db.final_snapshot, performance_insights=db.performance_insights,
            monitoring_interval=db.monitoring_interval, slow_query_ms=db.slow_query_ms,
            log_retention_days=db.log_retention_days, kms_key_arn=encryption.key_arn, vpc_id=args.vpc_id,
            subnet_ids=args.isolated_subnet_ids, app_security_group=args.app_security_group,
            account_id=args.account_id, protect=protect, cross_region_backups=db.cross_region_backups,
            backup_region=settings.backup_region, backup_kms_key_arn=encryption.backup_key_arn, proxy=db.proxy,
        ), child)
        cache = settings.cache
        self.cache = Cache("cache", CacheArgs(
            group_id=args.prefix, engine=cache.engine, engine_version=cache.engine_version,
            parameter_family=cache.parameter_family, node_type=cache.node_type, replicas=cache.replicas,
            snapshot_retention_days=cache.snapshot_retention_days, snapshot_window=cache.snapshot_window,
            maintenance_window=cache.maintenance_window, maxmemory_policy=cache.maxmemory_policy,
            kms_key_arn=encryption.key_arn, vpc_id=args.vpc_id, subnet_ids=args.isolated_subnet_ids,
            app_security_group=args.app_security_group,
            secret_recovery_window_days=settings.app_secrets.recovery_window_days, protect=protect,
        ), child)
        self._backups(name, args)
        self.app_secrets = AppSecrets("app-secrets", AppSecretsArgs(
            prefix=args.prefix, names=settings.secret_names, length=settings.app_secrets.length,
            recovery_window_days=settings.app_secrets.recovery_window_days, kms_key_arn=encryption.key_arn,
            overrides=config_overrides(pulumi.Config(), settings.secret_names),
        ), child)
        self.wiring = self._wiring(settings, encryption)
        self.key_arn = encryption.key_arn
        self.register_outputs({"db_identifier": self.database.identifier, "cache_host": self.cache.host})

    def _backups(self, name: str, args: DataTierArgs) -> None:
        settings, encryption, child = args.settings, args.encryption, pulumi.ResourceOptions(parent=self)
        backups, protect = settings.backups, settings.is_production
        self.backup_bucket = BackupBucket("backup-bucket", BackupBucketArgs(
            bucket_name=bucket_name(args.stack, args.account_id, settings.region), region=settings.region,
            kms_key_arn=encryption.key_arn, retention_days=backups.retention_days,
            noncurrent_retention_days=backups.noncurrent_retention_days, account_id=args.account_id,
            protect=protect, object_lock=backups.object_lock, object_lock_days=backups.object_lock_days,
            replica=BucketCopy(bucket_name=bucket_name(args.stack, args.account_id, settings.backup_region),
                               region=settings.backup_region, kms_key_arn=encryption.backup_key_arn)
            if backups.cross_region else None,
        ), child)
        self.backup_plan = BackupPlan("backup-plan", BackupPlanArgs(
            vault_name=args.prefix, copy_vault_name=f"{args.prefix}-copy", backup_region=settings.backup_region,
            kms_key_arn=encryption.key_arn, backup_kms_key_arn=encryption.backup_key_arn,
            schedule=backups.plan_schedule, retention_days=backups.retention_days,
            resource_arns=[self.database.instance.arn, *args.backup_resource_arns], account_id=args.account_id, protect=protect,
        ), child)
        dump = backups.dump
        if dump.enabled:
            DbDump("db-dump", DbDumpArgs(
                family=f"{args.prefix}-db-dump", schedule=dump.schedule, dump_image=dump.image,
                dump_command=list(dump.command), dump_dir=DUMP_DIR, dump_file=DUMP_FILE,
                upload_image=dump.upload_image, cpu=dump.cpu, memory=dump.memory,
                log_retention_days=dump.log_retention_days, db_host=self.database.address,
                db_port=self.database.port, db_name=self.database.db_name, db_user=self.database.username,
                db_secret_arn=self.database.secret_arn, db_kms_key_arn=encryption.key_arn,
                bucket_name=self.backup_bucket.bucket_name, bucket_arn=self.backup_bucket.arn,
                bucket_kms_key_arn=encryption.key_arn, cluster_arn=args.cluster_arn,
                subnet_ids=args.private_subnet_ids, security_group_ids=[args.app_security_group.id],
                region=settings.region, account_id=args.account_id,
            ), child)

    def _wiring(self, settings: StackSettings, encryption: Encryption) -> AppWiring:
        database, cache = self.database, self.cache
        # With RDS Proxy the app authenticates with IAM tokens: its task role may connect as the app user.
        statements = [{"Effect": "Allow", "Action": ["rds-db:connect"], "Resource": [database.iam_connect_arn]}] \
            if database.iam_connect_arn else []
        return AppWiring(
            environment={
                "DB_HOST": database.host, "DB_PORT": str(database.port), "DB_NAME": database.db_name,
                "DB_USER": database.username, "DB_SSL": "true",
                "DB_IAM_AUTH": "true" if settings.database.proxy else "false",
                "REDIS_HOST": cache.host, "REDIS_PORT": str(cache.port), "REDIS_TLS": "true",
            },
            secrets={"DB_PASSWORD": pulumi.Output.concat(database.secret_arn, ":password::"),
                     "REDIS_AUTH_TOKEN": cache.auth_secret_arn, **self.app_secrets.arns},
            secret_arns=[database.secret_arn, cache.auth_secret_arn, *self.app_secrets.arns.values()],
            kms_key_arns=[encryption.key_arn],
            task_role_statements=statements,
        )

    @property
    def outputs(self) -> dict[str, pulumi.Input]:
        """The data keys of the stack outputs contract (docs/outputs.md)."""
        return {
            "dbInstanceIdentifier": self.database.identifier, "dbEndpoint": self.database.endpoint,
            "dbSecretArn": self.database.secret_arn, "dbSubnetGroupName": self.database.subnet_group_name,
            "dbSecurityGroupIds": self.database.security_group_ids, "dbKmsKeyArn": self.key_arn,
            "cacheEndpoint": self.cache.host, "backupBucketName": self.backup_bucket.bucket_name,
            "backupVaultName": self.backup_plan.vault_name, "backupCopyVaultName": self.backup_plan.copy_vault_name,
        }

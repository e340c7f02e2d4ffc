"""The data tier, composed from the stack's data settings: keys, PostgreSQL (+ replicas, proxy, app users), the
optional cache, app storage buckets, backups (bucket, dump, AWS Backup) and app secrets; and what app containers
get from it (`wiring`, `service_wiring(name)`)."""

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from contract.names import physical_name
from settings.backups import DUMP_DIR, DUMP_FILE, postgres_image
from settings.cache import CacheSettings
from settings.storage import StorageSettings

from .app_bucket import AppBucket, AppBucketArgs, app_bucket_name
from .app_secrets import AppSecrets, AppSecretsArgs, config_overrides
from .backup_bucket import BackupBucket, BackupBucketArgs, BucketCopy
from .backup_plan import BackupPlan, BackupPlanArgs
from .cache import Cache, CacheArgs
from .database import Database, DatabaseArgs
from .db_app_user import DbAppUser, DbAppUserArgs, DbAppUserNames, proxy_user_secret
from .db_dump import DbDump, DbDumpArgs
from .encryption import Encryption
from .security import allow_all_egress, security_group
from .moved import MOVED
from .wiring import AppWiring

TASKS_CLIENT = "data-tasks"  # the data tier's own tasks (pg_dump, database users) as a database client
LEGACY_CLIENT = "app"  # the one shared app group of the program before every service had its own
RESERVED_CLIENTS = (TASKS_CLIENT, "proxy")  # `database-from-proxy` is the proxy's own rule
# Children that existed at the top level before the DataTier keep their names; the alias moves them under it
# without replacing anything (an RDS instance or a cache must never be replaced by a refactoring).


def backups_bucket_name(prefix: str, account_id: str, region: str) -> str:
    """`<prefix>-backups-<account>-<region>` (`nodeapi-<stack>-...` for the default app name), within S3's rules."""
    return physical_name("s3-bucket", prefix, "backups", account_id, region)


@dataclass(frozen=True, kw_only=True)
class DataTierArgs:
    """The stack settings (the data tier reads `database`, `cache`, `backups`, `appSecrets`, `storage` and the
    secret names), the physical-name prefix, the keys, network and cluster it lives in, and who may connect.

    `client_security_groups`: name -> group of every app service; each gets its own ingress rule on PostgreSQL,
    the proxy and the cache (`database-from-<name>`), so adding or removing a service touches only its rules.
    `app_security_group`: the one shared group of the program before that (client name `app`); give one of the two.
    `backup_resource_arns`: more resources for the AWS Backup selection (or call `add_backup_resources` later).
    `ready`: what the first database-users run needs besides the database (the network: its NAT routes, as the
    task pulls the postgres image from ECR Public).
    """

    settings: Any  # StackSettings (not imported: settings.model imports the sections this module uses)
    prefix: str
    stack: str  # the app name is the prefix without `-<stack>` (the dump's log group is `/<app>/<family>`)
    account_id: str
    encryption: Encryption
    vpc_id: pulumi.Input[str]
    isolated_subnet_ids: list[pulumi.Input[str]]
    private_subnet_ids: list[pulumi.Input[str]]
    cluster_arn: pulumi.Input[str]
    client_security_groups: dict[str, aws.ec2.SecurityGroup] = field(default_factory=dict)
    app_security_group: aws.ec2.SecurityGroup | None = None
    backup_resource_arns: list[pulumi.Input[str]] = field(default_factory=list)
    ready: list[pulumi.Resource] = field(default_factory=list)

    @property
    def app_name(self) -> str:
        return self.prefix.removesuffix(f"-{self.stack}")

    @property
    def clients(self) -> dict[str, aws.ec2.SecurityGroup]:
        """The app's groups by name."""
        if self.client_security_groups:
            return dict(self.client_security_groups)
        return {LEGACY_CLIENT: self.app_security_group} if self.app_security_group is not None else {}

    @property
    def cache(self) -> CacheSettings | None:
        """The cache settings when a cache exists (a `cache` section that is not `enabled: false`)."""
        cache = getattr(self.settings, "cache", None)
        return cache if cache is not None and cache.enabled else None

    @property
    def storage(self) -> StorageSettings:
        """`storage` (empty while the stack model has no such section)."""
        return getattr(self.settings, "storage", None) or StorageSettings()


def check_clients(clients: dict[str, aws.ec2.SecurityGroup]) -> None:
    """Client names become rule names: refuse the ones the data tier uses itself."""
    taken = [name for name in clients if name in RESERVED_CLIENTS]
    if taken:
        raise ValueError(f"client_security_groups: {', '.join(taken)} is reserved by the data tier "
                         f"({', '.join(RESERVED_CLIENTS)})")


class DataTier(pulumi.ComponentResource):
    """Everything the app's data lives in, and the wiring app containers need to reach it."""

    def __init__(self, name: str, args: DataTierArgs, opts: pulumi.ResourceOptions | None = None):
        if bool(args.client_security_groups) == (args.app_security_group is not None):
            raise ValueError("DataTierArgs: give client_security_groups (one group per service) or the legacy "
                             "app_security_group, not both and not neither")
        check_clients(args.client_security_groups)
        super().__init__("nodeapi:data:DataTier", name, None, opts)
        self._name, self._args = name, args
        settings, prefix, db = args.settings, args.prefix, args.settings.database
        self.encryption = args.encryption
        self.key_arn, self.backup_key_arn = self.encryption.key_arn, self.encryption.backup_key_arn
        self.tasks_security_group = self._tasks_security_group(name, args)
        self.proxy_secrets = {
            user: proxy_user_secret(f"{name}-proxy-{user}", prefix=prefix, user=user, kms_key_arn=self.key_arn,
                                    recovery_window_days=settings.app_secrets.recovery_window_days, parent=self)
            for user in db.app_login_users} if db.proxy else {}
        self.database = self._database(args)
        self.cache = self._cache(args) if args.cache is not None else None
        self.buckets = {bucket: self._bucket(name, args, bucket) for bucket in args.storage.buckets}
        self.backup_bucket = self._backup_bucket(args)
        self.backup_plan = self._backup_plan(args)
        self.db_dump = self._db_dump(args) if settings.backups.dump.enabled else None
        names = list(settings.secret_names)
        self.app_secrets = AppSecrets("app-secrets", AppSecretsArgs(
            prefix=prefix, names=names, length=settings.app_secrets.length,
            recovery_window_days=settings.app_secrets.recovery_window_days, kms_key_arn=self.key_arn,
            overrides=config_overrides(pulumi.Config(), names)), self._moved())
        self.app_user = self._app_user(name, args)
        self.bootstrap_task = self.app_user.bootstrap_task
        self.ready = self.app_user.sync  # app services depend on it: users and URLs are in place first
        self.wiring = self._wiring(args)
        self.outputs = self._outputs(args)
        self.register_outputs({"key_arn": self.key_arn, "backup_key_arn": self.backup_key_arn, **self.outputs})

    def _moved(self) -> pulumi.ResourceOptions:
        """A pre-DataTier child: parented here, aliased to its old top-level URN."""
        return pulumi.ResourceOptions(parent=self, aliases=[MOVED])

    def _tasks_security_group(self, name: str, args: DataTierArgs) -> aws.ec2.SecurityGroup:
        """The data tier's own tasks: out to the database, ECR Public, S3, Secrets Manager and logs."""
        group = security_group(f"{name}-tasks-sg", vpc_id=args.vpc_id, parent=self,
                               description=f"{args.prefix}: data tier tasks (pg_dump, database users)")
        allow_all_egress(f"{name}-tasks-egress", group=group, parent=self,
                         description="images, S3, Secrets Manager, logs and the database")
        return group

    def _database(self, args: DataTierArgs) -> Database:
        settings, db = args.settings, args.settings.database
        return Database("database", DatabaseArgs(
            identifier=physical_name("rds-instance", args.prefix), engine_version=db.engine_version, major_version=db.major_version,
            instance_class=db.instance_class, allocated_storage_gb=db.allocated_storage_gb,
            max_allocated_storage_gb=db.max_allocated_storage_gb, multi_az=db.multi_az, db_name=db.db_name,
            username=db.username, backup_retention_days=db.backup_retention_days, backup_window=db.backup_window,
            maintenance_window=db.maintenance_window, deletion_protection=db.deletion_protection,
            final_snapshot=db.final_snapshot, performance_insights=db.performance_insights,
            monitoring_interval=db.monitoring_interval, slow_query_ms=db.slow_query_ms,
            log_retention_days=db.log_retention_days, kms_key_arn=self.key_arn, vpc_id=args.vpc_id,
            subnet_ids=list(args.isolated_subnet_ids), account_id=args.account_id, protect=settings.is_production,
            client_security_groups={**args.clients, TASKS_CLIENT: self.tasks_security_group},
            proxy_client_security_groups=args.clients,
            cross_region_backups=db.cross_region_backups, backup_region=settings.backup_region,
            backup_kms_key_arn=self.backup_key_arn, proxy=db.proxy,
            proxy_users={user: secret.arn for user, secret in self.proxy_secrets.items()},
            proxy_iam_auth=db.proxy_iam_auth, parameters=db.parameter_values,
            read_replicas=db.read_replicas.count, replica_instance_class=db.read_replicas.instance_class,
        ), self._moved())

    def _cache(self, args: DataTierArgs) -> Cache:
        cache, settings = args.cache, args.settings
        return Cache("cache", CacheArgs(
            group_id=physical_name("cache-replication-group", args.prefix), engine=cache.engine, engine_version=cache.engine_version,
            parameter_family=cache.parameter_family, node_type=cache.node_type, replicas=cache.replicas,
            snapshot_retention_days=cache.snapshot_retention_days, snapshot_window=cache.snapshot_window,
            maintenance_window=cache.maintenance_window, maxmemory_policy=cache.maxmemory_policy,
            kms_key_arn=self.key_arn, vpc_id=args.vpc_id, subnet_ids=list(args.isolated_subnet_ids),
            secret_recovery_window_days=settings.app_secrets.recovery_window_days, protect=settings.is_production,
            client_security_groups=args.clients, shards=cache.shards,
            ephemeral=cache.ephemeral, url_secret=True,
        ), self._moved())

    def _bucket(self, name: str, args: DataTierArgs, bucket: str) -> AppBucket:
        settings = args.storage.buckets[bucket]
        return AppBucket(f"{name}-storage-{bucket}", AppBucketArgs(
            bucket_name=app_bucket_name(args.prefix, bucket, args.account_id, args.settings.region),
            kms_key_arn=self.key_arn, region=args.settings.region, protect=args.settings.is_production,
            versioned=settings.versioned,
            lifecycle=list(settings.lifecycle), cors=settings.cors,
        ), pulumi.ResourceOptions(parent=self))

    def _backup_bucket(self, args: DataTierArgs) -> BackupBucket:
        settings, backups = args.settings, args.settings.backups
        return BackupBucket("backup-bucket", BackupBucketArgs(
            bucket_name=backups_bucket_name(args.prefix, args.account_id, settings.region), region=settings.region,
            kms_key_arn=self.key_arn, retention_days=backups.retention_days,
            noncurrent_retention_days=backups.noncurrent_retention_days, account_id=args.account_id,
            protect=settings.is_production, object_lock=backups.object_lock,
            object_lock_days=backups.object_lock_days,
            replica=BucketCopy(bucket_name=backups_bucket_name(args.prefix, args.account_id, settings.backup_region),
                               region=settings.backup_region, kms_key_arn=self.backup_key_arn)
            if backups.cross_region else None,
        ), self._moved())

    def _backup_plan(self, args: DataTierArgs) -> BackupPlan:
        backed_up = [self.buckets[bucket].arn for bucket, settings in args.storage.buckets.items() if settings.backup]
        settings = args.settings
        return BackupPlan("backup-plan", BackupPlanArgs(
            vault_name=physical_name("backup-vault", args.prefix),
            copy_vault_name=physical_name("backup-vault", args.prefix, "copy"), backup_region=settings.backup_region,
            kms_key_arn=self.key_arn, backup_kms_key_arn=self.backup_key_arn,
            schedule=settings.backups.plan_schedule, retention_days=settings.backups.retention_days,
            resource_arns=[self.database.instance.arn, *backed_up, *args.backup_resource_arns],
            account_id=args.account_id, protect=settings.is_production, s3=bool(backed_up),
            copy=settings.backups.cross_region,
        ), self._moved())

    def _db_dump(self, args: DataTierArgs) -> DbDump:
        dump, family = args.settings.backups.dump, f"{args.prefix}-db-dump"
        return DbDump("db-dump", DbDumpArgs(
            family=family, schedule=dump.schedule, dump_image=dump.image,
            major_version=args.settings.database.major_version,
            dump_command=list(dump.command), dump_dir=DUMP_DIR, dump_file=DUMP_FILE, upload_image=dump.upload_image,
            cpu=dump.cpu, memory=dump.memory, log_retention_days=dump.log_retention_days,
            log_group_name=f"/{args.app_name}/{family}", db_host=self.database.address, db_port=self.database.port,
            db_name=self.database.db_name, db_user=self.database.username, db_secret_arn=self.database.secret_arn,
            db_kms_key_arn=self.key_arn, bucket_name=self.backup_bucket.bucket_name, bucket_arn=self.backup_bucket.arn,
            bucket_kms_key_arn=self.key_arn, cluster_arn=args.cluster_arn, subnet_ids=list(args.private_subnet_ids),
            security_group_ids=[self.tasks_security_group.id], region=args.settings.region,
            account_id=args.account_id,
        ), self._moved())

    def _app_user(self, name: str, args: DataTierArgs) -> DbAppUser:
        settings, db, database, prefix = args.settings, args.settings.database, self.database, args.prefix
        # With IAM proxy auth the proxy refuses passwords: DATABASE_URL then goes to the instance itself.
        url_host = database.proxy.endpoint if database.proxy is not None and not db.proxy_iam_auth \
            else database.address
        return DbAppUser(f"{name}-app-user", DbAppUserArgs(
            prefix=prefix, names=DbAppUserNames(
                bootstrap_family=physical_name("ecs-task-family", prefix, "db-users"),
                rotate_family=physical_name("ecs-task-family", prefix, "db-users-rotate"),
                function=physical_name("lambda-function", prefix, "db-credentials"),
                log_group=physical_name("log-group", "ecs", prefix, "db-users")),
            owner=db.app_user, login_users=db.app_login_users,
            master_username=db.username, master_secret_arn=database.secret_arn, db_address=database.address,
            url_host=url_host, port=database.port, db_name=db.db_name, read_hosts=list(database.replica_addresses),
            proxy_secrets=dict(self.proxy_secrets), image=postgres_image(db.major_version), kms_key_arn=self.key_arn,
            cluster_arn=args.cluster_arn, subnet_ids=list(args.private_subnet_ids),
            security_group_ids=[self.tasks_security_group.id], rotation_days=db.credential_rotation_days,
            log_retention_days=db.log_retention_days, recovery_window_days=settings.app_secrets.recovery_window_days,
            region=settings.region, account_id=args.account_id, ready=list(args.ready),
        ), pulumi.ResourceOptions(parent=self))

    def _wiring(self, args: DataTierArgs) -> AppWiring:
        """What every app container gets; never the RDS-managed master secret."""
        db, database, user_secret = args.settings.database, self.database, self.app_user.secret_arn
        environment: dict[str, pulumi.Input[str]] = {
            "DB_HOST": database.host, "DB_PORT": str(database.port), "DB_NAME": db.db_name, "DB_SSL": "true",
            "DB_IAM_AUTH": "true" if db.proxy_iam_auth else "false",
        }
        secrets: dict[str, pulumi.Input[str]] = {
            "DATABASE_URL": pulumi.Output.concat(user_secret, ":url::"),
            "DB_USER": pulumi.Output.concat(user_secret, ":username::"),
            "DB_PASSWORD": pulumi.Output.concat(user_secret, ":password::"),
        }
        if db.read_replicas.count:
            secrets["DATABASE_READ_URL"] = pulumi.Output.concat(user_secret, ":readUrl::")
            secrets["DATABASE_READ_URLS"] = pulumi.Output.concat(user_secret, ":readUrls::")
        secret_arns: list[pulumi.Input[str]] = [user_secret]
        if self.cache is not None:
            environment.update({"REDIS_HOST": self.cache.host, "REDIS_PORT": str(self.cache.port), "REDIS_TLS": "true",
                                "REDIS_CLUSTER": "true" if self.cache.cluster_mode else "false"})
            secrets.update({"REDIS_URL": self.cache.url_secret_arn, "REDIS_AUTH_TOKEN": self.cache.auth_secret_arn})
            secret_arns += [self.cache.url_secret_arn, self.cache.auth_secret_arn]
        secrets.update(self.app_secrets.arns)
        secret_arns += list(self.app_secrets.arns.values())
        connect = [{"Effect": "Allow", "Action": ["rds-db:connect"], "Resource": list(database.iam_connect_arns)}] \
            if database.iam_connect_arns else []
        return AppWiring(environment=environment, secrets=secrets, secret_arns=secret_arns,
                         kms_key_arns=[self.key_arn], task_role_statements=connect)

    def service_wiring(self, service: str) -> AppWiring:
        """`wiring` plus the storage buckets this service names: `<NAME>_BUCKET` and read/write on each."""
        buckets = {bucket: settings for bucket, settings in self._args.storage.buckets.items()
                   if service in settings.services}
        return self.wiring.merged(AppWiring(
            environment={settings.variable(bucket): self.buckets[bucket].bucket_name
                         for bucket, settings in buckets.items()},
            task_role_statements=[statement for bucket in buckets for statement in self.buckets[bucket].statements()],
        ))

    def add_backup_resources(self, key: str, resource_arns: list[pulumi.Input[str]]) -> aws.backup.Selection:
        """Put more resources (EFS file systems...) in the AWS Backup plan: selection `<prefix>-<key>`."""
        return self.backup_plan.add_selection(key, resource_arns)

    def _outputs(self, args: DataTierArgs) -> dict[str, Any]:
        """The data keys of docs/outputs.md (names kept), and the DataTier's new ones."""
        database = self.database
        outputs: dict[str, Any] = {
            "dbInstanceIdentifier": database.identifier,
            "dbEndpoint": database.endpoint,
            "dbSecretArn": database.secret_arn,
            "dbAppSecretArn": self.app_user.secret_arn,
            "dbReplicaIdentifiers": list(database.replica_identifiers),
            "dbSubnetGroupName": database.subnet_group_name,
            "dbSecurityGroupIds": database.security_group_ids,
            "dbKmsKeyArn": self.key_arn,
            "backupKmsKeyArn": self.backup_key_arn,
            "backupBucketName": self.backup_bucket.bucket_name,
            "backupVaultName": self.backup_plan.vault_name,
            "backupCopyVaultName": self.backup_plan.copy_vault_name,
            "storageBuckets": {bucket: self.buckets[bucket].bucket_name for bucket in args.storage.buckets},
        }
        if self.cache is not None:
            outputs["cacheEndpoint"] = self.cache.host
            outputs["cacheMemberIds"] = list(self.cache.member_ids)
        return outputs

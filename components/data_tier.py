"""The data tier, composed from the stack's data settings: keys, PostgreSQL (+ replicas, proxy, app users), the
optional cache, app storage buckets, backups (bucket, dump, AWS Backup) and app secrets; and what app containers
get from it (`wiring`, `service_wiring(name)`)."""

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.app_secrets import AppSecretsSettings
from settings.backups import DUMP_DIR, DUMP_FILE, BackupSettings, postgres_image
from settings.cache import CacheSettings
from settings.database import DatabaseSettings
from settings.storage import StorageSettings

from .app_bucket import AppBucket, AppBucketArgs, app_bucket_name
from .app_secrets import AppSecrets, AppSecretsArgs
from .backup_bucket import BackupBucket, BackupBucketArgs, BucketCopy
from .backup_plan import BackupPlan, BackupPlanArgs
from .cache import Cache, CacheArgs
from .database import Database, DatabaseArgs
from .db_app_user import DbAppUser, DbAppUserArgs, proxy_user_secret
from .db_dump import DbDump, DbDumpArgs
from .encryption import Encryption, EncryptionArgs
from .security import allow_all_egress, security_group
from .wiring import AppWiring

TASKS_CLIENT = "data-tasks"  # the data tier's own tasks (pg_dump, database users) as a database client
RESERVED_CLIENTS = (TASKS_CLIENT, "proxy")  # `database-from-proxy` is the proxy's own rule
# Children that existed at the top level before the DataTier keep their names; the alias moves them under it
# without replacing anything (an RDS instance, a cache or a KMS key must never be replaced by a refactoring).
MOVED = pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)


def backups_bucket_name(prefix: str, account_id: str, region: str) -> str:
    """`<prefix>-backups-<account>-<region>` (`nodeapi-<stack>-...` for the default app name)."""
    return f"{prefix}-backups-{account_id}-{region}"


@dataclass(frozen=True, kw_only=True)
class DataTierArgs:
    """The data settings (sections as parsed), the network and cluster it lives in, who may connect.

    `client_security_groups`: name -> group of every app service; each gets its own ingress rule on PostgreSQL,
    the proxy and the cache (`database-from-<name>`), so adding or removing a service touches only its rules.
    `backup_resource_arns`: more resources for the AWS Backup selection (or call `add_backup_resources` later).
    `ready`: what the first database-users run needs besides the database (the network's NAT routes: the task
    pulls the postgres image from ECR Public).
    """

    app_name: str
    stack: str
    region: str
    backup_region: str
    production: bool
    database: DatabaseSettings
    cache: CacheSettings | None
    backups: BackupSettings
    app_secrets: AppSecretsSettings
    storage: StorageSettings
    account_id: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: list[pulumi.Input[str]]
    isolated_subnet_ids: list[pulumi.Input[str]]
    client_security_groups: dict[str, aws.ec2.SecurityGroup]
    cluster_arn: pulumi.Input[str]
    cluster_name: str
    secret_overrides: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    backup_resource_arns: list[pulumi.Input[str]] = field(default_factory=list)
    ready: list[pulumi.Resource] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Any, **wiring: Any) -> "DataTierArgs":
        """The data sections of a StackSettings (`cache` may be absent), plus the wiring arguments."""
        return cls(region=settings.region, backup_region=settings.backup_region, production=settings.is_production,
                   database=settings.database, cache=settings.cache, backups=settings.backups,
                   app_secrets=settings.app_secrets, storage=settings.storage, **wiring)

    @property
    def prefix(self) -> str:
        """The physical-name prefix: `<app>-<stack>` (RDS identifier, cache group, vaults, secrets, families)."""
        return f"{self.app_name}-{self.stack}"

    @property
    def cache_enabled(self) -> bool:
        """A cache exists: the section is present and not `enabled: false`."""
        return self.cache is not None and self.cache.enabled


def check_clients(clients: dict[str, aws.ec2.SecurityGroup]) -> None:
    """Client names become rule names: refuse the ones the data tier uses itself."""
    taken = [name for name in clients if name in RESERVED_CLIENTS]
    if taken:
        raise ValueError(f"client_security_groups: {', '.join(taken)} is reserved by the data tier "
                         f"({', '.join(RESERVED_CLIENTS)})")


class DataTier(pulumi.ComponentResource):
    """Everything the app's data lives in, and the wiring app containers need to reach it."""

    def __init__(self, name: str, args: DataTierArgs, opts: pulumi.ResourceOptions | None = None):
        check_clients(args.client_security_groups)
        super().__init__("nodeapi:data:DataTier", name, None, opts)
        self._name, self._args = name, args
        prefix, db = args.prefix, args.database
        self.encryption = Encryption("encryption", EncryptionArgs(
            alias=prefix, region=args.region, backup_region=args.backup_region, account_id=args.account_id,
            protect=args.production), self._moved())
        self.key_arn, self.backup_key_arn = self.encryption.key_arn, self.encryption.backup_key_arn
        self.tasks_security_group = self._tasks_security_group(name, args)
        self.proxy_secrets = {
            user: proxy_user_secret(f"{name}-proxy-{user}", prefix=prefix, user=user, kms_key_arn=self.key_arn,
                                    recovery_window_days=args.app_secrets.recovery_window_days, parent=self)
            for user in db.app_login_users} if db.proxy else {}
        self.database = self._database(args)
        self.cache = self._cache(args) if args.cache_enabled else None
        self.buckets = {bucket: self._bucket(name, args, bucket) for bucket in args.storage.buckets}
        self.backup_bucket = self._backup_bucket(args)
        self.backup_plan = self._backup_plan(args)
        self.db_dump = self._db_dump(args) if args.backups.dump.enabled else None
        self.app_secret_store = AppSecrets("app-secrets", AppSecretsArgs(
            prefix=prefix, names=list(args.app_secrets.names), length=args.app_secrets.length,
            recovery_window_days=args.app_secrets.recovery_window_days, kms_key_arn=self.key_arn,
            overrides=dict(args.secret_overrides)), self._moved())
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
        db = args.database
        return Database("database", DatabaseArgs(
            identifier=args.prefix, engine_version=db.engine_version, major_version=db.major_version,
            instance_class=db.instance_class, allocated_storage_gb=db.allocated_storage_gb,
            max_allocated_storage_gb=db.max_allocated_storage_gb, multi_az=db.multi_az, db_name=db.db_name,
            username=db.username, backup_retention_days=db.backup_retention_days, backup_window=db.backup_window,
            maintenance_window=db.maintenance_window, deletion_protection=db.deletion_protection,
            final_snapshot=db.final_snapshot, performance_insights=db.performance_insights,
            monitoring_interval=db.monitoring_interval, slow_query_ms=db.slow_query_ms,
            log_retention_days=db.log_retention_days, kms_key_arn=self.key_arn, vpc_id=args.vpc_id,
            subnet_ids=list(args.isolated_subnet_ids), account_id=args.account_id, protect=args.production,
            client_security_groups={**args.client_security_groups, TASKS_CLIENT: self.tasks_security_group},
            proxy_client_security_groups=dict(args.client_security_groups),
            cross_region_backups=db.cross_region_backups, backup_region=args.backup_region,
            backup_kms_key_arn=self.backup_key_arn, proxy=db.proxy,
            proxy_users={user: secret.arn for user, secret in self.proxy_secrets.items()},
            proxy_iam_auth=db.proxy_iam_auth, parameters=db.parameter_values,
            read_replicas=db.read_replicas.count, replica_instance_class=db.read_replicas.instance_class,
        ), self._moved())

    def _cache(self, args: DataTierArgs) -> Cache:
        cache = args.cache
        return Cache("cache", CacheArgs(
            group_id=args.prefix, engine=cache.engine, engine_version=cache.engine_version,
            parameter_family=cache.parameter_family, node_type=cache.node_type, replicas=cache.replicas,
            snapshot_retention_days=cache.snapshot_retention_days, snapshot_window=cache.snapshot_window,
            maintenance_window=cache.maintenance_window, maxmemory_policy=cache.maxmemory_policy,
            kms_key_arn=self.key_arn, vpc_id=args.vpc_id, subnet_ids=list(args.isolated_subnet_ids),
            secret_recovery_window_days=args.app_secrets.recovery_window_days, protect=args.production,
            client_security_groups=dict(args.client_security_groups), shards=cache.shards,
            ephemeral=cache.ephemeral, url_secret=True,
        ), self._moved())

    def _bucket(self, name: str, args: DataTierArgs, bucket: str) -> AppBucket:
        settings = args.storage.buckets[bucket]
        return AppBucket(f"{name}-storage-{bucket}", AppBucketArgs(
            bucket_name=app_bucket_name(args.prefix, bucket, args.account_id, args.region), kms_key_arn=self.key_arn,
            region=args.region, protect=args.production, versioned=settings.versioned,
            lifecycle=list(settings.lifecycle), cors=settings.cors,
        ), pulumi.ResourceOptions(parent=self))

    def _backup_bucket(self, args: DataTierArgs) -> BackupBucket:
        backups = args.backups
        return BackupBucket("backup-bucket", BackupBucketArgs(
            bucket_name=backups_bucket_name(args.prefix, args.account_id, args.region), region=args.region,
            kms_key_arn=self.key_arn, retention_days=backups.retention_days,
            noncurrent_retention_days=backups.noncurrent_retention_days, account_id=args.account_id,
            protect=args.production, object_lock=backups.object_lock, object_lock_days=backups.object_lock_days,
            replica=BucketCopy(bucket_name=backups_bucket_name(args.prefix, args.account_id, args.backup_region),
                               region=args.backup_region, kms_key_arn=self.backup_key_arn)
            if backups.cross_region else None,
        ), self._moved())

    def _backup_plan(self, args: DataTierArgs) -> BackupPlan:
        backed_up = [self.buckets[bucket].arn for bucket, settings in args.storage.buckets.items() if settings.backup]
        return BackupPlan("backup-plan", BackupPlanArgs(
            vault_name=args.prefix, copy_vault_name=f"{args.prefix}-copy", backup_region=args.backup_region,
            kms_key_arn=self.key_arn, backup_kms_key_arn=self.backup_key_arn, schedule=args.backups.plan_schedule,
            retention_days=args.backups.retention_days,
            resource_arns=[self.database.instance.arn, *backed_up, *args.backup_resource_arns],
            account_id=args.account_id, protect=args.production, s3=bool(backed_up),
        ), self._moved())

    def _db_dump(self, args: DataTierArgs) -> DbDump:
        dump, family = args.backups.dump, f"{args.prefix}-db-dump"
        return DbDump("db-dump", DbDumpArgs(
            family=family, schedule=dump.schedule, dump_image=dump.image, major_version=args.database.major_version,
            dump_command=list(dump.command), dump_dir=DUMP_DIR, dump_file=DUMP_FILE, upload_image=dump.upload_image,
            cpu=dump.cpu, memory=dump.memory, log_retention_days=dump.log_retention_days,
            log_group_name=f"/{args.app_name}/{family}", db_host=self.database.address, db_port=self.database.port,
            db_name=self.database.db_name, db_user=self.database.username, db_secret_arn=self.database.secret_arn,
            db_kms_key_arn=self.key_arn, bucket_name=self.backup_bucket.bucket_name, bucket_arn=self.backup_bucket.arn,
            bucket_kms_key_arn=self.key_arn, cluster_arn=args.cluster_arn, subnet_ids=list(args.private_subnet_ids),
            security_group_ids=[self.tasks_security_group.id], region=args.region, account_id=args.account_id,
        ), self._moved())

    def _app_user(self, name: str, args: DataTierArgs) -> DbAppUser:
        db, database = args.database, self.database
        # With IAM proxy auth the proxy refuses passwords: DATABASE_URL then goes to the instance itself.
        url_host = database.proxy.endpoint if database.proxy is not None and not db.proxy_iam_auth \
            else database.address
        return DbAppUser(f"{name}-app-user", DbAppUserArgs(
            prefix=args.prefix, log_prefix=f"/{args.app_name}", owner=db.app_user, login_users=db.app_login_users,
            master_username=db.username, master_secret_arn=database.secret_arn, db_address=database.address,
            url_host=url_host, port=database.port, db_name=db.db_name, read_hosts=list(database.replica_addresses),
            proxy_secrets=dict(self.proxy_secrets), image=postgres_image(db.major_version), kms_key_arn=self.key_arn,
            cluster_arn=args.cluster_arn, cluster_name=args.cluster_name, subnet_ids=list(args.private_subnet_ids),
            security_group_ids=[self.tasks_security_group.id], rotation_days=db.credential_rotation_days,
            log_retention_days=db.log_retention_days, recovery_window_days=args.app_secrets.recovery_window_days,
            region=args.region, account_id=args.account_id, ready=list(args.ready),
        ), pulumi.ResourceOptions(parent=self))

    def _wiring(self, args: DataTierArgs) -> AppWiring:
        """What every app container gets; never the RDS-managed master secret."""
        db, database, user_secret = args.database, self.database, self.app_user.secret_arn
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
        secrets.update(self.app_secret_store.arns)
        secret_arns += list(self.app_secret_store.arns.values())
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

"""RDS PostgreSQL in the isolated subnets: encrypted, AWS-managed password, IAM auth, logs, backups, replicas."""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from contract.names import physical_name
from settings.postgres import IMMEDIATE, apply_method

from .final_snapshot import final_snapshot_name
from .iam import service_role
from .security import allow_from, security_group

PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
LEGACY_CLIENT = "app"  # the single shared app security group of the pre-DataTier program


def db_parameters(slow_query_ms: int, extra: dict[str, str] | None = None) -> list[dict[str, str]]:
    """TLS only, slow queries and every connection logged (dynamic: applied at once), then the settings'
    parameters by name, each with the apply method RDS accepts for it (static ones at the next reboot)."""
    own = [
        {"name": "rds.force_ssl", "value": "1", "apply_method": IMMEDIATE},
        {"name": "log_min_duration_statement", "value": str(slow_query_ms), "apply_method": IMMEDIATE},
        {"name": "log_connections", "value": "1", "apply_method": IMMEDIATE},
        {"name": "log_disconnections", "value": "1", "apply_method": IMMEDIATE},
        {"name": "log_lock_waits", "value": "1", "apply_method": IMMEDIATE},
    ]
    return own + [{"name": name, "value": value, "apply_method": apply_method(name)}
                  for name, value in sorted((extra or {}).items())]


def replica_identifier(identifier: str, index: int) -> str:
    """`<identifier>-replica-1`, `-replica-2`, ... (stable: alarms and dashboards name them), within RDS's 63."""
    return physical_name("rds-instance", identifier, f"replica-{index}")


def connect_arn(proxy_arn: str, account_id: str, username: str) -> str:
    """The rds-db:connect resource of one database user through a proxy (`dbuser:prx-<id>/<user>`)."""
    parts = proxy_arn.split(":")
    return f"arn:aws:rds-db:{parts[3]}:{account_id}:dbuser:{parts[-1]}/{username}"


def master_secret_arn(secrets) -> str:
    """The ARN of the AWS-managed master user secret (output objects or, under some SDKs, dicts)."""
    first = secrets[0]
    return first["secret_arn"] if isinstance(first, dict) else first.secret_arn


@dataclass(frozen=True, kw_only=True)
class DatabaseArgs:
    """Everything is explicit; `identifier` is the stable RDS identifier the day-2 commands use."""

    identifier: str
    engine_version: str
    major_version: int
    instance_class: str
    allocated_storage_gb: int
    max_allocated_storage_gb: int
    multi_az: bool
    db_name: str
    username: str
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    deletion_protection: bool
    final_snapshot: bool
    performance_insights: bool
    monitoring_interval: int
    slow_query_ms: int
    log_retention_days: int
    kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    account_id: str
    protect: bool
    # Who may connect: one ingress rule per named group (`<name>-from-<client>`); the pre-DataTier program
    # passes its one `app_security_group` instead.
    client_security_groups: dict[str, aws.ec2.SecurityGroup] = field(default_factory=dict)
    app_security_group: aws.ec2.SecurityGroup | None = None
    cross_region_backups: bool = False
    backup_region: str | None = None
    backup_kms_key_arn: pulumi.Input[str] | None = None
    proxy: bool = False
    # The proxy logs in as these users (username -> Secrets Manager secret with username and password); clients
    # authenticate with those passwords, or with IAM tokens when `proxy_iam_auth`. Empty: the pre-DataTier
    # behaviour (the master secret, IAM required).
    proxy_users: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    proxy_iam_auth: bool = False
    # Who may reach the proxy (None: the same groups as the instance).
    proxy_client_security_groups: dict[str, aws.ec2.SecurityGroup] | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    read_replicas: int = 0
    replica_instance_class: str | None = None

    def clients(self) -> dict[str, aws.ec2.SecurityGroup]:
        """The groups allowed in, by name."""
        if self.client_security_groups:
            return dict(self.client_security_groups)
        return {LEGACY_CLIENT: self.app_security_group} if self.app_security_group is not None else {}


class Database(pulumi.ComponentResource):
    """One PostgreSQL instance reachable only from the app security group (optionally through RDS Proxy)."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:database:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=args.identifier,
            description=f"{args.identifier}: isolated subnets",
            subnet_ids=args.subnet_ids,
            tags={"Name": args.identifier},
            opts=child,
        )
        self.security_group = security_group(
            f"{name}-sg", vpc_id=args.vpc_id, description=f"{args.identifier}: PostgreSQL", parent=self
        )
        for client, group in args.clients().items():
            allow_from(
                f"{name}-from-{client}", group=self.security_group, source=group, port=PORT,
                description=f"{client} tasks reach PostgreSQL", parent=self,
            )
        self.parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            name=f"{args.identifier}-pg{args.major_version}",
            family=f"postgres{args.major_version}",
            description=f"{args.identifier}: TLS only, slow query and connection logging",
            parameters=db_parameters(args.slow_query_ms, args.parameters),
            opts=child,
        )
        log_groups = self._log_groups(name, args.identifier, args)
        monitoring_role, attachment = self._monitoring_role(name, args) if args.monitoring_interval else (None, None)
        self._monitoring_role_arn = monitoring_role.arn if monitoring_role else None
        # RDS checks the role's permissions when it creates or modifies the instance; the ARN alone would let the
        # instance go first and fail with "IAM role ARN value is invalid or does not include the required
        # permissions for: ENHANCED_MONITORING". Instances wait for the policy attachment too.
        self._monitoring_ready: list[pulumi.Resource] = [attachment] if attachment else []
        self.instance = aws.rds.Instance(
            name,
            identifier=args.identifier,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage_gb,
            db_name=args.db_name,
            username=args.username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.kms_key_arn,
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            backup_window=args.backup_window,
            delete_automated_backups=False,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=not args.final_snapshot,
            final_snapshot_identifier=final_snapshot_name(name, "rds-snapshot", args.identifier, self)
            if args.final_snapshot else None,
            tags={"Name": args.identifier},
            **self._instance_inputs(args),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect,
                                        depends_on=[*log_groups, *self._monitoring_ready]),
        )
        self.secret_arn = self.instance.master_user_secrets.apply(master_secret_arn)
        if args.cross_region_backups:
            aws.rds.InstanceAutomatedBackupsReplication(
                f"{name}-backup-replication",
                source_db_instance_arn=self.instance.arn,
                kms_key_id=args.backup_kms_key_arn,
                retention_period=args.backup_retention_days,
                region=args.backup_region,
                opts=child,
            )
        self.replicas = [self._replica(name, args, index) for index in range(1, args.read_replicas + 1)]
        self.proxy = self._proxy(name, args) if args.proxy else None

        self.identifier = self.instance.identifier
        self.address = self.instance.address
        self.port = PORT
        self.endpoint = self.instance.endpoint
        self.host = self.proxy.endpoint if self.proxy else self.instance.address
        self.replica_identifiers = [replica_identifier(args.identifier, i) for i in range(1, args.read_replicas + 1)]
        self.replica_addresses = [replica.address for replica in self.replicas]
        # With IAM proxy auth, app roles need rds-db:connect on this proxy as the user(s) they log in as.
        iam_users = list(args.proxy_users) if args.proxy_users else [args.username]
        iam_proxy = self.proxy is not None and (args.proxy_iam_auth or not args.proxy_users)
        self.iam_connect_arns = [
            self.proxy.arn.apply(lambda arn, user=user: connect_arn(arn, args.account_id, user)) for user in iam_users
        ] if iam_proxy else []
        self.iam_connect_arn = self.iam_connect_arns[0] if self.iam_connect_arns and not args.proxy_users else None
        self.subnet_group_name = self.subnet_group.name
        self.security_group_ids = [self.security_group.id]
        self.db_name = args.db_name
        self.username = args.username
        self.register_outputs(
            {
                "identifier": self.identifier,
                "endpoint": self.endpoint,
                "host": self.host,
                "secret_arn": self.secret_arn,
                "subnet_group_name": self.subnet_group_name,
                "security_group_ids": self.security_group_ids,
                "replica_identifiers": self.replica_identifiers,
            }
        )

    def _log_groups(self, name: str, identifier: str, args: DatabaseArgs) -> list[aws.cloudwatch.LogGroup]:
        """The groups RDS exports an instance's logs to, declared first so they have a retention and the key."""
        return [
            aws.cloudwatch.LogGroup(
                f"{name}-log-{kind}",
                name=f"/aws/rds/instance/{identifier}/{kind}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.kms_key_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for kind in LOG_EXPORTS
        ]

    def _replica(self, name: str, args: DatabaseArgs, index: int) -> aws.rds.Instance:
        """A read replica: same key, subnets, groups and parameters, single-AZ, monitored like the primary.

        It holds no data of its own, so it is neither deletion protected nor snapshotted (RDS keeps no final
        snapshot of a read replica): lowering `readReplicas.count` removes the last ones.
        """
        identifier = replica_identifier(args.identifier, index)
        replica_name = f"{name}-replica-{index}"
        log_groups = self._log_groups(replica_name, identifier, args)
        return aws.rds.Instance(
            replica_name,
            identifier=identifier,
            # Same region with an explicit subnet group: RDS wants the source's ARN (pulumi-aws `replicate_source_db`).
            replicate_source_db=self.instance.arn,
            instance_class=args.replica_instance_class or args.instance_class,
            multi_az=False,
            deletion_protection=False,
            skip_final_snapshot=True,
            tags={"Name": identifier},
            **self._instance_inputs(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*log_groups, *self._monitoring_ready]),
        )

    def _instance_inputs(self, args: DatabaseArgs) -> dict:
        """What the primary and its read replicas share: storage, key, network, parameters, logs, monitoring,
        maintenance."""
        return {
            "max_allocated_storage": args.max_allocated_storage_gb,
            "storage_type": "gp3",
            "storage_encrypted": True,
            "kms_key_id": args.kms_key_arn,
            "iam_database_authentication_enabled": True,
            "db_subnet_group_name": self.subnet_group.name,
            "vpc_security_group_ids": [self.security_group.id],
            "parameter_group_name": self.parameter_group.name,
            "publicly_accessible": False,
            "port": PORT,
            "copy_tags_to_snapshot": True,
            "enabled_cloudwatch_logs_exports": list(LOG_EXPORTS),
            "performance_insights_enabled": args.performance_insights,
            "performance_insights_kms_key_id": args.kms_key_arn if args.performance_insights else None,
            "performance_insights_retention_period": 7 if args.performance_insights else None,
            "monitoring_interval": args.monitoring_interval,
            "monitoring_role_arn": self._monitoring_role_arn,
            "auto_minor_version_upgrade": True,
            "maintenance_window": args.maintenance_window,
            "apply_immediately": False,
        }

    def _monitoring_role(self, name: str, args: DatabaseArgs) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        """The role RDS enhanced monitoring publishes OS metrics with, and its managed policy's attachment."""
        role, _ = service_role(f"{name}-monitoring", service="monitoring.rds.amazonaws.com",
                               account_id=args.account_id, statements=[], parent=self)
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring",
            role=role.name,
            policy_arn=ENHANCED_MONITORING_POLICY,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role, attachment

    def _proxy(self, name: str, args: DatabaseArgs) -> aws.rds.Proxy:
        """RDS Proxy: pooling for the app, TLS required; logs in as the app users (or, before the DataTier, as the
        master user with IAM required)."""
        proxy_sg = security_group(
            f"{name}-proxy-sg", vpc_id=args.vpc_id, description=f"{args.identifier}: RDS Proxy", parent=self
        )
        proxy_clients = args.clients() if args.proxy_client_security_groups is None \
            else args.proxy_client_security_groups
        for client, group in proxy_clients.items():
            allow_from(
                f"{name}-proxy-from-{client}", group=proxy_sg, source=group, port=PORT,
                description=f"{client} tasks reach the proxy", parent=self,
            )
        allow_from(
            f"{name}-from-proxy", group=self.security_group, source=proxy_sg, port=PORT,
            description="the proxy reaches PostgreSQL", parent=self,
        )
        secret_arns = list(args.proxy_users.values()) or [self.secret_arn]
        role, _ = service_role(
            f"{name}-proxy", service="rds.amazonaws.com", account_id=args.account_id, parent=self,
            statements=[
                {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secret_arns},
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt"],
                    "Resource": [args.kms_key_arn],
                    "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
                },
            ],
        )
        proxy = aws.rds.Proxy(
            f"{name}-proxy",
            name=args.identifier,
            engine_family="POSTGRESQL",
            require_tls=True,
            role_arn=role.arn,
            vpc_subnet_ids=args.subnet_ids,
            vpc_security_group_ids=[proxy_sg.id],
            idle_client_timeout=1800,
            auths=self._proxy_auths(args),
            tags={"Name": args.identifier},
            opts=pulumi.ResourceOptions(parent=self),
        )
        target_group = aws.rds.ProxyDefaultTargetGroup(
            f"{name}-proxy-targets",
            db_proxy_name=proxy.name,
            connection_pool_config={"max_connections_percent": 90, "max_idle_connections_percent": 50,
                                    "connection_borrow_timeout": 120},
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.rds.ProxyTarget(
            f"{name}-proxy-target",
            db_proxy_name=proxy.name,
            target_group_name=target_group.name,
            db_instance_identifier=self.instance.identifier,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return proxy

    def _proxy_auths(self, args: DatabaseArgs) -> list[dict]:
        """One entry per database user the proxy logs in as (RDS Proxy keeps one secret per user)."""
        if not args.proxy_users:
            return [{"auth_scheme": "SECRETS", "secret_arn": self.secret_arn, "iam_auth": "REQUIRED",
                     "client_password_auth_type": "POSTGRES_SCRAM_SHA_256"}]
        return [
            {"auth_scheme": "SECRETS", "secret_arn": secret_arn,
             "description": f"app login user {user}", "iam_auth": "REQUIRED" if args.proxy_iam_auth else "DISABLED",
             "client_password_auth_type": "POSTGRES_SCRAM_SHA_256"}
            for user, secret_arn in args.proxy_users.items()
        ]

"""RDS PostgreSQL in the isolated subnets: encrypted, AWS-managed password, IAM auth, logs, backups."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .iam import service_role
from .security import allow_from, security_group

PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def db_parameters(slow_query_ms: int) -> list[dict[str, str]]:
    """TLS only, slow queries and every connection logged (all dynamic parameters)."""
    return [
        {"name": "rds.force_ssl", "value": "1"},
        {"name": "log_min_duration_statement", "value": str(slow_query_ms)},
        {"name": "log_connections", "value": "1"},
        {"name": "log_disconnections", "value": "1"},
        {"name": "log_lock_waits", "value": "1"},
    ]


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
    app_security_group: aws.ec2.SecurityGroup
    account_id: str
    protect: bool
    cross_region_backups: bool = False
    backup_region: str | None = None
    backup_kms_key_arn: pulumi.Input[str] | None = None
    proxy: bool = False


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
        allow_from(
            f"{name}-from-app", group=self.security_group, source=args.app_security_group, port=PORT,
            description="app tasks reach PostgreSQL", parent=self,
        )
        self.parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            name=f"{args.identifier}-pg{args.major_version}",
            family=f"postgres{args.major_version}",
            description=f"{args.identifier}: TLS only, slow query and connection logging",
            parameters=db_parameters(args.slow_query_ms),
            opts=child,
        )
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-log-{kind}",
                name=f"/aws/rds/instance/{args.identifier}/{kind}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.kms_key_arn,
                opts=child,
            )
            for kind in LOG_EXPORTS
        ]
        monitoring_role = self._monitoring_role(name, args) if args.monitoring_interval else None
        self.instance = aws.rds.Instance(
            name,
            identifier=args.identifier,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage_gb,
            max_allocated_storage=args.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            db_name=args.db_name,
            username=args.username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.kms_key_arn,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=self.subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            parameter_group_name=self.parameter_group.name,
            publicly_accessible=False,
            port=PORT,
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            backup_window=args.backup_window,
            maintenance_window=args.maintenance_window,
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=not args.final_snapshot,
            final_snapshot_identifier=f"{args.identifier}-final" if args.final_snapshot else None,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            performance_insights_enabled=args.performance_insights,
            performance_insights_kms_key_id=args.kms_key_arn if args.performance_insights else None,
            performance_insights_retention_period=7 if args.performance_insights else None,
            monitoring_interval=args.monitoring_interval,
            monitoring_role_arn=monitoring_role.arn if monitoring_role else None,
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            tags={"Name": args.identifier},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=log_groups),
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
        self.proxy = self._proxy(name, args) if args.proxy else None

        self.identifier = self.instance.identifier
        self.address = self.instance.address
        self.port = PORT
        self.endpoint = self.instance.endpoint
        self.host = self.proxy.endpoint if self.proxy else self.instance.address
        # The proxy requires IAM auth: app roles need rds-db:connect on this proxy and user (None without proxy).
        self.iam_connect_arn = self.proxy.arn.apply(
            lambda arn: f"arn:aws:rds-db:{arn.split(':')[3]}:{args.account_id}:dbuser:{arn.split(':')[-1]}/{args.username}"
        ) if self.proxy else None
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
            }
        )

    def _monitoring_role(self, name: str, args: DatabaseArgs) -> aws.iam.Role:
        """The role RDS enhanced monitoring publishes OS metrics with."""
        role, _ = service_role(f"{name}-monitoring", service="monitoring.rds.amazonaws.com",
                               account_id=args.account_id, statements=[], parent=self)
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring",
            role=role.name,
            policy_arn=ENHANCED_MONITORING_POLICY,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role

    def _proxy(self, name: str, args: DatabaseArgs) -> aws.rds.Proxy:
        """RDS Proxy: pooling for the app, TLS and IAM auth required, reads the managed secret."""
        proxy_sg = security_group(
            f"{name}-proxy-sg", vpc_id=args.vpc_id, description=f"{args.identifier}: RDS Proxy", parent=self
        )
        allow_from(
            f"{name}-proxy-from-app", group=proxy_sg, source=args.app_security_group, port=PORT,
            description="app tasks reach the proxy", parent=self,
        )
        allow_from(
            f"{name}-from-proxy", group=self.security_group, source=proxy_sg, port=PORT,
            description="the proxy reaches PostgreSQL", parent=self,
        )
        role, _ = service_role(
            f"{name}-proxy", service="rds.amazonaws.com", account_id=args.account_id, parent=self,
            statements=[
                {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [self.secret_arn]},
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
            auths=[
                {
                    "auth_scheme": "SECRETS",
                    "secret_arn": self.secret_arn,
                    "iam_auth": "REQUIRED",
                    "client_password_auth_type": "POSTGRES_SCRAM_SHA_256",
                }
            ],
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

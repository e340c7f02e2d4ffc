"""ElastiCache (Valkey / Redis OSS): encrypted in transit and at rest, AUTH token kept in Secrets Manager."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from .security import allow_from, security_group

PORT = 6379


@dataclass(frozen=True, kw_only=True)
class CacheArgs:
    """`replicas` >= 1 turns on automatic failover and multi-AZ."""

    group_id: str
    engine: str
    engine_version: str
    parameter_family: str
    node_type: str
    replicas: int
    snapshot_retention_days: int
    snapshot_window: str
    maintenance_window: str
    maxmemory_policy: str
    kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    app_security_group: aws.ec2.SecurityGroup
    secret_recovery_window_days: int
    protect: bool


class Cache(pulumi.ComponentResource):
    """A replication group (cluster mode off) reachable only from the app security group."""

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:cache:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            name=args.group_id,
            description=f"{args.group_id}: isolated subnets",
            subnet_ids=args.subnet_ids,
            opts=child,
        )
        self.security_group = security_group(
            f"{name}-sg", vpc_id=args.vpc_id, description=f"{args.group_id}: {args.engine}", parent=self
        )
        allow_from(
            f"{name}-from-app", group=self.security_group, source=args.app_security_group, port=PORT,
            description=f"app tasks reach {args.engine}", parent=self,
        )
        self.parameter_group = aws.elasticache.ParameterGroup(
            f"{name}-params",
            name=f"{args.group_id}-{args.parameter_family}",
            family=args.parameter_family,
            description=f"{args.group_id}: maxmemory-policy {args.maxmemory_policy}",
            parameters=[{"name": "maxmemory-policy", "value": args.maxmemory_policy}],
            opts=child,
        )
        # AUTH tokens: 16-128 printable characters without @ " /; alphanumeric keeps clients' URLs simple.
        token = random.RandomPassword(f"{name}-auth-token", length=64, special=False, opts=child)
        self.auth_secret = aws.secretsmanager.Secret(
            f"{name}-auth-token",
            name=f"{args.group_id}/cache-auth-token",
            description=f"{args.group_id}: AUTH token of the {args.engine} replication group",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=args.secret_recovery_window_days,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-auth-token",
            secret_id=self.auth_secret.id,
            secret_string=token.result,
            opts=child,
        )
        highly_available = args.replicas > 0
        self.group = aws.elasticache.ReplicationGroup(
            name,
            replication_group_id=args.group_id,
            description=f"{args.group_id}: cache, queues and rate limits",
            engine=args.engine,
            engine_version=args.engine_version,
            node_type=args.node_type,
            num_cache_clusters=1 + args.replicas,
            automatic_failover_enabled=highly_available,
            multi_az_enabled=highly_available,
            port=PORT,
            subnet_group_name=self.subnet_group.name,
            security_group_ids=[self.security_group.id],
            parameter_group_name=self.parameter_group.name,
            at_rest_encryption_enabled=True,
            kms_key_id=args.kms_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=token.result,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=args.snapshot_window,
            maintenance_window=args.maintenance_window,
            final_snapshot_identifier=f"{args.group_id}-final" if args.protect else None,
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            tags={"Name": args.group_id},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.host = self.group.primary_endpoint_address
        self.port = PORT
        self.auth_secret_arn = self.auth_secret.arn
        self.security_group_ids = [self.security_group.id]
        self.register_outputs(
            {"host": self.host, "auth_secret_arn": self.auth_secret_arn, "security_group_ids": self.security_group_ids}
        )

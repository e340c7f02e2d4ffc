"""ElastiCache (Valkey / Redis OSS): encrypted in transit and at rest, AUTH token kept in Secrets Manager."""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from .security import allow_from, security_group

PORT = 6379
LEGACY_CLIENT = "app"  # the single shared app security group of the pre-DataTier program


def member_ids(group_id: str, replicas: int, shards: int | None = None) -> list[str]:
    """The node (cache cluster) ids CloudWatch reports per node: `<group>-001`, `-002`, ... with cluster mode
    off; `<group>-0001-001` (shard, then node) with cluster mode on."""
    nodes = range(1, replicas + 2)
    if shards is None:
        return [f"{group_id}-{node:03d}" for node in nodes]
    return [f"{group_id}-{shard:04d}-{node:03d}" for shard in range(1, shards + 1) for node in nodes]


def redis_url(token: str, host: str, port: int = PORT) -> str:
    """`rediss://:<token>@<host>:<port>`: TLS, AUTH token as the password of the default user (ioredis and
    node-redis both read this form; the token is alphanumeric, so it needs no escaping)."""
    return f"rediss://:{token}@{host}:{port}"


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
    secret_recovery_window_days: int
    protect: bool
    # One ingress rule per named group; the pre-DataTier program passes its one `app_security_group` instead.
    client_security_groups: dict[str, aws.ec2.SecurityGroup] = field(default_factory=dict)
    app_security_group: aws.ec2.SecurityGroup | None = None
    shards: int | None = None  # cluster mode on with this many node groups
    ephemeral: bool = False  # no final snapshot, even when protected
    url_secret: bool = False  # also keep REDIS_URL (rediss://:token@endpoint:port) in Secrets Manager

    def clients(self) -> dict[str, aws.ec2.SecurityGroup]:
        """The groups allowed in, by name."""
        if self.client_security_groups:
            return dict(self.client_security_groups)
        return {LEGACY_CLIENT: self.app_security_group} if self.app_security_group is not None else {}


class Cache(pulumi.ComponentResource):
    """A replication group (cluster mode off, or on with `shards`) reachable only from the client groups."""

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
        for client, group in args.clients().items():
            allow_from(
                f"{name}-from-{client}", group=self.security_group, source=group, port=PORT,
                description=f"{client} tasks reach {args.engine}", parent=self,
            )
        cluster = args.shards is not None
        self.parameter_group = aws.elasticache.ParameterGroup(
            f"{name}-params",
            name=f"{args.group_id}-{args.parameter_family}" + ("-cluster" if cluster else ""),
            family=args.parameter_family,
            description=f"{args.group_id}: maxmemory-policy {args.maxmemory_policy}"
            + (", cluster mode" if cluster else ""),
            # A cluster-mode group needs a parameter group with cluster-enabled yes (like default.<family>.cluster.on).
            parameters=[{"name": "maxmemory-policy", "value": args.maxmemory_policy}]
            + ([{"name": "cluster-enabled", "value": "yes"}] if cluster else []),
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
        # Cluster mode: node groups of 1 + replicas nodes; it needs automatic failover even without replicas.
        size = ({"num_node_groups": args.shards, "replicas_per_node_group": args.replicas, "cluster_mode": "enabled"}
                if cluster else {"num_cache_clusters": 1 + args.replicas})
        self.group = aws.elasticache.ReplicationGroup(
            name,
            replication_group_id=args.group_id,
            description=f"{args.group_id}: cache, queues and rate limits",
            engine=args.engine,
            engine_version=args.engine_version,
            node_type=args.node_type,
            **size,
            automatic_failover_enabled=highly_available or cluster,
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
            final_snapshot_identifier=f"{args.group_id}-final" if args.protect and not args.ephemeral else None,
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            tags={"Name": args.group_id},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # Cluster mode: clients discover the shards through the configuration endpoint.
        self.host = self.group.configuration_endpoint_address if cluster else self.group.primary_endpoint_address
        self.port = PORT
        self.cluster_mode = cluster
        self.auth_secret_arn = self.auth_secret.arn
        self.member_ids = member_ids(args.group_id, args.replicas, args.shards)
        self.url_secret_arn = self._url_secret(name, args, token.result) if args.url_secret else None
        self.security_group_ids = [self.security_group.id]
        self.register_outputs(
            {"host": self.host, "auth_secret_arn": self.auth_secret_arn, "security_group_ids": self.security_group_ids,
             "member_ids": self.member_ids, "url_secret_arn": self.url_secret_arn}
        )

    def _url_secret(self, name: str, args: CacheArgs, token: pulumi.Output[str]) -> pulumi.Output[str]:
        """REDIS_URL in its own secret: derived from the token and the endpoint, so Pulumi keeps it current."""
        secret = aws.secretsmanager.Secret(
            f"{name}-url",
            name=f"{args.group_id}/cache-url",
            description=f"{args.group_id}: REDIS_URL (rediss://, AUTH token) of the {args.engine} replication group",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=args.secret_recovery_window_days,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-url",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(pulumi.Output.all(token, self.host).apply(lambda v: redis_url(*v))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return secret.arn

"""Cache settings: ElastiCache (Valkey or Redis OSS) for cache, queues (BullMQ) and rate limits."""

from typing import Any, Literal

from pydantic import Field, field_validator

from .base import Section
from .checks import check_cache_maintenance_window
from .windows import daily_window, windows_overlap

MAXMEMORY_POLICIES = Literal[
    "noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
]


# ElastiCache: up to 5 replicas per node group (shard); node groups numbered 0001 to 0090 with cluster mode on
# (ElastiCache API Reference, NodeGroup.NodeGroupId).
MAX_REPLICAS = 5
MAX_SHARDS = 90


class CacheSettings(Section):
    """One replication group: a primary and `replicas` replicas, or `shards` node groups with cluster mode on."""

    enabled: bool = Field(default=True, description="false: no cache, and no REDIS_* variables in the app")
    engine: Literal["valkey", "redis"] = Field(default="valkey", description="valkey or redis (Redis OSS)")
    engine_version: str = Field(default="8.0", description="engine version, e.g. 8.0 (valkey) or 7.1 (redis)")
    node_type: str | None = Field(default=None, description="e.g. cache.t4g.micro (staging), cache.t4g.small (prod)")
    replicas: int = Field(default=0, ge=0, le=MAX_REPLICAS,
                          description="replicas (per shard); 1+ gives automatic failover + multi-AZ")
    shards: int | None = Field(default=None, ge=1, le=MAX_SHARDS,
                               description="cluster mode on with this many shards (absent: cluster mode off)")
    ephemeral: bool = Field(default=False, description="data may be lost: production may run one node, no snapshots")
    snapshot_retention_days: int = Field(default=0, ge=0, le=35, description="daily snapshots kept (0 = off)")
    snapshot_window: str = Field(default="04:00-05:00", description="daily UTC snapshot window")
    maintenance_window: str = Field(default="sun:06:00-sun:07:00", description="weekly UTC maintenance window")
    maxmemory_policy: MAXMEMORY_POLICIES = Field(
        default="noeviction", description="BullMQ needs noeviction (queued jobs must never be evicted)"
    )

    @field_validator("node_type")
    @classmethod
    def _known_node_type(cls, value: str | None) -> str | None:
        from .capacity import check_node_type

        return None if value is None else check_node_type(value)

    @field_validator("engine_version")
    @classmethod
    def _version(cls, value: str) -> str:
        major = value.split(".")[0]
        if not major.isdigit() or int(major) < 7:
            raise ValueError("version 7 or later is required, e.g. '8.0' (valkey) or '7.1' (redis)")
        return value

    @field_validator("snapshot_window")
    @classmethod
    def _daily(cls, value: str) -> str:
        daily_window(value)
        return value

    @field_validator("maintenance_window")
    @classmethod
    def _weekly(cls, value: str) -> str:
        return check_cache_maintenance_window(value)

    @property
    def parameter_family(self) -> str:
        """`valkey8`, `redis7`."""
        return f"{self.engine}{self.engine_version.split('.')[0]}"

    @property
    def cluster_mode(self) -> bool:
        """Cluster mode on: keys spread over `shards` node groups, clients must speak the cluster protocol."""
        return self.shards is not None

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        if not self.enabled:
            return []
        found = []
        if self.node_type is None:
            found.append(("nodeType", None, "required while the cache is enabled, e.g. 'cache.t4g.micro' "
                                            "(or set enabled: false)"))
        if windows_overlap(self.snapshot_window, self.maintenance_window):
            found.append(("snapshotWindow", self.snapshot_window,
                          f"must not overlap maintenanceWindow {self.maintenance_window!r}"))
        if stack.is_production and not self.ephemeral:
            if self.replicas < 1:
                found.append(("replicas", self.replicas,
                              "production keeps at least 1 replica (automatic failover, multi-AZ), "
                              "unless the cache is ephemeral: true"))
            if self.snapshot_retention_days < 1:
                found.append(("snapshotRetentionDays", self.snapshot_retention_days,
                              "production keeps daily snapshots at least 1 day, unless the cache is ephemeral: true"))
        return found

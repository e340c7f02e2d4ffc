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


class CacheSettings(Section):
    """One replication group (cluster mode off): a primary and `replicas` read replicas."""

    engine: Literal["valkey", "redis"] = Field(default="valkey", description="valkey or redis (Redis OSS)")
    engine_version: str = Field(default="8.0", description="engine version, e.g. 8.0 (valkey) or 7.1 (redis)")
    node_type: str = Field(description="e.g. cache.t4g.micro (staging), cache.t4g.small (prod)")
    replicas: int = Field(default=0, ge=0, le=5, description="read replicas; 1+ gives automatic failover + multi-AZ")
    snapshot_retention_days: int = Field(default=0, ge=0, le=35, description="daily snapshots kept (0 = off)")
    snapshot_window: str = Field(default="04:00-05:00", description="daily UTC snapshot window")
    maintenance_window: str = Field(default="sun:06:00-sun:07:00", description="weekly UTC maintenance window")
    maxmemory_policy: MAXMEMORY_POLICIES = Field(
        default="noeviction", description="BullMQ needs noeviction (queued jobs must never be evicted)"
    )

    @field_validator("node_type")
    @classmethod
    def _known_node_type(cls, value: str) -> str:
        from .capacity import check_node_type

        return check_node_type(value)

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

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        found = []
        if windows_overlap(self.snapshot_window, self.maintenance_window):
            found.append(("snapshotWindow", self.snapshot_window,
                          f"must not overlap maintenanceWindow {self.maintenance_window!r}"))
        if stack.is_production:
            if self.replicas < 1:
                found.append(("replicas", self.replicas,
                              "production keeps at least 1 replica (automatic failover, multi-AZ)"))
            if self.snapshot_retention_days < 1:
                found.append(("snapshotRetentionDays", self.snapshot_retention_days,
                              "production keeps daily snapshots at least 1 day"))
        return found

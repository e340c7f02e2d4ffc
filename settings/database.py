"""Database settings: RDS PostgreSQL size, durability and the production minimums."""

from typing import Any

from pydantic import Field, field_validator

from .base import Section
from .checks import check_master_username
from .windows import daily_window, weekly_window, windows_overlap

RDS_MAX_RETENTION_DAYS = 35
PROD_MIN_RETENTION_DAYS = 30
STAGING_MIN_RETENTION_DAYS = 7
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)


class DatabaseSettings(Section):
    """One RDS PostgreSQL instance in the isolated subnets (identifier `nodeapi-<stack>`)."""

    engine_version: str = Field(default="16", description="PostgreSQL version, 16 or later ('16' = latest 16.x)")
    instance_class: str = Field(description="e.g. db.t4g.micro (staging), db.t4g.medium (prod)")
    allocated_storage_gb: int = Field(default=20, ge=20, le=65536, description="initial gp3 storage")
    max_allocated_storage_gb: int = Field(default=100, le=65536, description="storage autoscaling ceiling")
    multi_az: bool = Field(default=False, description="standby in a second AZ (required in production)")
    backup_retention_days: int = Field(description="automated backups (PITR) kept, 7-35; production 30+")
    backup_window: str = Field(default="03:00-04:00", description="daily UTC window of automated backups")
    maintenance_window: str = Field(default="sun:05:00-sun:06:00", description="weekly UTC maintenance window")
    deletion_protection: bool = Field(default=True, description="refuse DeleteDBInstance (required in production)")
    final_snapshot: bool = Field(default=True, description="snapshot on delete (required in production)")
    performance_insights: bool = Field(default=False, description="Performance Insights, 7 days (free tier)")
    monitoring_interval: int = Field(default=0, description="enhanced monitoring seconds: 0 (off), 1, 5, 10, 15, 30, 60")
    cross_region_backups: bool = Field(
        default=False, description="replicate automated backups to backupRegion (PITR survives a region loss)"
    )
    proxy: bool = Field(default=False, description="RDS Proxy in front of the instance (connection pooling)")
    db_name: str = Field(default="app", pattern=r"^[a-z][a-z0-9_]{0,62}$", description="initial database")
    username: str = Field(default="nodeapi", pattern=r"^[a-z][a-z0-9_]{0,15}$", description="master user name")
    slow_query_ms: int = Field(default=500, ge=0, description="log statements slower than this (ms)")
    log_retention_days: int = Field(default=30, description="CloudWatch retention of the exported logs")

    @field_validator("instance_class")
    @classmethod
    def _known_class(cls, value: str) -> str:
        from .capacity import check_instance_class

        return check_instance_class(value)

    @field_validator("username")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        return check_master_username(value)

    @field_validator("engine_version")
    @classmethod
    def _postgres_16_or_later(cls, value: str) -> str:
        major = value.split(".")[0]
        if not major.isdigit() or int(major) < 16:
            raise ValueError("must be PostgreSQL 16 or later, e.g. '16' or '16.6'")
        return value

    @field_validator("backup_retention_days")
    @classmethod
    def _rds_max(cls, value: int) -> int:
        if value > RDS_MAX_RETENTION_DAYS:
            raise ValueError(f"at most {RDS_MAX_RETENTION_DAYS} days (the RDS maximum for automated backups)")
        if value < STAGING_MIN_RETENTION_DAYS:
            raise ValueError(f"every stack keeps automated backups at least {STAGING_MIN_RETENTION_DAYS} days")
        return value

    @field_validator("backup_window")
    @classmethod
    def _daily(cls, value: str) -> str:
        daily_window(value)
        return value

    @field_validator("maintenance_window")
    @classmethod
    def _weekly(cls, value: str) -> str:
        weekly_window(value)
        return value

    @field_validator("monitoring_interval")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value not in MONITORING_INTERVALS:
            raise ValueError(f"not an enhanced monitoring interval; allowed: {', '.join(map(str, MONITORING_INTERVALS))}")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, value: int) -> int:
        from .network import check_log_retention

        return check_log_retention(value)

    @property
    def major_version(self) -> int:
        return int(self.engine_version.split(".")[0])

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        found = []
        if self.max_allocated_storage_gb <= self.allocated_storage_gb:
            found.append(("maxAllocatedStorageGb", self.max_allocated_storage_gb,
                          f"must exceed allocatedStorageGb ({self.allocated_storage_gb}) to allow autoscaling"))
        if windows_overlap(self.backup_window, self.maintenance_window):
            found.append(("backupWindow", self.backup_window,
                          f"must not overlap maintenanceWindow {self.maintenance_window!r}"))
        if stack.is_production:
            found += production_minimums(self)
        return found


def production_minimums(db: "DatabaseSettings") -> list[tuple[str, Any, str]]:
    """What production refuses to run without."""
    found = []
    if db.backup_retention_days < PROD_MIN_RETENTION_DAYS:
        found.append(("backupRetentionDays", db.backup_retention_days,
                      f"production keeps automated backups at least {PROD_MIN_RETENTION_DAYS} days"))
    checks = (
        ("multiAz", db.multi_az, "production runs a standby in a second AZ (multiAz: true)"),
        ("deletionProtection", db.deletion_protection, "production databases are deletion protected"),
        ("finalSnapshot", db.final_snapshot, "production takes a final snapshot on delete"),
        ("performanceInsights", db.performance_insights, "production turns Performance Insights on"),
        ("crossRegionBackups", db.cross_region_backups,
         "production replicates automated backups to backupRegion (PITR after a region loss)"),
    )
    found += [(path, value, allowed) for path, value, allowed in checks if not value]
    if db.monitoring_interval == 0:
        found.append(("monitoringInterval", 0, "production turns enhanced monitoring on (1-60 seconds)"))
    return found

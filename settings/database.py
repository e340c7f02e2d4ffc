"""Database settings: RDS PostgreSQL size, version, parameters, replicas, app users and the production minimums."""

import re
from datetime import date
from typing import Any

from pydantic import Field, field_validator

from .base import Section
from .checks import check_master_username
from .network import LogRetentionDays
from .postgres import PROGRAM_PARAMETERS, check_engine_version, parameter_value
from .windows import daily_window, weekly_window, windows_overlap

RDS_MAX_RETENTION_DAYS = 35
PROD_MIN_RETENTION_DAYS = 30
STAGING_MIN_RETENTION_DAYS = 7
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
# RDS for PostgreSQL: up to 15 read replicas per source instance in a region (RDS User Guide, "Working with
# DB instance read replicas").
MAX_READ_REPLICAS = 15
_PARAMETER_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")


def today() -> date:
    """The date the standard-support table is checked against (a function, so tests can fix it)."""
    return date.today()


class ReadReplicaSettings(Section):
    """Read replicas of the primary in the isolated subnets, encrypted with the same key, not multi-AZ."""

    count: int = Field(default=0, ge=0, le=MAX_READ_REPLICAS, description="read replicas (0 = none)")
    instance_class: str | None = Field(default=None, description="replica class (default: the primary's)")

    @field_validator("instance_class")
    @classmethod
    def _known_class(cls, value: str | None) -> str | None:
        from .capacity import check_instance_class

        return None if value is None else check_instance_class(value)


class DatabaseSettings(Section):
    """One RDS PostgreSQL instance in the isolated subnets (identifier `nodeapi-<stack>`)."""

    engine_version: str = Field(default="16", description="PostgreSQL major ('16' = latest 16.x) or minor ('16.6') "
                                "in RDS standard support (settings/postgres.py)")
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
    proxy_iam_auth: bool = Field(
        default=False, description="the proxy requires IAM tokens from the app users instead of their passwords"
    )
    parameters: dict[str, bool | int | float | str] = Field(
        default_factory=dict, description="parameter group entries, name -> value (static ones apply at reboot)"
    )
    read_replicas: ReadReplicaSettings = Field(default_factory=ReadReplicaSettings)
    app_user: str = Field(default="app", pattern=r"^[a-z][a-z0-9_]{0,13}$",
                          description="owner role of the app schema; the app logs in as <appUser>_1 or <appUser>_2")
    credential_rotation_days: int = Field(
        default=30, ge=1, le=365, description="days between rotations of the app user's password"
    )
    db_name: str = Field(default="app", pattern=r"^[a-z][a-z0-9_]{0,62}$", description="initial database")
    username: str = Field(default="nodeapi", pattern=r"^[a-z][a-z0-9_]{0,15}$", description="master user name")
    slow_query_ms: int = Field(default=500, ge=0, description="log statements slower than this (ms)")
    log_retention_days: LogRetentionDays = Field(default=30, description="CloudWatch retention of the exported logs")

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
    def _standard_support(cls, value: str) -> str:
        return check_engine_version(value, today())

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, value: dict) -> dict:
        return check_parameters(value)

    @field_validator("app_user")
    @classmethod
    def _role_name(cls, value: str) -> str:
        return check_master_username(value)  # the same reserved names as any role

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


    @property
    def major_version(self) -> int:
        return int(self.engine_version.split(".")[0])

    @property
    def parameter_values(self) -> dict[str, str]:
        """`parameters` as parameter group strings."""
        return {name: parameter_value(value) for name, value in self.parameters.items()}

    @property
    def max_connections(self) -> int | None:
        """max_connections when the settings set it (None: the RDS default formula applies)."""
        return int(self.parameters["max_connections"]) if "max_connections" in self.parameters else None

    @property
    def app_login_users(self) -> tuple[str, str]:
        """The two login users credential rotation alternates between."""
        return f"{self.app_user}_1", f"{self.app_user}_2"

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        found = []
        if self.max_allocated_storage_gb <= self.allocated_storage_gb:
            found.append(("maxAllocatedStorageGb", self.max_allocated_storage_gb,
                          f"must exceed allocatedStorageGb ({self.allocated_storage_gb}) to allow autoscaling"))
        if windows_overlap(self.backup_window, self.maintenance_window):
            found.append(("backupWindow", self.backup_window,
                          f"must not overlap maintenanceWindow {self.maintenance_window!r}"))
        if self.proxy_iam_auth and not self.proxy:
            found.append(("proxyIamAuth", True, "needs proxy: true (IAM authentication is the proxy's)"))
        if self.app_user == self.username or self.username in self.app_login_users:
            found.append(("appUser", self.app_user,
                          f"must differ from username {self.username!r} (the master user never serves the app)"))
        if stack.is_production:
            found += production_minimums(self)
        return found


def check_parameters(parameters: dict) -> dict:
    """Parameter names RDS could hold, none the program owns, and a max_connections the alarms can use."""
    bad = [name for name in parameters if not _PARAMETER_NAME.match(name)]
    if bad:
        raise ValueError(f"not parameter names: {', '.join(bad)} (lowercase, e.g. work_mem or rds.force_ssl)")
    owned = [name for name in parameters if name in PROGRAM_PARAMETERS]
    if owned:
        raise ValueError(f"{', '.join(owned)}: set by the program (TLS only, connection logging; slowQueryMs sets "
                         "log_min_duration_statement)")
    value = parameters.get("max_connections")
    if value is not None and (isinstance(value, bool) or not re.fullmatch(r"[1-9][0-9]*", parameter_value(value))):
        raise ValueError(f"max_connections must be a whole number (the connection alarms are computed from it), "
                         f"got {value!r}")
    return parameters


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

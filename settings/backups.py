"""Backup settings: the dump bucket, AWS Backup plan and the nightly pg_dump task."""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from .base import Section, rule_error
from .fargate import fargate_problem
from .network import LogRetentionDays
from .schedules import backup_expression, max_gap_hours, scheduler_expression

PROD_MIN_RETENTION_DAYS = 30
DUMP_DIR = "/var/lib/postgresql/data"  # a VOLUME of the postgres image (mode 1777): writable by a non-root user
DUMP_FILE = "db.dump"
POSTGRES_IMAGE = "public.ecr.aws/docker/library/postgres:{major}-alpine"
DEFAULT_DUMP_IMAGE = POSTGRES_IMAGE.format(major=16)  # the image of the default engine version
DEFAULT_UPLOAD_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2"
# Connection comes from PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD/PGSSLMODE set on the container.
DEFAULT_DUMP_COMMAND = ("pg_dump", "--format=custom", "--compress=6", "--no-owner", "--no-privileges",
                        f"--file={DUMP_DIR}/{DUMP_FILE}")


def check_schedule(value: str) -> str:
    """An EventBridge Scheduler expression (cron, rate or at), parsed; normalised or ValueError."""
    return scheduler_expression(value)


SchedulerExpression = Annotated[str, AfterValidator(check_schedule)]


def postgres_image(major: int) -> str:
    """The official postgres image (pg_dump, psql) of a major, from ECR Public (no Docker Hub rate limits)."""
    return POSTGRES_IMAGE.format(major=major)


class DumpSettings(Section):
    """The nightly logical dump: a scheduled Fargate task writing pg_dump output to the backup bucket."""

    enabled: bool = Field(default=True, description="schedule the nightly pg_dump")
    schedule: SchedulerExpression = Field(default="cron(0 2 * * ? *)",
                          description="EventBridge Scheduler expression, UTC, any frequency (e.g. every 6 hours: "
                                      "'cron(0 */6 * * ? *)'); the dump's RPO is its interval")
    image: str | None = Field(default=None, description="image with pg_dump (major >= the server's); default: "
                                                       "postgres:<database major>-alpine from ECR Public")
    command: list[str] = Field(default=list(DEFAULT_DUMP_COMMAND), min_length=1,
                               description=f"dump command; must write {DUMP_DIR}/{DUMP_FILE}")
    upload_image: str = Field(default=DEFAULT_UPLOAD_IMAGE, description="image with the AWS CLI")
    cpu: Literal[256, 512, 1024, 2048, 4096] = Field(default=512, description="task CPU units")
    memory: int = Field(default=1024, ge=512, le=30720, description="task memory (MiB)")
    log_retention_days: LogRetentionDays = Field(default=30, description="CloudWatch retention of the task logs")


class BackupSettings(Section):
    """Where backups live and how long: S3 dumps, AWS Backup recovery points, cross-region copies."""

    retention_days: int = Field(default=30, ge=1, description="dumps and AWS Backup recovery points kept (days)")
    noncurrent_retention_days: int = Field(default=7, ge=1, description="overwritten/deleted dump versions kept")
    cross_region: bool = Field(default=False, description="replicate the bucket to backupRegion (required in production)")
    plan_schedule: str = Field(default="cron(0 7 * * ? *)",
                               description="AWS Backup rule, UTC cron, at most hourly (default nightly after the RDS "
                                           "backup window); its RPO is its interval")
    object_lock: Literal["none", "governance", "compliance"] = Field(
        default="none", description="S3 object lock mode on dumps (compliance cannot be shortened, even by root)"
    )
    object_lock_days: int = Field(default=0, ge=0, description="default object lock retention (days)")
    dump: DumpSettings = Field(default_factory=DumpSettings)

    @field_validator("plan_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return backup_expression(value)

    @property
    def plan_rpo_hours(self) -> float:
        """The longest gap between two AWS Backup recovery points: the plan's RPO (PITR's is ~5 minutes)."""
        return max_gap_hours(self.plan_schedule)

    @property
    def dump_rpo_hours(self) -> float | None:
        """The longest gap between two dumps (add the dump's own duration); None without dumps."""
        return max_gap_hours(self.dump.schedule) if self.dump.enabled else None

    @model_validator(mode="after")
    def _lock(self) -> "BackupSettings":
        if self.object_lock != "none" and not 1 <= self.object_lock_days <= self.retention_days:
            raise rule_error("backups.objectLockDays", self.object_lock_days,
                             f"with objectLock {self.object_lock!r}, 1 to retentionDays ({self.retention_days})")
        return self

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        found = []
        size = fargate_problem(self.dump.cpu, self.dump.memory)
        if size:
            found.append((f"dump.{size[0]}", size[1], size[2]))
        if stack.is_production:
            if self.retention_days < PROD_MIN_RETENTION_DAYS:
                found.append(("retentionDays", self.retention_days,
                              f"production keeps backups at least {PROD_MIN_RETENTION_DAYS} days"))
            if not self.cross_region:
                found.append(("crossRegion", self.cross_region,
                              "production copies backups to backupRegion (crossRegion: true)"))
            if not self.dump.enabled:
                found.append(("dump.enabled", self.dump.enabled, "production runs the nightly pg_dump"))
        return found

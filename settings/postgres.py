"""What the program knows about RDS for PostgreSQL: majors in standard support, and how parameters apply."""

from datetime import date

# RDS end of standard support per major version, from the RDS for PostgreSQL release calendar
# (https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html,
# as mirrored by endoflife.date `products/amazon-rds-postgresql.md`), checked on STANDARD_SUPPORT_CHECKED.
# After its date a major runs on RDS Extended Support, billed per vCPU-hour on top of the instance.
# PostgreSQL 18 is available on RDS; add its row once its end-of-standard-support date is on the calendar.
STANDARD_SUPPORT_ENDS: dict[int, date] = {
    14: date(2027, 2, 28),
    15: date(2028, 2, 29),
    16: date(2029, 2, 28),
    17: date(2030, 2, 28),
}
STANDARD_SUPPORT_CHECKED = date(2026, 11, 30)

# Parameters of `postmaster` context (pg_settings.context, read from a PostgreSQL 15 server) that an RDS
# parameter group can set: a change applies only after a reboot, so RDS refuses `immediate` for them.
STATIC_PARAMETERS = frozenset({
    "autovacuum_freeze_max_age", "autovacuum_max_workers", "autovacuum_multixact_freeze_max_age", "huge_pages",
    "max_connections", "max_files_per_process", "max_locks_per_transaction", "max_logical_replication_workers",
    "max_pred_locks_per_transaction", "max_prepared_transactions", "max_replication_slots", "max_wal_senders",
    "max_worker_processes", "rds.logical_replication", "shared_buffers", "shared_preload_libraries",
    "track_activity_query_size", "track_commit_timestamp", "wal_buffers",
})
# Parameters of `user`, `superuser` or `sighup` context the program knows: RDS applies them at once.
DYNAMIC_PARAMETERS = frozenset({
    "autovacuum_analyze_scale_factor", "autovacuum_naptime", "autovacuum_vacuum_cost_limit",
    "autovacuum_vacuum_scale_factor", "checkpoint_timeout", "default_statistics_target", "effective_cache_size",
    "effective_io_concurrency", "idle_in_transaction_session_timeout", "jit", "lock_timeout",
    "log_autovacuum_min_duration", "log_connections", "log_disconnections", "log_lock_waits",
    "log_min_duration_statement", "log_statement", "log_temp_files", "maintenance_work_mem", "max_wal_size",
    "min_wal_size", "pg_stat_statements.track", "random_page_cost", "rds.force_ssl", "statement_timeout",
    "temp_buffers", "timezone", "work_mem",
})
IMMEDIATE, PENDING_REBOOT = "immediate", "pending-reboot"

# What the program sets itself (TLS only, slow-query and connection logging); settings may not override them.
PROGRAM_PARAMETERS = ("rds.force_ssl", "log_min_duration_statement", "log_connections", "log_disconnections",
                      "log_lock_waits")


def supported_majors(today: date) -> list[int]:
    """Majors still in RDS standard support on `today`."""
    return [major for major, ends in sorted(STANDARD_SUPPORT_ENDS.items()) if today <= ends]


def check_engine_version(value: str, today: date) -> str:
    """'16' or '16.6': a major RDS still supports in standard support on `today`."""
    major, _, minor = value.partition(".")
    if not major.isdigit() or (minor and not minor.isdigit()):
        raise ValueError("expected a PostgreSQL version, e.g. '16' (latest 16.x) or '16.6'")
    allowed = ", ".join(map(str, supported_majors(today)))
    ends = STANDARD_SUPPORT_ENDS.get(int(major))
    if ends is None:
        raise ValueError(f"no RDS standard support for PostgreSQL {major} (table checked "
                         f"{STANDARD_SUPPORT_CHECKED.isoformat()}); allowed majors: {allowed}")
    if today > ends:
        raise ValueError(f"the RDS standard support of PostgreSQL {major} ended on {ends.isoformat()} (Extended "
                         f"Support is billed per vCPU-hour); allowed majors: {allowed}")
    return value


def apply_method(name: str) -> str:
    """`immediate` for dynamic parameters the program knows, `pending-reboot` otherwise (RDS accepts it for all)."""
    return IMMEDIATE if name in DYNAMIC_PARAMETERS else PENDING_REBOOT


def parameter_value(value: str | int | float | bool) -> str:
    """A settings value as the string a parameter group holds (booleans as 1/0)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

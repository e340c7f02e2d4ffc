"""Data-tier settings: the real values of both stacks, window rules, and exact messages for weaker prod values."""

from datetime import date

import pytest

from settings import parse_settings
from settings.backups import postgres_image
from settings.windows import daily_window, weekly_window, windows_overlap
from tests.helpers import settings_error, stack_settings

TODAY = date(2026, 11, 30)  # the standard-support table is checked against this date in these tests


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    import settings.database

    monkeypatch.setattr(settings.database, "today", lambda: TODAY)


def message_for(stack: str, change) -> str:
    return settings_error(stack, change)


def test_real_values_of_both_stacks():
    staging = parse_settings(stack_settings("staging"), "staging")
    prod = parse_settings(stack_settings("prod"), "prod")
    assert (staging.database.instance_class, staging.database.multi_az, staging.database.backup_retention_days) == (
        "db.t4g.micro", False, 7)
    assert (prod.database.instance_class, prod.database.multi_az, prod.database.backup_retention_days) == (
        "db.t4g.medium", True, 30)
    assert (prod.database.cross_region_backups, prod.database.performance_insights, prod.database.monitoring_interval) == (
        True, True, 60)
    assert (staging.cache.node_type, staging.cache.replicas, prod.cache.node_type, prod.cache.replicas) == (
        "cache.t4g.micro", 0, "cache.t4g.small", 1)
    assert (staging.backups.retention_days, staging.backups.cross_region) == (7, False)
    assert (prod.backups.retention_days, prod.backups.cross_region) == (30, True)
    assert prod.cache.maxmemory_policy == staging.cache.maxmemory_policy == "noeviction"
    assert prod.app.secrets == ["JWT_SECRET", "JWT_REFRESH_SECRET"]
    assert prod.backups.dump.schedule == "cron(0 2 * * ? *)"
    assert prod.backups.dump.image is None  # the dump image follows the database major
    assert postgres_image(prod.database.major_version) == "public.ecr.aws/docker/library/postgres:16-alpine"
    assert prod.backups.dump.upload_image == "public.ecr.aws/aws-cli/aws-cli:2"


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda r: r["database"].update(backupRetentionDays=7),
         "database.backupRetentionDays: got 7; production keeps automated backups at least 30 days"),
        (lambda r: r["database"].update(backupRetentionDays=36),
         "database.backupRetentionDays: got 36; at most 35 days (the RDS maximum for automated backups)"),
        (lambda r: r["database"].update(multiAz=False),
         "database.multiAz: got false; production runs a standby in a second AZ (multiAz: true)"),
        (lambda r: r["database"].update(deletionProtection=False),
         "database.deletionProtection: got false; production databases are deletion protected"),
        (lambda r: r["database"].update(finalSnapshot=False),
         "database.finalSnapshot: got false; production takes a final snapshot on delete"),
        (lambda r: r["database"].update(performanceInsights=False),
         "database.performanceInsights: got false; production turns Performance Insights on"),
        (lambda r: r["database"].update(monitoringInterval=0),
         "database.monitoringInterval: got 0; production turns enhanced monitoring on (1-60 seconds)"),
        (lambda r: r["database"].update(monitoringInterval=2),
         "database.monitoringInterval: got 2; not an enhanced monitoring interval; allowed: 0, 1, 5, 10, 15, 30, 60"),
        (lambda r: r["database"].update(crossRegionBackups=False),
         "database.crossRegionBackups: got false; production replicates automated backups to backupRegion "
         "(PITR after a region loss)"),
        (lambda r: r["database"].update(engineVersion="13"),
         "database.engineVersion: got '13'; no RDS standard support for PostgreSQL 13 (table checked 2026-11-30); "
         "allowed majors: 14, 15, 16, 17"),
        (lambda r: r["database"].update(engineVersion="18.1"),
         "database.engineVersion: got '18.1'; no RDS standard support for PostgreSQL 18 (table checked "
         "2026-11-30); allowed majors: 14, 15, 16, 17"),
        (lambda r: r["database"].update(engineVersion="latest"),
         "database.engineVersion: got 'latest'; expected a PostgreSQL version, e.g. '16' (latest 16.x) or '16.6'"),
        (lambda r: r["database"].update(parameters={"rds.force_ssl": 0}),
         "database.parameters: got {\"rds.force_ssl\": 0}; rds.force_ssl: set by the program (TLS only, connection "
         "logging; slowQueryMs sets log_min_duration_statement)"),
        (lambda r: r["database"].update(parameters={"Work_Mem": "4MB"}),
         "database.parameters: got {\"Work_Mem\": \"4MB\"}; not parameter names: Work_Mem (lowercase, e.g. work_mem "
         "or rds.force_ssl)"),
        (lambda r: r["database"].update(parameters={"max_connections": "{DBInstanceClassMemory/9531392}"}),
         "database.parameters: got {\"max_connections\": \"{DBInstanceClassMemory/9531392}\"}; max_connections must "
         "be a whole number (the connection alarms are computed from it), got '{DBInstanceClassMemory/9531392}'"),
        (lambda r: r["database"].update(proxyIamAuth=True),
         "database.proxyIamAuth: got true; needs proxy: true (IAM authentication is the proxy's)"),
        (lambda r: r["database"].update(appUser="nodeapi"),
         "database.appUser: got 'nodeapi'; must differ from username 'nodeapi' (the master user never serves the app)"),
        (lambda r: r["database"].update(appUser="pg_app"),
         "database.appUser: got 'pg_app'; role names starting 'pg_' are reserved by PostgreSQL; choose another name"),
        (lambda r: r["database"].update(readReplicas={"count": 16}),
         "database.readReplicas.count: got 16; input should be less than or equal to 15"),
        (lambda r: r["database"].update(readReplicas={"count": 1, "instanceClass": "db.m5.large"}),
         "database.readReplicas.instanceClass: got 'db.m5.large'; no memory size known for this instance class"),
        (lambda r: r["database"].update(credentialRotationDays=0),
         "database.credentialRotationDays: got 0; input should be greater than or equal to 1"),
        (lambda r: r["cache"].pop("nodeType"),
         "cache.nodeType: got null; required while the cache is enabled, e.g. 'cache.t4g.micro' (or set enabled: "
         "false)"),
        (lambda r: r["cache"].update(shards=91),
         "cache.shards: got 91; input should be less than or equal to 90"),
        (lambda r: r["backups"].update(planSchedule="rate(6 hours)"),
         "backups.planSchedule: got 'rate(6 hours)'; rate(6 hours): AWS Backup accepts cron(...) only, e.g. "
         "'cron(0 2 * * ? *)'"),
        (lambda r: r["backups"].update(planSchedule="cron(*/30 * * * ? *)"),
         "backups.planSchedule: got 'cron(*/30 * * * ? *)'; cron(*/30 * * * ? *): AWS Backup runs a job at most once "
         "an hour; give one minute, e.g. 'cron(0 * * * ? *)' for hourly"),
        (lambda r: r["database"].update(maxAllocatedStorageGb=50),
         "database.maxAllocatedStorageGb: got 50; must exceed allocatedStorageGb (50) to allow autoscaling"),
        (lambda r: r["database"].update(backupWindow="05:30-06:30"),
         "database.backupWindow: got '05:30-06:30'; must not overlap maintenanceWindow 'sun:05:00-sun:06:00'"),
        (lambda r: r["database"].update(backupWindow="3am"),
         "database.backupWindow: got '3am'; expected a daily UTC window 'hh:mm-hh:mm', e.g. '03:00-04:00'"),
        (lambda r: r["cache"].update(replicas=0),
         "cache.replicas: got 0; production keeps at least 1 replica (automatic failover, multi-AZ), unless the cache "
         "is ephemeral: true"),
        (lambda r: r["cache"].update(snapshotRetentionDays=0),
         "cache.snapshotRetentionDays: got 0; production keeps daily snapshots at least 1 day, unless the cache is "
         "ephemeral: true"),
        (lambda r: r["cache"].update(maxmemoryPolicy="lru"),
         "cache.maxmemoryPolicy: got 'lru'; input should be 'noeviction', 'allkeys-lru', 'allkeys-lfu', "
         "'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random' or 'volatile-ttl'"),
        (lambda r: r["cache"].update(snapshotWindow="06:30-07:30"),
         "cache.snapshotWindow: got '06:30-07:30'; must not overlap maintenanceWindow 'sun:06:00-sun:07:00'"),
        (lambda r: r["backups"].update(retentionDays=14),
         "backups.retentionDays: got 14; production keeps backups at least 30 days"),
        (lambda r: r["backups"].update(crossRegion=False),
         "backups.crossRegion: got false; production copies backups to backupRegion (crossRegion: true)"),
        (lambda r: r["backups"].update(dump={"enabled": False}),
         "backups.dump.enabled: got false; production runs the nightly pg_dump"),
        (lambda r: r["backups"].update(dump={"schedule": "every night"}),
         "backups.dump.schedule: got 'every night'; expected a schedule expression, e.g. 'cron(0 2 * * ? *)'"),
        (lambda r: r["backups"].update(objectLock="compliance"),
         "backups.objectLockDays: got 0; with objectLock 'compliance', 1 to retentionDays (30)"),
        (lambda r: r.update(app={"secrets": ["jwt"]}),
         "app.secrets: got [\"jwt\"]; not env var names (UPPER_SNAKE_CASE): jwt"),
        (lambda r: r["database"].update(password="hunter2"),
         "database.password: unknown key (got 'hunter2'); allowed keys here: allocatedStorageGb, "),
    ],
)
def test_prod_refuses_weaker_data_settings(change, expected):
    assert expected in message_for("prod", change)


@pytest.mark.parametrize("change", [
    lambda r: r["database"].update(engineVersion="15"),
    lambda r: r["database"].update(engineVersion="17.2"),
    lambda r: r["database"].update(engineVersion="14"),
    lambda r: r["cache"].update(replicas=0, snapshotRetentionDays=0, ephemeral=True),
    lambda r: r["cache"].update(enabled=False, replicas=0),
    lambda r: r["cache"].update(shards=3),
    lambda r: r["backups"].update(planSchedule="cron(0 */6 * * ? *)", dump={"schedule": "cron(30 */6 * * ? *)"}),
    lambda r: r["backups"].update(planSchedule="cron(5 * * * ? *)", dump={"schedule": "rate(1 hour)"}),
    lambda r: r["database"].update(parameters={"max_connections": 200, "shared_buffers": "32768", "work_mem": "4MB"},
                                   readReplicas={"count": 2, "instanceClass": "db.t4g.small"}, proxy=True,
                                   proxyIamAuth=True, appUser="fantasy", credentialRotationDays=7),
])
def test_prod_accepts_what_the_playbooks_ask_for(change):
    import copy

    raw = copy.deepcopy(stack_settings("prod"))
    change(raw)
    parse_settings(raw, "prod")


def test_a_major_is_refused_after_its_end_of_standard_support(monkeypatch):
    import settings.database

    monkeypatch.setattr(settings.database, "today", lambda: date(2027, 3, 1))
    assert ("database.engineVersion: got '14'; the RDS standard support of PostgreSQL 14 ended on 2027-02-28 "
            "(Extended Support is billed per vCPU-hour); allowed majors: 15, 16, 17"
            in message_for("prod", lambda r: r["database"].update(engineVersion="14")))
    monkeypatch.setattr(settings.database, "today", lambda: date(2027, 2, 28))
    parse_settings({**stack_settings("prod"), "database": {**stack_settings("prod")["database"],
                                                           "engineVersion": "14"}}, "prod")


def test_the_rpo_of_each_backup_schedule():
    raw = stack_settings("prod")
    nightly = parse_settings(raw, "prod").backups
    assert (nightly.plan_rpo_hours, nightly.dump_rpo_hours) == (24.0, 24.0)
    six = parse_settings({**raw, "backups": {**raw["backups"], "planSchedule": "cron(0 */6 * * ? *)",
                                             "dump": {"schedule": "rate(6 hours)"}}}, "prod").backups
    assert (six.plan_rpo_hours, six.dump_rpo_hours) == (6.0, 6.0)
    staging = stack_settings("staging")
    off = parse_settings({**staging, "backups": {**staging["backups"], "dump": {"enabled": False}}},
                         "staging").backups
    assert off.dump_rpo_hours is None


def test_max_connections_is_read_for_the_alarms():
    raw = stack_settings("prod")
    parsed = parse_settings({**raw, "database": {**raw["database"], "parameters": {"max_connections": 200}}}, "prod")
    assert (parsed.database.max_connections, parsed.database.parameter_values) == (200, {"max_connections": "200"})
    assert parse_settings(raw, "prod").database.max_connections is None


def test_several_problems_are_reported_together():
    text = message_for("prod", lambda r: r["database"].update(multiAz=False, backupRetentionDays=14))
    assert "database.backupRetentionDays: got 14; production keeps automated backups at least 30 days" in text
    assert "database.multiAz: got false; production runs a standby in a second AZ (multiAz: true)" in text


def test_staging_may_be_single_az_but_keeps_7_days():
    parse_settings({**stack_settings("staging")}, "staging")  # single-AZ, 7 days: fine
    assert ("database.backupRetentionDays: got 3; every stack keeps automated backups at least 7 days"
            in message_for("staging", lambda r: r["database"].update(backupRetentionDays=3)))


@pytest.mark.parametrize(
    "daily, weekly, overlap",
    [
        ("03:00-04:00", "sun:05:00-sun:06:00", False),
        ("03:00-04:00", "sun:04:00-sun:05:00", False),  # touching is not overlapping
        ("03:00-04:00", "sun:03:30-sun:04:30", True),
        ("05:30-06:30", "sun:05:00-sun:06:00", True),
        ("23:30-00:30", "mon:00:00-mon:00:30", True),  # daily window across midnight
        ("23:00-23:30", "sun:23:45-mon:00:30", False),  # weekly window across midnight
        ("00:00-00:30", "sun:23:45-mon:00:30", True),  # ... and the week's end
        ("12:00-13:00", "wed:11:00-wed:12:01", True),
    ],
)
def test_window_overlap(daily, weekly, overlap):
    assert windows_overlap(daily, weekly) is overlap


@pytest.mark.parametrize(
    "text, parsed",
    [("03:00-04:00", (180, 60)), ("23:30-00:30", (1410, 60)), ("00:00-00:30", (0, 30))],
)
def test_daily_window(text, parsed):
    assert daily_window(text) == parsed


@pytest.mark.parametrize(
    "text, parsed",
    [("mon:00:00-mon:00:30", (0, 30)), ("sun:05:00-sun:06:00", (6 * 1440 + 300, 60)),
     ("sun:23:45-mon:00:30", (6 * 1440 + 1425, 45))],
)
def test_weekly_window(text, parsed):
    assert weekly_window(text) == parsed


@pytest.mark.parametrize(
    "text, message",
    [
        ("03:00-03:15", "the window must last at least 30 minutes"),
        ("25:00-26:00", "hours are 00-23 and minutes 00-59"),
        ("xyz:01:00-xyz:02:00", "expected a weekly UTC window"),
    ],
)
def test_bad_windows(text, message):
    parse = weekly_window if text.count(":") > 2 else daily_window
    with pytest.raises(ValueError, match=message):
        parse(text)

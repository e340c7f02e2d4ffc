"""Single-value validators (settings/checks.py) and where the settings model uses them, with exact messages."""

import pytest

from settings.checks import (
    check_cache_maintenance_window, check_master_username, check_private_cidr, check_same_partition, check_tags,
    partition_of,
)
from tests.helpers import settings_error


def refused(check, *args) -> str:
    with pytest.raises(ValueError) as caught:
        check(*args)
    return str(caught.value)


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.255.0.0/20", "172.16.0.0/16", "172.31.240.0/20",
                                  "192.168.0.0/16", "172.18.0.0/16"])
def test_rfc1918_cidrs_accepted(cidr):
    assert check_private_cidr(cidr) == cidr


@pytest.mark.parametrize("cidr, message", [
    ("8.8.0.0/16", "not a private range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"),
    ("100.64.0.0/16", "not a private range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"),  # CGNAT
    ("198.18.0.0/16", "not a private range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"),  # is_private, not 1918
    ("172.32.0.0/16", "not a private range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"),
    ("172.17.0.0/16", "overlaps 172.17.0.0/16, which some AWS services use; AWS advises another range"),
    ("172.16.0.0/15", "overlaps 172.17.0.0/16, which some AWS services use; AWS advises another range"),
])
def test_other_cidrs_refused(cidr, message):
    assert refused(check_private_cidr, cidr) == message


@pytest.mark.parametrize("region, partition", [
    ("us-east-1", "aws"), ("eu-west-1", "aws"), ("ap-southeast-5", "aws"), ("us-gov-west-1", "aws-us-gov"),
    ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"), ("us-iso-east-1", "aws-iso"),
    ("us-isob-east-1", "aws-iso-b"), ("eu-isoe-west-1", "aws-iso-e"), ("us-isof-south-1", "aws-iso-f"),
    ("eusc-de-east-1", "aws-eusc"),
])
def test_partition_of_a_region(region, partition):
    assert partition_of(region) == partition


def test_backup_and_certificate_regions_stay_in_the_partition():
    assert check_same_partition("eu-west-1", "eu-central-1") == "eu-central-1"
    assert check_same_partition("us-gov-west-1", "us-gov-east-1") == "us-gov-east-1"
    assert refused(check_same_partition, "eu-west-1", "cn-north-1") == (
        "is in partition aws-cn, region 'eu-west-1' in aws; copies and certificates cannot cross partitions")
    assert refused(check_same_partition, "us-gov-west-1", "us-east-1") == (
        "is in partition aws, region 'us-gov-west-1' in aws-us-gov; copies and certificates cannot cross partitions")


def test_tags_aws_accepts():
    tags = {"team": "payments", "cost-center": "cc-42", "owner": "ops@example.com", "Schéma": "v1 / beta",
            "k" * 128: "v" * 256, "empty": ""}
    assert check_tags(tags) == tags


@pytest.mark.parametrize("tags, reserved, message", [
    ({"aws:createdBy": "me"}, 0, "'aws:createdBy': keys starting with 'aws:' are reserved for AWS"),
    ({"AWS:team": "x"}, 0, "'AWS:team': keys starting with 'aws:' are reserved for AWS"),
    ({"team": "aws:x"}, 0, "'team': values starting with 'aws:' are reserved for AWS"),
    ({"": "x"}, 0, "'': a tag key cannot be empty"),
    ({"k" * 129: "x"}, 0, f"'{'k' * 129}': key has 129 characters; at most 128"),
    ({"team": "v" * 257}, 0, "'team': value has 257 characters; at most 256"),
    ({"team": "a;b"}, 0, "'team': letters, digits, spaces and + - = . _ : / @ only (what every service accepts)"),
    ({"team\t": "x"}, 0, "'team\\t': letters, digits, spaces and + - = . _ : / @ only (what every service accepts)"),
    ({f"t{i}": "x" for i in range(46)}, 5,
     "46 tags; at most 45 (AWS allows 50 per resource and the program sets 5)"),
    ({"aws:a": "x", "b": "aws:y"}, 0,
     "'aws:a': keys starting with 'aws:' are reserved for AWS; 'b': values starting with 'aws:' are reserved for AWS"),
])
def test_tags_aws_refuses(tags, reserved, message):
    assert refused(check_tags, tags, reserved) == message


@pytest.mark.parametrize("name", ["nodeapi", "postgres", "app_admin", "admin", "user1", "rdsuser"])
def test_master_usernames_accepted(name):
    assert check_master_username(name) == name


@pytest.mark.parametrize("name, message", [
    ("rdsadmin", "reserved by RDS for its own roles (rdsadmin, rds_*); choose another name, e.g. 'app_admin'"),
    ("rds_superuser", "reserved by RDS for its own roles (rdsadmin, rds_*); choose another name, e.g. 'app_admin'"),
    ("rds_anything", "reserved by RDS for its own roles (rdsadmin, rds_*); choose another name, e.g. 'app_admin'"),
    ("rdstopmgr", "reserved by RDS for its own roles (rdsadmin, rds_*); choose another name, e.g. 'app_admin'"),
    ("pg_monitor", "role names starting 'pg_' are reserved by PostgreSQL; choose another name"),
    ("user", "a reserved word in PostgreSQL; choose another name, e.g. 'app_admin'"),
    ("select", "a reserved word in PostgreSQL; choose another name, e.g. 'app_admin'"),
    ("current_user", "a reserved word in PostgreSQL; choose another name, e.g. 'app_admin'"),
    ("public", "a reserved word in PostgreSQL; choose another name, e.g. 'app_admin'"),
])
def test_master_usernames_refused(name, message):
    assert refused(check_master_username, name) == message


def test_cache_maintenance_window_is_at_least_an_hour():
    assert check_cache_maintenance_window("sun:06:00-sun:07:00") == "sun:06:00-sun:07:00"
    assert check_cache_maintenance_window("sat:23:30-sun:00:30") == "sat:23:30-sun:00:30"
    assert refused(check_cache_maintenance_window, "sun:06:00-sun:06:59") == (
        "lasts 59 minutes; ElastiCache needs at least 60")
    assert refused(check_cache_maintenance_window, "sunday 6am") == (
        "expected a weekly UTC window 'ddd:hh:mm-ddd:hh:mm', e.g. 'sun:05:00-sun:06:00'")


@pytest.mark.parametrize("stack, change, expected", [
    ("prod", lambda r: r["network"].update(cidr="198.18.0.0/16"),
     "network.cidr: got '198.18.0.0/16'; not a private range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"),
    ("staging", lambda r: r["network"].update(cidr="172.17.0.0/16"),
     "network.cidr: got '172.17.0.0/16'; overlaps 172.17.0.0/16, which some AWS services use; AWS advises another "
     "range"),
    ("prod", lambda r: r["database"].update(username="rdsadmin"),
     "database.username: got 'rdsadmin'; reserved by RDS for its own roles (rdsadmin, rds_*); choose another name, "
     "e.g. 'app_admin'"),
    ("prod", lambda r: r["database"].update(username="user"),
     "database.username: got 'user'; a reserved word in PostgreSQL; choose another name, e.g. 'app_admin'"),
    ("staging", lambda r: r["cache"].update(maintenanceWindow="sun:06:00-sun:06:30"),
     "cache.maintenanceWindow: got 'sun:06:00-sun:06:30'; lasts 30 minutes; ElastiCache needs at least 60"),
    ("staging", lambda r: r["backups"].setdefault("dump", {}).update(cpu=512, memory=512),
     "backups.dump.memory: got 512; with cpu 512, Fargate allows memory 1024 to 4096 MiB in steps of 1024"),
    ("prod", lambda r: r["backups"].setdefault("dump", {}).update(cpu=256, memory=1536),
     "backups.dump.memory: got 1536; with cpu 256, Fargate allows memory 512, 1024 or 2048 (MiB)"),
    ("prod", lambda r: r["backups"].setdefault("dump", {}).update(schedule="cron(0 2 * * ?)"),
     "backups.dump.schedule: got 'cron(0 2 * * ?)'; cron(0 2 * * ?) has 5 fields; EventBridge Scheduler needs 6: "
     "minutes hours day-of-month month day-of-week year"),
    ("prod", lambda r: r["backups"].setdefault("dump", {}).update(schedule="rate(0 minutes)"),
     "backups.dump.schedule: got 'rate(0 minutes)'; rate(0 minutes): the value must be a whole number of 1 or more, "
     "e.g. 'rate(5 minutes)'"),
    ("prod", lambda r: r["backups"].update(planSchedule="rate(1 day)"),
     "backups.planSchedule: got 'rate(1 day)'; rate(1 day): AWS Backup accepts cron(...) only, e.g. "
     "'cron(0 2 * * ? *)'"),
    ("staging", lambda r: r["backups"].update(planSchedule="cron(*/30 * * * ? *)"),
     "backups.planSchedule: got 'cron(*/30 * * * ? *)'; cron(*/30 * * * ? *): AWS Backup runs a job at most once an "
     "hour; give one minute, e.g. 'cron(0 * * * ? *)' for hourly"),
])
def test_settings_use_the_checks(stack, change, expected):
    assert expected in [line.strip() for line in settings_error(stack, change).splitlines()]


def test_schedules_are_stored_normalised():
    from settings import parse_settings
    from tests.helpers import stack_settings

    raw = stack_settings("prod")
    raw["backups"] = {**raw.get("backups", {}), "planSchedule": "cron(0  7 * * ? *)",
                      "dump": {**raw.get("backups", {}).get("dump", {}), "schedule": "cron(0 2 ? * mon-fri *)"}}
    parsed = parse_settings(raw, "prod")
    assert (parsed.backups.plan_schedule, parsed.backups.dump.schedule) == ("cron(0 7 * * ? *)",
                                                                            "cron(0 2 ? * MON-FRI *)")

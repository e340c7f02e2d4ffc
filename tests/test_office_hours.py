"""Office hours and the Container Insights level: settings and their messages, the week arithmetic the cost
estimate shares, every input of the office-hours component, and the price it produces."""

import json
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from components.office_hours import OfficeHours, OfficeHoursArgs, ScaledService
from settings.cluster import ClusterSettings
from settings.schedule import (
    OfficeHoursSettings,
    ScheduleSettings,
    office_hours_conflicts,
    on_fraction,
    weekly_minutes,
)
from tests.helpers import mock_state, one, parsed, resources
from tools.cost import load_prices, estimate, unix_to_aws_cron
from tools.preview import record

ACCOUNT = "123456789012"
WEEKDAYS = "MON,TUE,WED,THU,FRI"
PRODUCTION = SimpleNamespace(is_production=True)
STAGING = SimpleNamespace(is_production=False)


def message(model, raw: dict) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(raw)
    error = caught.value.errors()[0]
    return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"


# ---------------------------------------------------------------------------------------------- settings


def test_default_office_hours_and_their_expressions():
    hours = OfficeHoursSettings()
    assert (hours.timezone, hours.days, hours.start, hours.stop, hours.lead_minutes) == (
        "UTC", ["MON", "TUE", "WED", "THU", "FRI"], "08:00", "19:00", 20)
    crons = hours.crons()
    assert (crons.services_start, crons.services_stop) == (f"cron(0 8 ? * {WEEKDAYS} *)", f"cron(0 19 ? * {WEEKDAYS} *)")
    # the database and NAT instances: up 20 minutes before the services, down 10 minutes after them
    assert (crons.backing_start, crons.backing_stop) == (f"cron(40 7 ? * {WEEKDAYS} *)", f"cron(10 19 ? * {WEEKDAYS} *)")
    assert (crons.backing_start_unix, crons.backing_stop_unix) == ("40 7 * * 1,2,3,4,5", "10 19 * * 1,2,3,4,5")
    assert hours.weekly_hours() == 55


def test_days_are_kept_in_week_order():
    hours = OfficeHoursSettings.model_validate({"days": ["SAT", "MON", "SUN"], "timezone": "Europe/Berlin"})
    assert hours.days == ["SUN", "MON", "SAT"]
    assert hours.crons().backing_stop_unix == "10 19 * * 0,1,6"


@pytest.mark.parametrize("raw, expected", [
    ({"timezone": "CET+1"}, "timezone: Value error, not an IANA time zone; expected e.g. 'UTC' or 'Europe/Berlin'"),
    ({"start": "8:00"}, "start: Value error, expected a time of day as HH:MM (24 h), e.g. '08:00'"),
    ({"days": ["MON", "MON"]}, "days: Value error, each day at most once"),
    ({"days": ["MONDAY"]}, "days.0: Input should be 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT' or 'SUN'"),
    ({"start": "19:00", "stop": "08:00"},
     ": schedule.officeHours.stop: got '08:00'; must be after start (19:00) on the same day"),
    ({"start": "00:10"}, ": schedule.officeHours: got {\"start\": \"00:10\", \"stop\": \"19:00\"}; the database starts "
                         "leadMinutes (20) before start and stops 10 minutes after stop, on the same day: start at "
                         "00:20 or later, stop before 23:50"),
    ({"leadMinutes": 5}, "leadMinutes: Input should be greater than or equal to 10"),
])
def test_bad_office_hours_name_the_key_and_what_is_allowed(raw, expected):
    assert message(OfficeHoursSettings, raw) == expected


def test_production_runs_around_the_clock():
    section = ScheduleSettings.model_validate({"officeHours": {}})
    assert section.rules(PRODUCTION) == [
        ("officeHours", "set", "production serves users around the clock; remove schedule.officeHours")]
    assert section.rules(STAGING) == [] and ScheduleSettings().rules(PRODUCTION) == []


def test_container_insights_level():
    assert ClusterSettings().container_insights_level(production=True) == "enhanced"
    assert ClusterSettings().container_insights_level(production=False) == "enabled"
    assert ClusterSettings(container_insights="enabled").container_insights_level(production=True) == "enabled"
    assert ClusterSettings(container_insights="disabled").rules(STAGING) == [
        ("containerInsights", "disabled",
         "the running-task alarms and the requests-per-task autoscaling read ECS/ContainerInsights metrics; use "
         "enabled (service-level metrics) or enhanced (plus task and container level)")]
    assert message(ClusterSettings, {"containerInsights": "on"}) == \
        "containerInsights: Input should be 'enhanced', 'enabled' or 'disabled'"


# ---------------------------------------------------------------------------------------------- week arithmetic


@pytest.mark.parametrize("starts, stops, share", [
    ([f"cron(0 8 ? * {WEEKDAYS} *)"], [f"cron(0 19 ? * {WEEKDAYS} *)"], 55 / 168),
    (["cron(0 8 ? * MON-FRI *)"], ["cron(0 19 ? * MON-FRI *)"], 55 / 168),  # ranges read like lists
    (["cron(0 22 * * ? *)"], ["cron(0 6 * * ? *)"], 8 / 24),  # a night shift wraps around midnight
    (["cron(30 7 ? * MON *)"], ["cron(30 7 ? * SAT *)"], 5 / 7),  # Monday to Saturday morning
    ([], [], 1.0),  # no schedule: always on
    ([], ["cron(0 19 * * ? *)"], 0.0),  # stopped and never started
])
def test_share_of_the_week_something_runs(starts, stops, share):
    assert on_fraction(starts, stops) == pytest.approx(share)


def test_weekly_minutes_reads_only_weekly_shapes():
    assert weekly_minutes("cron(15 9 ? * SUN,TUE *)") == [9 * 60 + 15, 2 * 1440 + 9 * 60 + 15]
    with pytest.raises(ValueError, match=r"not a daily or weekly cron expression: 'cron\(0 7 1 \* \? \*\)'"):
        weekly_minutes("cron(0 7 1 * ? *)")
    assert unix_to_aws_cron("40 7 * * 1,2,3,4,5") == "cron(40 7 ? * 2,3,4,5,6 *)"
    assert unix_to_aws_cron("0 0 * * *") == "cron(0 0 * * * *)"


def test_schedules_must_run_while_the_database_is_up():
    hours = OfficeHoursSettings.model_validate({"timezone": "Europe/Berlin"})
    conflicts = office_hours_conflicts(hours, {
        "backups.dump.schedule": "cron(0 2 * * ? *)",  # 03:00 in Berlin: the database is stopped
        "jobs.analytics.schedule": "cron(0 7 ? * MON-FRI *)",  # 08:00 or 09:00 in Berlin: fine
        "jobs.early.schedule": "cron(45 5 ? * MON-FRI *)",  # 06:45 in winter, 07:45 in summer: winter fails
        "jobs.monthly.schedule": "cron(0 12 1 * ? *)",
    })
    window = "07:40-19:10 Europe/Berlin on MON,TUE,WED,THU,FRI"
    assert conflicts == [
        ("backups.dump.schedule", "cron(0 2 * * ? *)",
         f"runs while the database is stopped; with schedule.officeHours it must run within {window}"),
        ("jobs.early.schedule", "cron(45 5 ? * MON-FRI *)",
         f"runs while the database is stopped; with schedule.officeHours it must run within {window}"),
        ("jobs.monthly.schedule", "cron(0 12 1 * ? *)",
         "with schedule.officeHours, give a daily or weekly cron(...) expression the office hours can be checked "
         "against"),
    ]


# ---------------------------------------------------------------------------------------------- the component


def build(**changes) -> dict:
    args = dict(hours=OfficeHoursSettings.model_validate({"timezone": "Europe/Berlin"}), name_prefix="nodeapi-staging",
                cluster_name="nodeapi-staging", services=[ScaledService(name="web", min_count=1, max_count=2)],
                db_identifier="nodeapi-staging", nat_group_names=["network-nat-a-1234567"], region="us-east-1",
                account_id=ACCOUNT)
    args.update(changes)
    return record(lambda: OfficeHours("office-hours", OfficeHoursArgs(**args)))


@pytest.fixture(scope="module")
def office() -> dict:
    return build()


def test_services_scale_through_their_scalable_targets(office):
    actions = {r["name"]: r["inputs"] for r in resources(office, "aws:appautoscaling/scheduledAction:ScheduledAction")}
    common = {"serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
              "resourceId": "service/nodeapi-staging/web", "timezone": "Europe/Berlin"}
    assert actions == {
        "office-hours-web-stop": {**common, "name": "nodeapi-staging-web-office-hours-stop",
                                  "schedule": f"cron(0 19 ? * {WEEKDAYS} *)",
                                  "scalableTargetAction": {"minCapacity": 0, "maxCapacity": 0}},
        "office-hours-web-start": {**common, "name": "nodeapi-staging-web-office-hours-start",
                                   "schedule": f"cron(0 8 ? * {WEEKDAYS} *)",
                                   "scalableTargetAction": {"minCapacity": 1, "maxCapacity": 2}},
    }


def test_database_stops_and_starts_through_the_scheduler(office):
    role = one(office, "aws:iam/role:Role", "office-hours-db")
    assert parsed(role["inputs"]["assumeRolePolicy"])["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]
    assert parsed(one(office, "aws:iam/rolePolicy:RolePolicy", "office-hours-db")["inputs"]["policy"])["Statement"] == [
        {"Effect": "Allow", "Action": ["rds:StopDBInstance", "rds:StartDBInstance"],
         "Resource": [f"arn:aws:rds:us-east-1:{ACCOUNT}:db:nodeapi-staging"]}]
    role_arn = mock_state(office, "aws:iam/role:Role", "office-hours-db")["arn"]
    schedules = {r["name"]: r for r in resources(office, "aws:scheduler/schedule:Schedule")}
    for moment, cron, api in (("stop", f"cron(10 19 ? * {WEEKDAYS} *)", "stop"),
                              ("start", f"cron(40 7 ? * {WEEKDAYS} *)", "start")):
        schedule = schedules[f"office-hours-db-{moment}"]
        inputs = dict(schedule["inputs"])
        target = dict(inputs.pop("target"))
        assert target.pop("roleArn") == role_arn
        assert inputs == {"name": f"nodeapi-staging-db-office-hours-{moment}",
                          "description": f"office hours: {moment} database nodeapi-staging",
                          "scheduleExpression": cron, "scheduleExpressionTimezone": "Europe/Berlin",
                          "flexibleTimeWindow": {"mode": "OFF"}}
        assert target == {"arn": f"arn:aws:scheduler:::aws-sdk:rds:{api}DBInstance",
                          "input": json.dumps({"DbInstanceIdentifier": "nodeapi-staging"}),
                          "retryPolicy": {"maximumRetryAttempts": 5, "maximumEventAgeInSeconds": 3600}}
        assert [u.rsplit("::", 1)[1] for u in schedule["options"]["dependsOn"]] == ["office-hours-db"]


def test_nat_instances_are_terminated_and_come_back_before_the_services(office):
    actions = {r["name"]: r["inputs"] for r in resources(office, "aws:autoscaling/schedule:Schedule")}
    common = {"autoscalingGroupName": "network-nat-a-1234567", "timeZone": "Europe/Berlin"}
    assert actions == {
        "office-hours-nat-0-stop": {**common, "scheduledActionName": "nodeapi-staging-nat-0-office-hours-stop",
                                    "recurrence": "10 19 * * 1,2,3,4,5", "minSize": 0, "maxSize": 0,
                                    "desiredCapacity": 0},
        "office-hours-nat-0-start": {**common, "scheduledActionName": "nodeapi-staging-nat-0-office-hours-start",
                                     "recurrence": "40 7 * * 1,2,3,4,5", "minSize": 1, "maxSize": 2,
                                     "desiredCapacity": 1},
    }


def test_parts_can_be_left_running():
    graph = build(hours=OfficeHoursSettings(database=False, nat_instances=False))
    assert resources(graph, "aws:scheduler/schedule:Schedule") == []
    assert resources(graph, "aws:autoscaling/schedule:Schedule") == []
    assert len(resources(graph, "aws:appautoscaling/scheduledAction:ScheduledAction")) == 2


def test_scheduled_actions_wait_for_the_scalable_targets():
    import pulumi_aws as aws

    def program():
        target = aws.appautoscaling.Target("web-scaling", service_namespace="ecs", resource_id="service/c/web",
                                           scalable_dimension="ecs:service:DesiredCount", min_capacity=1, max_capacity=2)
        OfficeHours("office-hours", OfficeHoursArgs(
            hours=OfficeHoursSettings(), name_prefix="p", cluster_name="c", scaling_targets=[target],
            services=[ScaledService(name="web", min_count=1, max_count=2)], region="us-east-1", account_id=ACCOUNT))

    graph = record(program)
    for action in resources(graph, "aws:appautoscaling/scheduledAction:ScheduledAction"):
        assert [u.rsplit("::", 1)[1] for u in action["options"]["dependsOn"]] == ["web-scaling"]


def test_the_estimate_prices_what_the_component_declares(office):
    """The component's schedules, priced beside the resources they stop, give the shares the docs state."""
    db = {"urn": "urn:pulumi:test::nodeapi::aws:rds/instance:Instance::db", "type": "aws:rds/instance:Instance",
          "name": "db", "parent": None, "custom": True, "options": {},
          "inputs": {"identifier": "nodeapi-staging", "instanceClass": "db.t4g.micro", "allocatedStorage": 20,
                     "storageType": "gp3"}}
    graph = {**office, "resources": [*office["resources"], db]}
    prices = {"us-east-1": load_prices("us-east-1")}
    items = estimate(graph, prices, {"rdsBackupDailyChange": 0.02}).items
    # 07:40-19:10 on weekdays: 57.5 of 168 hours
    assert items[0].quantity == pytest.approx(730 * 57.5 / 168)
    assert items[0].name == "db.t4g.micro db (office hours: 34.2% of the month)"

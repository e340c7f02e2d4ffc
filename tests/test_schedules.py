"""Schedule expressions: parsed field by field with exact messages, normalised, and how often they run."""

import math

import pytest

from settings.schedules import (
    BACKUP, At, Cron, Rate, backup_expression, max_gap_hours, parse_schedule, runs_per_month, scheduler_expression,
)


@pytest.mark.parametrize("given, normalised", [
    ("cron(0 2 * * ? *)", "cron(0 2 * * ? *)"),
    ("  cron(0   2 * *  ?  *) ", "cron(0 2 * * ? *)"),
    ("cron(0 9 ? * mon-fri *)", "cron(0 9 ? * MON-FRI *)"),
    ("cron(0/15 8-17 ? * 2-6 2026-2030)", "cron(0/15 8-17 ? * 2-6 2026-2030)"),
    ("cron(5,35 */2 1-15/2 jan,jul ? *)", "cron(5,35 */2 1-15/2 JAN,JUL ? *)"),
    ("cron(0 0 L * ? *)", "cron(0 0 L * ? *)"),
    ("cron(0 0 15W * ? *)", "cron(0 0 15W * ? *)"),
    ("cron(0 0 L,15W * ? *)", "cron(0 0 L,15W * ? *)"),
    ("cron(0 0 ? * 6L *)", "cron(0 0 ? * 6L *)"),
    ("cron(0 0 ? * FRIL *)", "cron(0 0 ? * FRIL *)"),
    ("cron(0 0 ? * L *)", "cron(0 0 ? * L *)"),
    ("cron(0 9 ? * 2#1 *)", "cron(0 9 ? * 2#1 *)"),
    ("cron(0 9 ? * MON#5 *)", "cron(0 9 ? * MON#5 *)"),
    ("cron(59 23 31 12 ? 2199)", "cron(59 23 31 12 ? 2199)"),
    ("rate(1 minute)", "rate(1 minute)"),
    ("rate(5 minutes)", "rate(5 minutes)"),
    ("rate( 1  hour )", "rate(1 hour)"),
    ("rate(2 days)", "rate(2 days)"),
    ("at(2026-12-01T09:30:00)", "at(2026-12-01T09:30:00)"),
])
def test_valid_scheduler_expressions_are_normalised(given, normalised):
    assert scheduler_expression(given) == normalised


def test_parse_returns_the_kind():
    assert isinstance(parse_schedule("cron(0 2 * * ? *)"), Cron)
    assert parse_schedule("rate(2 hours)") == Rate(expression="rate(2 hours)", minutes=120)
    assert isinstance(parse_schedule("at(2026-12-01T09:30:00)"), At)


@pytest.mark.parametrize("given, message", [
    ("every night", "expected a schedule expression, e.g. 'cron(0 2 * * ? *)'"),
    ("0 2 * * ? *", "expected a schedule expression, e.g. 'cron(0 2 * * ? *)'"),
    ("cron(0 2 * * ?)",
     "cron(0 2 * * ?) has 5 fields; EventBridge Scheduler needs 6: minutes hours day-of-month month day-of-week year"),
    ("cron(0 2 * * * ? *)",
     "cron(0 2 * * * ? *) has 7 fields; EventBridge Scheduler needs 6: "
     "minutes hours day-of-month month day-of-week year"),
    ("cron(daily)",
     "cron(daily) has 1 field; EventBridge Scheduler needs 6: minutes hours day-of-month month day-of-week year"),
    ("cron()", "cron() has 0 fields; EventBridge Scheduler needs 6: minutes hours day-of-month month day-of-week year"),
    ("cron(0 2 * * * *)",
     "cron(0 2 * * * *): day-of-month '*' and day-of-week '*' are both set; one of them must be '?'"),
    ("cron(0 2 1 * MON *)",
     "cron(0 2 1 * MON *): day-of-month '1' and day-of-week 'MON' are both set; one of them must be '?'"),
    ("cron(0 2 ? * ? *)", "cron(0 2 ? * ? *): day-of-month and day-of-week are both '?'; exactly one of them is '?'"),
    ("cron(60 2 * * ? *)", "cron minutes '60': 60 is outside 0-59"),
    ("cron(0 24 * * ? *)", "cron hours '24': 24 is outside 0-23"),
    ("cron(0 2 0 * ? *)", "cron day-of-month '0': 0 is outside 1-31"),
    ("cron(0 2 32W * ? *)", "cron day-of-month '32W': 32 is outside 1-31"),
    ("cron(0 2 * 13 ? *)", "cron month '13': 13 is outside 1-12"),
    ("cron(0 2 ? * 8 *)", "cron day-of-week '8': 8 is outside 1-7"),
    ("cron(0 2 * * ? 1969)", "cron year '1969': 1969 is outside 1970-2199"),
    ("cron(0 2 * FOO ? *)",
     "cron month 'FOO': 'FOO' is not a number (1-12) or a name (JAN, FEB, MAR, APR, MAY, JUN, JUL, AUG, SEP, OCT, "
     "NOV, DEC)"),
    ("cron(0 2 ? * MONDAY *)",
     "cron day-of-week 'MONDAY': 'MONDAY' is not a number (1-7) or a name (SUN, MON, TUE, WED, THU, FRI, SAT)"),
    ("cron(x 2 * * ? *)", "cron minutes 'x': 'X' is not a number (0-59)".replace("'x'", "'X'", 1)),
    ("cron(*/0 2 * * ? *)", "cron minutes '*/0': the step after '/' must be a whole number of 1 or more, got '0'"),
    ("cron(0/x 2 * * ? *)", "cron minutes '0/X': the step after '/' must be a whole number of 1 or more, got 'X'"),
    ("cron(0 22-2 * * ? *)", "cron hours '22-2': range runs backwards; write it as two, e.g. 2-23,0-22"),
    ("cron(0 2 ? * FRI-MON *)", "cron day-of-week 'FRI-MON': range runs backwards"),
    ("cron(0 ? * * ? *)", "cron hours '?': '?' is allowed only in day-of-month or day-of-week"),
    ("cron(0 2 1,? * ? *)", "cron day-of-month '?': '?' is allowed only in day-of-month or day-of-week"),
    ("cron(L 2 * * ? *)", "cron minutes 'L': 'L' is not allowed here; allowed: 0-59, wildcards , - * /"),
    ("cron(0 2 * JUL,L ? *)",
     "cron month 'L': 'L' is not allowed here; allowed: 1-12 or JAN-DEC, wildcards , - * /"),
    ("cron(0 2 ? * 2W *)",
     "cron day-of-week '2W': 'W' is not allowed here; allowed: 1-7 or SUN-SAT, wildcards , - * ? L #"),
    ("cron(0 2 1#2 * ? *)",
     "cron day-of-month '1#2': '#' is not allowed here; allowed: 1-31, wildcards , - * ? / L W"),
    ("cron(0 2 ? * */2 *)",
     "cron day-of-week '*/2': '/' is not allowed here; allowed: 1-7 or SUN-SAT, wildcards , - * ? L #"),
    ("cron(0 2 ? * 2#6 *)", "cron day-of-week '2#6': the instance after '#' must be 1-5 (the nth such weekday of the month)"),
    ("cron(0 2 ? * 2#1,6#3 *)", "cron day-of-week '2#1,6#3': '#' allows only one expression in the field"),
    ("cron(0 2 ? * 9#1 *)", "cron day-of-week '9#1': 9 is outside 1-7"),
    ("cron(0,,30 2 * * ? *)", "cron minutes '0,,30': empty value around ','"),
    ("cron(0 2 LW * ? *)", "cron day-of-month 'LW': 'LW' is not a number (1-31)"),
    ("rate(0 minutes)", "rate(0 minutes): the value must be a whole number of 1 or more, e.g. 'rate(5 minutes)'"),
    ("rate(-5 minutes)", "rate(-5 minutes): the value must be a whole number of 1 or more, e.g. 'rate(5 minutes)'"),
    ("rate(1.5 hours)", "rate(1.5 hours): the value must be a whole number of 1 or more, e.g. 'rate(5 minutes)'"),
    ("rate(1 minutes)", "rate(1 minutes): with 1 the unit is 'minute' ('rate(1 minute)')"),
    ("rate(5 hour)", "rate(5 hour): with 5 the unit is 'hours' ('rate(5 hours)')"),
    ("rate(2 weeks)", "rate(2 weeks): the unit must be minute(s), hour(s) or day(s)"),
    ("rate(5minutes)", "rate(5minutes): expected rate(value unit), e.g. 'rate(5 minutes)'"),
    ("at(2026-13-01T00:00:00)",
     "at(2026-13-01T00:00:00): expected at(yyyy-mm-ddThh:mm:ss), a real date and time, e.g. 'at(2026-12-01T09:00:00)'"),
    ("at(2026-12-01 09:00)",
     "at(2026-12-01 09:00): expected at(yyyy-mm-ddThh:mm:ss), a real date and time, e.g. 'at(2026-12-01T09:00:00)'"),
])
def test_invalid_scheduler_expressions_say_what_is_wrong(given, message):
    with pytest.raises(ValueError) as caught:
        scheduler_expression(given)
    assert str(caught.value) == message


@pytest.mark.parametrize("given, message", [
    ("rate(1 day)", "rate(1 day): AWS Backup accepts cron(...) only, e.g. 'cron(0 2 * * ? *)'"),
    ("at(2026-12-01T09:30:00)", "at(2026-12-01T09:30:00): AWS Backup accepts cron(...) only, e.g. 'cron(0 2 * * ? *)'"),
    ("nightly", "expected a cron expression, e.g. 'cron(0 2 * * ? *)'"),
    ("cron(0 7 * * ?)",
     "cron(0 7 * * ?) has 5 fields; AWS Backup needs 6: minutes hours day-of-month month day-of-week year"),
    ("cron(*/30 * * * ? *)",
     "cron(*/30 * * * ? *): AWS Backup runs a job at most once an hour; give one minute, e.g. 'cron(0 * * * ? *)' "
     "for hourly"),
    ("cron(0,30 7 * * ? *)",
     "cron(0,30 7 * * ? *): AWS Backup runs a job at most once an hour; give one minute, e.g. 'cron(0 * * * ? *)' "
     "for hourly"),
])
def test_aws_backup_takes_cron_at_most_hourly(given, message):
    with pytest.raises(ValueError) as caught:
        backup_expression(given)
    assert str(caught.value) == message


@pytest.mark.parametrize("given", ["cron(0 7 * * ? *)", "cron(15 * ? * * *)", "cron(0 5 ? * SUN *)"])
def test_aws_backup_accepts_hourly_and_slower(given):
    assert backup_expression(given) == given
    assert isinstance(parse_schedule(given, BACKUP), Cron)


@pytest.mark.parametrize("expression, runs, gap", [
    ("cron(0 3 * * ? *)", 365 / 12, 24),  # daily
    ("cron(*/15 * * * ? *)", 4 * 24 * 365 / 12, 0.25),
    ("cron(0,30 8-17 * * ? *)", 20 * 365 / 12, 14.5),  # 17:30 to 08:00 the next day
    ("cron(0 9 ? * MON-FRI *)", 5 / 7 * 365 / 12, 72),  # Friday 09:00 to Monday 09:00
    ("cron(0 9 ? * 2#1 *)", 1, 35 * 24),  # first Mondays can be five weeks apart
    ("cron(0 0 1 * ? *)", 1, 31 * 24),
    ("cron(0 0 L * ? *)", 1, 31 * 24),
    ("cron(0 0 ? * 6L *)", 1, 35 * 24),
    ("cron(0 0 1 JAN,JUL ? *)", 2 / 12, 184 * 24),  # 1 July to 1 January
    ("cron(0 6 ? * L *)", 365 / 12 / 7, 7 * 24),  # Saturdays
    ("cron(0 0 31 * ? *)", 7 / 12, 61 * 24),  # only months with a 31st: 31 May to 31 July
    ("cron(0 0 29 FEB ? *)", 0, 4 * 365 * 24 + 24),  # a 365-day year has no 29 February
    ("cron(30 1 15W * ? *)", 1, 32 * 24),  # Friday 14th (15th a Saturday) to Tuesday 15th a month later
    ("rate(5 minutes)", 730 * 12, 5 / 60),
    ("rate(1 hour)", 730, 1),
    ("rate(2 days)", 730 / 48, 48),
])
def test_runs_per_month_and_longest_gap(expression, runs, gap):
    assert runs_per_month(expression) == pytest.approx(runs)
    assert max_gap_hours(expression) == pytest.approx(gap)


def test_a_one_time_schedule_has_no_frequency():
    assert runs_per_month("at(2026-12-01T00:00:00)") == 0
    assert max_gap_hours("at(2026-12-01T00:00:00)") == math.inf


def test_frequencies_refuse_what_the_parser_refuses():
    with pytest.raises(ValueError, match="has 5 fields"):
        runs_per_month("cron(0 2 * * ?)")
    with pytest.raises(ValueError, match="rate\\(0 minutes\\)"):
        max_gap_hours("rate(0 minutes)")

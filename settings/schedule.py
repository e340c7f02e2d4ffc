"""Schedule settings: office hours for a non-production stack (services to zero, database and NAT instances
stopped outside them), and the cron expressions the office-hours component and the cost estimate share."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import Field, field_validator, model_validator

from .base import Section, rule_error

DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # EventBridge cron: 1 = SUN … 7 = SAT
WORKDAYS = ("MON", "TUE", "WED", "THU", "FRI")
Day = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
WEEK_MINUTES = 7 * 24 * 60
DRAIN_MINUTES = 10  # the database (and NAT) stop this long after the services, once their tasks have drained
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def minutes_of(time_of_day: str) -> int:
    """`08:30` -> 510."""
    hours, minutes = time_of_day.split(":")
    return int(hours) * 60 + int(minutes)


def clock(minute_of_day: int) -> str:
    """510 -> `08:30`."""
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


@dataclass(frozen=True)
class OfficeCrons:
    """When each part starts and stops, as EventBridge/Application Auto Scaling `cron(...)` expressions and as the
    Unix crons EC2 Auto Scaling scheduled actions take (`recurrence`), all in `timezone`."""

    timezone: str
    services_start: str
    services_stop: str
    backing_start: str  # database and NAT instances: up before the services, down after them
    backing_stop: str
    backing_start_unix: str
    backing_stop_unix: str


class OfficeHoursSettings(Section):
    """The stack runs on `days` from `start` to `stop` (local time); outside, services run no tasks, the database
    is stopped (storage is still billed) and NAT instances are terminated. Production is refused."""

    timezone: str = Field(default="UTC", description="IANA time zone of start and stop, e.g. Europe/Berlin")
    days: list[Day] = Field(default_factory=lambda: list(WORKDAYS), min_length=1, description="days the stack runs")
    start: str = Field(default="08:00", description="services start (HH:MM, local time)")
    stop: str = Field(default="19:00", description="services stop (HH:MM, local time)")
    database: bool = Field(default=True, description="stop the database outside office hours")
    nat_instances: bool = Field(default=True, description="terminate NAT instances outside office hours")
    lead_minutes: int = Field(default=20, ge=10, le=120,
                              description="database and NAT instances start this long before the services")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("not an IANA time zone; expected e.g. 'UTC' or 'Europe/Berlin'")
        return value

    @field_validator("start", "stop")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError("expected a time of day as HH:MM (24 h), e.g. '08:00'")
        return value

    @field_validator("days")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each day at most once")
        return sorted(value, key=DAY_NAMES.index)

    @model_validator(mode="after")
    def _order(self) -> "OfficeHoursSettings":
        start, stop = minutes_of(self.start), minutes_of(self.stop)
        if stop <= start:
            raise rule_error("schedule.officeHours.stop", self.stop, f"must be after start ({self.start}) on the "
                                                                     "same day")
        if start - self.lead_minutes < 0 or stop + DRAIN_MINUTES >= 24 * 60:
            raise rule_error("schedule.officeHours", {"start": self.start, "stop": self.stop},
                             f"the database starts leadMinutes ({self.lead_minutes}) before start and stops "
                             f"{DRAIN_MINUTES} minutes after stop, on the same day: start at {clock(self.lead_minutes)} "
                             f"or later, stop before {clock(24 * 60 - DRAIN_MINUTES)}")
        return self

    def crons(self) -> OfficeCrons:
        """The expressions of the four moments (services start/stop, backing start/stop)."""
        start, stop = minutes_of(self.start), minutes_of(self.stop)
        backing_start, backing_stop = start - self.lead_minutes, stop + DRAIN_MINUTES
        days = ",".join(self.days)
        unix_days = ",".join(str(DAY_NAMES.index(d)) for d in self.days)  # Unix cron: 0 = Sunday
        return OfficeCrons(
            timezone=self.timezone,
            services_start=aws_cron(start, days),
            services_stop=aws_cron(stop, days),
            backing_start=aws_cron(backing_start, days),
            backing_stop=aws_cron(backing_stop, days),
            backing_start_unix=f"{backing_start % 60} {backing_start // 60} * * {unix_days}",
            backing_stop_unix=f"{backing_stop % 60} {backing_stop // 60} * * {unix_days}",
        )

    def weekly_hours(self) -> float:
        """Hours a week the services run."""
        return len(self.days) * (minutes_of(self.stop) - minutes_of(self.start)) / 60


def aws_cron(minute_of_day: int, days: str) -> str:
    """`cron(30 7 ? * MON,TUE *)`: at a local time on some days of the week."""
    return f"cron({minute_of_day % 60} {minute_of_day // 60} ? * {days} *)"


class ScheduleSettings(Section):
    """The `schedule` section: office hours (absent: the stack runs around the clock)."""

    office_hours: OfficeHoursSettings | None = Field(default=None, description="run only in office hours")

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        """Production runs around the clock."""
        if self.office_hours is not None and getattr(stack, "is_production", False):
            return [("officeHours", "set", "production serves users around the clock; remove schedule.officeHours")]
        return []


# ---------------------------------------------------------------------------------------------- week arithmetic


def cron_values(field: str, low: int, high: int, names: tuple[str, ...] = ()) -> set[int]:
    """The values a cron field takes: `*`, `?`, `a`, `a-b`, `a,b`, `*/n`, `a/n`, `a-b/n`, and day names."""
    for number, name in enumerate(names, start=low):
        field = field.upper().replace(name, str(number))
    values: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span in ("*", "?"):
            first, last = low, high
        elif "-" in span:
            first, last = (int(x) for x in span.split("-"))
        else:
            first, last = int(span), (high if step else int(span))
        values.update(range(first, last + 1, int(step or 1)))
    return values


def weekly_minutes(expression: str) -> list[int]:
    """Minutes of the week (0 = Sunday 00:00, schedule's own time zone) at which a weekly-repeating
    `cron(m h ? * dow *)` or daily `cron(m h * * ? *)` expression fires; ValueError for other shapes."""
    match = re.fullmatch(r"cron\((.*)\)", expression.strip())
    fields = match.group(1).split() if match else []
    if len(fields) != 6 or fields[2] not in ("*", "?") or fields[3] != "*":
        raise ValueError(f"not a daily or weekly cron expression: {expression!r}")
    minute, hour, _, _, dow, _ = fields
    days = cron_values(dow, 1, 7, DAY_NAMES) if dow not in ("*", "?") else set(range(1, 8))
    return sorted((day - 1) * 1440 + h * 60 + m for day in days
                  for h in cron_values(hour, 0, 23) for m in cron_values(minute, 0, 59))


def on_fraction(starts: list[str], stops: list[str]) -> float:
    """Share of the week something runs, from the expressions that start it and the ones that stop it."""
    events = sorted([(t, True) for e in starts for t in weekly_minutes(e)] +
                    [(t, False) for e in stops for t in weekly_minutes(e)])
    if not events:
        return 1.0
    running, since, total = events[-1][1], 0, 0  # the week wraps: the state at its start is the last one set
    for minute, starts_now in events:
        if running:
            total += minute - since
        running, since = starts_now, minute
    if running:
        total += WEEK_MINUTES - since
    return total / WEEK_MINUTES


def office_hours_conflicts(hours: OfficeHoursSettings, schedules: Mapping[str, str],
                           schedules_timezone: str = "UTC") -> list[tuple[str, str, str]]:
    """(key, expression, what is allowed) for each schedule that fires while the database is stopped, e.g.
    `{"backups.dump.schedule": "cron(0 2 * * ? *)"}`: a dump, backup or job then fails. Checked in a winter and a
    summer week, so daylight saving time cannot hide a conflict."""
    window = (minutes_of(hours.start) - hours.lead_minutes, minutes_of(hours.stop) + DRAIN_MINUTES)
    span = f"{clock(window[0])}-{clock(window[1])} {hours.timezone} on {','.join(hours.days)}"
    local, source = ZoneInfo(hours.timezone), ZoneInfo(schedules_timezone)
    found = []
    for key, expression in schedules.items():
        try:
            fires = weekly_minutes(expression)
        except ValueError:
            found.append((key, expression, "with schedule.officeHours, give a daily or weekly cron(...) expression "
                                            "the office hours can be checked against"))
            continue
        for sunday in (datetime(2026, 1, 4), datetime(2026, 7, 5)):  # a Sunday in winter, one in summer
            late = [m for m in fires if not _inside(_local_minute(sunday, m, source, local), hours.days, window)]
            if late:
                found.append((key, expression, f"runs while the database is stopped; with schedule.officeHours "
                                                f"it must run within {span}"))
                break
    return found


def _local_minute(sunday: datetime, minute: int, source: ZoneInfo, local: ZoneInfo) -> tuple[str, int]:
    """(day name, minute of day) in `local` of the moment `minute` after `sunday` 00:00 in `source`."""
    moment = (sunday + timedelta(minutes=minute)).replace(tzinfo=source).astimezone(local)
    return DAY_NAMES[(moment.weekday() + 1) % 7], moment.hour * 60 + moment.minute


def _inside(when: tuple[str, int], days: list[str], window: tuple[int, int]) -> bool:
    day, minute = when
    return day in days and window[0] <= minute < window[1]


"""Schedule expressions of EventBridge Scheduler and AWS Backup, parsed field by field, and how often they run.

EventBridge Scheduler accepts `cron(...)`, `rate(...)` and `at(...)`
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html); the cron fields, their ranges and
wildcards are those of https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html, and the
rate rules those of https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html.
AWS Backup takes a cron expression only (BackupRule.ScheduleExpression,
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRule.html) and refuses jobs less than 60 minutes
apart ("The interval between backup jobs shouldn't be less than 60 minutes").

Frequencies use AWS's 730-hour month (a 365-day year / 12): a daily schedule runs 365/12 times a month, a
first-of-the-month schedule once, a weekday schedule 5/7 of the days (so 29 February counts as never).
"""

import calendar
import datetime
import math
import re
from dataclasses import dataclass
from functools import lru_cache

SCHEDULER = "EventBridge Scheduler"
BACKUP = "AWS Backup"
FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
HOURS_PER_MONTH = 730
EXAMPLE = "'cron(0 2 * * ? *)'"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # 1-7, as AWS numbers them
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # of the 365-day year the frequencies use
_RATE_UNITS = {"minute": 1, "hour": 60, "day": 1440}
_AT_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class _Field:
    """One cron field: its value range, the names it accepts, the wildcards AWS allows in it."""

    name: str
    low: int
    high: int
    wildcards: str
    names: tuple[str, ...] = ()

    def allowed(self) -> str:
        values = f"{self.low}-{self.high}" + (f" or {self.names[0]}-{self.names[-1]}" if self.names else "")
        return f"{values}, wildcards {' '.join(self.wildcards)}"


_SPEC = dict(zip(FIELDS, (
    _Field("minutes", 0, 59, ",-*/"),
    _Field("hours", 0, 23, ",-*/"),
    _Field("day-of-month", 1, 31, ",-*?/LW"),
    _Field("month", 1, 12, ",-*/", MONTHS),
    _Field("day-of-week", 1, 7, ",-*?L#", WEEKDAYS),
    _Field("year", 1970, 2199, ",-*/"),
)))


@dataclass(frozen=True)
class DaySpec:
    """Days a day field selects: plain values, plus AWS's specials (last day, nearest weekday, nth weekday)."""

    values: frozenset[int] = frozenset()
    last: bool = False  # day-of-month L, or day-of-week L (Saturday, the last day of the week)
    last_weekday_of: frozenset[int] = frozenset()  # day-of-week 6L: the last Friday of the month
    nearest_weekday: frozenset[int] = frozenset()  # day-of-month 15W: the weekday nearest the 15th
    nth: tuple[int, int] | None = None  # day-of-week 2#1: (weekday, instance), the first Monday


@dataclass(frozen=True)
class Cron:
    """A parsed `cron(...)`: the expression AWS gets, the minutes and hours of each run day, the day rules."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: DaySpec | None  # None for '?'
    months: frozenset[int]
    day_of_week: DaySpec | None

    def runs_per_month(self) -> float:
        per_day = len(self.minutes) * len(self.hours)
        return per_day * sum(self._days_in(month) for month in self.months) / 12

    def _days_in(self, month: int) -> float:
        """Run days in `month` of a 365-day year, weekdays averaged over the week."""
        length = _DAYS_IN_MONTH[month - 1]
        if self.day_of_month is not None:
            spec = self.day_of_month
            return sum(d <= length for d in spec.values) + spec.last + len(spec.nearest_weekday)
        spec = self.day_of_week
        weekdays = spec.values | ({7} if spec.last else set())
        return len(weekdays) * length / 7 + len(spec.last_weekday_of) + (1 if spec.nth else 0)

    def max_gap_hours(self) -> float:
        """Longest time between two runs, over a 28-year calendar (every weekday/date alignment)."""
        times = sorted(h * 60 + m for h in self.hours for m in self.minutes)
        days = _run_days(self)
        within = max((b - a for a, b in zip(times, times[1:])), default=0)
        if len(days) < 2:
            return math.inf
        across = max((b - a) for a, b in zip(days, days[1:])) * 1440 - (times[-1] - times[0])
        return max(within, across) / 60


@dataclass(frozen=True)
class Rate:
    """A parsed `rate(value unit)`."""

    expression: str
    minutes: int

    def runs_per_month(self) -> float:
        return HOURS_PER_MONTH * 60 / self.minutes

    def max_gap_hours(self) -> float:
        return self.minutes / 60


@dataclass(frozen=True)
class At:
    """A parsed one-time `at(yyyy-mm-ddThh:mm:ss)`: it runs once, so it has no monthly frequency."""

    expression: str
    when: datetime.datetime

    def runs_per_month(self) -> float:
        return 0.0

    def max_gap_hours(self) -> float:
        return math.inf


Schedule = Cron | Rate | At


def parse_schedule(expression: str, service: str = SCHEDULER) -> Schedule:
    """Parse an expression as `service` (SCHEDULER or BACKUP) accepts it, or raise ValueError saying what is wrong."""
    text = " ".join(str(expression).split())
    match = re.fullmatch(r"(cron|rate|at) ?\((.*)\)", text)
    if service == BACKUP:
        if not match:
            raise ValueError(f"expected a cron expression, e.g. {EXAMPLE}")
        if match.group(1) != "cron":
            raise ValueError(f"{text}: AWS Backup accepts cron(...) only, e.g. {EXAMPLE}")
        cron = _cron(match.group(2).strip(), service)
        if len(cron.minutes) > 1:
            raise ValueError(f"{cron.expression}: AWS Backup runs a job at most once an hour; give one minute, "
                             f"e.g. 'cron(0 * * * ? *)' for hourly")
        return cron
    if not match:
        raise ValueError(f"expected a schedule expression, e.g. {EXAMPLE}")
    kind, body = match.group(1), match.group(2).strip()
    return {"cron": lambda: _cron(body, service), "rate": lambda: _rate(body), "at": lambda: _at(body)}[kind]()


def scheduler_expression(value: str) -> str:
    """An EventBridge Scheduler expression, normalised (single spaces, names upper case); ValueError otherwise."""
    return parse_schedule(value, SCHEDULER).expression


def backup_expression(value: str) -> str:
    """An AWS Backup rule schedule (cron only, at most hourly), normalised; ValueError otherwise."""
    return parse_schedule(value, BACKUP).expression


def runs_per_month(expression: str) -> float:
    """Runs in a 730-hour month (0 for a one-time `at(...)`)."""
    return parse_schedule(expression).runs_per_month()


def max_gap_hours(expression: str) -> float:
    """The longest wait between two runs, in hours (inf for a one-time `at(...)`): the RPO of a backup schedule."""
    return parse_schedule(expression).max_gap_hours()


def _cron(body: str, service: str) -> Cron:
    parts = body.split(" ") if body else []
    if len(parts) != 6:
        noun = "field" if len(parts) == 1 else "fields"
        raise ValueError(f"cron({body}) has {len(parts)} {noun}; {service} needs 6: {' '.join(FIELDS)}")
    parts = [p.upper() for p in parts]
    expression = f"cron({' '.join(parts)})"
    minutes, hours, dom, month, dow, year = parts
    if "?" in (dom, dow) and dom == dow:
        raise ValueError(f"{expression}: day-of-month and day-of-week are both '?'; exactly one of them is '?'")
    if "?" not in (dom, dow):
        raise ValueError(f"{expression}: day-of-month {dom!r} and day-of-week {dow!r} are both set; "
                         "one of them must be '?'")
    parsed = Cron(
        expression=expression,
        minutes=_values(_SPEC["minutes"], minutes),
        hours=_values(_SPEC["hours"], hours),
        day_of_month=None if dom == "?" else _day_of_month(dom),
        months=_values(_SPEC["month"], month),
        day_of_week=None if dow == "?" else _day_of_week(dow),
    )
    _values(_SPEC["year"], year)
    return parsed


def _problem(spec: _Field, token: str, why: str) -> ValueError:
    return ValueError(f"cron {spec.name} {token!r}: {why}")


def _values(spec: _Field, text: str) -> frozenset[int]:
    """Values of a field made of `*`, `n`, `a-b`, `*/s`, `a/s`, `a-b/s` and names, joined by commas."""
    found: set[int] = set()
    for token in text.split(","):
        found |= _token_values(spec, token, text)
    return frozenset(found)


def _token_values(spec: _Field, token: str, field_text: str) -> set[int]:
    if token == "":
        raise _problem(spec, field_text, "empty value around ','")
    if token == "?":
        raise _problem(spec, token, "'?' is allowed only in day-of-month or day-of-week")
    bare = re.sub("|".join(spec.names), "", token) if spec.names else token
    for char in "LW#":
        if char in bare and char not in spec.wildcards:
            raise _problem(spec, token, f"{char!r} is not allowed here; allowed: {spec.allowed()}")
    base, slash, step_text = token.partition("/")
    if slash and "/" not in spec.wildcards:
        raise _problem(spec, token, f"'/' is not allowed here; allowed: {spec.allowed()}")
    if base == "*":
        low, high = spec.low, spec.high
    elif "-" in base:
        first, _, last = base.partition("-")
        low, high = _number(spec, first, token), _number(spec, last, token)
        if low > high:
            raise _problem(spec, token, f"range runs backwards; write it as two, e.g. {last}-{spec.high},{spec.low}-{first}"
                           if not spec.names else "range runs backwards")
    else:
        low = _number(spec, base, token)
        high = spec.high if slash else low
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) < 1:
            raise _problem(spec, token, f"the step after '/' must be a whole number of 1 or more, got {step_text!r}")
        step = int(step_text)
    return set(range(low, high + 1, step))


def _number(spec: _Field, text: str, token: str) -> int:
    if text in spec.names:
        return spec.names.index(text) + 1
    if not text.isdigit():
        kind = f"a number ({spec.low}-{spec.high})" + (f" or a name ({', '.join(spec.names)})" if spec.names else "")
        raise _problem(spec, token, f"{text!r} is not {kind}")
    value = int(text)
    if not spec.low <= value <= spec.high:
        raise _problem(spec, token, f"{value} is outside {spec.low}-{spec.high}")
    return value


def _day_of_month(text: str) -> DaySpec:
    spec = _SPEC["day-of-month"]
    values: set[int] = set()
    last, nearest = False, set()
    for token in text.split(","):
        if token == "L":
            last = True
        elif token.endswith("W") and token[:-1].isdigit():
            nearest.add(_number(spec, token[:-1], token))
        else:
            values |= _token_values(spec, token, text)
    return DaySpec(values=frozenset(values), last=last, nearest_weekday=frozenset(nearest))


def _day_of_week(text: str) -> DaySpec:
    spec = _SPEC["day-of-week"]
    if "#" in text:
        if "," in text:
            raise _problem(spec, text, "'#' allows only one expression in the field")
        day, _, instance = text.partition("#")
        if not instance.isdigit() or not 1 <= int(instance) <= 5:
            raise _problem(spec, text, "the instance after '#' must be 1-5 (the nth such weekday of the month)")
        return DaySpec(nth=(_number(spec, day, text), int(instance)))
    values: set[int] = set()
    last, last_of = False, set()
    for token in text.split(","):
        if token == "L":
            last = True
        elif token.endswith("L") and len(token) > 1:
            last_of.add(_number(spec, token[:-1], token))
        else:
            values |= _token_values(spec, token, text)
    return DaySpec(values=frozenset(values), last=last, last_weekday_of=frozenset(last_of))


def _rate(body: str) -> Rate:
    expression = f"rate({body})"
    value, space, unit = body.partition(" ")
    if not space:
        raise ValueError(f"{expression}: expected rate(value unit), e.g. 'rate(5 minutes)'")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{expression}: the value must be a whole number of 1 or more, e.g. 'rate(5 minutes)'")
    number = int(value)
    singular = unit.removesuffix("s")
    if singular not in _RATE_UNITS:
        raise ValueError(f"{expression}: the unit must be minute(s), hour(s) or day(s)")
    wanted = singular if number == 1 else singular + "s"
    if unit != wanted:
        raise ValueError(f"{expression}: with {number} the unit is {wanted!r} ('rate({number} {wanted})')")
    return Rate(expression=f"rate({number} {unit})", minutes=number * _RATE_UNITS[singular])


def _at(body: str) -> At:
    try:
        when = datetime.datetime.strptime(body, _AT_FORMAT)
    except ValueError:
        raise ValueError(f"at({body}): expected at(yyyy-mm-ddThh:mm:ss), a real date and time, "
                         "e.g. 'at(2026-12-01T09:00:00)'") from None
    return At(expression=f"at({body})", when=when)


@lru_cache(maxsize=64)
def _run_days(cron: Cron) -> tuple[int, ...]:
    """Ordinals of the days a cron runs on from 2001 to 2028 (28 years: every weekday/date alignment)."""
    first, last = datetime.date(2001, 1, 1).toordinal(), datetime.date(2028, 12, 31).toordinal()
    return tuple(n for n in range(first, last + 1) if _runs_on(cron, datetime.date.fromordinal(n)))


def _runs_on(cron: Cron, day: datetime.date) -> bool:
    if day.month not in cron.months:
        return False
    length = calendar.monthrange(day.year, day.month)[1]
    if cron.day_of_month is not None:
        spec = cron.day_of_month
        return (day.day in spec.values or (spec.last and day.day == length)
                or any(day == _nearest_weekday(day.year, day.month, d) for d in spec.nearest_weekday))
    spec = cron.day_of_week
    weekday = day.isoweekday() % 7 + 1  # AWS: 1 = Sunday ... 7 = Saturday
    if spec.nth:
        return weekday == spec.nth[0] and (day.day - 1) // 7 + 1 == spec.nth[1]
    if weekday in spec.last_weekday_of and day.day + 7 > length:
        return True
    return weekday in spec.values or (spec.last and weekday == 7)


def _nearest_weekday(year: int, month: int, dom: int) -> datetime.date | None:
    """The weekday nearest `dom` within the month (Quartz's W); None when the month has no such day."""
    length = calendar.monthrange(year, month)[1]
    if dom > length:
        return None
    day = datetime.date(year, month, dom)
    if day.weekday() == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return day - datetime.timedelta(days=1) if dom > 1 else day + datetime.timedelta(days=2)
    if day.weekday() == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return day + datetime.timedelta(days=1) if dom < length else day - datetime.timedelta(days=2)
    return day

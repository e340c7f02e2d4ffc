"""Maintenance and backup windows: parsing and overlap checks (pure functions, no AWS)."""

import re

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK = 7 * 24 * 60
_DAILY = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
_WEEKLY = re.compile(r"^([a-z]{3}):(\d\d):(\d\d)-([a-z]{3}):(\d\d):(\d\d)$")


def _minute(hour: str, minute: str) -> int:
    h, m = int(hour), int(minute)
    if h > 23 or m > 59:
        raise ValueError("hours are 00-23 and minutes 00-59")
    return h * 60 + m


def daily_window(text: str) -> tuple[int, int]:
    """'03:00-04:00' -> (start, length) in minutes of the day (UTC). At least 30 minutes, as AWS requires."""
    match = _DAILY.match(text)
    if not match:
        raise ValueError("expected a daily UTC window 'hh:mm-hh:mm', e.g. '03:00-04:00'")
    start, end = _minute(*match.group(1, 2)), _minute(*match.group(3, 4))
    length = (end - start) % (24 * 60)
    if length < 30:
        raise ValueError("the window must last at least 30 minutes")
    return start, length


def weekly_window(text: str) -> tuple[int, int]:
    """'sun:05:00-sun:06:00' -> (start, length) in minutes of the week (UTC, Monday 00:00 = 0)."""
    match = _WEEKLY.match(text.lower())
    if not match or match.group(1) not in DAYS or match.group(4) not in DAYS:
        raise ValueError("expected a weekly UTC window 'ddd:hh:mm-ddd:hh:mm', e.g. 'sun:05:00-sun:06:00'")
    start = DAYS.index(match.group(1)) * 1440 + _minute(*match.group(2, 3))
    end = DAYS.index(match.group(4)) * 1440 + _minute(*match.group(5, 6))
    length = (end - start) % WEEK
    if length < 30:
        raise ValueError("the window must last at least 30 minutes")
    return start, length


def _intervals_overlap(a: tuple[int, int], b: tuple[int, int], period: int) -> bool:
    """Do two (start, length) intervals on a circle of `period` minutes share any minute?"""
    (a_start, a_len), (b_start, b_len) = a, b
    return (b_start - a_start) % period < a_len or (a_start - b_start) % period < b_len


def windows_overlap(daily: str, weekly: str) -> bool:
    """True when a daily window (e.g. backups, every day) meets a weekly one (maintenance) on any day."""
    d_start, d_len = daily_window(daily)
    weekly_interval = weekly_window(weekly)
    return any(_intervals_overlap((day * 1440 + d_start, d_len), weekly_interval, WEEK) for day in range(7))

"""Time zones and weekly availability as UTC quarter-hour slots.

A week is :data:`SLOTS_PER_WEEK` = 672 slots of 15 minutes, slot 0 starting Monday 00:00 UTC of
the reference week. Quarter hours make every real UTC offset (+05:30, +05:45, ...) exact. A
window's start is rounded up and its end down to a quarter hour, so a slot is marked only when
the person is available for all of it. Windows that cross the week's end wrap around.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from datetime import timezone as fixed_timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray

from matchsvc.bounds import MAX_TIMEZONE_LENGTH
from matchsvc.profiles import Availability

__all__ = [
    "DAYS",
    "SLOTS_PER_WEEK",
    "SLOT_MINUTES",
    "availability_matrix",
    "availability_slots",
    "parse_clock",
    "parse_timezone",
    "week_start",
]

SLOT_MINUTES = 15
SLOTS_PER_WEEK = 7 * 24 * 60 // SLOT_MINUTES
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_OFFSET = re.compile(r"UTC(?:([+-])([0-9]{1,2})(?::([0-9]{2}))?)?")
_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")  # ASCII digits only: "٠٩:٠٠" is not a time


@lru_cache(maxsize=1024)
def parse_timezone(name: str) -> tzinfo:
    """An IANA zone name (``"Europe/Berlin"``) or a fixed offset (``"UTC"``, ``"UTC+05:30"``).

    Offsets lie in [-12:00, +14:00] with minutes 00, 15, 30 or 45.

    Raises:
        ValueError: the name is neither; the message says which forms are accepted.
    """
    match = _OFFSET.fullmatch(name)
    if match is not None:
        sign, hours, minutes = match.groups()
        if sign is None:
            return UTC
        h, m = int(hours), int(minutes or 0)
        if m not in (0, 15, 30, 45):
            raise ValueError(
                f"UTC offset {name!r} has minutes {m:02d}; real offsets use 00, 15, 30 or 45"
            )
        delta = timedelta(hours=h, minutes=m) * (-1 if sign == "-" else 1)
        if not timedelta(hours=-12) <= delta <= timedelta(hours=14):
            raise ValueError(f"UTC offset {name!r} is outside UTC-12:00 .. UTC+14:00")
        return fixed_timezone(delta)
    if len(name) > MAX_TIMEZONE_LENGTH:
        raise ValueError(
            f"time zone name of {len(name)} characters is too long (at most "
            f"{MAX_TIMEZONE_LENGTH}): use an IANA name such as 'Europe/Berlin' or 'UTC+05:30'"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Europe"
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin' "
            "or a UTC offset such as 'UTC+05:30'"
        ) from None


@lru_cache(maxsize=4096)
def parse_clock(text: str, *, allow_24: bool) -> int:
    """Minutes since midnight of an "HH:MM" string; "24:00" only when ``allow_24``.

    Raises:
        ValueError: not "HH:MM" with HH 00-23 and MM 00-59.
    """
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"time {text!r} is not 'HH:MM' (for example '09:30')")
    h, m = int(match.group(1)), int(match.group(2))
    if (h, m) == (24, 0) and allow_24:
        return 24 * 60
    if h > 23 or m > 59:
        raise ValueError(
            f"time {text!r} is out of range: use 00:00 to 23:59"
            + (" (24:00 is allowed as an end)" if allow_24 else "")
        )
    return h * 60 + m


def week_start(reference: date) -> date:
    """The Monday on or before ``reference``."""
    return reference - timedelta(days=reference.weekday())


def availability_slots(
    windows: tuple[Availability, ...], zone: str, reference: date
) -> NDArray[np.bool_]:
    """The UTC slots of the reference week covered by ``windows`` given in time zone ``zone``.

    Args:
        windows: validated windows (day, "HH:MM" start, "HH:MM" end after start).
        zone: a name :func:`parse_timezone` accepts.
        reference: any day of the reference week.

    Returns:
        bool array of length :data:`SLOTS_PER_WEEK`.
    """
    matrix, _ = availability_matrix([(windows, zone)], reference)
    row: NDArray[np.bool_] = matrix[0]
    return row


def availability_matrix(
    people: Sequence[tuple[tuple[Availability, ...], str] | None], reference: date
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Slot masks of many people at once.

    Args:
        people: per person ``(windows, zone)``, or ``None`` for a person without windows.
        reference: any day of the reference week.

    Returns:
        ``(slots, has)``: ``(len(people), SLOTS_PER_WEEK)`` bool, and whether each person gave
        at least one window.
    """
    monday = week_start(reference)
    rows: list[int] = []
    firsts: list[int] = []
    counts: list[int] = []
    has = np.zeros(len(people), dtype=np.bool_)
    for row, entry in enumerate(people):
        if entry is None or not entry[0]:
            continue
        has[row] = True
        windows, zone = entry
        for window in windows:
            day = DAYS.index(window.day)
            start = -(-parse_clock(window.start, allow_24=False) // SLOT_MINUTES) * SLOT_MINUTES
            end = parse_clock(window.end, allow_24=True) // SLOT_MINUTES * SLOT_MINUTES
            if end <= start:
                continue
            # Both ends in UTC, so a daylight-saving change inside the window is honoured.
            first = _utc_minute(zone, monday, day, start)
            rows.append(row)
            firsts.append(first // SLOT_MINUTES)
            counts.append((_utc_minute(zone, monday, day, end) - first) // SLOT_MINUTES)
    # Difference array: +1 where an interval starts, -1 where it ends; a window that runs past
    # the end of the week is split in two.
    diff = np.zeros((len(people), SLOTS_PER_WEEK + 1), dtype=np.int32)
    r = np.asarray(rows, dtype=np.int64)
    lo = np.asarray(firsts, dtype=np.int64) % SLOTS_PER_WEEK
    hi = lo + np.minimum(np.asarray(counts, dtype=np.int64), SLOTS_PER_WEEK)
    wraps = hi > SLOTS_PER_WEEK
    np.add.at(diff, (r, lo), 1)
    np.add.at(diff, (r, np.minimum(hi, SLOTS_PER_WEEK)), -1)
    np.add.at(diff, (r[wraps], np.zeros(int(wraps.sum()), dtype=np.int64)), 1)
    np.add.at(diff, (r[wraps], hi[wraps] - SLOTS_PER_WEEK), -1)
    slots = np.cumsum(diff[:, :SLOTS_PER_WEEK], axis=1) > 0
    return slots, has


@lru_cache(maxsize=65536)
def _utc_minute(zone: str, monday: date, day: int, minute: int) -> int:
    """Minutes from Monday 00:00 UTC to local ``minute`` of weekday ``day`` (may be < 0)."""
    local = datetime.combine(monday + timedelta(days=day), time(0, 0), tzinfo=parse_timezone(zone))
    moment = (local + timedelta(minutes=minute)).astimezone(UTC)
    origin = datetime.combine(monday, time(0, 0), tzinfo=UTC)
    return int((moment - origin).total_seconds()) // 60

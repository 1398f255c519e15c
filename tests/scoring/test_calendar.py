"""Time zones and availability slots."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import numpy as np
import pytest

from matchsvc.profiles import Availability
from matchsvc.scoring import SLOTS_PER_WEEK, availability_slots
from matchsvc.scoring._calendar import parse_timezone, week_start

MONDAY = date(2025, 1, 6)


def slots_of(windows: tuple[Availability, ...], zone: str, ref: date = MONDAY) -> list[int]:
    return np.flatnonzero(availability_slots(windows, zone, ref)).tolist()


def test_parse_offsets() -> None:
    assert parse_timezone("UTC") is UTC
    assert parse_timezone("UTC+05:30").utcoffset(None) == timedelta(hours=5, minutes=30)
    assert parse_timezone("UTC-3").utcoffset(None) == timedelta(hours=-3)
    assert parse_timezone("UTC+14:00").utcoffset(None) == timedelta(hours=14)
    assert parse_timezone("Europe/Berlin").utcoffset(None) is None  # an IANA zone
    for bad in ("UTC+05:61", "utc+1", "UTC+5:3", "", "../etc/passwd"):
        with pytest.raises(ValueError):
            parse_timezone(bad)


def test_utc_window_maps_to_quarter_hours_from_monday() -> None:
    assert slots_of((Availability("mon", "00:00", "01:00"),), "UTC") == [0, 1, 2, 3]
    tue = 24 * 4
    assert slots_of((Availability("tue", "09:30", "10:00"),), "UTC") == [tue + 38, tue + 39]


def test_partial_quarters_round_inward() -> None:
    assert slots_of((Availability("mon", "00:05", "00:50"),), "UTC") == [1, 2]
    assert slots_of((Availability("mon", "00:05", "00:14"),), "UTC") == []


def test_offsets_shift_and_wrap_around_the_week() -> None:
    # Monday 03:00-06:00 in UTC+05:45 is Sunday 21:15 to Monday 00:15 UTC: it wraps.
    got = slots_of((Availability("mon", "03:00", "06:00"),), "UTC+05:45")
    sunday_2115 = 6 * 96 + 21 * 4 + 1
    assert got == [0, *range(sunday_2115, SLOTS_PER_WEEK)]
    assert len(got) == 12
    # Sunday until midnight in New York (UTC-5 in January) ends Monday 05:00 UTC.
    got = slots_of((Availability("sun", "23:00", "24:00"),), "America/New_York")
    assert got == [16, 17, 18, 19]


def test_reference_date_selects_daylight_saving_offset() -> None:
    window = (Availability("mon", "09:00", "10:00"),)
    winter = slots_of(window, "Europe/Berlin", date(2025, 1, 8))
    summer = slots_of(window, "Europe/Berlin", date(2025, 7, 9))
    assert winter == list(range(8 * 4, 9 * 4))  # UTC+1
    assert summer == list(range(7 * 4, 8 * 4))  # UTC+2
    assert week_start(date(2025, 1, 12)) == MONDAY


def test_window_across_a_dst_change_counts_real_hours() -> None:
    # Sunday 30 March 2025 02:00 Berlin clocks jump to 03:00: 00:00-06:00 lasts 5 hours.
    got = slots_of((Availability("sun", "00:00", "06:00"),), "Europe/Berlin", date(2025, 3, 30))
    assert len(got) == 5 * 4


def test_overlapping_windows_union() -> None:
    windows = (Availability("mon", "09:00", "11:00"), Availability("mon", "10:00", "12:00"))
    assert len(slots_of(windows, "UTC")) == 12

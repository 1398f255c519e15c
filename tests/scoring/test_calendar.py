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


def test_matrix_matches_datetime_arithmetic_for_random_windows() -> None:
    from datetime import datetime, time

    from matchsvc.scoring._calendar import DAYS, availability_matrix

    rng = np.random.default_rng(11)
    zones = ["UTC", "Asia/Kathmandu", "America/St_Johns", "Pacific/Kiritimati", "UTC-11:00"]
    people = []
    for _ in range(40):
        windows = []
        for _ in range(rng.integers(1, 4)):
            start = int(rng.integers(0, 95)) * 15
            end = min(24 * 60, start + int(rng.integers(1, 20)) * 15)
            windows.append(
                Availability(
                    DAYS[rng.integers(0, 7)],  # type: ignore[arg-type]
                    f"{start // 60:02d}:{start % 60:02d}",
                    f"{end // 60:02d}:{end % 60:02d}",
                )
            )
        people.append((tuple(windows), zones[rng.integers(0, len(zones))]))
    slots, has = availability_matrix([*people, None], MONDAY)
    assert has.tolist() == [True] * 40 + [False]
    assert not slots[-1].any()
    origin = datetime.combine(MONDAY, time(0, 0), tzinfo=UTC)
    for row, (windows, zone) in enumerate(people):
        expected = np.zeros(SLOTS_PER_WEEK, dtype=bool)
        tz = parse_timezone(zone)
        for w in windows:
            day = MONDAY + timedelta(days=DAYS.index(w.day))
            for minute in range(0, 24 * 60, 15):
                t = f"{minute // 60:02d}:{minute % 60:02d}"
                if w.start <= t < w.end:
                    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
                    k = int((local.astimezone(UTC) - origin).total_seconds()) // 900
                    expected[k % SLOTS_PER_WEEK] = True
        np.testing.assert_array_equal(slots[row], expected)

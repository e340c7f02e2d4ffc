"""What the program knows about RDS for PostgreSQL: the dated standard-support table and parameter apply methods."""

from datetime import date

import pytest

from settings.postgres import (
    DYNAMIC_PARAMETERS,
    PROGRAM_PARAMETERS,
    STANDARD_SUPPORT_ENDS,
    STATIC_PARAMETERS,
    apply_method,
    check_engine_version,
    parameter_value,
    supported_majors,
)


def test_the_table_has_the_majors_the_playbooks_use_with_their_dates():
    assert STANDARD_SUPPORT_ENDS == {14: date(2027, 2, 28), 15: date(2028, 2, 29), 16: date(2029, 2, 28),
                                     17: date(2030, 2, 28)}


@pytest.mark.parametrize("today, majors", [
    (date(2026, 11, 30), [14, 15, 16, 17]),
    (date(2027, 2, 28), [14, 15, 16, 17]),  # the last day of standard support still counts
    (date(2027, 3, 1), [15, 16, 17]),
    (date(2030, 3, 1), []),
])
def test_supported_majors(today, majors):
    assert supported_majors(today) == majors


@pytest.mark.parametrize("version", ["15", "15.12", "16", "16.6", "17", "17.7", "14"])
def test_versions_in_standard_support(version):
    assert check_engine_version(version, date(2026, 11, 30)) == version


@pytest.mark.parametrize("version, message", [
    ("13.20", "no RDS standard support for PostgreSQL 13 (table checked 2026-11-30); allowed majors: 15, 16, 17"),
    ("14", "the RDS standard support of PostgreSQL 14 ended on 2027-02-28 (Extended Support is billed per "
           "vCPU-hour); allowed majors: 15, 16, 17"),
    ("16.x", "expected a PostgreSQL version, e.g. '16' (latest 16.x) or '16.6'"),
    ("v16", "expected a PostgreSQL version, e.g. '16' (latest 16.x) or '16.6'"),
])
def test_versions_refused(version, message):
    with pytest.raises(ValueError) as caught:
        check_engine_version(version, date(2027, 6, 1))
    assert str(caught.value) == message


@pytest.mark.parametrize("name, method", [
    ("max_connections", "pending-reboot"), ("shared_buffers", "pending-reboot"),
    ("shared_preload_libraries", "pending-reboot"), ("work_mem", "immediate"), ("statement_timeout", "immediate"),
    ("rds.force_ssl", "immediate"), ("some_extension.setting", "pending-reboot"),
])
def test_apply_method(name, method):
    assert apply_method(name) == method


def test_the_tables_do_not_overlap_and_cover_the_programs_own_parameters():
    assert not STATIC_PARAMETERS & DYNAMIC_PARAMETERS
    assert set(PROGRAM_PARAMETERS) <= DYNAMIC_PARAMETERS  # applied at once, as before


@pytest.mark.parametrize("value, text", [(True, "1"), (False, "0"), (200, "200"), (200.0, "200"), (0.4, "0.4"),
                                         ("4MB", "4MB")])
def test_parameter_value(value, text):
    assert parameter_value(value) == text

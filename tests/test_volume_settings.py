"""`services.<name>.volume`: defaults, exact messages for bad values, and the production rules as the user sees them."""

import pytest
from pydantic import ValidationError

from settings.base import rule_error
from settings.loader import describe_error
from settings.volumes import IA_AFTER_DAYS, VolumeSettings, single_writer_rules, volume_rules

PREFIX = ("services", "api", "volume")
HEARTHSTONE = {"mounts": {"data": "/app/server/data", "exports": "/backups"}, "singleWriter": True,
               "acceptSingleTaskInProduction": True}


def messages(raw: dict) -> list[str]:
    """What the loader prints for each error, as if the section sat at services.api.volume."""
    try:
        VolumeSettings.model_validate(raw)
    except ValidationError as exc:
        return [describe_error({**err, "loc": PREFIX + tuple(err["loc"])}) for err in exc.errors()]
    return []


def shown(found: list[tuple]) -> list[str]:
    """Rule findings as the loader shows them (settings/base.py rule_error)."""
    return [str(rule_error(*finding)) for finding in found]


def test_defaults_and_camel_case_keys():
    volume = VolumeSettings.model_validate(HEARTHSTONE)
    assert volume.model_dump() == {
        "mounts": {"data": "/app/server/data", "exports": "/backups"}, "single_writer": True,
        "accept_single_task_in_production": True, "throughput": "elastic", "infrequent_access_after_days": 30,
        "backup": True,
    }
    assert sorted(f.alias for f in VolumeSettings.model_fields.values()) == [
        "acceptSingleTaskInProduction", "backup", "infrequentAccessAfterDays", "mounts", "singleWriter", "throughput"]


def test_lifecycle_values_are_the_efs_transitions():
    assert IA_AFTER_DAYS == (0, 1, 7, 14, 30, 60, 90, 180, 270, 365)
    for days in IA_AFTER_DAYS:
        assert VolumeSettings.model_validate({**HEARTHSTONE, "infrequentAccessAfterDays": days})


@pytest.mark.parametrize("raw, expected", [
    ({"mounts": {"data": "/data"}},
     ["services.api.volume.singleWriter: required key is missing"]),
    ({"singleWriter": False},
     ["services.api.volume.mounts: required key is missing"]),
    ({"mounts": {}, "singleWriter": False},
     ["services.api.volume.mounts: got {}; dictionary should have at least 1 item after validation, not 0"]),
    ({"mounts": {"Data": "/data"}, "singleWriter": False},
     ["services.api.volume.mounts: got {\"Data\": \"/data\"}; mount name 'Data' must be 1-20 characters: "
      "a lowercase letter, then a-z, 0-9 or '-'"]),
    ({"mounts": {"data": "data"}, "singleWriter": False},
     ["services.api.volume.mounts: got {\"data\": \"data\"}; mount 'data': container path 'data' must be absolute "
      "and normalised, e.g. '/app/server/data' (no trailing '/', '.', '..' or '//')"]),
    ({"mounts": {"data": "/app/data/"}, "singleWriter": False},
     ["services.api.volume.mounts: got {\"data\": \"/app/data/\"}; mount 'data': container path '/app/data/' must "
      "be absolute and normalised, e.g. '/app/server/data' (no trailing '/', '.', '..' or '//')"]),
    ({"mounts": {"data": "/app/../etc"}, "singleWriter": False},
     ["services.api.volume.mounts: got {\"data\": \"/app/../etc\"}; mount 'data': container path '/app/../etc' "
      "must be absolute and normalised, e.g. '/app/server/data' (no trailing '/', '.', '..' or '//')"]),
    ({"mounts": {"data": "//srv"}, "singleWriter": False},
     ["services.api.volume.mounts: got {\"data\": \"//srv\"}; mount 'data': container path '//srv' must be "
      "absolute and normalised, e.g. '/app/server/data' (no trailing '/', '.', '..' or '//')"]),
    ({"mounts": {"data": "/"}, "singleWriter": False},
     ["services.api.volume.mounts: got {\"data\": \"/\"}; mount 'data': container path '/' is reserved "
      "(/, /tmp and below /tmp belong to the task)"]),
    ({"mounts": {"scratch": "/tmp/cache"}, "singleWriter": False},
     ["services.api.volume.mounts: got {\"scratch\": \"/tmp/cache\"}; mount 'scratch': container path "
      "'/tmp/cache' is reserved (/, /tmp and below /tmp belong to the task)"]),
    ({"mounts": {"data": "/app/data", "nested": "/app/data/exports"}, "singleWriter": False},
     ["services.api.volume.mounts: got {\"data\": \"/app/data\", \"nested\": \"/app/data/exports\"}; mounts 'data' "
      "(/app/data) and 'nested' (/app/data/exports) overlap; give each mount its own directory"]),
    ({"mounts": {"a": "/srv", "b": "/srv"}, "singleWriter": False},
     ["services.api.volume.mounts: got {\"a\": \"/srv\", \"b\": \"/srv\"}; mounts 'a' (/srv) and 'b' (/srv) "
      "overlap; give each mount its own directory"]),
    ({**HEARTHSTONE, "throughput": "provisioned"},
     ["services.api.volume.throughput: got 'provisioned'; input should be 'elastic' or 'bursting'"]),
    ({**HEARTHSTONE, "infrequentAccessAfterDays": 45},
     ["services.api.volume.infrequentAccessAfterDays: got 45; not an EFS lifecycle transition; allowed: "
      "0, 1, 7, 14, 30, 60, 90, 180, 270, 365 (0 = off)"]),
])
def test_bad_values_are_refused_with_exact_messages(raw, expected):
    assert messages(raw) == expected


def test_siblings_with_a_shared_prefix_do_not_overlap():
    assert messages({"mounts": {"data": "/app/data", "exports": "/app/data-exports"}, "singleWriter": False}) == []


def test_unknown_keys_are_refused():
    with pytest.raises(ValidationError) as caught:
        VolumeSettings.model_validate({**HEARTHSTONE, "path": "/app/server/data"})
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [("extra_forbidden", ("path",))]


ACCEPT = ("services.api.volume.acceptSingleTaskInProduction: got false; production runs a single-writer service "
          "only when you accept its trade-off: one task, so each deploy stops it before starting the new one "
          "(minutes of downtime) and a task or Availability Zone failure takes it down until ECS starts a "
          "replacement; set acceptSingleTaskInProduction: true to accept it "
          "(docs/data-tier.md, 'State on files (EFS)')")
NEEDLESS = ("services.api.volume.acceptSingleTaskInProduction: got true; only applies with singleWriter: true; "
            "remove it (a shared volume keeps the service's task count and deploys as they are)")
BACKUP = ("services.api.volume.backup: got false; production backs up volumes in the stack's AWS Backup plan "
          "(backup: true)")


@pytest.mark.parametrize("changes, production, expected", [
    ({}, True, []),
    ({}, False, []),
    ({"acceptSingleTaskInProduction": False}, True, [ACCEPT]),
    ({"acceptSingleTaskInProduction": False}, False, []),
    ({"singleWriter": False, "acceptSingleTaskInProduction": False}, True, []),
    ({"singleWriter": False}, False, [NEEDLESS]),
    ({"singleWriter": False}, True, [NEEDLESS]),
    ({"backup": False}, True, [BACKUP]),
    ({"backup": False}, False, []),
    ({"backup": False, "acceptSingleTaskInProduction": False}, True, [ACCEPT, BACKUP]),
])
def test_volume_rules(changes, production, expected):
    volume = VolumeSettings.model_validate({**HEARTHSTONE, **changes})
    assert shown(volume_rules("services.api.volume", volume, production)) == expected


def test_rule_paths_are_relative_to_what_the_caller_passes():
    volume = VolumeSettings.model_validate({**HEARTHSTONE, "backup": False})
    assert volume_rules("api.volume", volume, True) == [
        ("api.volume.backup", False,
         "production backs up volumes in the stack's AWS Backup plan (backup: true)")]


SINGLE = "must be 1: the service's volume is singleWriter (exactly one task writes its files; no autoscaling)"


@pytest.mark.parametrize("counts, expected", [
    ((1, 1, 1), []),
    ((2, 1, 1), [f"services.api.desiredCount: got 2; {SINGLE}"]),
    ((1, 1, 4), [f"services.api.maxCount: got 4; {SINGLE}"]),
    ((0, 0, 1), [f"services.api.desiredCount: got 0; {SINGLE}", f"services.api.minCount: got 0; {SINGLE}"]),
])
def test_single_writer_counts(counts, expected):
    desired, low, high = counts
    assert shown(single_writer_rules("services.api", desired_count=desired, min_count=low, max_count=high)) == expected


def test_the_message_points_at_a_section_that_exists():
    from settings.volumes import DOCS
    from tests.helpers import ROOT

    path, heading = DOCS.split(", ")
    assert f"\n## {heading.strip(chr(39))}\n" in (ROOT / path).read_text()

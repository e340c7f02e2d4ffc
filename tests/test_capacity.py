"""Capacity math behind the percent-of-capacity alarms, against hand-computed values."""

import pytest

from settings.capacity import (
    CACHE_MEMORY_GIB,
    DB_MEMORY_GIB,
    cache_max_memory_bytes,
    check_instance_class,
    check_node_type,
    connection_limit,
    connections_threshold,
    db_instance_class_memory,
    free_storage_threshold,
    freeable_memory_threshold,
    max_connections,
)

GIB = 1073741824


@pytest.mark.parametrize(
    "instance_class, memory, class_memory, connections",
    [
        # 1 GiB - 384 MiB = 671088640 B; / 9531392 = 70.4
        ("db.t4g.micro", GIB, 671088640, 70),
        ("db.t3.micro", GIB, 671088640, 70),
        # 2 GiB - 384 MiB = 1744830464 B; / 9531392 = 183.06
        ("db.t4g.small", 2 * GIB, 1744830464, 183),
        # 4 GiB - 384 MiB = 3892314112 B; / 9531392 = 408.37
        ("db.t4g.medium", 4 * GIB, 3892314112, 408),
        # 8 GiB: 5 % (429496729 B) > 384 MiB; 8160437863 / 9531392 = 856.16
        ("db.m6g.large", 8 * GIB, 8160437863, 856),
        # 16 GiB - 858993459 B = 16320875725; / 9531392 = 1712.33
        ("db.r6g.large", 16 * GIB, 16320875725, 1712),
        # 32 GiB - 1717986918 B = 32641751450; / 9531392 = 3424.66
        ("db.m7g.2xlarge", 32 * GIB, 32641751450, 3424),
        # 128 GiB would give 13693: capped at 5000
        ("db.r7g.4xlarge", 128 * GIB, 130567005799, 5000),
    ],
)
def test_max_connections(instance_class, memory, class_memory, connections):
    assert DB_MEMORY_GIB[instance_class] * GIB == memory
    assert db_instance_class_memory(instance_class) == class_memory
    assert max_connections(instance_class) == connections


@pytest.mark.parametrize(
    "instance_class, percent, threshold",
    [("db.t4g.micro", 70, 49.0), ("db.t4g.micro", 90, 63.0), ("db.t4g.medium", 70, 285.6),
     ("db.t4g.medium", 90, 367.2), ("db.r7g.4xlarge", 90, 4500.0)],
)
def test_connections_threshold(instance_class, percent, threshold):
    assert connections_threshold(instance_class, percent) == threshold


@pytest.mark.parametrize(
    "instance_class, configured, percent, limit, threshold",
    # database.parameters.max_connections replaces the class default (db.t4g.medium: 408).
    [("db.t4g.medium", 200, 70, 200, 140.0), ("db.t4g.medium", 200, 90, 200, 180.0),
     ("db.t4g.micro", 150, 90, 150, 135.0), ("db.t4g.medium", None, 90, 408, 367.2)],
)
def test_a_configured_max_connections_replaces_the_class_default(instance_class, configured, percent, limit,
                                                                   threshold):
    assert connection_limit(instance_class, configured) == limit
    assert connections_threshold(instance_class, percent, configured) == threshold


@pytest.mark.parametrize(
    "instance_class, used_percent, free_bytes",
    [
        ("db.t4g.micro", 70, 322122547),  # 30 % of 1073741824 = 322122547.2
        ("db.t4g.micro", 85, 161061273),  # 15 % = 161061273.6
        ("db.t4g.medium", 70, 1288490188),  # 30 % of 4294967296 = 1288490188.8
        ("db.t4g.medium", 85, 644245094),  # 15 % = 644245094.4
        ("db.r6g.xlarge", 72.5, 9448928051),  # 27.5 % of 32 GiB = 9448928051.2
    ],
)
def test_freeable_memory_threshold(instance_class, used_percent, free_bytes):
    assert freeable_memory_threshold(instance_class, used_percent) == free_bytes


@pytest.mark.parametrize(
    "allocated_gib, used_percent, free_bytes",
    [(20, 70, 6442450944), (20, 85, 3221225472), (50, 70, 16106127360), (50, 85, 8053063680),
     (100, 99, 1073741824)],
)
def test_free_storage_threshold(allocated_gib, used_percent, free_bytes):
    assert free_storage_threshold(allocated_gib, used_percent) == free_bytes


@pytest.mark.parametrize(
    "node_type, maxmemory",
    [
        ("cache.t4g.micro", 402653184),  # 0.5 GiB * 75 %
        ("cache.t4g.small", 1103269724),  # 1.37 GiB = 1471026298.88 B * 75 % = 1103269724.16
        ("cache.r7g.large", 10525354229),  # 13.07 GiB = 14033805639.68 B * 75 % = 10525354229.76
    ],
)
def test_cache_max_memory(node_type, maxmemory):
    assert cache_max_memory_bytes(node_type) == maxmemory


def test_tables_cover_the_supported_families():
    assert sorted({name.rsplit(".", 1)[0] for name in DB_MEMORY_GIB}) == [
        "db.m6g", "db.m7g", "db.r6g", "db.r7g", "db.t3", "db.t4g"]
    assert sorted({name.rsplit(".", 1)[0] for name in CACHE_MEMORY_GIB}) == [
        "cache.m6g", "cache.m7g", "cache.r6g", "cache.r7g", "cache.t3", "cache.t4g"]
    assert check_instance_class("db.t4g.medium") == "db.t4g.medium"
    assert check_node_type("cache.t4g.small") == "cache.t4g.small"


@pytest.mark.parametrize(
    "check, value, start",
    [(check_instance_class, "db.m5.large",
      "no memory size known for this instance class (alarm thresholds are computed from it); "
      "supported: db.t4g.micro, db.t4g.small, db.t4g.medium, "),
     (check_node_type, "cache.m5.large",
      "no memory size known for this node type (alarm thresholds are computed from it); "
      "supported: cache.t4g.micro, cache.t4g.small, cache.t4g.medium, cache.t3.micro, ")],
)
def test_unknown_sizes_are_refused(check, value, start):
    with pytest.raises(ValueError) as caught:
        check(value)
    assert str(caught.value).startswith(start)


@pytest.mark.parametrize("instance_class, parameters, connections", [
    ("db.t4g.micro", None, 70),
    ("db.t4g.micro", {}, 70),
    ("db.t4g.micro", {"work_mem": "4MB"}, 70),
    ("db.t4g.micro", {"max_connections": "200"}, 200),  # 004's setting: the alarms follow it
    ("db.t4g.medium", {"max_connections": 200}, 200),
    ("db.r7g.4xlarge", {"max_connections": "8000"}, 8000),
])
def test_max_connections_uses_the_parameter_when_set(instance_class, parameters, connections):
    assert max_connections(instance_class, parameters) == connections


def test_the_settings_value_feeds_the_connection_thresholds():
    from settings.database import DatabaseSettings

    db = DatabaseSettings(instance_class="db.t4g.micro", backup_retention_days=7,
                          parameters={"max_connections": 200})
    assert connections_threshold(db.instance_class, 90, db.max_connections) == 180.0
    assert connections_threshold(db.instance_class, 90, None) == 63.0

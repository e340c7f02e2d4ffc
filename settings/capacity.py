"""Capacity of the data tier's instance classes, and the byte/count thresholds derived from it (pure math)."""

from collections.abc import Mapping
from typing import Any

GIB = 1024**3
MIB = 1024**2

# RDS instance memory (GiB) of the classes the alarms support (AWS instance class tables).
_BURSTABLE = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}
_GENERAL = {"large": 8, "xlarge": 16, "2xlarge": 32, "4xlarge": 64, "8xlarge": 128, "12xlarge": 192, "16xlarge": 256}
_MEMORY = {"large": 16, "xlarge": 32, "2xlarge": 64, "4xlarge": 128, "8xlarge": 256, "12xlarge": 384, "16xlarge": 512}
DB_MEMORY_GIB: dict[str, int] = {
    f"db.{family}.{size}": gib
    for family, sizes in (("t4g", _BURSTABLE), ("t3", _BURSTABLE), ("m6g", _GENERAL), ("m7g", _GENERAL),
                          ("r6g", _MEMORY), ("r7g", _MEMORY))
    for size, gib in sizes.items()
}

# ElastiCache node memory (GiB), as AWS lists it per node type.
_CACHE_BURSTABLE = {"micro": 0.5, "small": 1.37, "medium": 3.09}
_CACHE_GENERAL = {"large": 6.38, "xlarge": 12.93, "2xlarge": 26.04}
_CACHE_MEMORY = {"large": 13.07, "xlarge": 26.32, "2xlarge": 52.82}
CACHE_MEMORY_GIB: dict[str, float] = {
    f"cache.{family}.{size}": gib
    for family, sizes in (("t4g", _CACHE_BURSTABLE), ("t3", _CACHE_BURSTABLE), ("m6g", _CACHE_GENERAL),
                          ("m7g", _CACHE_GENERAL), ("r6g", _CACHE_MEMORY), ("r7g", _CACHE_MEMORY))
    for size, gib in sizes.items()
}

# RDS for PostgreSQL default: max_connections = LEAST({DBInstanceClassMemory/9531392}, 5000).
MAX_CONNECTIONS_DIVISOR = 9531392
MAX_CONNECTIONS_CAP = 5000
# DBInstanceClassMemory is the class memory minus what RDS keeps for the OS and its agents. AWS does not
# publish it; measured instances show 250-550 MiB reserved. We assume the larger of 384 MiB and 5 %, which
# never overestimates max_connections by more than a few connections (alarms fire early, not late).
RDS_RESERVED_MIN_BYTES = 384 * MIB
RDS_RESERVED_SHARE = 0.05
# ElastiCache keeps reserved-memory-percent (default 25) of a node for forks and buffers; maxmemory is the rest.
CACHE_RESERVED_PERCENT = 25


def _lookup(table: dict, value: str, kind: str) -> float:
    if value not in table:
        raise ValueError(f"no memory size known for this {kind} (alarm thresholds are computed from it); "
                         f"supported: {', '.join(table)}")
    return table[value]


def check_instance_class(instance_class: str) -> str:
    """Refuse an RDS class whose memory the alarms do not know."""
    _lookup(DB_MEMORY_GIB, instance_class, "instance class")
    return instance_class


def check_node_type(node_type: str) -> str:
    """Refuse an ElastiCache node type whose memory the alarms do not know."""
    _lookup(CACHE_MEMORY_GIB, node_type, "node type")
    return node_type


def db_memory_bytes(instance_class: str) -> int:
    """Memory of an RDS instance class in bytes."""
    return int(_lookup(DB_MEMORY_GIB, instance_class, "instance class") * GIB)


def db_instance_class_memory(instance_class: str) -> int:
    """Our estimate of RDS's DBInstanceClassMemory: class memory minus max(384 MiB, 5 %)."""
    total = db_memory_bytes(instance_class)
    return total - max(RDS_RESERVED_MIN_BYTES, int(total * RDS_RESERVED_SHARE))


def max_connections(instance_class: str, parameters: Mapping[str, Any] | None = None) -> int:
    """max_connections of an RDS for PostgreSQL instance: the parameter group's value (`database.parameters`)
    when set, else the RDS default for the class."""
    if parameters and parameters.get("max_connections") is not None:
        return int(parameters["max_connections"])
    return min(db_instance_class_memory(instance_class) // MAX_CONNECTIONS_DIVISOR, MAX_CONNECTIONS_CAP)


def connection_limit(instance_class: str, configured: int | None = None) -> int:
    """max_connections: the value set in the parameter group, else the class default."""
    return configured if configured is not None else max_connections(instance_class)


def connections_threshold(instance_class: str, percent: float, configured: int | None = None) -> float:
    """DatabaseConnections above which `percent` of max_connections is in use (one decimal)."""
    return round(connection_limit(instance_class, configured) * percent / 100, 1)


def free_bytes_below(total_bytes: int, used_percent: float) -> int:
    """Free bytes below which more than `used_percent` of `total_bytes` is used (whole bytes, rounded down)."""
    return int(total_bytes * (100 - used_percent) // 100)


def freeable_memory_threshold(instance_class: str, used_percent: float) -> int:
    """FreeableMemory (bytes) below which more than `used_percent` of the instance memory is used."""
    return free_bytes_below(db_memory_bytes(instance_class), used_percent)


def free_storage_threshold(allocated_gib: int, used_percent: float) -> int:
    """FreeStorageSpace (bytes) below which more than `used_percent` of the allocated storage is used."""
    return free_bytes_below(allocated_gib * GIB, used_percent)


def cache_max_memory_bytes(node_type: str) -> int:
    """maxmemory of a node (bytes): node memory minus the reserved-memory-percent ElastiCache keeps back."""
    node = _lookup(CACHE_MEMORY_GIB, node_type, "node type") * GIB
    return int(node * (100 - CACHE_RESERVED_PERCENT) // 100)

"""A service's file volume (`services.<name>.volume`): encrypted EFS, mounted through access points.

The services section embeds `VolumeSettings` and adds `volume_rules(...)` (and, for single-writer services,
`single_writer_rules(...)`) to its own `rules()`; both are pure and return (key path, value, what is allowed).
"""

import posixpath
import re
from typing import Any, Literal

from pydantic import Field, field_validator

from .base import Section

# Valid TransitionToIA values of an EFS lifecycle policy, in days (0 = no lifecycle policy).
# https://docs.aws.amazon.com/efs/latest/ug/API_LifecyclePolicy.html
IA_AFTER_DAYS = (0, 1, 7, 14, 30, 60, 90, 180, 270, 365)
RESERVED_PATHS = ("/", "/tmp")  # the root filesystem, and the task's own writable /tmp volume (app_task.TMP_VOLUME)
DOCS = "docs/data-tier.md, 'State on files (EFS)'"
_MOUNT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


class VolumeSettings(Section):
    """One encrypted EFS file system for one service, mounted at one or more container paths."""

    mounts: dict[str, str] = Field(
        min_length=1,
        description="mount name -> absolute container path; each is its own directory /<service>/<name> on the "
                    "file system, e.g. {data: /app/server/data, exports: /backups}",
    )
    single_writer: bool = Field(
        description="true for state only one process may write (SQLite): exactly one task, and deploys stop the "
                    "old task before starting the new one; false when several tasks may share the files",
    )
    accept_single_task_in_production: bool = Field(
        default=False,
        description="acknowledge, for production, that a single-writer service is down during each deploy and "
                    "while ECS replaces its task",
    )
    throughput: Literal["elastic", "bursting"] = Field(
        default="elastic",
        description="EFS throughput mode: elastic (AWS's recommendation for most workloads: pay per use) or "
                    "bursting (scales with the stored size)",
    )
    infrequent_access_after_days: int = Field(
        default=30,
        description="move files not read for this many days to Infrequent Access (cheaper storage, paid reads); "
                    "0 keeps everything in Standard",
    )
    backup: bool = Field(default=True, description="include the file system in the stack's nightly AWS Backup plan")

    @field_validator("mounts")
    @classmethod
    def _mounts(cls, value: dict[str, str]) -> dict[str, str]:
        for name, path in value.items():
            check_mount(name, path)
        check_no_overlap(value)
        return value

    @field_validator("infrequent_access_after_days")
    @classmethod
    def _ia_days(cls, value: int) -> int:
        if value not in IA_AFTER_DAYS:
            raise ValueError("not an EFS lifecycle transition; allowed: " + ", ".join(map(str, IA_AFTER_DAYS))
                             + " (0 = off)")
        return value


def check_mount(name: str, path: str) -> None:
    """A mount name (a directory and an ECS volume name) and its absolute, normalised container path."""
    if not _MOUNT_NAME.match(name):
        raise ValueError(f"mount name {name!r} must be 1-20 characters: a lowercase letter, then a-z, 0-9 or '-'")
    if not path.startswith("/") or posixpath.normpath(path) != path or path.startswith("//"):
        raise ValueError(f"mount {name!r}: container path {path!r} must be absolute and normalised, "
                         "e.g. '/app/server/data' (no trailing '/', '.', '..' or '//')")
    for reserved in RESERVED_PATHS:
        if path == reserved or (reserved != "/" and path.startswith(reserved + "/")):
            raise ValueError(f"mount {name!r}: container path {path!r} is reserved ({', '.join(RESERVED_PATHS)} "
                             "and below /tmp belong to the task)")


def check_no_overlap(mounts: dict[str, str]) -> None:
    """No two mounts at the same path or one inside the other (which one a file lands on would be unclear)."""
    items = sorted(mounts.items(), key=lambda item: item[1])
    for (name, path), (other, other_path) in zip(items, items[1:]):
        if other_path == path or other_path.startswith(path + "/"):
            raise ValueError(f"mounts {name!r} ({path}) and {other!r} ({other_path}) overlap; "
                             "give each mount its own directory")


def volume_rules(path: str, settings: VolumeSettings, is_production: bool) -> list[tuple[str, Any, str]]:
    """Rules spanning keys and the environment, under `path` (e.g. 'api.volume')."""
    found: list[tuple[str, Any, str]] = []
    if settings.accept_single_task_in_production and not settings.single_writer:
        found.append((f"{path}.acceptSingleTaskInProduction", True,
                      "only applies with singleWriter: true; remove it (a shared volume keeps the service's "
                      "task count and deploys as they are)"))
    if is_production and settings.single_writer and not settings.accept_single_task_in_production:
        found.append((f"{path}.acceptSingleTaskInProduction", False,
                       "production runs a single-writer service only when you accept its trade-off: one task, so "
                       "each deploy stops it before starting the new one (minutes of downtime) and a task or "
                       "Availability Zone failure takes it down until ECS starts a replacement; set "
                       f"acceptSingleTaskInProduction: true to accept it ({DOCS})"))
    if is_production and not settings.backup:
        found.append((f"{path}.backup", False, "production backs up volumes in the stack's AWS Backup plan "
                      "(backup: true)"))
    return found


def single_writer_rules(path: str, *, desired_count: int, min_count: int, max_count: int) -> list[tuple[str, Any, str]]:
    """A single-writer service runs exactly one task: count keys under `path` (e.g. 'api') must all be 1."""
    counts = {"desiredCount": desired_count, "minCount": min_count, "maxCount": max_count}
    return [(f"{path}.{key}", value, "must be 1: the service's volume is singleWriter (exactly one task writes "
             "its files; no autoscaling)") for key, value in counts.items() if value != 1]

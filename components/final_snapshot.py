"""Final snapshot names that stay unique across the store's lifetimes."""

import pulumi
import pulumi_random as random

from contract.names import physical_name


def final_snapshot_name(name: str, kind: str, identifier: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """`<identifier>-final-<8 hex>` (`kind`: rds-snapshot or cache-snapshot, within its rules).

    RDS and ElastiCache take the snapshot when the store is deleted and refuse a name that already exists
    (DBSnapshotAlreadyExists / SnapshotAlreadyExistsFault), which would block the deletion. A fixed
    `<identifier>-final` works once: a stack destroyed, created again and destroyed again would fail on the first
    snapshot's name. The hex comes from a RandomId created and deleted with the store, so each lifetime of the store
    names its own final snapshot, and the name stays the same between updates."""
    suffix = random.RandomId(f"{name}-final-snapshot", byte_length=4, keepers={"identifier": identifier},
                             opts=pulumi.ResourceOptions(parent=parent))
    return suffix.hex.apply(lambda hex_: physical_name(kind, identifier, "final", hex_))

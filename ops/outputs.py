"""The stack outputs file (`pulumi stack output --json`), validated against docs/outputs.md."""

import json
from pathlib import Path

from ops.errors import UsageError

LIST_KEYS = frozenset({"privateSubnetIds", "isolatedSubnetIds", "dbSecurityGroupIds",
                       "maintenanceAdminPaths", "maintenanceAllowedCidrs"})

TRAFFIC_KEYS = ("region", "httpsListenerArn", "productionListenerRuleArn",
                "blueTargetGroupArn", "greenTargetGroupArn")

REQUIRED = {
    "status": TRAFFIC_KEYS + ("clusterName", "webServiceName"),
    "rollback": TRAFFIC_KEYS + ("clusterName", "webServiceName"),
    "maintenance": ("region", "httpsListenerArn", "productionListenerRuleArn",
                    "maintenanceAdminPaths", "maintenanceAllowedCidrs"),
    "backup": ("region", "backupRegion", "dbInstanceIdentifier", "backupKmsKeyArn"),
    "verify-backups": ("region", "backupRegion", "dbInstanceIdentifier", "backupBucketName",
                       "backupVaultName", "backupCopyVaultName"),
    "restore-drill": ("region", "dbInstanceIdentifier", "dbSubnetGroupName", "dbSecurityGroupIds"),
}


def read_json(path: str) -> dict:
    """The parsed outputs file, or UsageError naming the file and the problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"outputs file {path}: cannot read ({error.strerror or error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"outputs file {path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise UsageError(f"outputs file {path}: expected a JSON object of stack outputs, "
                         f"got {type(data).__name__}")
    return data


def type_problem(key: str, value) -> str | None:
    """Why a present value does not have the contract's type, or None."""
    if key in LIST_KEYS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"key {key} must be a list of strings"
        return None
    if not isinstance(value, str) or not value:
        return f"key {key} must be a non-empty string"
    return None


def load(path: str, command: str, not_needed: frozenset = frozenset()) -> dict:
    """The outputs a command needs, checked for presence and type (exit 2 otherwise)."""
    data = read_json(path)
    needed = [k for k in REQUIRED[command] if k not in not_needed]
    missing = [k for k in needed if k not in data]
    if missing:
        raise UsageError(f"outputs file {path}: missing key(s) {', '.join(missing)}")
    for key in needed:
        if problem := type_problem(key, data[key]):
            raise UsageError(f"outputs file {path}: {problem}")
    return data

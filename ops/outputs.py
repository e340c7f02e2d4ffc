"""The stack outputs file (`pulumi stack output --json`), validated against docs/outputs.md.

The file may come from any shell: UTF-8 with or without a byte-order mark, or UTF-16 (Windows PowerShell's
`>` writes UTF-16LE with a BOM).
"""

import codecs
import json
from dataclasses import dataclass
from pathlib import Path

from contract.maintenance import Route
from ops.errors import UsageError

LIST_KEYS = frozenset({"privateSubnetIds", "isolatedSubnetIds", "dbSecurityGroupIds",
                       "maintenanceAdminPaths", "maintenanceAllowedCidrs"})
ENUMS = {"access": ("public", "internal", "none"), "deployment": ("blue-green", "rolling")}
STR, STRS, BOOL = "a non-empty string", "a list of strings", "true or false"
ROUTE_FIELDS = {"productionListenerRuleArn": STR, "blueTargetGroupArn": STR, "hosts": STRS, "paths": STRS}
ROUTE_OPTIONAL = {"testListenerRuleArn": STR, "greenTargetGroupArn": STR}  # blue/green services only
SERVICE_FIELDS = {"serviceName": STR, "access": STR, "deployment": STR, "taskFamily": STR, "containerName": STR,
                  "logGroupName": STR, "subnetIds": STRS, "securityGroupIds": STRS, "execEnabled": BOOL,
                  "routes": "routes"}
SERVICE_OPTIONAL = {"migrationLogGroupName": STR}
JOB_FIELDS = {"taskFamily": STR, "containerName": STR, "logGroupName": STR, "scheduleName": STR,
              "subnetIds": STRS, "securityGroupIds": STRS}

APP = ("region", "clusterName", "services")
REQUIRED = {
    "status": APP + ("httpsListenerArn",),
    "rollback": APP + ("httpsListenerArn",),
    "maintenance": ("region", "httpsListenerArn", "services", "maintenanceAdminService",
                    "maintenanceAdminPaths", "maintenanceAllowedCidrs"),
    "backup": ("region", "backupRegion", "dbInstanceIdentifier", "backupKmsKeyArn"),
    "verify-backups": ("region", "backupRegion", "dbInstanceIdentifier", "backupBucketName",
                       "backupVaultName", "backupCopyVaultName"),
    "restore-drill": ("region", "dbInstanceIdentifier", "dbSubnetGroupName", "dbSecurityGroupIds"),
    "logs": APP + ("jobs",),
    "run": APP + ("jobs",),
    "exec": APP + ("execLogGroupName",),
    "secrets": APP + ("jobs",),
}


def decode(raw: bytes) -> str:
    """Text of a file in UTF-8 (with or without BOM) or UTF-16 (BOM, or NUL bytes of ASCII JSON)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8")
    if len(raw) >= 2 and raw[1] == 0 and raw[0] != 0:
        return raw.decode("utf-16-le")
    if len(raw) >= 2 and raw[0] == 0 and raw[1] != 0:
        return raw.decode("utf-16-be")
    return raw.decode("utf-8")


def read_json(path: str) -> dict:
    """The parsed outputs file, or UsageError naming the file and the problem."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"outputs file {path}: cannot read ({error.strerror or error})") from None
    try:
        text = decode(raw)
    except UnicodeDecodeError as error:
        raise UsageError(f"outputs file {path}: not UTF-8 or UTF-16 text ({error.reason} at byte "
                         f"{error.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"outputs file {path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise UsageError(f"outputs file {path}: expected a JSON object of stack outputs, "
                         f"got {type(data).__name__}")
    return data


def value_problem(key: str, value, kind: str) -> str | None:
    """Why a value is not of a kind (STR, STRS, BOOL), or None."""
    ok = {STR: isinstance(value, str) and bool(value),
          STRS: isinstance(value, list) and all(isinstance(v, str) for v in value),
          BOOL: isinstance(value, bool)}[kind]
    return None if ok else f"key {key} must be {kind}"


def fields_problem(key: str, entry, fields: dict[str, str], optional: dict[str, str] | None = None) -> str | None:
    """Why an object does not have the given fields of the given kinds, or None."""
    if not isinstance(entry, dict):
        return f"key {key} must be an object"
    if missing := [f for f in fields if f not in entry]:
        return f"key {key}: missing field(s) {', '.join(missing)}"
    for field, kind in {**fields, **(optional or {})}.items():
        if field not in entry:
            continue
        if kind == "routes":
            problem = routes_problem(f"{key}.routes", entry[field])
        else:
            problem = value_problem(f"{key}.{field}", entry[field], kind)
        if problem:
            return problem
    return None


def routes_problem(key: str, routes) -> str | None:
    """Why a service's routes are not a list of route objects, or None."""
    if not isinstance(routes, list):
        return f"key {key} must be a list of route objects"
    for index, route in enumerate(routes):
        if problem := fields_problem(f"{key}[{index}]", route, ROUTE_FIELDS, ROUTE_OPTIONAL):
            return problem
    return None


def map_problem(key: str, value, check) -> str | None:
    """Why a name -> entry map is malformed, or None."""
    if not isinstance(value, dict):
        return f"key {key} must be an object of named entries"
    for name, entry in value.items():
        if problem := check(f"{key}.{name}", entry):
            return problem
    return None


def service_problem(key: str, entry) -> str | None:
    """Why a service entry breaks the contract, or None."""
    if problem := fields_problem(key, entry, SERVICE_FIELDS, SERVICE_OPTIONAL):
        return problem
    for field, allowed in ENUMS.items():
        if entry[field] not in allowed:
            return f"key {key}.{field} must be one of {', '.join(allowed)} (got {entry[field]!r})"
    if entry["deployment"] == "blue-green" and any("greenTargetGroupArn" not in r for r in entry["routes"]):
        return f"key {key}.routes: a blue-green service's routes need greenTargetGroupArn and testListenerRuleArn"
    return None


def type_problem(key: str, value) -> str | None:
    """Why a present value does not have the contract's type, or None."""
    if key == "services":
        return map_problem(key, value, service_problem)
    if key == "jobs":
        return map_problem(key, value, lambda k, e: fields_problem(k, e, JOB_FIELDS))
    return value_problem(key, value, STRS if key in LIST_KEYS else STR)


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


@dataclass(frozen=True)
class PublicRoute:
    """One route of a public service: its listener rules and blue/green pair."""

    service: str
    index: int
    production_rule: str
    test_rule: str | None  # None for a rolling service: one target group, no test traffic
    blue: str
    green: str | None
    hosts: tuple[str, ...]
    paths: tuple[str, ...]

    @property
    def labels(self) -> dict[str, str]:
        """Target group ARN -> `blue` / `green` (a rolling service's one target group: `target`)."""
        return {self.blue: "blue", self.green: "green"} if self.green else {self.blue: "target"}

    @property
    def label(self) -> str:
        """`route 1 (api.example.com /v1/*)`."""
        return f"route {self.index + 1} ({' '.join(self.hosts + self.paths) or 'any request'})"

    @property
    def contract(self) -> Route:
        """The route as contract.maintenance plans with it."""
        return Route(self.service, self.hosts, self.paths)


def routes_of(outputs: dict, service: str) -> list[PublicRoute]:
    """A service's routes, in output order."""
    return [PublicRoute(service, i, r["productionListenerRuleArn"], r.get("testListenerRuleArn"),
                        r["blueTargetGroupArn"], r.get("greenTargetGroupArn"), tuple(r["hosts"]), tuple(r["paths"]))
            for i, r in enumerate(outputs["services"][service]["routes"])]


def public_services(outputs: dict) -> list[str]:
    """Names of the public services, in output order."""
    return [name for name, entry in outputs["services"].items() if entry["access"] == "public"]


def all_routes(outputs: dict) -> list[PublicRoute]:
    """Every public service's routes, services in output order."""
    return [route for name in public_services(outputs) for route in routes_of(outputs, name)]


def names(entries: dict) -> str:
    """`a, b, c` or `none`."""
    return ", ".join(entries) or "none"


def pick_service(outputs: dict, name: str | None, how: str = "--service NAME") -> str:
    """The named service, or the only public one; UsageError listing the names otherwise."""
    services = outputs["services"]
    if name is not None:
        if name not in services:
            raise UsageError(f"no service {name!r} in the outputs; services: {names(services)}")
        return name
    public = public_services(outputs)
    if len(public) == 1:
        return public[0]
    which = f"{len(public)} public services ({', '.join(public)})" if public else "no public service"
    raise UsageError(f"{which}; name one with {how} (services: {names(services)})")


def pick_blue_green(outputs: dict, name: str | None) -> tuple[str, list[PublicRoute]]:
    """A public blue/green service with at least one route, and its routes."""
    service = pick_service(outputs, name)
    entry = outputs["services"][service]
    if entry["access"] != "public":
        raise UsageError(f"service {service} is not public (access {entry['access']}): it has no listener rules")
    if entry["deployment"] != "blue-green":
        raise UsageError(f"service {service} deploys rolling (it holds single-writer state): one target group, "
                         "nothing to roll back to; deploy the previous image instead")
    routes = routes_of(outputs, service)
    if not routes:
        raise UsageError(f"key services.{service}.routes is empty: a public service needs at least one route")
    return service, routes

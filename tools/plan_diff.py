"""Offline plan diff: what a change does to a stack, as GitHub Markdown for the pull-request comment.

    python -m tools.plan_diff BASE.json HEAD.json             one stack (graphs from `tools.preview <stack> --json`)
    python -m tools.plan_diff --comment PLAN.md [PLAN.md ...]  the sticky PR comment around per-stack diffs

Danger flags and the replacement list are explained in docs/plan-diff.md.
"""

import argparse
import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SECRET = "[secret]"
MARKER = "<!-- nodeapi-plan -->"
GITHUB_COMMENT_LIMIT = 65_536
DEFAULT_LIMIT = 30_000  # two stacks plus the comment's frame stay under GITHUB_COMMENT_LIMIT
MAX_VALUE = 100  # characters of one value shown
MAX_PATHS = 40  # input paths listed per resource
MAX_FLAGS = 40  # danger flags listed per stack
CUT_NOTE_ROOM = 400

# Inputs whose change makes the provider replace the resource (ForceNew in the Terraform AWS provider
# that pulumi-aws bridges; `region` because a resource cannot move between regions). Sources: docs/plan-diff.md.
REPLACE_ON: dict[str, tuple[str, ...]] = {
    "aws:rds/instance:Instance": (
        "availabilityZone", "backupTarget", "characterSetName", "customIamInstanceProfile", "dbName", "engine",
        "kmsKeyId", "ncharCharacterSetName", "region", "restoreToPointInTime", "s3Import", "snapshotIdentifier",
        "storageEncrypted", "timezone", "username",
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "atRestEncryptionEnabled", "dataTieringEnabled", "globalReplicationGroupId", "kmsKeyId", "networkType",
        "port", "region", "replicationGroupId", "securityGroupNames", "snapshotArns", "snapshotName",
        "subnetGroupName",
    ),
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix", "objectLockEnabled", "region"),
    "aws:kms/key:Key": ("customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "region", "xksKeyId"),
    "aws:backup/vault:Vault": ("kmsKeyArn", "name", "region"),
    # Service volumes (components/file_volume.py): the files themselves.
    "aws:efs/fileSystem:FileSystem": ("availabilityZoneName", "creationToken", "encrypted", "kmsKeyId",
                                      "performanceMode", "region"),
}
STATEFUL = frozenset(REPLACE_ON)

# key: (the safe value, the provider's default when the input is unset)
DELETION_GUARDS = {
    "deletionProtection": (True, False),
    "enableDeletionProtection": (True, False),
    "skipFinalSnapshot": (False, False),
    "forceDestroy": (False, False),
}
ENCRYPTION_GUARDS = {
    "storageEncrypted": (True, False),
    "atRestEncryptionEnabled": (True, False),
    "transitEncryptionEnabled": (True, False),
    "transitEncryptionMode": ("required", None),
    "encrypted": (True, False),
    "requireTls": (True, False),
}
PUBLIC_GUARDS = {"publiclyAccessible": (False, False), "assignPublicIp": (False, False), "internal": (True, False)}
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
SSE_CONFIGURATION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
RETENTION_KEYS = frozenset({"backupRetentionPeriod", "snapshotRetentionLimit", "retentionPeriod", "deleteAfter",
                            "days", "noncurrentDays", "years"})
RETENTION_TYPES = frozenset({
    "aws:rds/instance:Instance", "aws:rds/cluster:Cluster",
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
    "aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster", "aws:backup/plan:Plan",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
})
UNSET_MEANS_ZERO = frozenset({"snapshotRetentionLimit"})  # unset turns snapshots off
WORLD = frozenset({"0.0.0.0/0", "::/0"})

FLAG_TITLES = {
    "delete": "Deletes a stateful resource",
    "replace": "Replaces a stateful resource",
    "unprotect": "Protection removed",
    "retention": "Backup retention lowered",
    "encryption": "Encryption turned off",
    "open": "Opened to the internet",
    "public": "Public access turned on",
}

SECRET_NAME = re.compile(r"(?i)password|passwd|secret|token|private_?key|api_?key|credential")
REFERENCE_KEY = re.compile(r"(Arn|Id|Ids|Name|Names|Enabled|Days|Period|Version|From)$")
SIMPLE_KEY = re.compile(r"^[\w:/@$*-]+$")
KEY_FIELDS = ("name", "Sid", "id", "ruleName")


class _Missing:
    """An input that is not set on one side of the diff."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Change:
    """One leaf that differs: its path, the base value and the head value (MISSING when unset)."""

    path: str
    old: Any
    new: Any
    option: bool = False


@dataclass(frozen=True)
class ResourceDiff:
    """What happens to one custom resource: add, change or remove."""

    action: str
    resource: dict
    changes: tuple[Change, ...]
    group: str  # URN of its top-level component, "" for providers


@dataclass(frozen=True)
class Flag:
    """A dangerous change: its kind (a FLAG_TITLES key), the resource and a Markdown explanation."""

    kind: str
    urn: str
    message: str


# ---------------------------------------------------------------------------------------------- diffing


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaf values by path (`a.b[0].c`, `env[name=X].value`); JSON strings are parsed so paths point inside."""
    value = _parse_json(value)
    if isinstance(value, dict) and value:
        items = [(_key_path(path, str(k)), v) for k, v in sorted(value.items())]
    elif isinstance(value, list) and value:
        field, labels = _item_labels(value)
        items = [(f"{path}[{label}]", _without(v, field)) for label, v in zip(labels, value)]
    else:
        return {path: value}
    leaves: dict[str, Any] = {}
    for sub_path, item in items:
        leaves.update(flatten(item, sub_path))
    return leaves


def _parse_json(value: Any) -> Any:
    """A JSON object or array inside a string (ECS container definitions, IAM policies), else the value."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, (dict, list)) else value
    return value


def _key_path(path: str, key: str) -> str:
    if not SIMPLE_KEY.match(key):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def _item_labels(items: list) -> tuple[str | None, list[str]]:
    """Label list items by a unique name-like field when they all have one, so inserts don't shift paths."""
    for key in KEY_FIELDS:
        values = [item.get(key) for item in items if isinstance(item, dict)]
        if len(values) == len(items) and all(isinstance(v, str) for v in values) and len(set(values)) == len(values):
            return key, [f"{key}={v}" for v in values]
    return None, [str(i) for i in range(len(items))]


def _without(item: Any, field: str | None) -> Any:
    """A labelled item without its label field, which the path already shows."""
    return {k: v for k, v in item.items() if k != field} if field else item


def same(a: Any, b: Any) -> bool:
    """Equal values of the same kind (`true` is not `1`)."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def diff_values(old: Any, new: Any, *, option: bool = False) -> list[Change]:
    """Changed leaves between two input trees, head order first, then paths only the base has."""
    before = flatten(old) if old else {}
    after = flatten(new) if new else {}
    paths = list(after) + [p for p in before if p not in after]
    changes = [Change(p, before.get(p, MISSING), after.get(p, MISSING), option) for p in paths]
    return [c for c in changes if not same(c.old, c.new) and not _emptied_parent(c, before, after)]


def _emptied_parent(change: Change, before: dict, after: dict) -> bool:
    """An empty list/object on one side whose children are listed anyway (`ingress: []` gaining items)."""
    empty = change.old if change.new is MISSING else change.new if change.old is MISSING else None
    other = after if change.new is MISSING else before
    return empty in ([], {}) and any(p.startswith((change.path + ".", change.path + "[")) for p in other)


def _index(graph: dict) -> dict[str, dict]:
    return {r["urn"]: r for r in graph.get("resources", [])}


def _qualified_type(urn: str) -> str:
    """`nodeapi:data:DataTier$aws:rds/instance:Instance` of `urn:pulumi:<stack>::<project>::<types>::<name>`."""
    return urn.split("::")[2]


def _aligned(base: dict, head: dict) -> dict[str, dict]:
    """Head resources keyed by the base URN they continue: their own, or the one an alias names, theirs or an
    aliased ancestor's (children of a moved component move with it, as the engine resolves them). Without this, a
    child moved under a component (with `aliases` so `pulumi up` keeps it) would show as deleted and added."""
    old, new = _index(base), _index(head)
    types: dict[str, set[str]] = {}

    def qualified_types(urn: str) -> set[str]:
        if urn not in types:
            resource = new[urn]
            parents = set(qualified_types(resource["parent"])) if resource.get("parent") in new else set()
            top_level = False
            for alias in resource["options"].get("aliases", []):
                spec = alias.get("spec", {})
                top_level |= bool(spec.get("noParent"))
                if spec.get("parentUrn"):
                    parents.add(_qualified_type(spec["parentUrn"]))
            own = {_qualified_type(urn)} | {f"{parent}${resource['type']}" for parent in parents}
            types[urn] = own | ({resource["type"]} if top_level else set())
        return types[urn]

    aligned = {}
    for urn, resource in new.items():
        head_prefix = urn.split("::", 2)[0] + "::" + urn.split("::")[1]
        if urn not in old:
            urn = next((candidate for candidate in sorted(f"{head_prefix}::{q}::{resource['name']}"
                                                            for q in qualified_types(urn)) if candidate in old), urn)
        aligned[urn] = resource
    return aligned


def top_component(resource: dict, index: dict[str, dict]) -> str:
    """URN of the outermost component above a resource ("" for providers and other unparented resources)."""
    current = resource
    while current.get("parent") in index:
        current = index[current["parent"]]
    return "" if current["custom"] else current["urn"]


def resource_diffs(base: dict, head: dict) -> list[ResourceDiff]:
    """Every custom resource that is added, removed or changed, by URN (a moved resource by its base URN)."""
    old, new, by_urn = _index(base), _aligned(base, head), _index(head)
    diffs = []
    for urn in sorted(old.keys() | new.keys()):
        before, after = old.get(urn), new.get(urn)
        resource = after or before
        if not resource["custom"]:
            continue
        if before is None:
            diffs.append(ResourceDiff("add", after, tuple(diff_values({}, after["inputs"])),
                                      top_component(after, by_urn)))
        elif after is None:
            diffs.append(ResourceDiff("remove", before, (), top_component(before, old)))
        else:
            changes = diff_values(before["inputs"], after["inputs"])
            changes += diff_values(before["options"], after["options"], option=True)
            if changes:
                diffs.append(ResourceDiff("change", after, tuple(changes), top_component(after, by_urn)))
    return diffs


# ---------------------------------------------------------------------------------------------- danger flags


def danger_flags(base: dict, head: dict) -> list[Flag]:
    """Dangerous changes from base to head: deletions, replacements, weaker protection, encryption or exposure."""
    old, new = _index(base), _aligned(base, head)
    buckets = {r["inputs"].get("bucket") for r in new.values() if r["type"] == "aws:s3/bucket:Bucket"}
    flags = []
    for urn in sorted(old.keys() | new.keys()):
        before, after = old.get(urn), new.get(urn)
        if (before or after)["custom"]:
            for kind, check in CHECKS:
                flags += [Flag(kind, urn, f"{_label(before or after)}: {m}") for m in check(before, after, buckets)]
    order = list(FLAG_TITLES)
    return sorted(flags, key=lambda f: (order.index(f.kind), f.urn))


def _label(resource: dict) -> str:
    return f"{_code(resource['name'])} ({_code(resource['type'])})"


def _deleted(before: dict | None, after: dict | None, _buckets: set) -> list[str]:
    if after is not None or before["type"] not in STATEFUL:
        return []
    notes = ["deleted; if it was renamed or moved, add an alias to keep it"]
    if before["options"].get("protect"):
        notes.append("it is protected, so `pulumi up` will refuse until protect is removed")
    if before["options"].get("retainOnDelete"):
        notes.append("retainOnDelete keeps the cloud resource")
    return ["; ".join(notes)]


def _replaced(before: dict | None, after: dict | None, _buckets: set) -> list[str]:
    if before is None or after is None or after["type"] not in STATEFUL:
        return []
    old, new = before["inputs"], after["inputs"]
    keys = [k for k in REPLACE_ON[after["type"]] if not same(old.get(k, MISSING), new.get(k, MISSING))]
    reasons = [_transition(k, old.get(k, MISSING), new.get(k, MISSING)) for k in keys]
    if before["options"].get("provider") != after["options"].get("provider"):
        reasons.append("its provider changed")
    verb = "forces" if len(reasons) == 1 else "force"
    return [f"{', '.join(reasons)} {verb} a new resource"] if reasons else []


def _unprotected(before: dict | None, after: dict | None, _buckets: set) -> list[str]:
    if before is None or after is None:
        return []
    found = _weakened(DELETION_GUARDS, before["inputs"], after["inputs"])
    if before["options"].get("protect") and not after["options"].get("protect"):
        found.insert(0, "option `protect` `true` → `false`")
    return found


def _encryption_off(before: dict | None, after: dict | None, buckets: set) -> list[str]:
    if before is not None and after is None and before["type"] == SSE_CONFIGURATION:
        return _bucket_setting_removed("default encryption configuration", before, buckets)
    if before is None or after is None:
        return []
    return _weakened(ENCRYPTION_GUARDS, before["inputs"], after["inputs"])


def _public(before: dict | None, after: dict | None, buckets: set) -> list[str]:
    kind = (before or after)["type"]
    if kind == PUBLIC_ACCESS_BLOCK:
        if after is None:
            return _bucket_setting_removed("public access block", before, buckets)
        if before is not None:
            guards = {k: (True, False) for k in PUBLIC_ACCESS_FLAGS}
            return _weakened(guards, before["inputs"], after["inputs"])
        return []
    if after is None:
        return []
    return _weakened(PUBLIC_GUARDS, (before or {"inputs": {}})["inputs"], after["inputs"])


def _bucket_setting_removed(setting: str, before: dict, buckets: set) -> list[str]:
    """A bucket setting resource removed while its bucket stays (a bucket deleted with it is flagged itself)."""
    bucket = before["inputs"].get("bucket")
    return [f"{setting} of bucket {_display('bucket', bucket)} removed"] if bucket in buckets else []


def _weakened(guards: dict[str, tuple[Any, Any]], old: dict, new: dict) -> list[str]:
    """`key old → new` for each guard, anywhere in the inputs, that was at its safe value and no longer is."""
    before, after = flatten(old) if old else {}, flatten(new) if new else {}
    found = []
    for path in list(after) + [p for p in before if p not in after]:
        key = _last_key(path)
        if key not in guards:
            continue
        safe, default = guards[key]
        was, now = before.get(path, MISSING), after.get(path, MISSING)
        if same(default if was is MISSING else was, safe) and not same(default if now is MISSING else now, safe):
            found.append(_transition(path, was, now))
    return found


def _retention_lowered(before: dict | None, after: dict | None, _buckets: set) -> list[str]:
    if before is None or after is None or after["type"] not in RETENTION_TYPES:
        return []
    found = []
    for change in diff_values(before["inputs"], after["inputs"]):
        key, path = _last_key(change.path), change.path.lower()
        if key not in RETENTION_KEYS or "transition" in path or "abortincomplete" in path:
            continue
        new = 0 if change.new is MISSING and key in UNSET_MEANS_ZERO else change.new
        if _number(change.old) and _number(new) and new < change.old:
            found.append(_transition(change.path, change.old, change.new))
    return found


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _opened(before: dict | None, after: dict | None, _buckets: set) -> list[str]:
    if after is None:
        return []
    opened = open_ingress(after) - (open_ingress(before) if before else set())
    return [f"ingress {_ports(proto, low, high)} from {_code(cidr)}" for proto, low, high, cidr in sorted(opened, key=str)]


def open_ingress(resource: dict) -> set[tuple[str, Any, Any, str]]:
    """(protocol, from port, to port, cidr) of the ingress this resource allows from anywhere on the internet."""
    inputs, kind = resource["inputs"], resource["type"]
    if kind == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        rules = [{**inputs, "cidrs": [inputs.get("cidrIpv4"), inputs.get("cidrIpv6")]}]
    elif kind == "aws:ec2/securityGroupRule:SecurityGroupRule" and inputs.get("type") == "ingress":
        rules = [{**inputs, "ipProtocol": inputs.get("protocol"), "cidrs": _cidrs(inputs)}]
    elif kind in ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        rules = [{**r, "ipProtocol": r.get("protocol"), "cidrs": _cidrs(r)} for r in inputs.get("ingress") or []]
    else:
        return set()
    return {(str(r.get("ipProtocol")), r.get("fromPort"), r.get("toPort"), c)
            for r in rules for c in r["cidrs"] if c in WORLD}


def _cidrs(rule: dict) -> list[str]:
    return list(rule.get("cidrBlocks") or []) + list(rule.get("ipv6CidrBlocks") or [])


def _ports(protocol: str, low: Any, high: Any) -> str:
    if protocol in ("-1", "all"):
        return "on all protocols and ports"
    return f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"


CHECKS = (
    ("delete", _deleted),
    ("replace", _replaced),
    ("unprotect", _unprotected),
    ("retention", _retention_lowered),
    ("encryption", _encryption_off),
    ("open", _opened),
    ("public", _public),
)


# ---------------------------------------------------------------------------------------------- Markdown


def _last_key(path: str) -> str:
    parts = [p for p in re.split(r"[.\[\]]+", path) if p]
    return parts[-1] if parts else ""


def _looks_secret(path: str) -> bool:
    """A path whose last key (or, for `…[name=X].value`, whose item name) names a secret."""
    parts = [p for p in re.split(r"[.\[\]]+", path) if p]
    if not parts:
        return False
    subject = parts[-2] if parts[-1] == "value" and len(parts) > 1 else parts[-1]
    return bool(SECRET_NAME.search(subject)) and not REFERENCE_KEY.search(parts[-1])


def _code(text: str) -> str:
    """Inline code that survives backticks inside the text."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _display(path: str, value: Any) -> str:
    """A value for the comment: JSON, secrets masked, long values shortened."""
    if value is MISSING:
        return "_(unset)_"
    if value == SECRET or (isinstance(value, str) and _looks_secret(path)):
        return _code(SECRET)
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _code(text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…")


def _transition(path: str, old: Any, new: Any) -> str:
    return f"{_code(path)} {_display(path, old)} → {_display(path, new)}"


def _change_line(change: Change, action: str) -> str:
    prefix = "option " if change.option else ""
    if action == "add":
        return f"  - {_code(change.path)}: {_display(change.path, change.new)}"
    return f"  - {prefix}{_code(change.path)}: {_display(change.path, change.old)} → {_display(change.path, change.new)}"


def _resource_lines(diff: ResourceDiff) -> list[str]:
    r = diff.resource
    lines = [f"- **{diff.action}** {_code(r['name'])} ({_code(r['type'])})"]
    lines += [_change_line(c, diff.action) for c in diff.changes[:MAX_PATHS]]
    if len(diff.changes) > MAX_PATHS:
        lines.append(f"  - … {len(diff.changes) - MAX_PATHS} more")
    return lines


def _counts(diffs: list[ResourceDiff]) -> str:
    numbers = {a: sum(d.action == a for d in diffs) for a in ("add", "change", "remove")}
    return ", ".join(f"{n} to {a}" for a, n in numbers.items() if n)


def _component_block(group: str, diffs: list[ResourceDiff], index: dict[str, dict], flagged: bool) -> str:
    """A collapsible block with every change under one top-level component; open when it holds a danger flag."""
    component = index.get(group)
    name, kind = (html.escape(component["name"]), html.escape(component["type"])) if component else ("providers", "")
    title = f"<b>{name}</b> <code>{kind}</code>" if kind else f"<b>{name}</b>"
    warning = " ⚠️" if flagged else ""
    lines = [f"<details{' open' if flagged else ''}>", f"<summary>{title}: {_counts(diffs)}{warning}</summary>", ""]
    for diff in diffs:
        lines += _resource_lines(diff)
    return "\n".join(lines + ["", "</details>", ""])


def _summary(stack: str, diffs: list[ResourceDiff], unchanged: int, cost: str = "") -> str:
    counts = _counts(diffs) or "no changes"
    cost_text = f"\n{cost}\n" if cost else ""
    return f"### Plan for {_code(stack)}\n\n**{counts}** ({unchanged} unchanged)\n{cost_text}"


def _flags_block(flags: list[Flag]) -> str:
    if not flags:
        return ""
    noun = "change" if len(flags) == 1 else "changes"
    lines = ["> [!CAUTION]", f"> **{len(flags)} dangerous {noun}**"]
    lines += [f"> - **{FLAG_TITLES[f.kind]}** {f.message}" for f in flags[:MAX_FLAGS]]
    if len(flags) > MAX_FLAGS:
        lines.append(f"> - … {len(flags) - MAX_FLAGS} more")
    return "\n".join(lines) + "\n"


def render_diff(base: dict, head: dict, *, limit: int = DEFAULT_LIMIT, cost: str = "") -> str:
    """Markdown for one stack: summary counts, the cost line (tools/cost.py), danger flags, then one block per component."""
    diffs, flags = resource_diffs(base, head), danger_flags(base, head)
    old, new = _index(base), _aligned(base, head)
    unchanged = sum(r["custom"] for urn, r in new.items() if urn in old) - sum(d.action == "change" for d in diffs)
    top = _summary(head["stack"], diffs, unchanged, cost) + "\n" + _flags_block(flags)
    flagged_urns = {f.urn for f in flags}
    groups: dict[str, list[ResourceDiff]] = {}
    for diff in diffs:
        groups.setdefault(diff.group, []).append(diff)
    index = {**old, **_index(head)}  # groups are head URNs (top_component)
    ordered = sorted(groups.items(), key=lambda kv: (not any(d.resource["urn"] in flagged_urns for d in kv[1]),
                                                     index[kv[0]]["name"] if kv[0] in index else ""))
    blocks = [(_component_block(g, ds, index, any(d.resource["urn"] in flagged_urns for d in ds)), len(ds))
              for g, ds in ordered]
    return fit(top, blocks, limit, head["stack"])


def fit(top: str, blocks: list[tuple[str, int]], limit: int, stack: str) -> str:
    """The top and as many component blocks as fit in `limit` characters, with a note of what was left out."""
    parts, size, cut_blocks, cut_resources = [top], len(top), 0, 0
    for text, resources in blocks:
        if size + 1 + len(text) + CUT_NOTE_ROOM <= limit:
            parts.append(text)
            size += 1 + len(text)
        else:
            cut_blocks, cut_resources = cut_blocks + 1, cut_resources + resources
    if cut_blocks:
        noun = "component" if cut_blocks == 1 else "components"
        parts.append(f"✂️ **Cut to fit GitHub's comment size limit:** {cut_blocks} {noun} "
                     f"({cut_resources} changed resources) not shown. The full diff: "
                     f"`python -m tools.preview {stack} --diff BASE.json` with the base branch's `--json`.\n")
    return "\n".join(parts)


def comment_body(sections: list[str], *, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The sticky pull-request comment: a marker to find it again, a title, then each stack's Markdown."""
    head = f"{MARKER}\n## Offline plan (mocked preview of the Pulumi program)\n\n"
    body = head + "\n".join(s.rstrip("\n") + "\n" for s in sections)
    if len(body) <= limit:
        return body
    note = "\n✂️ **Cut to fit GitHub's comment size limit.**\n"
    return body[: limit - len(note)] + note


# ---------------------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan_diff", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", help="BASE.json HEAD.json, or with --comment the per-stack Markdown files")
    parser.add_argument("--comment", action="store_true", help="wrap per-stack Markdown files into the PR comment")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="characters per stack (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.comment:
            sys.stdout.write(comment_body([Path(f).read_text() for f in args.files]))
            return 0
        if len(args.files) != 2:
            parser.error("give BASE.json and HEAD.json")
        base, head = (json.loads(Path(f).read_text()) for f in args.files)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render_diff(base, head, limit=args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())

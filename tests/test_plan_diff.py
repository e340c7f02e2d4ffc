"""The offline plan diff: Markdown for pull requests, danger flags, secret masking and the size cap."""

import json

import pytest

from tools.plan_diff import (
    MARKER,
    MISSING,
    Change,
    comment_body,
    danger_flags,
    diff_values,
    flatten,
    main,
    render_diff,
    resource_diffs,
)

OPTIONS = {"protect": False, "ignoreChanges": [], "dependsOn": [], "retainOnDelete": False,
           "deleteBeforeReplace": False, "provider": "urn:pulumi:prod::nodeapi::pulumi:providers:aws::aws"}
RDS = "aws:rds/instance:Instance"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
VAULT = "aws:backup/vault:Vault"
RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PLAN = "aws:backup/plan:Plan"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
EFS = "aws:efs/fileSystem:FileSystem"


def component(name: str = "data", kind: str = "nodeapi:database:Database", parent: dict | None = None) -> dict:
    prefix = f"{parent['urn'].split('::')[2]}$" if parent else ""
    return {"urn": f"urn:pulumi:prod::nodeapi::{prefix}{kind}::{name}", "type": kind, "name": name,
            "parent": parent["urn"] if parent else None, "custom": False, "inputs": {},
            "options": {**OPTIONS, "provider": None}}


DATA = component()


def res(kind: str, name: str, inputs: dict | None = None, parent: dict = DATA, **options) -> dict:
    """A custom resource under `parent`, with options overridden by keyword."""
    return {"urn": f"urn:pulumi:prod::nodeapi::{parent['urn'].split('::')[2]}${kind}::{name}", "type": kind,
            "name": name, "parent": parent["urn"], "custom": True, "inputs": inputs or {},
            "options": {**OPTIONS, **options}}


def graph(*resources: dict, stack: str = "prod") -> dict:
    return {"project": "nodeapi", "stack": stack, "outputs": {},
            "resources": sorted([DATA, *resources], key=lambda r: r["urn"])}


BACKUPS = res(BUCKET, "backups", {"bucket": "backups"})


def flags_between(before: dict | list | None, after: dict | None) -> list[tuple[str, str]]:
    """Flags when `before` (one resource or several) becomes `after`; the `backups` bucket is in head only."""
    base = graph(*(before if isinstance(before, list) else [before] if before else []))
    head = graph(*([after] if after else []))
    return [(f.kind, f.message) for f in danger_flags(base, head)]


# ---------------------------------------------------------------------------------------------- exact Markdown

BASE = graph(
    res(RDS, "db", {"backupRetentionPeriod": 30, "instanceClass": "db.t4g.small", "password": "[secret]"},
        protect=True),
    res("aws:cloudwatch/logGroup:LogGroup", "db-logs", {"retentionInDays": 30}),
    res("aws:sqs/queue:Queue", "old-queue", {"name": "jobs"}),
)
HEAD = graph(
    res(RDS, "db", {"backupRetentionPeriod": 7, "instanceClass": "db.t4g.medium", "password": "[secret]"},
        protect=True),
    res("aws:cloudwatch/logGroup:LogGroup", "db-logs", {"retentionInDays": 30}),
    res("aws:sns/topic:Topic", "alerts", {"name": "alerts", "kmsMasterKeyId": "alias/aws/sns"}),
)
EXPECTED = """\
### Plan for `prod`

**1 to add, 1 to change, 1 to remove** (1 unchanged)

> [!CAUTION]
> **1 dangerous change**
> - **Backup retention lowered** `db` (`aws:rds/instance:Instance`): `backupRetentionPeriod` `30` → `7`

<details open>
<summary><b>data</b> <code>nodeapi:database:Database</code>: 1 to add, 1 to change, 1 to remove ⚠️</summary>

- **change** `db` (`aws:rds/instance:Instance`)
  - `backupRetentionPeriod`: `30` → `7`
  - `instanceClass`: `"db.t4g.small"` → `"db.t4g.medium"`
- **add** `alerts` (`aws:sns/topic:Topic`)
  - `kmsMasterKeyId`: `"alias/aws/sns"`
  - `name`: `"alerts"`
- **remove** `old-queue` (`aws:sqs/queue:Queue`)

</details>
"""


def test_render_diff_exact_markdown():
    assert render_diff(BASE, HEAD) == EXPECTED


def test_no_changes_says_so_and_lists_nothing():
    assert render_diff(BASE, BASE) == "### Plan for `prod`\n\n**no changes** (3 unchanged)\n\n"


def test_resources_group_under_their_top_level_component():
    outer = component("service", "nodeapi:service:Service")
    inner = component("web", "nodeapi:service:Web", parent=outer)
    head = graph(outer, inner, res("aws:ecs/service:Service", "web-svc", {"desiredCount": 2}, parent=inner))
    base = graph(outer, inner, res("aws:ecs/service:Service", "web-svc", {"desiredCount": 1}, parent=inner))
    [diff] = resource_diffs(base, head)
    assert diff.group == outer["urn"]
    assert "<summary><b>service</b> <code>nodeapi:service:Service</code>: 1 to change</summary>" in render_diff(base, head)


def test_option_changes_are_listed_as_options():
    base = graph(res("aws:sqs/queue:Queue", "q", dependsOn=[]))
    head = graph(res("aws:sqs/queue:Queue", "q", dependsOn=["urn:x"], retainOnDelete=True))
    assert "\n".join(render_diff(base, head).splitlines()[-5:-2]) == (
        "- **change** `q` (`aws:sqs/queue:Queue`)\n"
        '  - option `dependsOn[0]`: _(unset)_ → `"urn:x"`\n'
        "  - option `retainOnDelete`: `false` → `true`"
    )


# ---------------------------------------------------------------------------------------------- paths


def test_json_strings_are_compared_parsed_with_named_items():
    containers = [{"name": "web", "image": "api:1", "environment": [{"name": "A", "value": "1"}]}]
    changed = [{"name": "web", "image": "api:2",
                "environment": [{"name": "Z", "value": "0"}, {"name": "A", "value": "1"}]}]
    changes = diff_values({"containerDefinitions": json.dumps(containers)}, {"containerDefinitions": json.dumps(changed)})
    assert changes == [
        Change("containerDefinitions[name=web].environment[name=Z].value", MISSING, "0"),
        Change("containerDefinitions[name=web].image", "api:1", "api:2"),
    ]


def test_policy_statements_are_keyed_by_sid_and_odd_keys_are_quoted():
    policy = {"Statement": [{"Sid": "Read", "Action": ["s3:GetObject"], "Condition": {"a.b": 1}}]}
    assert flatten({"policy": json.dumps(policy)}) == {
        "policy.Statement[Sid=Read].Action[0]": "s3:GetObject",
        'policy.Statement[Sid=Read].Condition["a.b"]': 1,
    }


def test_a_list_gaining_items_lists_the_items_not_the_empty_list():
    assert [c.path for c in diff_values({"ingress": []}, {"ingress": [{"fromPort": 443}]})] == ["ingress[0].fromPort"]


def test_true_and_one_differ():
    assert [c.path for c in diff_values({"a": 1}, {"a": True})] == ["a"]


# ---------------------------------------------------------------------------------------------- danger flags

DANGER_CASES = {
    "rds deleted": (res(RDS, "db", protect=True), None, [(
        "delete", "`db` (`aws:rds/instance:Instance`): deleted; if it was renamed or moved, add an alias to keep it; "
        "it is protected, so `pulumi up` will refuse until protect is removed")]),
    "bucket deleted, retained": (res(BUCKET, "b", retainOnDelete=True), None, [(
        "delete", "`b` (`aws:s3/bucket:Bucket`): deleted; if it was renamed or moved, add an alias to keep it; "
        "retainOnDelete keeps the cloud resource")]),
    "rds replaced by kms key": (res(RDS, "db", {"kmsKeyId": "arn:a"}), res(RDS, "db", {"kmsKeyId": "arn:b"}), [(
        "replace", '`db` (`aws:rds/instance:Instance`): `kmsKeyId` `"arn:a"` → `"arn:b"` forces a new resource')]),
    "cache replaced by id": (res(CACHE, "c", {"replicationGroupId": "a"}), res(CACHE, "c", {"replicationGroupId": "b"}), [(
        "replace", "`c` (`aws:elasticache/replicationGroup:ReplicationGroup`): "
        '`replicationGroupId` `"a"` → `"b"` forces a new resource')]),
    "bucket renamed": (res(BUCKET, "b", {"bucket": "x"}), res(BUCKET, "b", {"bucket": "y"}), [(
        "replace", '`b` (`aws:s3/bucket:Bucket`): `bucket` `"x"` → `"y"` forces a new resource')]),
    "kms key usage": (res(KEY, "k", {}), res(KEY, "k", {"keyUsage": "SIGN_VERIFY"}), [(
        "replace", '`k` (`aws:kms/key:Key`): `keyUsage` _(unset)_ → `"SIGN_VERIFY"` forces a new resource')]),
    "vault provider": (res(VAULT, "v", {"name": "n"}), res(VAULT, "v", {"name": "n"}, provider="urn:p2"), [(
        "replace", "`v` (`aws:backup/vault:Vault`): its provider changed forces a new resource")]),
    "rds replaced twice over": (res(RDS, "db", {"engine": "postgres", "username": "a"}),
                                res(RDS, "db", {"engine": "mysql", "username": "b"}), [(
        "replace", '`db` (`aws:rds/instance:Instance`): `engine` `"postgres"` → `"mysql"`, '
        '`username` `"a"` → `"b"` force a new resource')]),
    "efs deleted": (res(EFS, "volume-web", protect=True), None, [(
        "delete", "`volume-web` (`aws:efs/fileSystem:FileSystem`): deleted; if it was renamed or moved, add an alias "
        "to keep it; it is protected, so `pulumi up` will refuse until protect is removed")]),
    "efs replaced by kms key": (res(EFS, "v", {"kmsKeyId": "arn:a"}), res(EFS, "v", {"kmsKeyId": "arn:b"}), [(
        "replace", '`v` (`aws:efs/fileSystem:FileSystem`): `kmsKeyId` `"arn:a"` → `"arn:b"` forces a new resource')]),
    "efs throughput in place": (res(EFS, "v", {"throughputMode": "bursting"}),
                                res(EFS, "v", {"throughputMode": "elastic"}), []),
    "in-place rds change": (res(RDS, "db", {"instanceClass": "a"}), res(RDS, "db", {"instanceClass": "b"}), []),
    "protect removed": (res("aws:sqs/queue:Queue", "q", protect=True), res("aws:sqs/queue:Queue", "q"), [(
        "unprotect", "`q` (`aws:sqs/queue:Queue`): option `protect` `true` → `false`")]),
    "deletion protection off": (res(RDS, "db", {"deletionProtection": True}), res(RDS, "db", {}), [(
        "unprotect", "`db` (`aws:rds/instance:Instance`): `deletionProtection` `true` → _(unset)_")]),
    "final snapshot skipped": (res(RDS, "db", {}), res(RDS, "db", {"skipFinalSnapshot": True}), [(
        "unprotect", "`db` (`aws:rds/instance:Instance`): `skipFinalSnapshot` _(unset)_ → `true`")]),
    "bucket force destroy": (res(BUCKET, "b", {"forceDestroy": False}), res(BUCKET, "b", {"forceDestroy": True}), [(
        "unprotect", "`b` (`aws:s3/bucket:Bucket`): `forceDestroy` `false` → `true`")]),
    "rds retention": (res(RDS, "db", {"backupRetentionPeriod": 30}), res(RDS, "db", {"backupRetentionPeriod": 7}), [(
        "retention", "`db` (`aws:rds/instance:Instance`): `backupRetentionPeriod` `30` → `7`")]),
    "cache snapshots off": (res(CACHE, "c", {"snapshotRetentionLimit": 7}), res(CACHE, "c", {}), [(
        "retention", "`c` (`aws:elasticache/replicationGroup:ReplicationGroup`): "
        "`snapshotRetentionLimit` `7` → _(unset)_")]),
    "backup plan delete after": (
        res(PLAN, "p", {"rules": [{"ruleName": "nightly", "lifecycle": {"deleteAfter": 30}}]}),
        res(PLAN, "p", {"rules": [{"ruleName": "nightly", "lifecycle": {"deleteAfter": 14}}]}), [(
            "retention", "`p` (`aws:backup/plan:Plan`): `rules[ruleName=nightly].lifecycle.deleteAfter` `30` → `14`")]),
    "lifecycle expiration": (
        res(LIFECYCLE, "l", {"rules": [{"id": "x", "expiration": {"days": 30}, "transitions": [{"days": 30}]}]}),
        res(LIFECYCLE, "l", {"rules": [{"id": "x", "expiration": {"days": 10}, "transitions": [{"days": 5}]}]}), [(
            "retention", "`l` (`aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration`): "
            "`rules[id=x].expiration.days` `30` → `10`")]),
    "retention raised": (res(RDS, "db", {"backupRetentionPeriod": 7}), res(RDS, "db", {"backupRetentionPeriod": 30}), []),
    "cache encryption off": (
        res(CACHE, "c", {"transitEncryptionEnabled": True, "transitEncryptionMode": "required"}),
        res(CACHE, "c", {"transitEncryptionEnabled": False, "transitEncryptionMode": "preferred"}), [
            ("encryption", "`c` (`aws:elasticache/replicationGroup:ReplicationGroup`): "
                           "`transitEncryptionEnabled` `true` → `false`"),
            ("encryption", "`c` (`aws:elasticache/replicationGroup:ReplicationGroup`): "
                           '`transitEncryptionMode` `"required"` → `"preferred"`')]),
    "sse configuration removed": (res(SSE, "enc", {"bucket": "backups"}), BACKUPS, [(
        "encryption", "`enc` (`aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration`): "
        'default encryption configuration of bucket `"backups"` removed')]),
    "ingress rule to the world": (None, res(RULE, "lb-https", {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp",
                                                              "fromPort": 443, "toPort": 443}), [(
        "open", "`lb-https` (`aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule`): "
        "ingress tcp 443 from `0.0.0.0/0`")]),
    "ingress rule widened to ipv6": (
        res(RULE, "r", {"cidrIpv6": "2001:db8::/32", "ipProtocol": "-1"}),
        res(RULE, "r", {"cidrIpv6": "::/0", "ipProtocol": "-1"}), [(
            "open", "`r` (`aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule`): "
            "ingress on all protocols and ports from `::/0`")]),
    "inline ingress": (res(SG, "sg", {"ingress": []}), res(SG, "sg", {"ingress": [
        {"protocol": "tcp", "fromPort": 8000, "toPort": 8100, "cidrBlocks": ["10.0.0.0/8", "0.0.0.0/0"]}]}), [(
            "open", "`sg` (`aws:ec2/securityGroup:SecurityGroup`): ingress tcp 8000-8100 from `0.0.0.0/0`")]),
    "world ingress already there": (res(RULE, "r", {"cidrIpv4": "0.0.0.0/0", "fromPort": 443, "toPort": 443}),
                                    res(RULE, "r", {"cidrIpv4": "0.0.0.0/0", "fromPort": 443, "toPort": 443,
                                                    "description": "https"}), []),
    "egress to the world": (None, res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "e",
                                      {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"}), []),
    "new public database": (None, res(RDS, "db", {"publiclyAccessible": True}), [(
        "public", "`db` (`aws:rds/instance:Instance`): `publiclyAccessible` _(unset)_ → `true`")]),
    "task gets a public ip": (
        res("aws:ecs/service:Service", "s", {"networkConfiguration": {"assignPublicIp": False}}),
        res("aws:ecs/service:Service", "s", {"networkConfiguration": {"assignPublicIp": True}}), [(
            "public", "`s` (`aws:ecs/service:Service`): `networkConfiguration.assignPublicIp` `false` → `true`")]),
    "load balancer made internet-facing": (
        res("aws:lb/loadBalancer:LoadBalancer", "lb", {"internal": True}),
        res("aws:lb/loadBalancer:LoadBalancer", "lb", {"internal": False}), [(
            "public", "`lb` (`aws:lb/loadBalancer:LoadBalancer`): `internal` `true` → `false`")]),
    "public access block loosened": (
        res(PAB, "pab", {"blockPublicAcls": True, "blockPublicPolicy": True}),
        res(PAB, "pab", {"blockPublicAcls": True, "blockPublicPolicy": False}), [(
            "public", "`pab` (`aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock`): "
            "`blockPublicPolicy` `true` → `false`")]),
    "public access block removed": (res(PAB, "pab", {"bucket": "backups"}), BACKUPS, [(
        "public", "`pab` (`aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock`): "
        'public access block of bucket `"backups"` removed')]),
    "ordinary queue deleted": (res("aws:sqs/queue:Queue", "q"), None, []),
    "bucket settings deleted with their bucket": ([res(SSE, "enc", {"bucket": "gone"}), res(PAB, "pab", {"bucket": "gone"})],
                                                  None, []),
}


@pytest.mark.parametrize("before, after, expected", DANGER_CASES.values(), ids=DANGER_CASES.keys())
def test_danger_flags(before, after, expected):
    assert flags_between(before, after) == expected


def test_danger_flags_come_first_and_their_components_open_first():
    quiet = component("a-quiet", "nodeapi:misc:Misc")
    base = graph(quiet, res("aws:sqs/queue:Queue", "q", {"delaySeconds": 0}, parent=quiet),
                 res(RDS, "db", {"publiclyAccessible": False}))
    head = graph(quiet, res("aws:sqs/queue:Queue", "q", {"delaySeconds": 5}, parent=quiet),
                 res(RDS, "db", {"publiclyAccessible": True}))
    text = render_diff(base, head)
    assert text.index("[!CAUTION]") < text.index("<details open>\n<summary><b>data</b>") < text.index(
        "<details>\n<summary><b>a-quiet</b>")


# ---------------------------------------------------------------------------------------------- secrets

SECRET_CASES = {
    "engine secret stays masked": ({}, {"authToken": "[secret]"}, "  - `authToken`: `[secret]`", None),
    "password input": ({}, {"password": "hunter2"}, "  - `password`: `[secret]`", "hunter2"),
    "changed password": ({"masterPassword": "a1"}, {"masterPassword": "b2"},
                         "  - `masterPassword`: `[secret]` → `[secret]`", "b2"),
    "env var named like a token": (
        {}, {"containerDefinitions": json.dumps([{"name": "web", "environment": [{"name": "API_TOKEN", "value": "abc1"}]}])},
        "  - `containerDefinitions[name=web].environment[name=API_TOKEN].value`: `[secret]`", "abc1"),
}


@pytest.mark.parametrize("old, new, line, hidden", SECRET_CASES.values(), ids=SECRET_CASES.keys())
def test_secrets_are_masked(old, new, line, hidden):
    base = graph(res("aws:x/y:Y", "r", old)) if old else graph()
    lines = render_diff(base, graph(res("aws:x/y:Y", "r", new))).splitlines()
    assert line in lines
    assert hidden is None or not any(hidden in text for text in lines)


def test_references_to_secrets_are_not_masked():
    old = {"masterUserSecretKmsKeyId": "arn:aws:kms:k1", "containerDefinitions": json.dumps(
        [{"name": "web", "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:s1"}]}])}
    new = {"masterUserSecretKmsKeyId": "arn:aws:kms:k2", "containerDefinitions": json.dumps(
        [{"name": "web", "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:s2"}]}])}
    text = render_diff(graph(res(RDS, "db", old)), graph(res(RDS, "db", new)))
    assert '`"arn:aws:kms:k1"` → `"arn:aws:kms:k2"`' in text
    assert '`"arn:aws:secretsmanager:s1"` → `"arn:aws:secretsmanager:s2"`' in text


# ---------------------------------------------------------------------------------------------- size


def big_pair(components: int, resources: int) -> tuple[dict, dict]:
    parents = [component(f"c{i:02}", "nodeapi:misc:Misc") for i in range(components)]
    base = [res("aws:sqs/queue:Queue", f"q{i}-{j}", {"delaySeconds": 0}, parent=p)
            for i, p in enumerate(parents) for j in range(resources)]
    head = [res("aws:sqs/queue:Queue", f"q{i}-{j}", {"delaySeconds": 1, "name": "x" * 90}, parent=p)
            for i, p in enumerate(parents) for j in range(resources)]
    return graph(*parents, *base), graph(*parents, *head)


def test_long_diffs_are_cut_below_the_limit_with_a_note():
    base, head = big_pair(components=20, resources=10)
    text = render_diff(base, head, limit=10_000)
    assert len(text) <= 10_000
    shown = text.count("<details>")
    assert 0 < shown < 20
    assert text.endswith(
        f"✂️ **Cut to fit GitHub's comment size limit:** {20 - shown} components ({(20 - shown) * 10} changed "
        "resources) not shown. The full diff: `python -m tools.preview prod --diff BASE.json` with the base "
        "branch's `--json`.\n")


def test_default_limit_fits_two_stacks_in_one_comment():
    base, head = big_pair(components=60, resources=10)
    stacks = [render_diff(base, head), render_diff({**base, "stack": "staging"}, {**head, "stack": "staging"})]
    body = comment_body(stacks)
    assert len(body) < 65_536 and body.count("✂️ **Cut to fit GitHub's comment size limit:**") == 2
    assert body.startswith(MARKER + "\n## Offline plan")


def test_a_flagged_component_survives_the_cut():
    base, head = big_pair(components=20, resources=10)
    at = next(i for i, r in enumerate(head["resources"]) if r["name"] == "q19-9")
    last = head["resources"][at]
    head["resources"][at] = {**last, "type": RULE, "urn": last["urn"].replace("aws:sqs/queue:Queue", RULE),
                             "inputs": {"cidrIpv4": "0.0.0.0/0", "fromPort": 22, "toPort": 22, "ipProtocol": "tcp"}}
    text = render_diff(base, head, limit=6_000)
    assert "<details open>\n<summary><b>c19</b>" in text


def test_comment_body_is_capped():
    body = comment_body(["x" * 70_000])
    assert len(body) == 65_536 and body.endswith("✂️ **Cut to fit GitHub's comment size limit.**\n")


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_prints_one_stack_and_the_comment(tmp_path, capsys):
    (tmp_path / "base.json").write_text(json.dumps(BASE))
    (tmp_path / "head.json").write_text(json.dumps(HEAD))
    assert main([str(tmp_path / "base.json"), str(tmp_path / "head.json")]) == 0
    assert capsys.readouterr().out == EXPECTED
    (tmp_path / "prod.md").write_text(EXPECTED)
    assert main(["--comment", str(tmp_path / "prod.md")]) == 0
    assert capsys.readouterr().out == f"{MARKER}\n## Offline plan (mocked preview of the Pulumi program)\n\n{EXPECTED}"


def test_cli_reports_unreadable_files(tmp_path, capsys):
    assert main([str(tmp_path / "missing.json"), str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().err.startswith("error: [Errno 2] No such file or directory")


def test_site_buckets_and_service_volumes_of_real_stacks_are_stateful():
    """Dropping a site or a volume from prod deletes its bucket or file system: flagged like the other stores."""
    from tests.test_frontends import prod_with_frontends
    from tests.test_volumes_stack import prod_single_writer
    from tests.conftest import graph_of

    prod = graph_of("prod")
    site = [f.message for f in danger_flags(prod_with_frontends(), prod) if f.kind == "delete"]
    assert site == ["`site-web` (`aws:s3/bucket:Bucket`): deleted; if it was renamed or moved, add an alias to keep "
                    "it; it is protected, so `pulumi up` will refuse until protect is removed"]
    volume = [f.message for f in danger_flags(prod_single_writer(), prod) if f.kind == "delete"]
    assert volume == ["`volume-web` (`aws:efs/fileSystem:FileSystem`): deleted; if it was renamed or moved, add an "
                      "alias to keep it; it is protected, so `pulumi up` will refuse until protect is removed"]


def test_a_component_moved_under_another_with_an_alias_is_unchanged_with_its_children():
    """DataTier-style move: `database` (and its child bucket) go under a new component with
    `aliases=[Alias(parent=ROOT_STACK_RESOURCE)]`; the engine keeps them, so the diff shows no delete."""
    tier = component("data-tier", "nodeapi:data:DataTier")
    moved = {**component("data", "nodeapi:database:Database", parent=tier),
             "options": {**OPTIONS, "provider": None, "aliases": [{"spec": {"noParent": True}}]}}
    bucket_before = res(BUCKET, "backups", {"bucket": "backups"})
    bucket_after = res(BUCKET, "backups", {"bucket": "backups"}, parent=moved)
    base = graph(bucket_before)
    head = {**graph(), "resources": sorted([tier, moved, bucket_after], key=lambda r: r["urn"])}
    assert (resource_diffs(base, head), danger_flags(base, head)) == ([], [])
    head_renamed = {**head, "resources": [tier, {**moved, "options": {**OPTIONS, "provider": None}}, bucket_after]}
    assert [d.action for d in resource_diffs(base, head_renamed)] == ["add", "remove"]  # no alias: a new resource

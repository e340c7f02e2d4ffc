"""Each policy rule with violating and compliant resources, the pack's glue and its per-stack config files."""

import importlib.util
import json

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy.rules import RULES, STACK_RULES, check_s3_bucket_settings, check_s3_tls_only, violations
from tests.helpers import ROOT

RDS = "aws:rds/instance:Instance"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
LISTENER = "aws:lb/listener:Listener"
RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
EFS = "aws:efs/fileSystem:FileSystem"
EFS_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
DENY_PLAINTEXT = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "arn:fs",
                  "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
ALLOW_ROLE = {"Effect": "Allow", "Principal": {"AWS": "arn:role"}, "Action": ["elasticfilesystem:ClientMount"],
              "Resource": "arn:fs"}
NO_TLS = "policy must deny every principal all actions when aws:SecureTransport is false"
EDGE = {"Exposure": "public-load-balancer"}
REDIRECT = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]
WORLD_OPEN = ("is open to the internet; only tcp 80/443 on the load balancer's group "
              "(tag Exposure=public-load-balancer) may be")
DIST = "aws:cloudfront/distribution:Distribution"
HTTPS_BEHAVIOUR = {"viewerProtocolPolicy": "redirect-to-https"}
ACM_TLS12 = {"acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/x", "sslSupportMethod": "sni-only",
             "minimumProtocolVersion": "TLSv1.2_2021"}
ALB_ORIGIN = {"originId": "api", "domainName": "alb.elb.amazonaws.com",
              "customOriginConfig": {"originProtocolPolicy": "https-only", "originSslProtocols": ["TLSv1.2"]}}
S3_ORIGIN = {"originId": "s3", "domainName": "b.s3.us-east-1.amazonaws.com", "originAccessControlId": "E2QWRUHAPOMQZL"}
GOOD_CONTAINER = {"name": "web", "user": "1000:1000", "readonlyRootFilesystem": True,
                  "environment": [{"name": "KMS_KEY_ID", "value": "arn:aws:kms:k"}, {"name": "PORT", "value": "3000"}],
                  "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:s"}]}


def efs_policy(*statements: dict) -> dict:
    return {"fileSystemId": "fs-1", "policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def efs_task(**efs) -> dict:
    """A task definition with the tmp volume and one EFS volume configured with `efs`."""
    return {**task(), "volumes": [{"name": "tmp"}, {"name": "volume-data", "efsVolumeConfiguration": {
        "fileSystemId": "fs-1", **efs}}]}


def task(**changes) -> dict:
    """A task definition with one container: GOOD_CONTAINER with `changes` (None removes a key)."""
    container = {k: v for k, v in {**GOOD_CONTAINER, **changes}.items() if v is not None}
    return {"family": "web", "containerDefinitions": json.dumps([container])}


# rule name -> [(case id, resource type, inputs, context, expected messages)]
CASES = {
    "rds-storage-encrypted": [
        ("encrypted", RDS, {"storageEncrypted": True}, {}, []),
        ("unset", RDS, {}, {}, ["storageEncrypted must be true, got unset"]),
        ("cluster off", "aws:rds/cluster:Cluster", {"storageEncrypted": False}, {},
         ["storageEncrypted must be true, got false"]),
        ("other type", "aws:sqs/queue:Queue", {}, {}, []),
    ],
    "rds-not-public": [
        ("private", RDS, {"publiclyAccessible": False}, {}, []),
        ("public", RDS, {"publiclyAccessible": True}, {},
         ["publiclyAccessible must not be true: the database lives in isolated subnets"]),
    ],
    "rds-deletion-safety": [
        ("prod protected", RDS, {"deletionProtection": True, "skipFinalSnapshot": False,
                                 "finalSnapshotIdentifier": "db-final"}, {"stack": "prod"}, []),
        ("prod unprotected", RDS, {"deletionProtection": False, "skipFinalSnapshot": True}, {"stack": "prod"}, [
            "deletionProtection must be true in prod, got false",
            "prod needs a final snapshot: skipFinalSnapshot false and finalSnapshotIdentifier set"]),
        ("prod without snapshot name", RDS, {"deletionProtection": True}, {"stack": "prod"},
         ["prod needs a final snapshot: skipFinalSnapshot false and finalSnapshotIdentifier set"]),
        ("staging may skip", RDS, {"deletionProtection": False, "skipFinalSnapshot": True}, {"stack": "staging"}, []),
    ],
    "rds-backup-retention": [
        ("prod 30", RDS, {"backupRetentionPeriod": 30.0}, {"stack": "prod"}, []),
        ("prod 7", RDS, {"backupRetentionPeriod": 7.0}, {"stack": "prod"},
         ["backupRetentionPeriod must be at least 30 days in prod, got 7"]),
        ("staging 7", RDS, {"backupRetentionPeriod": 7}, {"stack": "staging"}, []),
        ("staging 1", RDS, {"backupRetentionPeriod": 1}, {"stack": "staging"},
         ["backupRetentionPeriod must be at least 7 days in staging, got 1"]),
        ("unset", RDS, {}, {"stack": "staging"}, ["backupRetentionPeriod must be at least 7 days in staging, got unset"]),
    ],
    "elasticache-encryption": [
        ("encrypted", CACHE, {"atRestEncryptionEnabled": True, "transitEncryptionEnabled": True,
                              "transitEncryptionMode": "required"}, {}, []),
        ("plaintext", CACHE, {"atRestEncryptionEnabled": False}, {}, [
            "atRestEncryptionEnabled must be true, got false", "transitEncryptionEnabled must be true, got unset"]),
        ("preferred tls", CACHE, {"atRestEncryptionEnabled": True, "transitEncryptionEnabled": True,
                                  "transitEncryptionMode": "preferred"}, {},
         ["transitEncryptionMode must be required (preferred also accepts plaintext), got preferred"]),
    ],
    "efs-encryption": [
        ("encrypted", EFS, {"encrypted": True, "kmsKeyId": "arn:aws:kms:k"}, {}, []),
        ("unset", EFS, {}, {}, ["encrypted must be true, got unset"]),
        ("off", EFS, {"encrypted": False}, {}, ["encrypted must be true, got false"]),
    ],
    "efs-policy-requires-tls": [
        ("deny plaintext", EFS_POLICY, efs_policy(DENY_PLAINTEXT, ALLOW_ROLE), {}, []),
        ("deny with bare star principal", EFS_POLICY, efs_policy({**DENY_PLAINTEXT, "Principal": "*"}), {}, []),
        ("allow only", EFS_POLICY, efs_policy(ALLOW_ROLE), {}, [NO_TLS]),
        ("deny for one role", EFS_POLICY, efs_policy({**DENY_PLAINTEXT, "Principal": {"AWS": "arn:role"}}), {},
         [NO_TLS]),
        ("deny only mounts", EFS_POLICY, efs_policy({**DENY_PLAINTEXT, "Action": "elasticfilesystem:ClientMount"}),
         {}, [NO_TLS]),
        ("allow plaintext", EFS_POLICY, efs_policy({**DENY_PLAINTEXT, "Effect": "Allow"}), {}, [NO_TLS]),
    ],
    "efs-access-point-non-root": [
        ("app user", ACCESS_POINT, {"posixUser": {"uid": 1001.0, "gid": 1001.0}}, {}, []),
        ("root", ACCESS_POINT, {"posixUser": {"uid": 0, "gid": 0}}, {}, ["posixUser.uid must be a non-root user, got 0"]),
        ("no posix user", ACCESS_POINT, {}, {}, ["posixUser.uid must be a non-root user, got unset"]),
    ],
    "s3-encryption": [
        ("kms", SSE, {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}, {}, []),
        ("no rules", SSE, {"rules": []}, {},
         ["every rule must apply default encryption (aws:kms, aws:kms:dsse or AES256), got []"]),
        ("rule without default", SSE, {"rules": [{"bucketKeyEnabled": True}]}, {},
         ["every rule must apply default encryption (aws:kms, aws:kms:dsse or AES256), got [None]"]),
    ],
    "s3-public-access-block": [
        ("all four", PAB, dict.fromkeys(["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                         "restrictPublicBuckets"], True), {}, []),
        ("two off", PAB, {"blockPublicAcls": True, "blockPublicPolicy": False, "ignorePublicAcls": True}, {},
         ["blockPublicPolicy, restrictPublicBuckets must be true"]),
    ],
    "alb-listener-tls": [
        ("https tls13", LISTENER, {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, {}, []),
        ("https fs 1.2", "aws:alb/listener:Listener", {"protocol": "HTTPS",
                                                        "sslPolicy": "ELBSecurityPolicy-FS-1-2-Res-2020-10"}, {}, []),
        ("https default policy", LISTENER, {"protocol": "HTTPS"}, {},
         ["sslPolicy must require TLS 1.2 or newer (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06), got unset"]),
        ("https tls 1.0", LISTENER, {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"}, {},
         ["sslPolicy must require TLS 1.2 or newer (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06), "
          "got ELBSecurityPolicy-2016-08"]),
        ("http redirect", LISTENER, {"protocol": "HTTP", "defaultActions": REDIRECT}, {}, []),
        ("http forward", LISTENER, {"defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]}, {},
         ["an HTTP listener may only redirect to HTTPS (defaultActions: one redirect with protocol HTTPS)"]),
    ],
    "cloudfront-viewer-tls": [
        ("https everywhere", DIST, {"defaultCacheBehavior": HTTPS_BEHAVIOUR, "viewerCertificate": ACM_TLS12,
                                    "orderedCacheBehaviors": [{"pathPattern": "/static/*",
                                                               "viewerProtocolPolicy": "https-only"}]}, {}, []),
        ("tls 1.3 policy", DIST, {"defaultCacheBehavior": HTTPS_BEHAVIOUR,
                                  "viewerCertificate": {**ACM_TLS12, "minimumProtocolVersion": "TLSv1.3_2025"}}, {}, []),
        ("plain http and default certificate", DIST, {
            "defaultCacheBehavior": {"viewerProtocolPolicy": "allow-all"},
            "orderedCacheBehaviors": [{"pathPattern": "/static/*", "viewerProtocolPolicy": "allow-all"}],
            "viewerCertificate": {"cloudfrontDefaultCertificate": True}}, {}, [
            "default behaviour: viewerProtocolPolicy must be redirect-to-https or https-only, got allow-all",
            "behaviour /static/*: viewerProtocolPolicy must be redirect-to-https or https-only, got allow-all",
            "viewerCertificate: the *.cloudfront.net certificate allows TLS 1.0; use an ACM certificate (us-east-1) "
            "with minimumProtocolVersion TLSv1.2_2021"]),
        ("tls 1.0 policy", DIST, {"defaultCacheBehavior": HTTPS_BEHAVIOUR,
                                  "viewerCertificate": {**ACM_TLS12, "minimumProtocolVersion": "TLSv1_2016"}}, {},
         ["viewerCertificate.minimumProtocolVersion must be TLS 1.2 or newer (e.g. TLSv1.2_2021), got TLSv1_2016"]),
        ("other type", "aws:s3/bucket:Bucket", {}, {}, []),
    ],
    "cloudfront-origins": [
        ("alb over tls 1.2 and s3 through oac", DIST, {"origins": [ALB_ORIGIN, S3_ORIGIN]}, {}, []),
        ("http origin with old tls", DIST, {"origins": [{**ALB_ORIGIN, "customOriginConfig": {
            "originProtocolPolicy": "match-viewer", "originSslProtocols": ["TLSv1", "TLSv1.2"]}}]}, {}, [
            "origin api: originProtocolPolicy must be https-only, got match-viewer",
            "origin api: originSslProtocols must be [TLSv1.2], got [TLSv1, TLSv1.2]"]),
        ("s3 without oac", DIST, {"origins": [{"originId": "s3", "domainName": "b.s3.amazonaws.com",
                                               "s3OriginConfig": {"originAccessIdentity": "origin-access-identity/x"}}]},
         {}, ["origin s3: an S3 origin must read through an origin access control (originAccessControlId), "
              "not a public bucket or a legacy origin access identity"]),
    ],
    "no-world-ingress": [
        ("lb https", RULE, {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                            "tags": EDGE}, {}, []),
        ("from a group", RULE, {"referencedSecurityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 5432,
                                "toPort": 5432}, {}, []),
        ("ssh from anywhere", RULE, {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22}, {},
         [f"ingress tcp 22 from 0.0.0.0/0 {WORLD_OPEN}"]),
        ("https without the edge tag", RULE, {"cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 443,
                                              "toPort": 443}, {}, [f"ingress tcp 443 from ::/0 {WORLD_OPEN}"]),
        ("lb all ports", RULE, {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1", "tags": EDGE}, {},
         [f"ingress on all protocols and ports from 0.0.0.0/0 {WORLD_OPEN}"]),
        ("inline range", SG, {"tags": EDGE, "ingress": [{"protocol": "tcp", "fromPort": 80, "toPort": 443,
                                                        "cidrBlocks": ["0.0.0.0/0"]}]}, {},
         [f"ingress tcp 80-443 from 0.0.0.0/0 {WORLD_OPEN}"]),
        ("legacy rule", "aws:ec2/securityGroupRule:SecurityGroupRule", {
            "type": "ingress", "protocol": "tcp", "fromPort": 3000, "toPort": 3000, "cidrBlocks": ["0.0.0.0/0"]}, {},
         [f"ingress tcp 3000 from 0.0.0.0/0 {WORLD_OPEN}"]),
        ("egress rule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
         {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"}, {}, []),
        ("from the private subnets", RULE, {"cidrIpv4": "10.30.64.0/20", "ipProtocol": "-1"}, {}, []),
        # An auto scaling group's tags are a list of {key, value, propagateAtLaunch}: not an ingress, no crash.
        ("auto scaling group", "aws:autoscaling/group:Group",
         {"tags": [{"key": "Name", "value": "nat", "propagateAtLaunch": False}]}, {}, []),
    ],
    "ecs-no-secrets-in-environment": [
        ("secrets through valueFrom", TASK, task(), {}, []),
        ("password in environment", TASK, task(environment=[{"name": "DB_PASSWORD", "value": "x"},
                                                            {"name": "STRIPE_API_KEY", "value": "y"}]), {}, [
            "container web: environment variable DB_PASSWORD looks like a secret; "
            "pass it through `secrets` (valueFrom Secrets Manager or SSM)",
            "container web: environment variable STRIPE_API_KEY looks like a secret; "
            "pass it through `secrets` (valueFrom Secrets Manager or SSM)"]),
        ("secret in the definitions", TASK, {"containerDefinitions": "[secret]"}, {},
         ["containerDefinitions holds a secret value: pass secrets through `secrets` (valueFrom), not inline"]),
    ],
    "ecs-read-only-root": [
        ("read-only", TASK, task(), {}, []),
        ("writable", TASK, task(readonlyRootFilesystem=None), {},
         ["container web: readonlyRootFilesystem must be true, got unset"]),
    ],
    "ecs-not-privileged": [
        ("unprivileged", TASK, task(privileged=False), {}, []),
        ("privileged", TASK, task(privileged=True), {}, ["container web: privileged must not be true"]),
    ],
    "ecs-non-root-user": [
        ("uid 1000", TASK, task(), {}, []),
        ("named user", TASK, task(user="node"), {}, []),
        ("root by uid", TASK, task(user="0:1000"), {}, ["container web: user must be a non-root user, got 0:1000"]),
        ("root by name", TASK, task(user="root"), {}, ["container web: user must be a non-root user, got root"]),
        ("unset", TASK, task(user=None), {}, ["container web: user must be a non-root user, got unset (root)"]),
    ],
    "ecs-efs-transit-encryption": [
        ("tls and iam", TASK, efs_task(transitEncryption="ENABLED", authorizationConfig={
            "accessPointId": "fsap-1", "iam": "ENABLED"}), {}, []),
        ("no efs volume", TASK, task(), {}, []),
        ("plaintext, anonymous", TASK, efs_task(), {}, [
            "volume volume-data: transitEncryption must be ENABLED, got unset",
            "volume volume-data: authorizationConfig.iam must be ENABLED, got unset"]),
        ("tls without iam", TASK, efs_task(transitEncryption="ENABLED", authorizationConfig={"iam": "DISABLED"}), {},
         ["volume volume-data: authorizationConfig.iam must be ENABLED, got DISABLED"]),
    ],
    "kms-key-rotation": [
        ("rotating", "aws:kms/key:Key", {"enableKeyRotation": True}, {}, []),
        ("not rotating", "aws:kms/key:Key", {"enableKeyRotation": False}, {}, ["enableKeyRotation must be true"]),
        ("asymmetric", "aws:kms/key:Key", {"customerMasterKeySpec": "RSA_2048"}, {}, []),
    ],
    "log-group-retention": [
        ("30 days", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 30}, {}, []),
        ("forever", "aws:cloudwatch/logGroup:LogGroup", {}, {}, ["retentionInDays must be set, got unset"]),
        ("zero", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 0}, {}, ["retentionInDays must be set, got 0"]),
    ],
    "stateful-protected": [
        ("prod protected", RDS, {}, {"stack": "prod", "protect": True}, []),
        ("prod unprotected bucket", "aws:s3/bucket:Bucket", {}, {"stack": "prod", "protect": False},
         ["prod resources that hold data or keys need the protect option"]),
        ("staging unprotected", "aws:backup/vault:Vault", {}, {"stack": "staging", "protect": False}, []),
        ("prod stateless", "aws:sqs/queue:Queue", {}, {"stack": "prod", "protect": False}, []),
        ("prod unprotected file system", EFS, {}, {"stack": "prod", "protect": False},
         ["prod resources that hold data or keys need the protect option"]),
    ],
}
BY_NAME = {rule.name: rule for rule in RULES}
FLAT = [pytest.param(name, *case[1:], id=f"{name}: {case[0]}") for name, cases in CASES.items() for case in cases]


@pytest.mark.parametrize("name, resource_type, props, context, expected", FLAT)
def test_rule(name, resource_type, props, context, expected):
    assert BY_NAME[name].run(resource_type, props, **{"stack": "prod", **context}) == expected


@pytest.mark.parametrize("name, resource_type, props, context, expected", FLAT)
def test_rule_reads_the_packs_read_only_inputs(name, resource_type, props, context, expected):
    """CrossGuard hands rules a read-only Mapping proxy, not a dict."""
    proxied = unknown_checking_proxy(props)
    assert BY_NAME[name].run(resource_type, proxied, **{"stack": "prod", **context}) == expected


def test_every_rule_has_a_violating_and_a_compliant_case():
    assert set(CASES) == set(BY_NAME)
    for name, cases in CASES.items():
        assert any(c[4] for c in cases) and any(not c[4] for c in cases), name


BUCKETS = [("aws:s3/bucket:Bucket", {"bucket": "a"}), ("aws:s3/bucket:Bucket", {"bucket": "b"}),
           (SSE, {"bucket": "a"}), (PAB, {"bucket": "a"}), (SSE, {"bucket": "b"})]


def test_stack_rule_every_bucket_has_its_settings():
    assert check_s3_bucket_settings(BUCKETS) == ["bucket b has no public access block"]
    assert check_s3_bucket_settings(BUCKETS + [(PAB, {"bucket": "b"})]) == []


TLS_DENY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::a/*"},
    {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::a", "arn:aws:s3:::a/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def test_stack_rule_every_bucket_denies_plain_http():
    buckets = [("aws:s3/bucket:Bucket", {"bucket": "a"}), ("aws:s3/bucket:Bucket", {"bucket": "b"})]
    allow_only = json.dumps({"Statement": [json.loads(TLS_DENY)["Statement"][0]]})
    assert check_s3_tls_only(buckets + [(POLICY, {"bucket": "a", "policy": TLS_DENY}),
                                        (POLICY, {"bucket": "b", "policy": allow_only})]) == [
        "bucket b has no bucket policy denying aws:SecureTransport false"]
    assert check_s3_tls_only(buckets + [(POLICY, {"bucket": n, "policy": TLS_DENY}) for n in "ab"]) == []
    narrow = json.loads(TLS_DENY)
    narrow["Statement"][1]["Action"] = "s3:PutObject"  # reads over plain HTTP would still be allowed
    allowing = json.loads(TLS_DENY)
    allowing["Statement"][1]["Effect"] = "Allow"  # the same shape, the opposite meaning
    for policy in ("[secret]", json.dumps(narrow), json.dumps(allowing)):
        assert check_s3_tls_only(buckets[:1] + [(POLICY, {"bucket": "a", "policy": policy})]) == [
            "bucket a has no bucket policy denying aws:SecureTransport false"]


def test_violations_of_a_graph_name_rule_and_resource():
    resource = {"urn": "urn:db", "type": RDS, "custom": True, "inputs": {"storageEncrypted": True,
                "backupRetentionPeriod": 7}, "options": {"protect": True}}
    bucket = {"urn": "urn:b", "type": "aws:s3/bucket:Bucket", "custom": True, "inputs": {"bucket": "x"},
              "options": {"protect": False}}
    assert violations({"resources": [resource, bucket]}, "staging") == [
        ("s3-bucket-settings", "stack", "bucket x has no server-side encryption configuration"),
        ("s3-bucket-settings", "stack", "bucket x has no public access block"),
        ("s3-tls-only", "stack", "bucket x has no bucket policy denying aws:SecureTransport false"),
    ]
    assert [(r, u) for r, u, _ in violations({"resources": [resource]}, "prod")] == [
        ("rds-deletion-safety", "urn:db"), ("rds-deletion-safety", "urn:db"), ("rds-backup-retention", "urn:db")]


# ---------------------------------------------------------------------------------------------- the pack


@pytest.fixture
def pack(monkeypatch):
    """policy/__main__.py loaded as a module, so its PolicyPack (a gRPC server) is never constructed."""
    monkeypatch.syspath_prepend(str(ROOT / "policy"))
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    spec = importlib.util.spec_from_file_location("nodeapi_policy_pack", ROOT / "policy" / "__main__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def options(protect: bool) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], False, [], PolicyCustomTimeouts(0, 0, 0), [])


def test_pack_has_one_policy_per_rule(pack):
    assert [p.name for p in pack.policies()] == [r.name for r in RULES] + list(STACK_RULES)
    assert all(p.description for p in pack.policies())


def test_pack_resource_policy_reports_with_the_configured_stack(pack):
    policy = next(p for p in pack.policies() if p.name == "rds-backup-retention")
    reported = []
    props = unknown_checking_proxy({"backupRetentionPeriod": 7.0})
    for config, expected in (({"stack": "staging"}, []),
                             ({}, ["backupRetentionPeriod must be at least 30 days in prod, got 7"])):
        reported.clear()
        args = ResourceValidationArgs(RDS, props, "urn:db", "db", options(True), None, config)
        policy.validate(args, lambda message, urn=None: reported.append(message))
        assert reported == expected


def test_pack_passes_the_protect_option(pack):
    policy = next(p for p in pack.policies() if p.name == "stateful-protected")
    reported = []
    for protect in (True, False):
        args = ResourceValidationArgs(RDS, {}, "urn:db", "db", options(protect), None, {"stack": "prod"})
        policy.validate(args, lambda message, urn=None: reported.append(message))
    assert reported == ["prod resources that hold data or keys need the protect option"]


def test_pack_stack_policy_sees_every_resource(pack):
    policy = next(p for p in pack.policies() if p.name == "s3-bucket-settings")
    resources = [PolicyResource(t, unknown_checking_proxy(p), f"urn:{i}", f"r{i}", options(False), None, None, [], {})
                 for i, (t, p) in enumerate(BUCKETS)]
    reported = []
    policy.validate(StackValidationArgs(resources, {}), lambda message, urn=None: reported.append(message))
    assert reported == ["bucket b has no public access block"]


@pytest.mark.parametrize("stack, level", [("prod", EnforcementLevel.MANDATORY), ("staging", EnforcementLevel.ADVISORY),
                                          (None, EnforcementLevel.ADVISORY)])
def test_pack_default_level_follows_the_clis_stack(pack, monkeypatch, stack, level):
    if stack:
        monkeypatch.setenv("PULUMI_STACK", stack)
    assert pack.default_level() is level


@pytest.mark.parametrize("stack, level", [("prod", "mandatory"), ("staging", "advisory")])
def test_config_files_set_level_and_stack(stack, level):
    config = json.loads((ROOT / "policy" / "config" / f"{stack}.json").read_text())
    per_stack = {r.name for r in RULES if "stack" in r.needs}
    assert config == {"all": level, **{name: {"enforcementLevel": level, "stack": stack} for name in per_stack}}

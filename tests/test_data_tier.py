"""The DataTier: what it builds from the data settings, what app containers get from it, what it exports."""

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.data_tier import DataTier, DataTierArgs, backups_bucket_name, check_clients
from components.wiring import AppWiring
from tests.data_helpers import SG, key_arn, state_of, tasks_sg_id
from tests.data_tier_graph import settings_for, use_data_tier_graphs, with_changes
from tests.helpers import one, resources, stack_settings
from tools.preview import record

use_data_tier_graphs(globals())  # prod, staging, stack_graph: the DataTier of each real stack

SECRET = "aws:secretsmanager/secret:Secret"
MOVED = ("app-secrets", "backup-bucket", "backup-plan", "cache", "database", "db-dump")
UPLOADS = {"services": ["web"], "versioned": True, "backup": True,
           "lifecycle": [{"prefix": "tmp/", "expireDays": 7}], "cors": {"allowedOrigins": ["https://app.example.com"]}}
EXPORTS = {"services": ["web", "worker"], "envName": "REPORTS_BUCKET"}


def secret_arn(graph: dict, name: str) -> str:
    return state_of(graph, SECRET, name)["arn"]


def master_secret(graph: dict) -> str:
    return state_of(graph, "aws:rds/instance:Instance", "database")["masterUserSecrets"][0]["secretArn"]


def test_pre_data_tier_children_keep_their_names_and_move_by_alias(stack_graph):
    tier = one(stack_graph, "nodeapi:data:DataTier", "data")
    moved = {r["name"]: r for r in stack_graph["resources"] if r["parent"] == tier["urn"] and r["name"] in MOVED}
    assert sorted(moved) == sorted(MOVED)
    for resource in moved.values():
        assert resource["options"]["aliases"] == [{"spec": {"noParent": True}}], resource["name"]
    new = [r for r in stack_graph["resources"] if r["parent"] == tier["urn"] and r["name"] not in MOVED]
    assert sorted(r["name"] for r in new) == ["data-app-user", "data-tasks-egress", "data-tasks-sg"]
    assert not [r for r in new if "aliases" in r["options"]]


def test_the_tasks_group_goes_out_and_is_let_into_postgres_only(prod):
    group = tasks_sg_id(prod)
    assert one(prod, SG, "data-tasks-sg")["inputs"] == {
        "vpcId": state_of(prod, "aws:ec2/vpc:Vpc", "network")["id"], "revokeRulesOnDelete": True,
        "description": "nodeapi-prod: data tier tasks (pg_dump, database users)", "tags": {"Name": "data-tasks-sg"}}
    assert one(prod, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "data-tasks-egress")["inputs"] == {
        "securityGroupId": group, "cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1",
        "description": "images, S3, Secrets Manager, logs and the database", "tags": {"Name": "data-tasks-egress"}}
    let_in = [r["name"] for r in resources(prod, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
              if r["inputs"].get("referencedSecurityGroupId") == group]
    assert let_in == ["database-from-data-tasks"]


def test_what_every_app_container_gets_in_prod(prod):
    wiring = prod["outputs"]["wiring:all"]
    app, cache = secret_arn(prod, "data-app-user-secret"), state_of(
        prod, "aws:elasticache/replicationGroup:ReplicationGroup", "cache")["primaryEndpointAddress"]
    assert wiring["environment"] == {
        "DB_HOST": state_of(prod, "aws:rds/instance:Instance", "database")["address"], "DB_PORT": "5432",
        "DB_NAME": "app", "DB_SSL": "true", "DB_IAM_AUTH": "false", "REDIS_HOST": cache, "REDIS_PORT": "6379",
        "REDIS_TLS": "true", "REDIS_CLUSTER": "false"}
    assert wiring["secrets"] == {
        "DATABASE_URL": f"{app}:url::", "DB_USER": f"{app}:username::", "DB_PASSWORD": f"{app}:password::",
        "REDIS_URL": secret_arn(prod, "cache-url"), "REDIS_AUTH_TOKEN": secret_arn(prod, "cache-auth-token"),
        "JWT_SECRET": secret_arn(prod, "app-secrets-jwt-secret"),
        "JWT_REFRESH_SECRET": secret_arn(prod, "app-secrets-jwt-refresh-secret")}
    assert wiring["secretArns"] == [app, secret_arn(prod, "cache-url"), secret_arn(prod, "cache-auth-token"),
                                    secret_arn(prod, "app-secrets-jwt-refresh-secret"),
                                    secret_arn(prod, "app-secrets-jwt-secret")]  # settings.secret_names order
    assert wiring["kmsKeyArns"] == [key_arn(prod)]
    assert wiring["taskRoleStatements"] == []


@pytest.mark.parametrize("variant", ["prod", "proxy", "replicas", "iam"])
def test_no_app_container_can_read_the_master_secret(variant):
    database = {**stack_settings("prod")["database"],
                **{"proxy": {"proxy": True}, "replicas": {"readReplicas": {"count": 2}},
                   "iam": {"proxy": True, "proxyIamAuth": True}, "prod": {}}[variant]}
    graph = with_changes("prod", database=database)
    master = master_secret(graph)
    for name, wiring in graph["outputs"].items():
        if name.startswith("wiring:"):
            assert master not in json.dumps(wiring), name
    # Only the data tier's own tasks (pg_dump, the psql users tasks) are given the master password.
    readers = [r["inputs"]["family"] for r in resources(graph, "aws:ecs/taskDefinition:TaskDefinition")
               if master in r["inputs"]["containerDefinitions"]]
    assert readers == ["nodeapi-prod-db-dump", "nodeapi-prod-db-users", "nodeapi-prod-db-users-rotate"]


def test_replicas_add_the_read_urls(prod):
    graph = with_changes("prod", database={**stack_settings("prod")["database"], "readReplicas": {"count": 1}})
    app = secret_arn(graph, "data-app-user-secret")
    secrets = graph["outputs"]["wiring:all"]["secrets"]
    assert (secrets["DATABASE_READ_URL"], secrets["DATABASE_READ_URLS"]) == (f"{app}:readUrl::", f"{app}:readUrls::")
    assert not [name for name in prod["outputs"]["wiring:all"]["secrets"] if name.startswith("DATABASE_READ")]


@pytest.fixture(scope="module")
def stored() -> dict:
    return with_changes("prod", storage={"buckets": {"uploads": UPLOADS, "exports": EXPORTS}})


def test_each_service_gets_the_buckets_it_names_and_only_those(stored):
    web, worker = stored["outputs"]["wiring:web"], stored["outputs"]["wiring:worker"]
    uploads = "nodeapi-prod-uploads-123456789012-us-east-1"
    exports = "nodeapi-prod-exports-123456789012-us-east-1"
    assert {k: v for k, v in web["environment"].items() if k.endswith("_BUCKET")} == {
        "UPLOADS_BUCKET": uploads, "REPORTS_BUCKET": exports}
    assert {k: v for k, v in worker["environment"].items() if k.endswith("_BUCKET")} == {"REPORTS_BUCKET": exports}
    def buckets_in(statements):
        return sorted({r.split(":::")[1].split("/")[0] for s in statements for r in s["Resource"] if ":::" in r})
    assert buckets_in(web["taskRoleStatements"]) == [exports, uploads]
    assert buckets_in(worker["taskRoleStatements"]) == [exports]
    assert worker["taskRoleStatements"] == [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{exports}"]},
        {"Effect": "Allow", "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
         "Resource": [f"arn:aws:s3:::{exports}/*"]},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [key_arn(stored)],
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}]
    assert stored["outputs"]["wiring:all"]["taskRoleStatements"] == []
    assert stored["outputs"]["storageBuckets"] == {"uploads": uploads, "exports": exports}


def test_buckets_asked_for_join_the_backup_plan_with_the_s3_policies(stored, prod):
    selection = one(stored, "aws:backup/selection:Selection", "backup-plan-selection")
    assert selection["inputs"]["resources"] == [
        state_of(stored, "aws:rds/instance:Instance", "database")["arn"],
        "arn:aws:s3:::nodeapi-prod-uploads-123456789012-us-east-1"]
    policies = lambda graph: sorted(r["inputs"]["policyArn"] for r in resources(  # noqa: E731
        graph, "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r["name"].startswith("backup-plan-role"))
    assert policies(stored) == sorted([
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore"])
    assert len(policies(prod)) == 2


def test_more_resources_join_the_plan_as_a_selection_of_their_own():
    efs = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0"
    graph = with_changes("prod", _extraBackups=[efs])
    selection = one(graph, "aws:backup/selection:Selection", "backup-plan-selection-volumes")
    assert selection["inputs"] == {
        "name": "nodeapi-prod-volumes", "planId": state_of(graph, "aws:backup/plan:Plan", "backup-plan")["id"],
        "iamRoleArn": state_of(graph, "aws:iam/role:Role", "backup-plan-role")["arn"], "resources": [efs]}
    assert sorted(u.rsplit("::", 1)[1] for u in selection["options"]["dependsOn"]) == [
        "backup-plan-role-backup", "backup-plan-role-restores"]
    assert selection["options"]["deleteBeforeReplace"] is True


def test_outputs_keep_the_contract_names(stack_graph):
    stack = stack_graph["stack"]
    outputs = {k: v for k, v in stack_graph["outputs"].items() if not k.startswith("wiring:") and k[0] != "a"}
    assert sorted(outputs) == sorted([
        "dbInstanceIdentifier", "dbEndpoint", "dbSecretArn", "dbAppSecretArn", "dbReplicaIdentifiers",
        "dbSubnetGroupName", "dbSecurityGroupIds", "dbKmsKeyArn", "backupKmsKeyArn", "backupBucketName",
        "backupVaultName", "backupCopyVaultName", "storageBuckets", "cacheEndpoint", "cacheMemberIds"])
    assert outputs["dbAppSecretArn"] == secret_arn(stack_graph, "data-app-user-secret")
    assert outputs["dbSecretArn"] == master_secret(stack_graph)  # for operators (restore drills), never for the app
    assert outputs["backupBucketName"] == backups_bucket_name(f"nodeapi-{stack}", "123456789012", "us-east-1")


def test_client_names_the_data_tier_uses_are_refused():
    with pytest.raises(ValueError) as caught:
        check_clients({"web": object(), "proxy": object()})
    assert str(caught.value) == ("client_security_groups: proxy is reserved by the data tier (data-tasks, proxy)")


def test_the_current_single_app_group_is_still_accepted_and_one_of_the_two_is_required():
    settings, _ = settings_for("staging")
    found = {}

    def build(**groups):
        from components.encryption import Encryption, EncryptionArgs

        encryption = Encryption("encryption", EncryptionArgs(alias="shop-staging", region="us-east-1",
                                                              backup_region="us-west-2", account_id="123456789012",
                                                              protect=False))
        found["data"] = DataTier("data", DataTierArgs(
            settings=settings, prefix="shop-staging", stack="staging", account_id="123456789012",
            encryption=encryption, vpc_id="vpc-1", isolated_subnet_ids=["subnet-2"], private_subnet_ids=["subnet-1"],
            cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/shop-staging", **groups))

    graph = record(lambda: build(app_security_group=aws.ec2.SecurityGroup("app-sg", vpc_id="vpc-1")), stack="staging")
    assert sorted(r["name"] for r in resources(graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) == [
        "cache-from-app", "database-from-app", "database-from-data-tasks"]
    with pytest.raises(ValueError) as caught:
        record(lambda: build(), stack="staging")
    assert str(caught.value) == ("DataTierArgs: give client_security_groups (one group per service) or the legacy "
                                 "app_security_group, not both and not neither")


def test_the_app_name_prefixes_every_physical_name():
    settings, _ = settings_for("staging")
    found = {}

    def build():
        from components.encryption import Encryption, EncryptionArgs

        encryption = Encryption("encryption", EncryptionArgs(alias="shop-staging", region="us-east-1",
                                                              backup_region="us-west-2", account_id="123456789012",
                                                              protect=False))
        data = DataTier("data", DataTierArgs(
            settings=settings, prefix="shop-staging", stack="staging", account_id="123456789012",
            encryption=encryption, vpc_id="vpc-1", isolated_subnet_ids=["subnet-2"], private_subnet_ids=["subnet-1"],
            cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/shop-staging",
            client_security_groups={"web": aws.ec2.SecurityGroup("web-sg", vpc_id="vpc-1")}))
        found["wiring"] = data.wiring

    graph = record(build, stack="staging")
    names = {r["inputs"].get(key) for r in graph["resources"] for key in ("name", "identifier", "bucket",
                                                                           "replicationGroupId", "family")}
    names.discard(None)
    assert {n for n in names if "nodeapi" in n} == set()
    assert {"shop-staging", "shop-staging/db-app", "shop-staging-db-users", "shop-staging-db-dump",
            "shop-staging-backups-123456789012-us-east-1", "/shop/shop-staging-db-dump", "/ecs/shop-staging/db-users",
            "shop-staging-db-credentials"} <= names
    assert isinstance(found["wiring"], AppWiring)


def test_wirings_merge_without_losing_or_overriding_anything():
    first = AppWiring(environment={"A": "1"}, secrets={"S": "arn:s"}, secret_arns=["arn:s"], kms_key_arns=["k"],
                      task_role_statements=[{"Sid": "one"}])
    second = AppWiring(environment={"B": "2"}, kms_key_arns=["k", "k2"], task_role_statements=[{"Sid": "two"}])
    assert first.merged(second) == AppWiring(
        environment={"A": "1", "B": "2"}, secrets={"S": "arn:s"}, secret_arns=["arn:s"], kms_key_arns=["k", "k2"],
        task_role_statements=[{"Sid": "one"}, {"Sid": "two"}])
    with pytest.raises(ValueError) as caught:
        first.merged(AppWiring(secrets={"A": "arn:x"}))
    assert str(caught.value) == "both wirings set A"
    output = pulumi.Output.from_input("arn:key")
    assert AppWiring(kms_key_arns=[output]).merged(AppWiring(kms_key_arns=[output])).kms_key_arns == [output]


def test_the_proxy_users_secrets_are_the_data_tiers_children():
    graph = with_changes("prod", database={**stack_settings("prod")["database"], "proxy": True})
    tier = one(graph, "nodeapi:data:DataTier", "data")["urn"]
    assert sorted(r["name"] for r in graph["resources"] if r["parent"] == tier and r["type"] == SECRET) == [
        "data-proxy-app_1", "data-proxy-app_2"]


def test_the_cost_estimate_knows_every_data_tier_resource(stored):
    from tools.cost import estimate_graph

    graph = with_changes("prod", database={**stack_settings("prod")["database"], "proxy": True,
                                           "readReplicas": {"count": 1}},
                         storage={"buckets": {"uploads": {"services": ["web"], "cors": {"allowedOrigins": ["*"]}}}})
    estimate = estimate_graph(graph)
    assert estimate.unknown == {}
    storage = [item for item in estimate.items if item.name == "gp3 storage database-replica-1"]
    assert [(item.quantity, item.unit) for item in storage] == [(50.0, "GB-month")]  # the primary's 50 GB

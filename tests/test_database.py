"""The RDS PostgreSQL component in both stacks: privacy, encryption, retention, protection, multi-AZ, proxy."""

import json

import pytest

from components.database import connect_arn, replica_identifier
from tests.data_helpers import INGRESS, SG, client_sg_ids, data_variant, key_arn, state_of, tasks_sg_id
from tests.data_tier_graph import use_data_tier_graphs, with_changes
from tests.helpers import ABSENT, assert_inputs, children, one, parsed, resources, stack_settings

use_data_tier_graphs(globals())  # prod, staging, stack_graph: the DataTier of each real stack


INSTANCE = "aws:rds/instance:Instance"
DATABASE = "nodeapi:database:Database"

COMMON = {
    "engine": "postgres",
    "engineVersion": "16",
    "storageType": "gp3",
    "storageEncrypted": True,
    "publiclyAccessible": False,
    "manageMasterUserPassword": True,
    "iamDatabaseAuthenticationEnabled": True,
    "copyTagsToSnapshot": True,
    "deleteAutomatedBackups": False,
    "port": 5432,
    "dbName": "app",
    "username": "nodeapi",
    "backupWindow": "03:00-04:00",
    "maintenanceWindow": "sun:05:00-sun:06:00",
    "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
    "password": ABSENT,
}


def test_prod_instance(prod):
    instance = one(prod, INSTANCE)
    key = key_arn(prod)
    assert_inputs(instance, {
        **COMMON,
        "identifier": "nodeapi-prod",
        "instanceClass": "db.t4g.medium",
        "allocatedStorage": 50,
        "maxAllocatedStorage": 200,
        "multiAz": True,
        "backupRetentionPeriod": 30,
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "nodeapi-prod-final",
        "kmsKeyId": key,
        "masterUserSecretKmsKeyId": key,
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": key,
        "performanceInsightsRetentionPeriod": 7,
        "monitoringInterval": 60,
        "monitoringRoleArn": state_of(prod, "aws:iam/role:Role", "database-monitoring")["arn"],
        "dbSubnetGroupName": "nodeapi-prod",
        "parameterGroupName": "nodeapi-prod-pg16",
        "vpcSecurityGroupIds": [state_of(prod, SG, "database-sg")["id"]],
    })
    assert instance["options"]["protect"] is True


def test_staging_instance_is_small_single_az_with_the_same_security(staging):
    instance = one(staging, INSTANCE)
    assert_inputs(instance, {
        **COMMON,
        "identifier": "nodeapi-staging",
        "instanceClass": "db.t4g.micro",
        "allocatedStorage": 20,
        "maxAllocatedStorage": 50,
        "multiAz": False,
        "backupRetentionPeriod": 7,
        "backupWindow": "12:00-12:30",  # inside office hours: a stopped instance takes no backups
        "deletionProtection": False,
        "skipFinalSnapshot": False,
        "kmsKeyId": key_arn(staging),
        "masterUserSecretKmsKeyId": key_arn(staging),
        "performanceInsightsEnabled": False,
        "performanceInsightsKmsKeyId": ABSENT,
        "monitoringInterval": 0,
        "monitoringRoleArn": ABSENT,
    })
    assert instance["options"]["protect"] is False
    assert resources(staging, "aws:iam/role:Role") and not [
        r for r in resources(staging, "aws:iam/role:Role") if r["name"] == "database-monitoring"]


def test_subnet_group_uses_the_isolated_subnets(stack_graph):
    isolated = [state_of(stack_graph, "aws:ec2/subnet:Subnet", r["name"])["id"]
                for r in resources(stack_graph, "aws:ec2/subnet:Subnet") if "-isolated-" in r["name"]]
    group = one(stack_graph, "aws:rds/subnetGroup:SubnetGroup", "database-subnets")
    assert_inputs(group, {"name": f"nodeapi-{stack_graph['stack']}", "subnetIds": isolated})
    assert isolated


def test_each_service_and_the_data_tasks_reach_postgres_and_nothing_else(stack_graph):
    db_sg = state_of(stack_graph, SG, "database-sg")["id"]
    rules = {r["name"]: r["inputs"] for r in resources(stack_graph, INGRESS) if r["inputs"]["securityGroupId"] == db_sg}
    sources = {**client_sg_ids(stack_graph), "data-tasks": tasks_sg_id(stack_graph)}
    assert sorted(rules) == sorted(f"database-from-{name}" for name in sources)
    for name, source in sources.items():
        assert rules[f"database-from-{name}"] == {
            "securityGroupId": db_sg, "referencedSecurityGroupId": source, "ipProtocol": "tcp", "fromPort": 5432,
            "toPort": 5432, "description": f"{name} tasks reach PostgreSQL", "tags": {"Name": f"database-from-{name}"}}
    assert not [r for r in resources(stack_graph, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
                if r["inputs"]["securityGroupId"] == db_sg]


OWN_PARAMETERS = [
    {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"},
    {"name": "log_min_duration_statement", "value": "500", "applyMethod": "immediate"},
    {"name": "log_connections", "value": "1", "applyMethod": "immediate"},
    {"name": "log_disconnections", "value": "1", "applyMethod": "immediate"},
    {"name": "log_lock_waits", "value": "1", "applyMethod": "immediate"},
]


def test_parameter_group_forces_tls_and_logs_slow_queries_and_connections(stack_graph):
    stack = stack_graph["stack"]
    assert one(stack_graph, "aws:rds/parameterGroup:ParameterGroup")["inputs"] == {
        "name": f"nodeapi-{stack}-pg16", "family": "postgres16",
        "description": f"nodeapi-{stack}: TLS only, slow query and connection logging", "parameters": OWN_PARAMETERS}


def test_settings_parameters_follow_with_their_apply_method():
    """004's tuning: static parameters wait for a reboot, dynamic ones apply at once, unknown ones at reboot."""
    graph = with_changes("prod", database={**stack_settings("prod")["database"], "engineVersion": "15",
                                           "parameters": {"max_connections": 200, "shared_buffers": "32768",
                                                          "work_mem": "4MB", "pg_trgm.similarity_threshold": 0.4}})
    group = one(graph, "aws:rds/parameterGroup:ParameterGroup")["inputs"]
    assert (group["name"], group["family"]) == ("nodeapi-prod-pg15", "postgres15")
    assert group["parameters"] == OWN_PARAMETERS + [
        {"name": "max_connections", "value": "200", "applyMethod": "pending-reboot"},
        {"name": "pg_trgm.similarity_threshold", "value": "0.4", "applyMethod": "pending-reboot"},
        {"name": "shared_buffers", "value": "32768", "applyMethod": "pending-reboot"},
        {"name": "work_mem", "value": "4MB", "applyMethod": "immediate"},
    ]
    assert one(graph, INSTANCE)["inputs"]["engineVersion"] == "15"


@pytest.mark.parametrize("stack, days", [("staging", 14), ("prod", 90)])
def test_exported_logs_have_retention_and_encryption(request, stack, days):
    graph = request.getfixturevalue(stack)
    for kind in ("postgresql", "upgrade"):
        assert_inputs(one(graph, "aws:cloudwatch/logGroup:LogGroup", f"database-log-{kind}"), {
            "name": f"/aws/rds/instance/nodeapi-{stack}/{kind}", "retentionInDays": days, "kmsKeyId": key_arn(graph)})
    depends = one(graph, INSTANCE)["options"]["dependsOn"]
    assert sorted(u.rsplit("::", 1)[1] for u in depends) == ["database-log-postgresql", "database-log-upgrade"]


def test_prod_replicates_automated_backups_to_the_backup_region(prod, staging):
    replication = one(prod, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    assert_inputs(replication, {
        "region": "us-west-2",
        "kmsKeyId": key_arn(prod, backup=True),
        "retentionPeriod": 30,
        "sourceDbInstanceArn": state_of(prod, INSTANCE, "database")["arn"],
    })
    assert not resources(staging, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")


def test_enhanced_monitoring_role(prod):
    role = one(prod, "aws:iam/role:Role", "database-monitoring")
    assert parsed(role["inputs"]["assumeRolePolicy"])["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]
    assert_inputs(one(prod, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "database-monitoring"),
                  {"policyArn": "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"})


def test_everything_is_a_child_of_the_component(stack_graph):
    component = one(stack_graph, DATABASE, "database")
    names = sorted(r["name"] for r in children(stack_graph, component["urn"]))
    expected = ["database", "database-from-data-tasks", "database-from-web", "database-from-worker",
                "database-log-postgresql", "database-log-upgrade", "database-params", "database-sg",
                "database-subnets"]
    if stack_graph["stack"] == "prod":
        expected += ["database-backup-replication", "database-monitoring", "database-monitoring"]
    assert names == sorted(expected)
    assert not resources(stack_graph, "aws:rds/proxy:Proxy")


def test_outputs(stack_graph):
    outputs = stack_graph["outputs"]
    stack = stack_graph["stack"]
    instance = state_of(stack_graph, INSTANCE, "database")
    assert outputs["dbInstanceIdentifier"] == f"nodeapi-{stack}"
    assert outputs["dbEndpoint"] == instance["endpoint"]
    assert outputs["dbSecretArn"] == instance["masterUserSecrets"][0]["secretArn"]
    assert outputs["dbSubnetGroupName"] == f"nodeapi-{stack}"
    assert outputs["dbSecurityGroupIds"] == [state_of(stack_graph, SG, "database-sg")["id"]]
    assert outputs["dbKmsKeyArn"] == key_arn(stack_graph)
    assert outputs["dbReplicaIdentifiers"] == []


def test_proxy_logs_in_as_the_app_users_with_their_passwords():
    graph = data_variant()
    proxy_sg = state_of(graph, SG, "database-proxy-sg")["id"]
    db_sg = state_of(graph, SG, "database-sg")["id"]
    user_secrets = {user: state_of(graph, "aws:secretsmanager/secret:Secret", f"data-proxy-{user}")["arn"]
                    for user in ("app_1", "app_2")}
    assert one(graph, "aws:rds/proxy:Proxy")["inputs"] == {
        "name": "nodeapi-prod", "engineFamily": "POSTGRESQL", "requireTls": True,
        "roleArn": state_of(graph, "aws:iam/role:Role", "database-proxy")["arn"],
        "vpcSubnetIds": isolated_subnet_ids(graph), "vpcSecurityGroupIds": [proxy_sg], "idleClientTimeout": 1800,
        "auths": [{"authScheme": "SECRETS", "secretArn": user_secrets[user], "description": f"app login user {user}",
                   "iamAuth": "DISABLED", "clientPasswordAuthType": "POSTGRES_SCRAM_SHA_256"}
                  for user in ("app_1", "app_2")],
        "tags": {"Name": "nodeapi-prod"},
    }
    by_name = {r["name"]: r["inputs"] for r in resources(graph, INGRESS)}
    for name, source in client_sg_ids(graph).items():
        assert (by_name[f"database-proxy-from-{name}"]["securityGroupId"],
                by_name[f"database-proxy-from-{name}"]["referencedSecurityGroupId"]) == (proxy_sg, source)
    assert "database-proxy-from-data-tasks" not in by_name  # the data tier's tasks go to the instance itself
    assert (by_name["database-from-proxy"]["securityGroupId"], by_name["database-from-proxy"]["referencedSecurityGroupId"]) == (
        db_sg, proxy_sg)
    policy = parsed(one(graph, "aws:iam/rolePolicy:RolePolicy", "database-proxy")["inputs"]["policy"])
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": list(user_secrets.values())},
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn(graph)],
         "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}},
    ]
    master = state_of(graph, INSTANCE, "database")["masterUserSecrets"][0]["secretArn"]
    assert master not in json.dumps(one(graph, "aws:rds/proxy:Proxy")["inputs"])
    assert state_of(graph, "aws:rds/proxy:Proxy", "database-proxy")["endpoint"].startswith("nodeapi-prod.proxy-")
    assert one(graph, "aws:rds/proxyTarget:ProxyTarget")["inputs"] == {
        "dbInstanceIdentifier": "nodeapi-prod", "dbProxyName": "nodeapi-prod",
        "targetGroupName": state_of(graph, "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
                                    "database-proxy-targets")["name"]}


def test_proxy_with_iam_auth_requires_tokens_and_lets_task_roles_connect_as_either_user():
    settings = stack_settings("prod")["database"]
    graph = with_changes("prod", database={**settings, "proxy": True, "proxyIamAuth": True})
    auths = one(graph, "aws:rds/proxy:Proxy")["inputs"]["auths"]
    assert [a["iamAuth"] for a in auths] == ["REQUIRED", "REQUIRED"]
    proxy = state_of(graph, "aws:rds/proxy:Proxy", "database-proxy")["arn"].split(":")[-1]
    assert graph["outputs"]["wiring:all"]["taskRoleStatements"] == [{
        "Effect": "Allow", "Action": ["rds-db:connect"],
        "Resource": [f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{proxy}/{user}" for user in ("app_1", "app_2")]}]
    assert graph["outputs"]["wiring:all"]["environment"]["DB_IAM_AUTH"] == "true"


def private_subnet_ids(graph: dict) -> list[str]:
    return [state_of(graph, "aws:ec2/subnet:Subnet", r["name"])["id"]
            for r in resources(graph, "aws:ec2/subnet:Subnet") if "-private-" in r["name"]]


def isolated_subnet_ids(graph: dict) -> list[str]:
    return [state_of(graph, "aws:ec2/subnet:Subnet", r["name"])["id"]
            for r in resources(graph, "aws:ec2/subnet:Subnet") if "-isolated-" in r["name"]]


def test_the_whole_primary_instance_in_prod(prod):
    key, db_sg = key_arn(prod), state_of(prod, SG, "database-sg")["id"]
    assert one(prod, INSTANCE)["inputs"] == {
        "identifier": "nodeapi-prod", "engine": "postgres", "engineVersion": "16", "instanceClass": "db.t4g.medium",
        "allocatedStorage": 50, "maxAllocatedStorage": 200, "storageType": "gp3", "storageEncrypted": True,
        "kmsKeyId": key, "dbName": "app", "username": "nodeapi", "manageMasterUserPassword": True,
        "masterUserSecretKmsKeyId": key, "iamDatabaseAuthenticationEnabled": True,
        "dbSubnetGroupName": "nodeapi-prod", "vpcSecurityGroupIds": [db_sg], "parameterGroupName": "nodeapi-prod-pg16",
        "publiclyAccessible": False, "port": 5432, "multiAz": True, "backupRetentionPeriod": 30,
        "backupWindow": "03:00-04:00", "maintenanceWindow": "sun:05:00-sun:06:00", "copyTagsToSnapshot": True,
        "deleteAutomatedBackups": False, "deletionProtection": True, "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "nodeapi-prod-final", "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": key,
        "performanceInsightsRetentionPeriod": 7, "monitoringInterval": 60,
        "monitoringRoleArn": state_of(prod, "aws:iam/role:Role", "database-monitoring")["arn"],
        "autoMinorVersionUpgrade": True, "applyImmediately": False, "tags": {"Name": "nodeapi-prod"},
    }


REPLICAS = {"count": 2, "instanceClass": "db.r6g.large"}


@pytest.fixture(scope="module")
def with_replicas() -> dict:
    return with_changes("prod", database={**stack_settings("prod")["database"], "readReplicas": REPLICAS})


def test_read_replicas_whole_inputs(with_replicas):
    graph = with_replicas
    key, db_sg = key_arn(graph), state_of(graph, SG, "database-sg")["id"]
    primary = state_of(graph, INSTANCE, "database")["arn"]
    for index in (1, 2):
        replica = one(graph, INSTANCE, f"database-replica-{index}")
        identifier = f"nodeapi-prod-replica-{index}"
        assert replica["inputs"] == {
            "identifier": identifier, "replicateSourceDb": primary, "instanceClass": "db.r6g.large",
            "maxAllocatedStorage": 200, "storageType": "gp3", "storageEncrypted": True, "kmsKeyId": key,
            "iamDatabaseAuthenticationEnabled": True, "dbSubnetGroupName": "nodeapi-prod",
            "vpcSecurityGroupIds": [db_sg], "parameterGroupName": "nodeapi-prod-pg16", "publiclyAccessible": False,
            "port": 5432, "multiAz": False, "copyTagsToSnapshot": True, "deletionProtection": False,
            "skipFinalSnapshot": True, "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
            "performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": key,
            "performanceInsightsRetentionPeriod": 7, "monitoringInterval": 60,
            "monitoringRoleArn": state_of(graph, "aws:iam/role:Role", "database-monitoring")["arn"],
            "autoMinorVersionUpgrade": True, "maintenanceWindow": "sun:05:00-sun:06:00", "applyImmediately": False,
            "tags": {"Name": identifier},
        }
        assert replica["options"]["protect"] is False
        assert sorted(u.rsplit("::", 1)[1] for u in replica["options"]["dependsOn"]) == [
            f"database-replica-{index}-log-postgresql", f"database-replica-{index}-log-upgrade"]
        for kind in ("postgresql", "upgrade"):
            assert_inputs(one(graph, "aws:cloudwatch/logGroup:LogGroup", f"database-replica-{index}-log-{kind}"),
                          {"name": f"/aws/rds/instance/{identifier}/{kind}", "retentionInDays": 90, "kmsKeyId": key})
    assert graph["outputs"]["dbReplicaIdentifiers"] == ["nodeapi-prod-replica-1", "nodeapi-prod-replica-2"]


def test_replicas_default_to_the_primary_class_and_none_exist_by_default(prod):
    graph = with_changes("prod", database={**stack_settings("prod")["database"], "readReplicas": {"count": 1}})
    assert one(graph, INSTANCE, "database-replica-1")["inputs"]["instanceClass"] == "db.t4g.medium"
    assert [r["name"] for r in resources(prod, INSTANCE)] == ["database"]


def test_replica_identifier_and_connect_arn():
    assert replica_identifier("shop-prod", 3) == "shop-prod-replica-3"
    assert connect_arn("arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0abc", "123456789012", "app_2") == (
        "arn:aws:rds-db:eu-west-1:123456789012:dbuser:prx-0abc/app_2")

"""The RDS PostgreSQL component in both stacks: privacy, encryption, retention, protection, multi-AZ, proxy."""

import pytest

from tests.data_helpers import INGRESS, SG, app_sg_id, key_arn, prod_variant, state_of
from tests.helpers import ABSENT, assert_inputs, children, one, parsed, resources

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


def test_only_the_app_security_group_reaches_postgres(stack_graph):
    db_sg = state_of(stack_graph, SG, "database-sg")["id"]
    rules = [r for r in resources(stack_graph, INGRESS) if r["inputs"]["securityGroupId"] == db_sg]
    assert [r["name"] for r in rules] == ["database-from-app"]
    assert_inputs(rules[0], {"referencedSecurityGroupId": app_sg_id(stack_graph), "ipProtocol": "tcp",
                             "fromPort": 5432, "toPort": 5432, "cidrIpv4": ABSENT})
    assert not [r for r in resources(stack_graph, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
                if r["inputs"]["securityGroupId"] == db_sg]


def test_parameter_group_forces_tls_and_logs_slow_queries_and_connections(stack_graph):
    assert_inputs(one(stack_graph, "aws:rds/parameterGroup:ParameterGroup"), {
        "family": "postgres16",
        "parameters": [
            {"name": "rds.force_ssl", "value": "1"},
            {"name": "log_min_duration_statement", "value": "500"},
            {"name": "log_connections", "value": "1"},
            {"name": "log_disconnections", "value": "1"},
            {"name": "log_lock_waits", "value": "1"},
        ],
    })


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
    expected = ["database", "database-from-app", "database-log-postgresql", "database-log-upgrade",
                "database-params", "database-sg", "database-subnets"]
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
    assert outputs["region"] == "us-east-1"


def test_proxy_when_turned_on():
    graph = prod_variant()
    proxy_sg = state_of(graph, SG, "database-proxy-sg")["id"]
    db_sg = state_of(graph, SG, "database-sg")["id"]
    secret = state_of(graph, INSTANCE, "database")["masterUserSecrets"][0]["secretArn"]
    assert_inputs(one(graph, "aws:rds/proxy:Proxy"), {
        "name": "nodeapi-prod",
        "engineFamily": "POSTGRESQL",
        "requireTls": True,
        "vpcSecurityGroupIds": [proxy_sg],
        "auths": [{"authScheme": "SECRETS", "iamAuth": "REQUIRED", "secretArn": secret,
                   "clientPasswordAuthType": "POSTGRES_SCRAM_SHA_256"}],
    })
    by_name = {r["name"]: r["inputs"] for r in resources(graph, INGRESS)}
    assert by_name["database-proxy-from-app"]["securityGroupId"] == proxy_sg
    assert by_name["database-proxy-from-app"]["referencedSecurityGroupId"] == app_sg_id(graph)
    assert (by_name["database-from-proxy"]["securityGroupId"], by_name["database-from-proxy"]["referencedSecurityGroupId"]) == (
        db_sg, proxy_sg)
    policy = parsed(one(graph, "aws:iam/rolePolicy:RolePolicy", "database-proxy")["inputs"]["policy"])
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [secret]},
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn(graph)],
         "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}},
    ]
    assert state_of(graph, "aws:rds/proxy:Proxy", "database-proxy")["endpoint"].startswith("nodeapi-prod.proxy-")
    assert_inputs(one(graph, "aws:rds/proxyTarget:ProxyTarget"), {"dbInstanceIdentifier": "nodeapi-prod",
                                                                  "dbProxyName": "nodeapi-prod"})

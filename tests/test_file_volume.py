"""The EFS volume component alone: every input of its resources, the policy it writes, what it hands a task."""

import dataclasses

import pulumi
import pulumi_aws as aws
import pytest

from components.file_volume import (
    FileVolume,
    FileVolumeArgs,
    file_system_policy,
    lifecycle_policies,
    root_directory,
)
from tests.helpers import children, one, parsed
from tools.mock_outputs import outputs_for
from tools.preview import record

ACCOUNT = "123456789012"
REGION = "us-east-1"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
ROLES = [f"arn:aws:iam::{ACCOUNT}:role/hearthstone-prod-api-task", f"arn:aws:iam::{ACCOUNT}:role/hearthstone-prod-jobs"]
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788", "subnet-0123456789abcdef0"]
TOKEN = "hearthstone-prod-api"
COMPONENT = "nodeapi:storage:FileVolume"
FS = "aws:efs/fileSystem:FileSystem"
AP = "aws:efs/accessPoint:AccessPoint"
MT = "aws:efs/mountTarget:MountTarget"
POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
BACKUP = "aws:efs/backupPolicy:BackupPolicy"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def volume_args(clients: dict, **changes) -> FileVolumeArgs:
    """Hearthstone's production volume; some IDs arrive as Outputs, as the network's do."""
    args = FileVolumeArgs(
        service="api", creation_token=TOKEN, mounts={"data": "/app/server/data", "exports": "/backups"},
        throughput_mode="elastic", infrequent_access_after_days=30, kms_key_arn=KEY_ARN, vpc_id="vpc-0abc",
        subnet_ids=[SUBNETS[0], pulumi.Output.from_input(SUBNETS[1]), SUBNETS[2]], client_security_groups=clients,
        protect=True,
    )
    return dataclasses.replace(args, **changes)


def build_volume(stack: str = "prod", roles=ROLES, **changes) -> tuple[dict, dict]:
    """The component (and the two client groups it is given) under the recording mocks, its task roles admitted
    (one ARN arrives as an Output, as a role's does), and what it hands a task."""
    found: dict = {}

    def build():
        clients = {"api": aws.ec2.SecurityGroup("api-tasks", vpc_id="vpc-0abc"),
                   "jobs": aws.ec2.SecurityGroup("job-tasks", vpc_id="vpc-0abc")}
        volume = FileVolume("api-volume", volume_args(clients, **changes))
        found["ready_before_admit"] = [(type(r).__name__, r._name) for r in volume.ready]
        found["policy"] = volume.admit([*roles[:1], *map(pulumi.Output.from_input, roles[1:])])
        found["policy_attribute"] = volume.policy
        found["ready"] = [(type(r).__name__, r._name) for r in volume.ready]
        found["mount_points"] = volume.mount_points()
        pulumi.Output.from_input({"volumes": volume.task_volumes(), "statements": volume.task_role_statements(),
                                  "arn": volume.arn, "id": volume.file_system_id,
                                  "access_point_arns": volume.access_point_arns}).apply(found.update)

    return record(build, stack=stack), found


@pytest.fixture(scope="module")
def built():
    return build_volume()


@pytest.fixture(scope="module")
def graph(built):
    return built[0]


def state(graph: dict, type_: str, name: str) -> dict:
    return outputs_for(type_, name, one(graph, type_, name)["inputs"], REGION, ACCOUNT)[1]


def test_exactly_these_children(graph):
    component = one(graph, COMPONENT, "api-volume")
    assert sorted((r["type"], r["name"]) for r in children(graph, component["urn"])) == [
        (SG, "api-volume-sg"),
        (AP, "api-volume-data"),
        (AP, "api-volume-exports"),
        (BACKUP, "api-volume-backup-policy"),
        (FS, "api-volume"),
        (POLICY, "api-volume-policy"),
        (MT, "api-volume-mount-0"),
        (MT, "api-volume-mount-1"),
        (MT, "api-volume-mount-2"),
        (INGRESS, "api-volume-from-api"),
        (INGRESS, "api-volume-from-jobs"),
    ]
    assert len(graph["resources"]) == 14  # the component, its 11 children, the two client groups


def test_file_system_whole_inputs_and_protection(graph):
    file_system = one(graph, FS, "api-volume")
    assert file_system["inputs"] == {
        "creationToken": TOKEN, "encrypted": True, "kmsKeyId": KEY_ARN, "performanceMode": "generalPurpose",
        "throughputMode": "elastic",
        "lifecyclePolicies": [{"transitionToIa": "AFTER_30_DAYS"},
                              {"transitionToPrimaryStorageClass": "AFTER_1_ACCESS"}],
        "tags": {"Name": TOKEN},
    }
    assert file_system["options"]["protect"] is True


def test_staging_volume_unprotected_bursting_without_lifecycle():
    graph, _ = build_volume("staging", protect=False, throughput_mode="bursting", infrequent_access_after_days=0)
    file_system = one(graph, FS, "api-volume")
    assert file_system["inputs"] == {
        "creationToken": TOKEN, "encrypted": True, "kmsKeyId": KEY_ARN, "performanceMode": "generalPurpose",
        "throughputMode": "bursting", "lifecyclePolicies": [], "tags": {"Name": TOKEN},
    }
    assert file_system["options"]["protect"] is False


def test_automatic_backups_stay_off(graph):
    fs_id = state(graph, FS, "api-volume")["id"]
    assert one(graph, BACKUP, "api-volume-backup-policy")["inputs"] == {
        "fileSystemId": fs_id, "backupPolicy": {"status": "DISABLED"}}


def test_mount_targets_one_per_subnet_in_the_volume_group(graph):
    fs_id = state(graph, FS, "api-volume")["id"]
    group = state(graph, SG, "api-volume-sg")["id"]
    for index, subnet in enumerate(SUBNETS):
        assert one(graph, MT, f"api-volume-mount-{index}")["inputs"] == {
            "fileSystemId": fs_id, "subnetId": subnet, "securityGroups": [group]}


def test_security_group_allows_nfs_only_from_client_groups(graph):
    group = one(graph, SG, "api-volume-sg")
    assert group["inputs"] == {"vpcId": "vpc-0abc", "description": f"{TOKEN}: EFS mount targets",
                               "revokeRulesOnDelete": True, "tags": {"Name": "api-volume-sg"}}
    for client, source in (("api", "api-tasks"), ("jobs", "job-tasks")):
        assert one(graph, INGRESS, f"api-volume-from-{client}")["inputs"] == {
            "securityGroupId": state(graph, SG, "api-volume-sg")["id"],
            "referencedSecurityGroupId": state(graph, SG, source)["id"],
            "ipProtocol": "tcp", "fromPort": 2049, "toPort": 2049,
            "description": f"{client} tasks mount the api volume (NFS)", "tags": {"Name": f"api-volume-from-{client}"},
        }
    assert [r["name"] for r in graph["resources"] if r["type"] == INGRESS] == [
        "api-volume-from-api", "api-volume-from-jobs"]


@pytest.mark.parametrize("mount, path", [("data", "/api-data"), ("exports", "/api-exports")])
def test_access_points_run_as_the_app_user_in_their_own_directory(graph, mount, path):
    assert one(graph, AP, f"api-volume-{mount}")["inputs"] == {
        "fileSystemId": state(graph, FS, "api-volume")["id"],
        "posixUser": {"uid": 1001, "gid": 1001},
        "rootDirectory": {"path": path, "creationInfo": {"ownerUid": 1001, "ownerGid": 1001, "permissions": "0750"}},
        "tags": {"Name": f"{TOKEN}-{mount}"},
    }


def test_file_system_policy_denies_plaintext_and_admits_only_task_roles_through_access_points(graph):
    fs = state(graph, FS, "api-volume")
    points = [state(graph, AP, f"api-volume-{m}")["arn"] for m in ("data", "exports")]
    policy = one(graph, POLICY, "api-volume-policy")
    assert set(policy["inputs"]) == {"fileSystemId", "policy"}
    assert policy["inputs"]["fileSystemId"] == fs["id"]
    assert parsed(policy["inputs"]["policy"]) == {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyWithoutTls", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*",
         "Resource": fs["arn"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "TaskRolesThroughAccessPoints", "Effect": "Allow", "Principal": {"AWS": ROLES},
         "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], "Resource": fs["arn"],
         "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": points},
                       "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}},
    ]}
    assert fs["arn"] == f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{fs['id']}"


def test_task_volumes_in_the_pulumi_input_shape(built):
    graph, found = built
    fs_id = state(graph, FS, "api-volume")["id"]
    assert found["volumes"] == [
        {"name": f"volume-{mount}", "efs_volume_configuration": {
            "file_system_id": fs_id, "transit_encryption": "ENABLED",
            "authorization_config": {"access_point_id": state(graph, AP, f"api-volume-{mount}")["id"],
                                     "iam": "ENABLED"}}}
        for mount in ("data", "exports")
    ]
    assert found["id"] == fs_id and found["arn"] == state(graph, FS, "api-volume")["arn"]
    assert found["access_point_arns"] == [state(graph, AP, f"api-volume-{m}")["arn"] for m in ("data", "exports")]


def test_container_mount_points_in_the_container_definition_shape(built):
    assert built[1]["mount_points"] == [
        {"sourceVolume": "volume-data", "containerPath": "/app/server/data", "readOnly": False},
        {"sourceVolume": "volume-exports", "containerPath": "/backups", "readOnly": False},
    ]


def test_task_role_statement_mirrors_the_file_system_policy(built):
    graph, found = built
    assert found["statements"] == [{
        "Effect": "Allow", "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        "Resource": [state(graph, FS, "api-volume")["arn"]],
        "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": found["access_point_arns"]},
                      "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
    }]


def test_ready_is_what_a_service_must_wait_for(built):
    found = built[1]
    network = [("MountTarget", f"api-volume-mount-{i}") for i in range(3)] + [
        ("SecurityGroupIngressRule", "api-volume-from-api"), ("SecurityGroupIngressRule", "api-volume-from-jobs")]
    assert found["ready_before_admit"] == network
    assert found["ready"] == network + [("FileSystemPolicy", "api-volume-policy")]
    assert found["policy"] is found["policy_attribute"]


def test_admit_once_with_every_role():
    def build_twice():
        clients = {"api": aws.ec2.SecurityGroup("api-tasks", vpc_id="vpc-0abc")}
        volume = FileVolume("api-volume", volume_args(clients))
        volume.admit([ROLES[0]])
        volume.admit([ROLES[1]])

    with pytest.raises(Exception) as caught:
        record(build_twice, stack="prod")
    assert "volume api: admit() was already called; pass every task role at once" in str(caught.value)
    with pytest.raises(Exception) as caught:
        build_volume(roles=[])
    assert "volume api: admit() needs at least one task role" in str(caught.value)


@pytest.mark.parametrize("days, expected", [
    (0, []),
    (1, [{"transition_to_ia": "AFTER_1_DAY"}, {"transition_to_primary_storage_class": "AFTER_1_ACCESS"}]),
    (90, [{"transition_to_ia": "AFTER_90_DAYS"}, {"transition_to_primary_storage_class": "AFTER_1_ACCESS"}]),
])
def test_lifecycle_policies_one_transition_each(days, expected):
    assert lifecycle_policies(days) == expected


def test_root_directory_is_one_level():
    assert root_directory("api", "data") == "/api-data"


def test_policy_sorts_roles_so_the_document_is_stable():
    policy = file_system_policy("arn:fs", ["arn:b", "arn:a"], ["arn:ap"])
    assert policy["Statement"][1]["Principal"] == {"AWS": ["arn:a", "arn:b"]}


@pytest.mark.parametrize("change, message", [
    ({"mounts": {}}, "volume api: at least one mount"),
    ({"subnet_ids": []}, "volume api: at least one subnet (one mount target per Availability Zone)"),
    ({"client_security_groups": {}}, "volume api: at least one client security group (of the tasks that mount it)"),
    ({"creation_token": "x" * 65}, f"volume api: creation token {'x' * 65!r} is longer than 64 characters"),
])
def test_bad_arguments_are_refused_before_any_resource(change, message):
    with pytest.raises(Exception) as caught:
        build_volume(**change)
    assert message in str(caught.value)


def test_a_task_definition_wired_with_the_volume_passes_the_policy_pack():
    """The entries in a real TaskDefinition: Pulumi camelCases them as ECS expects; every rule of the pack holds."""
    import json

    from components.app_task import app_container
    from policy.rules import violations

    def build():
        clients = {"api": aws.ec2.SecurityGroup("api-tasks", vpc_id="vpc-0abc")}
        volume = FileVolume("api-volume", volume_args(clients))
        volume.admit(ROLES)
        container = app_container(name="api", image="repo/api:1", command=None, port=3000, environment={},
                                  secrets={}, log_group="/hearthstone/api", region=REGION, health_check=None)
        container["mountPoints"] += volume.mount_points()
        aws.ecs.TaskDefinition("api-task", family="hearthstone-prod-api", cpu="512", memory="1024",
                               network_mode="awsvpc", requires_compatibilities=["FARGATE"],
                               volumes=[{"name": "tmp"}, *volume.task_volumes()],
                               container_definitions=json.dumps([container]),
                               opts=pulumi.ResourceOptions(depends_on=volume.ready))

    graph = record(build, stack="prod")
    task = one(graph, "aws:ecs/taskDefinition:TaskDefinition", "api-task")
    points = {m: state(graph, AP, f"api-volume-{m}")["id"] for m in ("data", "exports")}
    assert task["inputs"]["volumes"] == [{"name": "tmp"}] + [
        {"name": f"volume-{m}", "efsVolumeConfiguration": {
            "fileSystemId": state(graph, FS, "api-volume")["id"], "transitEncryption": "ENABLED",
            "authorizationConfig": {"accessPointId": points[m], "iam": "ENABLED"}}} for m in ("data", "exports")]
    assert [p["containerPath"] for p in parsed(task["inputs"]["containerDefinitions"])[0]["mountPoints"]] == [
        "/tmp", "/app/server/data", "/backups"]
    assert len(task["options"]["dependsOn"]) == 5  # 3 mount targets, 1 NFS rule, the file system policy
    assert violations(graph, "prod") == []

"""A service's EFS volume: KMS-encrypted, TLS and IAM only, one access point per mount, reachable from its tasks only.

EFS user guide pages this follows (https://docs.aws.amazon.com/efs/latest/ug/...):
  EFSKMS.html                     encryption at rest with a customer managed key
  managing-throughput.html        elastic throughput, "recommended for most use cases"
  API_LifecyclePolicy.html        one transition per lifecycle policy object; the allowed TransitionToIA values
  manage-fs-access-create-delete-mount-targets.html   one mount target per Availability Zone
  efs-access-points.html, API_CreationInfo.html        the access point enforces uid/gid; EFS creates the root
                                                      directory with CreationInfo on the first mount
  iam-access-control-nfs-efs.html, access-points-iam-policy.html
                                  a file system policy replaces the default one (which lets any client mount
                                  anonymously); aws:SecureTransport, elasticfilesystem:AccessPointArn and
                                  elasticfilesystem:AccessedViaMountTarget conditions
  awsbackup.html, automatic-backups.html               automatic backups are off for file systems created through
                                                      the API; the default plan would keep 35 days in a vault of
                                                      its own
ECS: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specify-efs-config.html (an access point or IAM
authorization requires transitEncryption ENABLED; with an access point, rootDirectory must be omitted or '/').
"""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .security import allow_from, security_group

NFS_PORT = 2049
APP_UID = APP_GID = 1001  # the image's user (app/Dockerfile, components/app_task.APP_USER)
DIRECTORY_MODE = "0750"  # owner rwx, group r-x, others nothing
CLIENT_ACTIONS = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]  # never ClientRootAccess
VOLUME_PREFIX = "volume-"  # task volume names; never collides with app_task.TMP_VOLUME ("tmp")


def lifecycle_policies(infrequent_access_after_days: int) -> list[dict[str, str]]:
    """EFS lifecycle policies: to IA after N days, and back to Standard on the first read (0 = none)."""
    if infrequent_access_after_days == 0:
        return []
    days = infrequent_access_after_days
    return [{"transition_to_ia": f"AFTER_{days}_DAY{'S' if days > 1 else ''}"},
            {"transition_to_primary_storage_class": "AFTER_1_ACCESS"}]


def root_directory(service: str, mount: str) -> str:
    """One top-level directory per mount: EFS creates it (owned by the app user) on the first mount."""
    return f"/{service}-{mount}"


def file_system_policy(file_system_arn: str, role_arns: list[str], access_point_arns: list[str]) -> dict[str, Any]:
    """Refuse every request without TLS; let only these task roles mount and write, only through these access points."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyWithoutTls",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": file_system_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "TaskRolesThroughAccessPoints",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(role_arns)},
                "Action": CLIENT_ACTIONS,
                "Resource": file_system_arn,
                "Condition": access_point_condition(access_point_arns),
            },
        ],
    }


def access_point_condition(access_point_arns: list[Any]) -> dict[str, Any]:
    """Through one of these access points, by way of a mount target."""
    return {"StringEquals": {"elasticfilesystem:AccessPointArn": access_point_arns},
            "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}


@dataclass(frozen=True, kw_only=True)
class FileVolumeArgs:
    """`subnet_ids`: the private subnets, exactly one per Availability Zone (one mount target each).
    `client_security_groups`: the groups of the tasks that mount it, keyed by a stable short name (rule names).
    """

    service: str
    creation_token: str
    mounts: dict[str, str]
    throughput_mode: str
    infrequent_access_after_days: int
    kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    client_security_groups: dict[str, aws.ec2.SecurityGroup]
    protect: bool


class FileVolume(pulumi.ComponentResource):
    """File system, backup policy, NFS security group, mount targets, one access point per mount; `admit()` adds
    the file system policy once the task roles exist (their task definitions need this volume's ids first)."""

    def __init__(self, name: str, args: FileVolumeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:storage:FileVolume", name, None, opts)
        _check(args)
        child = pulumi.ResourceOptions(parent=self)
        self.file_system = self._file_system(name, args)
        # Backups come from the stack's AWS Backup plan (add `arn` to its selection): its KMS-encrypted vault,
        # retention and cross-region copy. EFS's own automatic backups stay off so a file system is never backed
        # up twice into two vaults with two retentions (the default plan keeps 35 days in its own vault).
        aws.efs.BackupPolicy(f"{name}-backup-policy", file_system_id=self.file_system.id,
                             backup_policy={"status": "DISABLED"}, opts=child)
        self.security_group = security_group(f"{name}-sg", vpc_id=args.vpc_id,
                                             description=f"{args.creation_token}: EFS mount targets", parent=self)
        self.ingress_rules = [
            allow_from(f"{name}-from-{client}", group=self.security_group, source=group, port=NFS_PORT,
                       description=f"{client} tasks mount the {args.service} volume (NFS)", parent=self)
            for client, group in sorted(args.client_security_groups.items())
        ]
        self.mount_targets = [
            aws.efs.MountTarget(f"{name}-mount-{index}", file_system_id=self.file_system.id, subnet_id=subnet,
                                security_groups=[self.security_group.id], opts=child)
            for index, subnet in enumerate(args.subnet_ids)
        ]
        self.access_points = {mount: self._access_point(name, args, mount) for mount in sorted(args.mounts)}
        self.mounts = dict(args.mounts)
        self.file_system_id = self.file_system.id
        self.arn = self.file_system.arn
        self.access_point_arns = [point.arn for point in self.access_points.values()]
        self.policy: aws.efs.FileSystemPolicy | None = None
        self._name, self._service = name, args.service
        # What a service using the volume waits for: a task cannot mount before a mount target in its AZ and the
        # NFS rule exist.
        self.ready: list[pulumi.Resource] = [*self.mount_targets, *self.ingress_rules]
        self.register_outputs({"file_system_id": self.file_system_id, "arn": self.arn,
                               "access_point_arns": self.access_point_arns})

    def _file_system(self, name: str, args: FileVolumeArgs) -> aws.efs.FileSystem:
        return aws.efs.FileSystem(
            name,
            creation_token=args.creation_token,
            encrypted=True,
            kms_key_id=args.kms_key_arn,
            performance_mode="generalPurpose",
            throughput_mode=args.throughput_mode,
            lifecycle_policies=lifecycle_policies(args.infrequent_access_after_days),
            tags={"Name": args.creation_token},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _access_point(self, name: str, args: FileVolumeArgs, mount: str) -> aws.efs.AccessPoint:
        """Every request through it runs as the app user, confined to the mount's own directory."""
        return aws.efs.AccessPoint(
            f"{name}-{mount}",
            file_system_id=self.file_system.id,
            posix_user={"uid": APP_UID, "gid": APP_GID},
            root_directory={"path": root_directory(args.service, mount), "creation_info": {
                "owner_uid": APP_UID, "owner_gid": APP_GID, "permissions": DIRECTORY_MODE}},
            tags={"Name": f"{args.creation_token}-{mount}"},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def admit(self, task_role_arns: list[pulumi.Input[str]]) -> aws.efs.FileSystemPolicy:
        """The file system policy: only these task roles may mount and write, through the access points, over TLS.

        Call it once, with every role that mounts the volume (a file system has one policy). Until it exists the
        default policy applies (any client that reaches a mount target), so a service should wait for it too.
        """
        if self.policy is not None:
            raise ValueError(f"volume {self._service}: admit() was already called; pass every task role at once")
        if not task_role_arns:
            raise ValueError(f"volume {self._service}: admit() needs at least one task role")
        document = pulumi.Output.all(arn=self.file_system.arn, roles=task_role_arns,
                                     points=self.access_point_arns).apply(
            lambda v: json.dumps(file_system_policy(v["arn"], v["roles"], v["points"]), sort_keys=True))
        self.policy = aws.efs.FileSystemPolicy(f"{self._name}-policy", file_system_id=self.file_system.id,
                                               policy=document, opts=pulumi.ResourceOptions(parent=self))
        self.ready.append(self.policy)
        return self.policy

    def task_volumes(self) -> list[dict[str, Any]]:
        """`aws.ecs.TaskDefinition(volumes=...)` entries: TLS, the task role's IAM identity, one access point each."""
        return [{"name": VOLUME_PREFIX + mount, "efs_volume_configuration": {
            "file_system_id": self.file_system.id,
            "transit_encryption": "ENABLED",
            "authorization_config": {"access_point_id": point.id, "iam": "ENABLED"},
        }} for mount, point in self.access_points.items()]

    def mount_points(self) -> list[dict[str, Any]]:
        """The container definition's `mountPoints` entries (containerDefinitions JSON is camelCase)."""
        return [{"sourceVolume": VOLUME_PREFIX + mount, "containerPath": self.mounts[mount], "readOnly": False}
                for mount in self.access_points]

    def task_role_statements(self) -> list[dict[str, Any]]:
        """The task role's grant (for `policy_document`): mount and write this file system through its access points."""
        return [{"Effect": "Allow", "Action": list(CLIENT_ACTIONS), "Resource": [self.file_system.arn],
                 "Condition": access_point_condition(self.access_point_arns)}]


def _check(args: FileVolumeArgs) -> None:
    """Refuse arguments AWS would refuse later, at `pulumi up` time."""
    if not args.mounts:
        raise ValueError(f"volume {args.service}: at least one mount")
    if not args.subnet_ids:
        raise ValueError(f"volume {args.service}: at least one subnet (one mount target per Availability Zone)")
    if not args.client_security_groups:
        raise ValueError(f"volume {args.service}: at least one client security group (of the tasks that mount it)")
    if len(args.creation_token) > 64:
        raise ValueError(f"volume {args.service}: creation token {args.creation_token!r} is longer than 64 characters")

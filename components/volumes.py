"""Every service's EFS volume (`services.<name>.volume`), built before the data tier so the backup plan covers them."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from contract.names import physical_name
from settings.model import StackSettings

from .file_volume import FileVolume, FileVolumeArgs


@dataclass(frozen=True, kw_only=True)
class VolumesArgs:
    """Settings, the name prefix, the stack key, and where the mount targets live."""

    settings: StackSettings
    prefix: str
    kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    service_groups: dict[str, aws.ec2.SecurityGroup]


class Volumes(pulumi.ComponentResource):
    """`volumes[service]`; `backup_arns` are the file systems the stack's AWS Backup plan must select."""

    def __init__(self, name: str, args: VolumesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:storage:Volumes", name, None, opts)
        settings, child = args.settings, pulumi.ResourceOptions(parent=self)
        self.volumes: dict[str, FileVolume] = {}
        for service, spec in sorted(settings.services.items()):
            volume = spec.volume
            if volume is None:
                continue
            self.volumes[service] = FileVolume(f"volume-{service}", FileVolumeArgs(
                service=service, creation_token=physical_name("efs-creation-token", args.prefix, service),
                mounts=dict(volume.mounts), throughput_mode=volume.throughput,
                infrequent_access_after_days=volume.infrequent_access_after_days, kms_key_arn=args.kms_key_arn,
                vpc_id=args.vpc_id, subnet_ids=args.subnet_ids,
                client_security_groups={service: args.service_groups[service]}, protect=settings.is_production,
            ), child)
        self.backup_arns = [self.volumes[s].arn for s in sorted(self.volumes)
                            if settings.services[s].volume.backup]
        self.register_outputs({"file_system_ids": {s: v.file_system_id for s, v in self.volumes.items()}})

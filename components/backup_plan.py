"""AWS Backup: a KMS-encrypted vault per region, a scheduled plan with a cross-region copy, the selections."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from contract.names import physical_name

from .iam import service_role

BACKUP_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
)
# S3 has its own managed policies (AWS Backup Developer Guide, "Amazon S3 backups").
S3_BACKUP_POLICIES = (
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
)
RULE_NAME = "scheduled"
# A selection has no update API: any change to its resources replaces it, under the same name in the same plan.
# Deleting it first is safe (its recovery points stay in the vault; the plan only lacks the selection for the
# seconds between the two calls) and avoids two selections of one name.
SELECTION_DELETE_FIRST = True


@dataclass(frozen=True, kw_only=True)
class BackupPlanArgs:
    """Recovery points kept `retention_days` in both vaults."""

    vault_name: str
    copy_vault_name: str
    backup_region: str
    kms_key_arn: pulumi.Input[str]
    backup_kms_key_arn: pulumi.Input[str]
    schedule: str
    retention_days: int
    resource_arns: list[pulumi.Input[str]]
    account_id: str
    protect: bool
    s3: bool = False  # the selections include S3 buckets: attach the S3 backup and restore policies
    copy: bool = True  # copy every recovery point to the backup region's vault (backups.crossRegion)


def selection_name(vault_name: str, key: str) -> str:
    """A selection's name: `<vault>-<key>` (AWS Backup: 1-50 of letters, digits, - _ .), hashed past 50."""
    return physical_name("backup-selection", vault_name, key)


class BackupPlan(pulumi.ComponentResource):
    """Scheduled recovery points of the selected resources, copied to the backup region."""

    def __init__(self, name: str, args: BackupPlanArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:backups:BackupPlan", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=args.protect)
        self.vault = aws.backup.Vault(
            f"{name}-vault", name=args.vault_name, kms_key_arn=args.kms_key_arn, force_destroy=False, opts=protected
        )
        self.copy_vault = aws.backup.Vault(
            f"{name}-copy-vault", name=args.copy_vault_name, kms_key_arn=args.backup_kms_key_arn,
            force_destroy=False, region=args.backup_region, opts=protected,
        )
        lifecycle = {"delete_after": args.retention_days}
        self.plan = aws.backup.Plan(
            name,
            name=args.vault_name,
            rules=[
                {
                    "rule_name": RULE_NAME,
                    "target_vault_name": self.vault.name,
                    "schedule": args.schedule,
                    "schedule_expression_timezone": "Etc/UTC",
                    "start_window": 60,
                    "completion_window": 240,
                    "lifecycle": lifecycle,
                    # The copy vault exists either way (restores and `ops verify-backups` know where to look);
                    # with backups.crossRegion false (staging) nothing is copied into it.
                    **({"copy_actions": [{"destination_vault_arn": self.copy_vault.arn, "lifecycle": lifecycle}]}
                       if args.copy else {}),
                }
            ],
            opts=child,
        )
        role, _ = service_role(f"{name}-role", service="backup.amazonaws.com", account_id=args.account_id,
                               statements=[], parent=self)
        self._attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-role-{arn.rsplit('For', 1)[1].lower()}", role=role.name,
                                         policy_arn=arn, opts=child)
            for arn in BACKUP_POLICIES + (S3_BACKUP_POLICIES if args.s3 else ())
        ]
        self._role, self._name, self._vault_name = role, name, args.vault_name
        aws.backup.Selection(
            f"{name}-selection",
            name=selection_name(args.vault_name, "data"),
            plan_id=self.plan.id,
            iam_role_arn=role.arn,
            resources=args.resource_arns,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._attachments,
                                        delete_before_replace=SELECTION_DELETE_FIRST),
        )
        self.vault_name = self.vault.name
        self.copy_vault_name = self.copy_vault.name
        self.register_outputs({"vault_name": self.vault_name, "copy_vault_name": self.copy_vault_name})

    def add_selection(self, key: str, resource_arns: list[pulumi.Input[str]],
                      opts: pulumi.ResourceOptions | None = None) -> aws.backup.Selection:
        """More resources in the same plan, with the same role (e.g. EFS file systems built after the plan)."""
        return aws.backup.Selection(
            f"{self._name}-selection-{key}",
            name=selection_name(self._vault_name, key),
            plan_id=self.plan.id,
            iam_role_arn=self._role.arn,
            resources=resource_arns,
            opts=pulumi.ResourceOptions.merge(
                pulumi.ResourceOptions(parent=self, depends_on=self._attachments,
                                       delete_before_replace=SELECTION_DELETE_FIRST), opts),
        )

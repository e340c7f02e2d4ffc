"""IAM policy documents built as plain JSON (no getPolicyDocument invokes, readable in diffs)."""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


def policy_document(statements: list[dict[str, Any]]) -> pulumi.Output[str]:
    """A policy JSON string from statements that may hold Outputs (ARNs)."""
    return pulumi.Output.from_input(statements).apply(
        lambda resolved: json.dumps({"Version": "2012-10-17", "Statement": resolved}, sort_keys=True)
    )


@dataclass(frozen=True)
class Trust:
    """Who may assume a role, and the confused-deputy condition AWS documents that service sending (or none)."""

    service: str
    doc: str
    source_account: bool  # aws:SourceAccount: only where `doc` shows the service sends it when it assumes the role


# One row per kind of service role. AWS publishes no list of the services that send aws:SourceAccount when they
# assume a role, and a condition on a key the service does not send makes the role unusable (the deployment or
# the backup fails, not the preview). So a condition is kept only where the page shows it in the role's trust
# policy; elsewhere the page's trust policy has none and neither does ours (roles cannot be passed across accounts,
# and iam:PassRole guards who hands them to the service).
TRUSTS: dict[str, Trust] = {
    # "it is recommended that you use the aws:SourceAccount or aws:SourceArn condition keys in ... the trust
    # relationship" (Amazon ECS task IAM role).
    "ecs-task": Trust("ecs-tasks.amazonaws.com",
                      "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html", True),
    # The task execution role's documented trust policy has no condition.
    "ecs-task-execution": Trust(
        "ecs-tasks.amazonaws.com",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html", False),
    # Infrastructure role for load balancers (blue/green): documented trust policy without a condition.
    "ecs-infrastructure": Trust(
        "ecs.amazonaws.com",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html",
        False),
    # The role ECS assumes to invoke a deployment lifecycle hook: documented without a condition.
    "ecs-lifecycle-hook": Trust(
        "ecs.amazonaws.com", "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html",
        False),
    # "We recommend using the aws:SourceArn and aws:SourceAccount global condition context keys in your schedule
    # execution role" (aws:SourceAccount: any schedule of the account).
    "scheduler": Trust("scheduler.amazonaws.com",
                       "https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html",
                       True),
    # "We recommend that you use the aws:SourceAccount and aws:SourceArn condition keys" in the flow log role.
    "vpc-flow-logs": Trust("vpc-flow-logs.amazonaws.com",
                           "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html", True),
    # Enhanced Monitoring, "Protecting against the confused deputy problem": aws:SourceAccount in the role's trust.
    "rds-monitoring": Trust(
        "monitoring.rds.amazonaws.com",
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html", True),
    # RDS Proxy's secrets role: the setup page's trust policy (rds.amazonaws.com) has no condition.
    "rds-proxy": Trust("rds.amazonaws.com",
                       "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-iam-setup.html", False),
    # AWS Backup service roles: no condition in the documented trust policy; its confused-deputy page covers SNS
    # topic and KMS key policies, not the role.
    "backup": Trust("backup.amazonaws.com",
                    "https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html", False),
    "lambda": Trust("lambda.amazonaws.com",
                    "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html", False),
    # S3 replication role: documented trust policy without a condition.
    "s3-replication": Trust("s3.amazonaws.com",
                            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html",
                            False),
    # NAT instances' instance profile role: the EC2 page's trust policy has no condition.
    "ec2-instance": Trust("ec2.amazonaws.com",
                          "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html", False),
    "chatbot": Trust("chatbot.amazonaws.com",
                     "https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-iam-policies.html", False),
}
# The row a bare service principal gets: the one without a condition where a service has several.
DEFAULT_TRUST = {
    "ecs-tasks.amazonaws.com": "ecs-task-execution",
    "ecs.amazonaws.com": "ecs-infrastructure",
    "scheduler.amazonaws.com": "scheduler",
    "vpc-flow-logs.amazonaws.com": "vpc-flow-logs",
    "monitoring.rds.amazonaws.com": "rds-monitoring",
    "rds.amazonaws.com": "rds-proxy",
    "backup.amazonaws.com": "backup",
    "lambda.amazonaws.com": "lambda",
    "s3.amazonaws.com": "s3-replication",
    "chatbot.amazonaws.com": "chatbot",
    "ec2.amazonaws.com": "ec2-instance",
}


def trust_for(service: str, trust: str | None = None) -> Trust:
    """The trust row of a role: `trust` by name, else the service's default; ValueError for one not decided yet."""
    key = trust or DEFAULT_TRUST.get(service)
    if key not in TRUSTS:
        raise ValueError(f"no trust rule for {trust or service!r}: add it to components/iam.py TRUSTS with the AWS "
                         "page that shows its trust policy")
    if TRUSTS[key].service != service:
        raise ValueError(f"trust rule {key!r} is for {TRUSTS[key].service}, not {service}")
    return TRUSTS[key]


def assume_role_policy(service: str, source_account: str | None = None, trust: str | None = None) -> str:
    """Trust policy letting one AWS service assume a role; pinned to `source_account` only where AWS documents
    that the service sends aws:SourceAccount (TRUSTS)."""
    rule = trust_for(service, trust)
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if rule.source_account:
        if not source_account:
            raise ValueError(f"{service} roles carry aws:SourceAccount ({rule.doc}): give the account id")
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Bucket policy statement: every request without TLS is denied, whoever makes it."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def service_role(
    name: str, *, service: str, account_id: str, statements: list[dict[str, Any]], parent: pulumi.Resource,
    tags: dict[str, str] | None = None, trust: str | None = None,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy | None]:
    """A role one AWS service assumes for this account (`trust`: its TRUSTS row when not the service's default),
    and its inline policy of the same name (none if empty)."""
    role = aws.iam.Role(name, assume_role_policy=assume_role_policy(service, account_id, trust), tags=tags,
                        opts=pulumi.ResourceOptions(parent=parent))
    policy = aws.iam.RolePolicy(name, role=role.id, policy=policy_document(statements),
                                opts=pulumi.ResourceOptions(parent=parent)) if statements else None
    return role, policy

"""IAM policy documents built as plain JSON (no getPolicyDocument invokes, readable in diffs)."""

import json
from typing import Any

import pulumi
import pulumi_aws as aws


def policy_document(statements: list[dict[str, Any]]) -> pulumi.Output[str]:
    """A policy JSON string from statements that may hold Outputs (ARNs)."""
    return pulumi.Output.from_input(statements).apply(
        lambda resolved: json.dumps({"Version": "2012-10-17", "Statement": resolved}, sort_keys=True)
    )


def assume_role_policy(service: str, source_account: str | None = None) -> str:
    """Trust policy letting one AWS service assume a role, pinned to this account when given."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account:
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
    tags: dict[str, str] | None = None,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy | None]:
    """A role one AWS service assumes for this account, and its inline policy of the same name (none if empty)."""
    role = aws.iam.Role(name, assume_role_policy=assume_role_policy(service, account_id), tags=tags,
                        opts=pulumi.ResourceOptions(parent=parent))
    policy = aws.iam.RolePolicy(name, role=role.id, policy=policy_document(statements),
                                opts=pulumi.ResourceOptions(parent=parent)) if statements else None
    return role, policy

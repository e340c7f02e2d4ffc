"""IAM policy documents built as plain JSON (no getPolicyDocument invokes, readable in diffs)."""

import json
from typing import Any

import pulumi


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

"""The stack's AWS providers: one in the stack's region, and one in us-east-1 when CloudFront needs certificates.

Both are made by `aws_provider`, so whatever one carries (the default tags today) the other carries too: a
certificate requested in us-east-1 is tagged like every other resource of the stack.
"""

import pulumi_aws as aws

from settings.domain import certificate_places
from settings.model import StackSettings

from .stack_names import StackNames

# CloudFront reads viewer certificates from US East (N. Virginia) only (ACM User Guide, Supported Regions).
US_EAST_1 = "us-east-1"


def default_tags(settings: StackSettings, names: StackNames) -> dict[str, str]:
    """Tags on every resource: app, stack, environment, managed-by, then the stack's own `tags`."""
    return {"app": names.app, "stack": names.stack, "environment": settings.environment, "managed-by": "pulumi",
            **settings.tags}


def aws_provider(name: str, region: str, tags: dict[str, str], account_id: str | None = None) -> aws.Provider:
    """An explicit provider for one region with the stack's default tags (`default_tags`); pinned to `account_id`
    (the `accountId` setting) when given: credentials of another account fail before any call
    (pulumi-aws `allowedAccountIds`), so an AWS_PROFILE pointing at the wrong account deploys nothing."""
    return aws.Provider(name, region=region, default_tags={"tags": tags},
                        allowed_account_ids=[account_id] if account_id else None)


def needs_us_east_1(settings: StackSettings) -> bool:
    """Whether the program requests a certificate for CloudFront (a managed domain with `cdn` or a site)."""
    return any(place.cloudfront for place in certificate_places(settings))

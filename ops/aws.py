"""One boto3 session per run; clients for the stack's primary and backup regions.

The session is built by boto3's standard chain, so AWS_PROFILE, credentials, AWS_ENDPOINT_URL (and
per-service AWS_ENDPOINT_URL_<SERVICE>) and the shared config files apply as for the AWS CLI. The region
of every client is explicit: the stack's `region` / `backupRegion` outputs say where its resources live.
"""

import os
import sys

import boto3
from botocore.config import Config

# Retries are left to the standard configuration (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, the profile).
CLIENT_CONFIG = Config(connect_timeout=10, read_timeout=60)


def region_warning(env_region: str | None, stack_region: str) -> str | None:
    """A warning when the configured region differs from the stack's (the stack's wins)."""
    if env_region and env_region != stack_region:
        return f"warning: AWS_REGION={env_region} differs from the stack's region {stack_region}; using {stack_region}"
    return None


def new_session() -> boto3.Session:
    """A session from the standard configuration chain."""
    return boto3.Session()


class Aws:
    """Lazily created, cached clients of one session."""

    def __init__(self, region: str, backup_region: str | None = None):
        self.region = region
        self.backup_region = backup_region
        self.session = new_session()
        self._clients: dict[tuple[str, str, str], object] = {}
        env_region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if warning := region_warning(env_region, region):
            print(warning, file=sys.stderr)

    def client(self, service: str, region: str | None = None, purpose: str = "main"):
        """The client of a service in a region (default: the stack's primary region).

        `purpose` gives a call family its own client: the ECS service-deployment APIs use one, so a
        test can wrap just those calls in botocore's Stubber (the emulator lacks them).
        """
        key = (service, region or self.region, purpose)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=key[1], config=CLIENT_CONFIG)
        return self._clients[key]

    def backup_client(self, service: str):
        """The client of a service in the stack's backup region."""
        return self.client(service, self.backup_region)

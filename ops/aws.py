"""One boto3 session per run; clients for the stack's primary and backup regions.

The session is built by boto3's standard chain, so AWS_PROFILE, credentials, AWS_ENDPOINT_URL (and
per-service AWS_ENDPOINT_URL_<SERVICE>) and the shared config files apply as for the AWS CLI. The region
of every client is explicit: the stack's `region` / `backupRegion` outputs say where its resources live.
"""

import os
import sys
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from ops.errors import UsageError, html_title

# Retries are left to the standard configuration (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, the profile).
CLIENT_CONFIG = Config(connect_timeout=10, read_timeout=60)
RETRY_MODES = ("legacy", "standard", "adaptive")  # botocore's accepted values of AWS_RETRY_MODE


class NotAws(BotoCoreError):
    """The endpoint answered with something that is not an AWS API response (a proxy's HTML page...)."""

    fmt = "{message}"


def region_warning(env_region: str | None, stack_region: str) -> str | None:
    """A warning when the configured region differs from the stack's (the stack's wins)."""
    if env_region and env_region != stack_region:
        return f"warning: AWS_REGION={env_region} differs from the stack's region {stack_region}; using {stack_region}"
    return None


def environment_problem(environ: dict[str, str]) -> str | None:
    """Why an AWS_* variable botocore reads would make it fail with a raw error, or None."""
    attempts = environ.get("AWS_MAX_ATTEMPTS")
    if attempts is not None and not (attempts.strip().isdigit() and int(attempts) >= 1):
        return f"AWS_MAX_ATTEMPTS={attempts!r} is not a whole number of at least 1"
    mode = environ.get("AWS_RETRY_MODE")
    if mode is not None and mode not in RETRY_MODES:
        return f"AWS_RETRY_MODE={mode!r} is not one of {', '.join(RETRY_MODES)}"
    for name in sorted(n for n in environ if n == "AWS_ENDPOINT_URL" or n.startswith("AWS_ENDPOINT_URL_")):
        url = urlsplit(environ[name])
        if url.scheme not in ("http", "https") or not url.netloc:
            return (f"{name}={environ[name]!r} is not a URL with a scheme "
                    f"(for example http://{environ[name] or '127.0.0.1:5000'})")
    return None


HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<h1")


def is_html(body: bytes) -> bool:
    """Whether a response body is an HTML page (AWS APIs answer XML or JSON, never HTML; the content type is no
    guide: emulators label JSON text/html)."""
    return body.lstrip()[:16].lower().startswith(HTML_STARTS)


def refuse_html(response_dict, operation_model, **_) -> None:
    """before-parse hook: an HTML answer (a proxy's or captive portal's page) would otherwise parse into nothing,
    a KeyError or an XML parser error."""
    body = response_dict.get("body") or b""
    if is_html(body):
        raise NotAws(message=f"{operation_model.name}: the endpoint answered HTTP {response_dict['status_code']} "
                             f"with an HTML page ({html_title(body.decode('utf-8', 'replace'))!r}), not an AWS "
                             "response; check AWS_ENDPOINT_URL and any proxy")


def new_session() -> boto3.Session:
    """A session from the standard configuration chain."""
    return boto3.Session()


class Aws:
    """Lazily created, cached clients of one session."""

    def __init__(self, region: str, backup_region: str | None = None):
        if problem := environment_problem(dict(os.environ)):
            raise UsageError(problem)
        self.region = region
        self.backup_region = backup_region
        self.session = new_session()
        self.session.events.register("before-parse", refuse_html, unique_id="ops-refuse-html")
        self._clients: dict[tuple[str, str, str], object] = {}
        env_region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if warning := region_warning(env_region, region):
            print(warning, file=sys.stderr)

    def client(self, service: str, region: str | None = None, purpose: str = "main"):
        """The client of a service in a region (default: the stack's primary region).

        `purpose` gives a call family its own client: the ECS service-deployment and ExecuteCommand APIs use
        their own, so a test can wrap just those calls in botocore's Stubber (the emulator lacks them).
        """
        key = (service, region or self.region, purpose)
        if key not in self._clients:
            try:
                self._clients[key] = self.session.client(service, region_name=key[1], config=CLIENT_CONFIG)
            except ValueError as error:  # a bad value in the shared config file (max_attempts = abc, ...)
                raise UsageError(f"AWS configuration: {error}") from None
        return self._clients[key]

    def backup_client(self, service: str):
        """The client of a service in the stack's backup region."""
        return self.client(service, self.backup_region)

    @property
    def profile(self) -> str:
        """The profile name the session uses ('' for the default chain), as the Session Manager plugin wants it."""
        return self.session.profile_name if os.environ.get("AWS_PROFILE") else ""

"""Fixtures of the ops tests: one moto server per session (127.0.0.1), a new fake stack per test."""

import json
import logging
from dataclasses import dataclass

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from ops import aws as ops_aws
from ops.aws import Aws
from ops.cli import main
from tests.ops import world as W

# Variables that could point the tests at a real account or a developer's configuration.
CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN",
           "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
           "AWS_CONTAINER_CREDENTIALS_FULL_URI")


@pytest.fixture(scope="session")
def moto_url():
    """A moto server for the whole session, on a port the OS picks (no race for a "free" port)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # thousands of AMIs nobody here uses: ~0.2 s
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
        server.stop()


@pytest.fixture(scope="session")
def base(moto_url) -> dict:
    """The shared, read-only part of every fake stack."""
    return W.base(moto_url)


def session_with(loader) -> boto3.Session:
    """A standard session (env, profiles) that reuses an already warm data loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", loader)
    session = boto3.Session(botocore_session=core)
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))  # boto3 appends its path each time
    return session


class Clients:
    """Stands in for Aws.client during a test.

    Building a botocore client costs more than most commands' API calls, so in-process runs share their
    real clients across the session (every test has the same fake credentials and endpoint). A key can
    instead be served by a botocore Stubber: only for the APIs moto lacks.
    """

    real = Aws.client

    def __init__(self, shared: dict):
        self.shared = shared
        self.stubs: dict[tuple[str, str, str], Stubber] = {}
        self.share = True

    def client(self, aws: Aws, service: str, region: str | None = None, purpose: str = "main"):
        """The stubbed, shared or (share off) brand-new client for this key."""
        key = (service, region or aws.region, purpose)
        if key in self.stubs:
            return self.stubs[key].client
        if not self.share:
            return Clients.real(aws, service, region, purpose)
        if key not in self.shared:
            self.shared[key] = Clients.real(aws, service, region, purpose)
        return self.shared[key]


@pytest.fixture(scope="session")
def shared_clients() -> dict:
    """Real clients reused by every in-process run of the session."""
    return {}


@pytest.fixture
def aws_env(moto_url, monkeypatch, tmp_path, shared_clients):
    """Fake credentials and AWS_ENDPOINT_URL for this test, as a user would set them."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setattr(ops_aws, "new_session", lambda: session_with(W.LOADER))
    clients = Clients(shared_clients)
    monkeypatch.setattr(Aws, "client", lambda aws, *args, **kwargs: clients.client(aws, *args, **kwargs))
    return clients


@pytest.fixture
def fresh_clients(aws_env) -> None:
    """Every run builds its own clients, so environment changes made by the test take effect."""
    aws_env.share = False


@pytest.fixture
def world(base, moto_url, aws_env, request) -> W.World:
    """A new fake stack, built in moto: the parts named by the test module's PARTS (default all)."""
    return W.build(moto_url, base, getattr(request.module, "PARTS", tuple(W.PARTS)))


@dataclass
class Result:
    """Exit code and captured output of one CLI run."""

    code: int
    out: str
    err: str


@pytest.fixture
def outputs_file(world, tmp_path):
    """The stack outputs written as `pulumi stack output --json` would."""
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(world.outputs, indent=2))
    return path


@pytest.fixture
def run(outputs_file, capsys):
    """Run `python -m ops <command> --outputs FILE ...` in process."""
    def run_(command: str, *args: str, outputs=outputs_file) -> Result:
        code = main([command, "--outputs", str(outputs), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return run_


@pytest.fixture
def stub(aws_env):
    """stub(service, region, purpose) -> an active Stubber serving just that client of ops.aws.Aws.

    Only for the APIs moto does not implement (ECS service deployments, AWS Backup recovery points).
    """
    def add(service: str, region: str = W.REGION, purpose: str = "main") -> Stubber:
        stubber = Stubber(W.SESSION.client(service, region_name=region))
        stubber.activate()
        aws_env.stubs[(service, region, purpose)] = stubber
        return stubber

    yield add
    for stubber in aws_env.stubs.values():
        stubber.assert_no_pending_responses()

"""Fixtures of the ops tests: one moto per session, a new fake stack per test.

moto runs two ways over the same in-process state: its mock (botocore requests to AWS hostnames are answered
in-process, ~4x cheaper than HTTP) for in-process runs of `ops.cli.main`, and a server on 127.0.0.1 for real
`python -m ops` processes and the fault proxy, reached through AWS_ENDPOINT_URL as an operator would.
"""

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.stub import Stubber
from moto import mock_aws  # first: moto's mock joins every botocore session created after this import
from moto.server import ThreadedMotoServer

from ops import aws as ops_aws
from ops.aws import Aws
from ops.cli import main
from tests.ops import world as W
from tests.ops.proxy import FaultProxy

# Variables that could point the tests at a real account or a developer's configuration.
CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN",
           "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
           "AWS_CONTAINER_CREDENTIALS_FULL_URI")


@pytest.fixture(scope="session")
def moto_url():
    """moto for the whole session: the in-process mock, and a server on a port the OS picks (no race for a
    "free" port) over the same state."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # thousands of AMIs nobody here uses: ~0.2 s
        with mock_aws():
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
        self.through = "mock"  # or "proxy": clients of the fault proxy, shared among proxied runs

    def client(self, aws: Aws, service: str, region: str | None = None, purpose: str = "main"):
        """The stubbed, shared or (share off) brand-new client for this key."""
        key = (service, region or aws.region, purpose)
        if key in self.stubs:
            return self.stubs[key].client
        if not self.share:
            return Clients.real(aws, service, region, purpose)
        if (*key, self.through) not in self.shared:
            self.shared[(*key, self.through)] = Clients.real(aws, service, region, purpose)
        return self.shared[(*key, self.through)]


@pytest.fixture(scope="session")
def shared_clients() -> dict:
    """Real clients reused by every in-process run of the session."""
    return {}


@pytest.fixture
def aws_env(moto_url, monkeypatch, tmp_path, shared_clients):
    """Fake credentials for this test, as a user would set them, and no AWS_ENDPOINT_URL (the mock answers)."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)  # in-process runs: AWS hostnames, answered by the moto mock
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
    """A new fake stack, built in moto: the parts named by the test module's PARTS (default all), the app of its
    APP (default W.APP)."""
    return W.build(moto_url, base, getattr(request.module, "PARTS", W.PARTS), getattr(request.module, "APP", None))


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


def with_outputs(args: tuple[str, ...], outputs) -> list[str]:
    """`<command> [action] --outputs FILE <rest>` (`secrets` takes its options after the action)."""
    at = 2 if args[0] == "secrets" else 1
    return [*args[:at], "--outputs", str(outputs), *args[at:]]


@pytest.fixture
def run(outputs_file, capsys):
    """Run `python -m ops <command> --outputs FILE ...` in process."""
    def run_(*args: str, outputs=outputs_file) -> Result:
        code = main(with_outputs(args, outputs))
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


@pytest.fixture(scope="session")
def session_proxy(moto_url):
    """One fault-injecting proxy in front of the moto server for the session (tests/ops/proxy.py)."""
    fault_proxy = FaultProxy(moto_url)
    yield fault_proxy
    fault_proxy.close()


@pytest.fixture
def proxy(session_proxy):
    """The proxy, with this test's faults only."""
    session_proxy.reset()
    yield session_proxy
    session_proxy.reset()


@pytest.fixture
def via_proxy(proxy, aws_env, monkeypatch) -> FaultProxy:
    """In-process runs talk to moto through the proxy, with one attempt per call (no retry back-off); their
    clients are shared by every such run of the session."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    aws_env.through = "proxy"
    return proxy


ROOT = Path(__file__).resolve().parents[2]


class Spawned:
    """A real `python -m ops` process: signal it mid-call, then collect its output."""

    def __init__(self, args: list[str], env: dict[str, str], stdin: str | None = None):
        self.process = subprocess.Popen([sys.executable, "-m", "ops", *args], cwd=ROOT, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
        if stdin is not None:
            self.process.stdin.write(stdin)
            self.process.stdin.close()
            self.process.stdin = None  # communicate() must not flush it again
        self.early_err: list[str] = []

    def signal(self, signum: int) -> None:
        """Send a signal to the process."""
        self.process.send_signal(signum)

    def wait_for_err(self, prefix: str, timeout: float = 10) -> str:
        """Read stderr lines until one starts with prefix (kept for the final result)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.early_err.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no stderr line starting {prefix!r}; got {self.early_err}")

    def result(self, timeout: float = 30) -> Result:
        """Exit code and the whole output."""
        out, err = self.process.communicate(timeout=timeout)
        return Result(self.process.returncode, out, "".join(self.early_err) + err)


@pytest.fixture
def spawn(outputs_file, proxy, aws_env):
    """spawn(*args) -> a `python -m ops <args> --outputs FILE` process talking to moto through the proxy."""
    started: list[Spawned] = []

    def spawn_(*args: str, stdin: str | None = None) -> Spawned:
        env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, AWS_MAX_ATTEMPTS="1")
        started.append(Spawned(with_outputs(args, outputs_file), env, stdin))
        return started[-1]

    yield spawn_
    for spawned in started:
        if spawned.process.poll() is None:
            spawned.process.kill()
            spawned.process.wait()

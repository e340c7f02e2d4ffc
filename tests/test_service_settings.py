"""Service-tier settings: Fargate sizes, health-check timing, production rules, exact messages."""

import pytest

from settings import parse_settings
from settings.fargate import allowed_memory, fargate_problem
from tests.helpers import settings_error, stack_settings

def message_for(stack: str, change) -> str:
    return settings_error(stack, change)


def service(**changes):
    """A change to `service.<section>` keys: service(web={"cpu": 300})."""
    def change(raw):
        for section, values in changes.items():
            raw["service"].setdefault(section, {}).update(values)
    return change


@pytest.mark.parametrize("cpu, memory, problem", [
    (256, 512, None), (256, 2048, None), (512, 4096, None), (1024, 8192, None), (4096, 30720, None),
    (8192, 61440, None), (16384, 122880, None),
    (256, 4096, ("memory", 4096, "with cpu 256, Fargate allows memory 512, 1024 or 2048 (MiB)")),
    (512, 512, ("memory", 512, "with cpu 512, Fargate allows memory 1024 to 4096 MiB in steps of 1024")),
    (1024, 2500, ("memory", 2500, "with cpu 1024, Fargate allows memory 2048 to 8192 MiB in steps of 1024")),
    (8192, 20000, ("memory", 20000, "with cpu 8192, Fargate allows memory 16384 to 61440 MiB in steps of 4096")),
    (300, 1024, ("cpu", 300, "Fargate allows cpu 256, 512, 1024, 2048, 4096, 8192, 16384")),
])
def test_fargate_sizes(cpu, memory, problem):
    assert fargate_problem(cpu, memory) == problem


def test_allowed_memory_lists():
    assert allowed_memory(256) == [512, 1024, 2048]
    assert allowed_memory(2048) == list(range(4096, 16385, 1024))
    assert allowed_memory(100) == []


def test_real_values_of_both_stacks():
    staging = parse_settings(stack_settings("staging"), "staging").service
    prod = parse_settings(stack_settings("prod"), "prod").service
    assert (staging.web.cpu, staging.web.memory, staging.web.spot, staging.web.bake_time_minutes) == (256, 512, True, 5)
    assert (prod.web.cpu, prod.web.memory, prod.web.spot, prod.web.bake_time_minutes) == (512, 1024, False, 15)
    assert (prod.web.min_count, prod.web.max_count, staging.web.min_count, staging.web.max_count) == (2, 6, 1, 2)
    assert prod.load_balancer.deletion_protection and not staging.load_balancer.deletion_protection
    assert list(prod.workers) == list(staging.workers) == ["queue"]
    assert prod.jobs["analytics"].schedule == "cron(0 3 * * ? *)"
    assert prod.web.migration_command == ["node", "migrate.js"]


def test_defaults_follow_the_playbooks():
    web = parse_settings(stack_settings("prod"), "prod").service.web.model_copy()
    from settings.service import LoadBalancerSettings, WebSettings
    assert WebSettings().migration_command == ["npx", "prisma", "migrate", "deploy"]
    assert (web.port, WebSettings().health_check_grace_seconds) == (3000, 30)
    lb = LoadBalancerSettings(domainName="api.example.com",
                              certificateArn="arn:aws:acm:us-east-1:123456789012:certificate/"
                                             "00000000-0000-4000-8000-000000000002")
    assert (lb.health_check_path, lb.health_check_interval_seconds, lb.healthy_threshold) == ("/health", 5, 2)
    assert (lb.deregistration_delay_seconds, lb.test_listener_port) == (30, 8443)


@pytest.mark.parametrize("stack, change, expected", [
    ("prod", service(web={"cpu": 300}),
     "service.web.cpu: got 300; Fargate allows cpu 256, 512, 1024, 2048, 4096, 8192, 16384"),
    ("prod", service(web={"memory": 512}),
     "service.web.memory: got 512; with cpu 512, Fargate allows memory 1024 to 4096 MiB in steps of 1024"),
    ("staging", service(workers={"queue": {"command": ["node", "worker.js"], "cpu": 256, "memory": 4096}}),
     "service.workers.queue.memory: got 4096; with cpu 256, Fargate allows memory 512, 1024 or 2048 (MiB)"),
    ("staging", service(jobs={"analytics": {"command": ["x"], "schedule": "cron(0 3 * * ? *)", "cpu": 1024}}),
     "service.jobs.analytics.memory: got 512; with cpu 1024, Fargate allows memory 2048 to 8192 MiB in steps of 1024"),
    ("prod", service(web={"bakeTimeMinutes": 5}),
     "service.web.bakeTimeMinutes: got 5; production keeps the old revision at least 10 minutes "
     "(the instant-rollback window)"),
    ("prod", service(web={"minCount": 1, "desiredCount": 1}),
     "service.web.minCount: got 1; production runs at least 2 web tasks (one per AZ survives an AZ loss)"),
    ("prod", service(web={"spot": True}),
     "service.web.spot: got true; production serves the API from on-demand Fargate (spot: false)"),
    ("prod", service(loadBalancer={"deletionProtection": False}),
     "service.loadBalancer.deletionProtection: got false; production keeps ALB deletion protection on"),
    ("staging", service(web={"desiredCount": 5}),
     "service.web.desiredCount: got 5; between minCount (1) and maxCount (2)"),
    ("staging", service(loadBalancer={"healthCheckIntervalSeconds": 15}),
     "service.loadBalancer.healthCheckIntervalSeconds: got 15; interval x healthyThreshold (2) must be at most "
     "20 s so a healthy task is in service quickly (got 30 s)"),
    ("staging", service(loadBalancer={"healthCheckTimeoutSeconds": 5}),
     "service.loadBalancer.healthCheckTimeoutSeconds: got 5; less than healthCheckIntervalSeconds (5)"),
    ("staging", service(loadBalancer={"deregistrationDelaySeconds": 300}),
     "service.loadBalancer.deregistrationDelaySeconds: got 300; at most 30 s, so deploys and rollbacks finish quickly"),
    ("staging", service(loadBalancer={"certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/"
                                                        "00000000-0000-4000-8000-000000000001"}),
     "service.loadBalancer.certificateArn: got 'arn:aws:acm:eu-west-1:123456789012:certificate/"
     "00000000-0000-4000-8000-000000000001'; the certificate must be in the stack's region 'us-east-1' "
     "(ALB certificates are regional)"),
    ("staging", service(loadBalancer={"certificateArn": "my-cert"}),
     "service.loadBalancer.certificateArn: got 'my-cert'; not an ACM certificate ARN; "
     "expected arn:aws:acm:<region>:<account>:certificate/<uuid>"),
    ("staging", service(loadBalancer={"testAllowedCidrs": ["10.0.0.1/8"]}),
     "service.loadBalancer.testAllowedCidrs: got [\"10.0.0.1/8\"]; not a valid CIDR (10.0.0.1/8 has host bits set); "
     "expected e.g. '203.0.113.0/24'"),
    ("staging", service(workers={"Queue_1": {"command": ["node", "w.js"]}}),
     "service.workers: got {\"queue\": {\"command\": [\"node\", \"worker.js\"], \"cpu\": 256, \"memory\": 512, "
     "\"spot\": true, \"maxCount\": 1, \"logRetentionDays\": 14}, \"Queue_1\": {\"command\": [\"node\", \"w.js\"]}}; "
     "name 'Queue_1' must be 1-20 characters: a lowercase letter, then a-z, 0-9 or '-'"),
    ("staging", service(workers={"mail": {"cpu": 256}}),
     "service.workers.mail.command: required key is missing"),
    ("staging", service(maintenance={"adminPaths": ["admin"]}),
     "service.maintenance.adminPaths: got [\"admin\"]; path pattern 'admin' must start with '/', be at most "
     "128 characters and hold at most 5 wildcards"),
    ("staging", service(maintenance={"adminPaths": [f"/a{i}" for i in range(41)]}),
     "service.maintenance.adminPaths: got " + "[" + ", ".join(f'"/a{i}"' for i in range(41)) + "]; these paths "
     "and allowedCidrs need 10 listener rules; at most 9 fit (5 values per rule)"),
    ("staging", service(web={"environment": {"1BAD": "x"}}),
     "service.web.environment: got {\"1BAD\": \"x\"}; invalid variable name(s) 1BAD: letters, digits and _, "
     "not first a digit"),
])
def test_bad_service_settings_are_refused_with_exact_messages(stack, change, expected):
    assert message_for(stack, change).splitlines()[1:] == [f"  {expected}"]


def test_missing_load_balancer_is_named():
    message = message_for("staging", lambda raw: raw["service"].pop("loadBalancer"))
    assert message.splitlines()[1:] == ["  service.loadBalancer: required key is missing"]

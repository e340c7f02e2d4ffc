"""Service-tier settings: Fargate sizes, health-check timing, production rules, exact messages."""

import pytest

from settings import parse_settings
from settings.fargate import allowed_memory, fargate_problem
from tests.helpers import settings_error, stack_settings

def message_for(stack: str, change) -> str:
    return settings_error(stack, change)


def at(*path, **values):
    """A change merging `values` into the mapping at `path`: at("services", "web", cpu=300)."""
    def change(raw):
        node = raw
        for key in path:
            node = node.setdefault(key, {})
        node.update({k.replace("__", "."): v for k, v in values.items()})
    return change


def web(**values):
    return at("services", "web", **values)


def public(**values):
    return at("services", "web", "public", **values)


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
    staging = parse_settings(stack_settings("staging"), "staging")
    prod = parse_settings(stack_settings("prod"), "prod")
    sw, pw = staging.services["web"], prod.services["web"]
    assert (sw.cpu, sw.memory, sw.spot, sw.public.bake_time_minutes) == (256, 512, True, 5)
    assert (pw.cpu, pw.memory, pw.spot, pw.public.bake_time_minutes) == (512, 1024, False, 15)
    assert (pw.scaling.min_count, pw.scaling.max_count, sw.scaling.min_count, sw.scaling.max_count) == (2, 6, 1, 2)
    assert prod.load_balancer.deletion_protection and not staging.load_balancer.deletion_protection
    assert list(prod.services) == list(staging.services) == ["web", "queue"]
    assert (pw.access, prod.services["queue"].access) == ("public", "none")
    assert prod.jobs["analytics"].schedule == "cron(0 3 * * ? *)" and prod.jobs["analytics"].service == "web"
    assert pw.public.migrations.command == ["node", "migrate.js"]
    assert (staging.exec_enabled("web"), prod.exec_enabled("web")) == (True, False)


def test_defaults_follow_the_playbooks():
    from settings.services import LoadBalancerSettings, MigrationSettings, PublicSettings, ServiceSettings

    assert MigrationSettings().command == ["npx", "prisma", "migrate", "deploy"]
    service = ServiceSettings(access="public", port=3000)
    assert (service.health_check.path, service.health_check.grace_seconds) == ("/health", 30)
    assert [(r.hosts, r.paths) for r in service.public.routes] == [([], [])]  # one catch-all route
    public_settings = PublicSettings()
    assert (public_settings.health_check_interval_seconds, public_settings.healthy_threshold,
            public_settings.deregistration_delay_seconds) == (5, 2, 30)
    lb = LoadBalancerSettings(domainName="api.example.com",
                              certificateArn="arn:aws:acm:us-east-1:123456789012:certificate/"
                                             "00000000-0000-4000-8000-000000000002")
    assert lb.test_listener_port == 8443


@pytest.mark.parametrize("stack, change, expected", [
    ("prod", web(cpu=300),
     "services.web.cpu: got 300; Fargate allows cpu 256, 512, 1024, 2048, 4096, 8192, 16384"),
    ("prod", web(memory=512),
     "services.web.memory: got 512; with cpu 512, Fargate allows memory 1024 to 4096 MiB in steps of 1024"),
    ("staging", at("services", "queue", memory=4096),
     "services.queue.memory: got 4096; with cpu 256, Fargate allows memory 512, 1024 or 2048 (MiB)"),
    ("staging", at("jobs", "analytics", cpu=1024),
     "jobs.analytics.memory: got 512; with cpu 1024, Fargate allows memory 2048 to 8192 MiB in steps of 1024"),
    ("prod", public(bakeTimeMinutes=5),
     "services.web.public.bakeTimeMinutes: got 5; production keeps the old revision at least 10 minutes "
     "(the instant-rollback window)"),
    ("prod", at("services", "web", "scaling", minCount=1, desiredCount=1),
     "services.web.scaling.minCount: got 1; production runs at least 2 tasks of a public service "
     "(one per AZ survives an AZ loss)"),
    ("prod", web(spot=True),
     "services.web.spot: got true; production serves reachable services from on-demand Fargate (spot: false)"),
    ("prod", web(exec=True), "services.web.exec: got true; production allows no shell into tasks (ECS Exec off)"),
    ("prod", at("loadBalancer", deletionProtection=False),
     "loadBalancer.deletionProtection: got false; production keeps ALB deletion protection on"),
    ("staging", at("services", "web", "scaling", desiredCount=5),
     "services.web.scaling.desiredCount: got 5; between scaling.minCount (1) and scaling.maxCount (2)"),
    ("staging", public(healthCheckIntervalSeconds=15),
     "services.web.public.healthCheckIntervalSeconds: got 15; interval x healthyThreshold (2) must be at most "
     "20 s so a healthy task is in service quickly (got 30 s)"),
    ("staging", public(healthCheckTimeoutSeconds=5),
     "services.web.public.healthCheckTimeoutSeconds: got 5; less than healthCheckIntervalSeconds (5)"),
    ("staging", public(deregistrationDelaySeconds=300),
     "services.web.public.deregistrationDelaySeconds: got 300; at most 30 s, so deploys and rollbacks finish "
     "quickly"),
    ("prod", at("loadBalancer", certificateArn="arn:aws:acm:eu-west-1:123456789012:certificate/"
                                                  "00000000-0000-4000-8000-000000000001"),
     "loadBalancer.certificateArn: got 'arn:aws:acm:eu-west-1:123456789012:certificate/"
     "00000000-0000-4000-8000-000000000001'; the certificate must be in the stack's region 'us-east-1' "
     "(ALB certificates are regional)"),
    ("staging", at("loadBalancer", certificateArn="my-cert"),
     "loadBalancer.certificateArn: got 'my-cert'; not an ACM certificate ARN; "
     "expected arn:aws:acm:<region>:<account>:certificate/<uuid>"),
    ("staging", at("loadBalancer", testAllowedCidrs=["10.0.0.1/8"]),
     "loadBalancer.testAllowedCidrs: got [\"10.0.0.1/8\"]; not a valid CIDR (10.0.0.1/8 has host bits set); "
     "expected e.g. '203.0.113.0/24'"),
    ("staging", at("loadBalancer", testListenerPort=443),
     "loadBalancer.testListenerPort: got 443; 80 and 443 are the ALB's public listeners; choose another port, "
     "e.g. 8443"),
    ("staging", at("maintenance", adminPaths=["admin"]),
     "maintenance.adminPaths: got [\"admin\"]; path pattern 'admin' must start with '/', be at most "
     "128 characters and hold at most 5 wildcards"),
    ("staging", at("maintenance", adminPaths=[f"/a{i}" for i in range(250)]),
     "maintenance.adminPaths: got " + "[" + ", ".join(f'"/a{i}"' for i in range(250)) + "]; these paths "
     "and allowedCidrs need 51 listener rules across the public routes; at most 49 fit"),
    ("staging", at("maintenance", message="x" * 1000),
     "maintenance.message: got '" + "x" * 1000 + "'; the 503 JSON body would be 1036 bytes; the ALB allows at most "
     "1024"),
    ("staging", at("maintenance", adminService="queue"),
     "maintenance.adminService: got 'queue'; one of the public services: ['web']"),
    ("staging", web(environment={"1BAD": "x"}),
     "services.web.environment: got {\"1BAD\": \"x\"}; invalid variable name(s) 1BAD: letters, digits and _, "
     "not first a digit"),
    ("staging", web(environment={"DATABASE_URL": "postgres://x"}),
     "services.web.environment: got [\"DATABASE_URL\"]; the program sets these itself (database, cache, port); "
     "choose other names"),
    ("staging", at("app", secrets=["JWT_SECRET", "REDIS_AUTH_TOKEN"]),
     "app.secrets: got [\"REDIS_AUTH_TOKEN\"]; the program sets these itself (database, cache, port); "
     "choose other names"),
    ("staging", at("services", "queue", port=None, healthCheck={}),
     "services.queue.healthCheck.command: got null; a service without a port needs a health check command, e.g. "
     "[CMD-SHELL, 'test -f /tmp/alive'] (every long-running service has one)"),
    ("staging", at("services", "queue", access="internal"),
     "services.queue.port: got null; a service with access 'internal' must say which port it listens on"),
    ("staging", web(connectsTo=["queue"]),
     "services.web.connectsTo: got 'queue'; name another service that listens on a port: []"),
    ("staging", at("jobs", "analytics", service="api"),
     "jobs.analytics.service: got 'api'; one of the services: ['queue', 'web']"),
    ("staging", public(routes=[{"paths": ["/a", "/b", "/c"], "hosts": ["a.example.com", "b.example.com",
                                                                          "c.example.com"]}]),
     "services.web.public.routes[0]: got {\"paths\": [\"/a\", \"/b\", \"/c\"], \"hosts\": [\"a.example.com\", "
     "\"b.example.com\", \"c.example.com\"]}; a listener rule holds at most 5 condition values "
     "and 5 wildcards (got 6 values, 0 wildcards)"),
    ("staging", public(routes=[{"paths": ["/a"]}, {"paths": ["/b"]}, {"paths": ["/c"]}]),
     "services.web.public.routes: got [{\"paths\": [\"/a\"]}, {\"paths\": [\"/b\"]}, {\"paths\": [\"/c\"]}]; "
     "list should have at most 2 items after validation, not 3"),
])
def test_bad_service_settings_are_refused_with_exact_messages(stack, change, expected):
    assert message_for(stack, change).splitlines()[1:] == [f"  {expected}"]


def test_bad_service_names_are_refused_naming_the_offending_one():
    from settings.base import show_value

    services = {**stack_settings("staging")["services"], "Queue_1": {"command": ["node", "w.js"]}}
    message = message_for("staging", at("services", "Queue_1", command=["node", "w.js"]))
    assert message.splitlines()[1:] == [
        f"  services: got {show_value(services)}; name 'Queue_1' must be 1-20 characters: a lowercase letter, "
        "then a-z, 0-9 or '-'"]


def test_a_public_service_needs_the_load_balancer():
    message = message_for("staging", lambda raw: raw.pop("loadBalancer"))
    assert message.splitlines()[1:] == ["  loadBalancer: got null; required: services ['web'] are public"]


@pytest.mark.parametrize("routes, expected", [
    # catch-alls last; longer literal paths first; host routes before hostless ones at the same path
    ({"web": [{}], "bot": [{"paths": ["/telegram/*"]}]}, {("bot", 0): 100, ("web", 0): 110}),
    ({"web": [{"paths": ["/api/*"]}, {"paths": ["/api/auth/*"]}]}, {("web", 1): 100, ("web", 0): 110}),
    ({"web": [{"hosts": ["api.example.com"]}, {}]}, {("web", 0): 100, ("web", 1): 110}),
    # an explicit priority stands, and the derived ones step around it
    ({"web": [{}], "bot": [{"paths": ["/b/*"], "priority": 100}], "app": [{"paths": ["/a/*"]}]},
     {("bot", 0): 100, ("app", 0): 110, ("web", 0): 120}),
])
def test_route_priorities_are_derived_from_specificity(routes, expected):
    from settings.services import ServiceSettings, route_priorities

    services = {name: ServiceSettings(access="public", port=3000, public={"routes": rs}) for name, rs in routes.items()}
    assert route_priorities(services) == expected

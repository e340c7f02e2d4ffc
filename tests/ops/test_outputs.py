"""The outputs contract as ops reads it: nested service/job types, decoding, which service a command acts on."""

import codecs
import copy

import pytest

from ops.errors import UsageError
from ops.outputs import decode, pick_blue_green, pick_service, routes_of, type_problem

ROUTE = {"productionListenerRuleArn": "arn:p", "testListenerRuleArn": "arn:t", "blueTargetGroupArn": "arn:b",
         "greenTargetGroupArn": "arn:g", "hosts": [], "paths": ["/*"]}
SERVICE = {"serviceName": "app-web", "access": "public", "deployment": "blue-green", "taskFamily": "app-web",
           "containerName": "web",
           "logGroupName": "/app/web", "subnetIds": ["s-1"], "securityGroupIds": ["sg-1"], "execEnabled": False,
           "routes": [ROUTE]}
JOB = {"taskFamily": "app-report", "containerName": "report", "logGroupName": "/app/report",
       "scheduleName": "app-report", "subnetIds": ["s-1"], "securityGroupIds": ["sg-1"]}


def changed(path: tuple, value) -> dict:
    """SERVICE with one nested field replaced (value None: removed)."""
    service = copy.deepcopy(SERVICE)
    target = service
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return service


def test_a_well_formed_service_and_job_pass():
    single = {k: v for k, v in ROUTE.items() if k not in ("testListenerRuleArn", "greenTargetGroupArn")}
    assert type_problem("services", {
        "web": SERVICE, "worker": {**SERVICE, "access": "none", "deployment": "rolling", "routes": []},
        "api": {**SERVICE, "migrationLogGroupName": "/app/api-migrations"},
        "files": {**SERVICE, "deployment": "rolling", "routes": [single]}}) is None
    assert type_problem("jobs", {"report": JOB}) is None


@pytest.mark.parametrize("service, problem", [
    (changed(("execEnabled",), "yes"), "key services.web.execEnabled must be true or false"),
    (changed(("access",), "private"), "key services.web.access must be one of public, internal, none (got 'private')"),
    (changed(("deployment",), "canary"),
     "key services.web.deployment must be one of blue-green, rolling (got 'canary')"),
    (changed(("routes", 0, "greenTargetGroupArn"), None),
     "key services.web.routes: a blue-green service's routes need greenTargetGroupArn and testListenerRuleArn"),
    (changed(("routes", 0, "testListenerRuleArn"), 7), "key services.web.routes[0].testListenerRuleArn must be a "
                                                         "non-empty string"),
    (changed(("subnetIds",), "s-1"), "key services.web.subnetIds must be a list of strings"),
    (changed(("containerName",), None), "key services.web: missing field(s) containerName"),
    (changed(("routes",), {}), "key services.web.routes must be a list of route objects"),
    (changed(("routes", 0, "hosts"), "a.example.com"), "key services.web.routes[0].hosts must be a list of strings"),
    (changed(("routes", 0, "blueTargetGroupArn"), None),
     "key services.web.routes[0]: missing field(s) blueTargetGroupArn"),
    (changed(("migrationLogGroupName",), ""), "key services.web.migrationLogGroupName must be a non-empty string"),
    ("not an object", "key services.web must be an object"),
])
def test_service_problems_name_the_nested_key(service, problem):
    assert type_problem("services", {"web": service}) == problem


def test_services_must_be_a_map():
    assert type_problem("services", []) == "key services must be an object of named entries"


def test_job_problems():
    assert type_problem("jobs", {"report": {**JOB, "scheduleName": 5}}) == (
        "key jobs.report.scheduleName must be a non-empty string")
    assert type_problem("jobs", {"report": {k: v for k, v in JOB.items() if k != "taskFamily"}}) == (
        "key jobs.report: missing field(s) taskFamily")


def outputs(**services) -> dict:
    return {"services": services}


def test_pick_service():
    two = outputs(bot=SERVICE, web=SERVICE, worker={**SERVICE, "access": "none", "routes": []})
    assert pick_service(outputs(web=SERVICE, worker={**SERVICE, "access": "none"}), None) == "web"
    assert pick_service(two, "worker") == "worker"
    with pytest.raises(UsageError) as several:
        pick_service(two, None)
    assert str(several.value) == ("2 public services (bot, web); name one with --service NAME "
                                  "(services: bot, web, worker)")
    with pytest.raises(UsageError) as none:
        pick_service(outputs(worker={**SERVICE, "access": "none"}), None, "NAME")
    assert str(none.value) == "no public service; name one with NAME (services: worker)"
    with pytest.raises(UsageError) as unknown:
        pick_service(two, "api")
    assert str(unknown.value) == "no service 'api' in the outputs; services: bot, web, worker"


def test_rollback_needs_a_blue_green_service_with_a_route():
    with pytest.raises(UsageError) as empty:
        pick_blue_green(outputs(web={**SERVICE, "routes": []}), None)
    assert str(empty.value) == "key services.web.routes is empty: a public service needs at least one route"
    with pytest.raises(UsageError) as rolling:
        pick_blue_green(outputs(web={**SERVICE, "deployment": "rolling"}), None)
    assert str(rolling.value) == ("service web deploys rolling (it holds single-writer state): one target group, "
                                  "nothing to roll back to; deploy the previous image instead")


def test_routes_of():
    [route] = routes_of(outputs(web={**SERVICE, "routes": [{**ROUTE, "hosts": ["a.example.com"]}]}), "web")
    assert (route.label, route.labels, route.contract.hosts, route.contract.paths) == (
        "route 1 (a.example.com /*)", {"arn:b": "blue", "arn:g": "green"}, ("a.example.com",), ("/*",))


@pytest.mark.parametrize("raw", [
    b'{"a": "\xc3\xa9"}', codecs.BOM_UTF8 + b'{"a": "\xc3\xa9"}', '{"a": "é"}'.encode("utf-16"),
    '{"a": "é"}'.encode("utf-16-le"), '{"a": "é"}'.encode("utf-16-be")])
def test_decode(raw):
    assert decode(raw) == '{"a": "é"}'

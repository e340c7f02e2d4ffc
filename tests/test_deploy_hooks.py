"""Every blue/green service has a deployment hook: it guards against rolled-back revisions and keeps the
maintenance bypass rules on the production weights, with or without migrations (components/migration_hook.py)."""

from lambdas.migration_hook import handler as hook
from tests.data_helpers import state_of
from tests.helpers import one, parsed, resources, settings_error
from tests.test_load_balancer import prod_opened_up
from tests.test_volumes_stack import prod_single_writer

FUNCTION = "aws:lambda/function:Function"
RULE = "aws:lb/listenerRule:ListenerRule"
LISTENER = "aws:lb/listener:Listener"
SYNC = ["PRE_SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"]


def variables(graph: dict, service: str) -> dict:
    return one(graph, FUNCTION, f"{service}-migrations")["inputs"]["environment"]["variables"]


def test_the_hooks_follow_their_own_production_rules_on_the_https_listener(stack_graph):
    listener = state_of(stack_graph, LISTENER, "load-balancer-https")["arn"]
    env = variables(stack_graph, "web")
    assert (env["LISTENER_ARN"], env["PRODUCTION_RULE_ARNS"]) == (
        listener, state_of(stack_graph, RULE, "load-balancer-web")["arn"])
    hooks = one(stack_graph, "aws:ecs/service:Service", "web")["inputs"]["deploymentConfiguration"]["lifecycleHooks"]
    assert [h["lifecycleStages"] for h in hooks] == [SYNC]


def test_a_public_service_without_migrations_gets_a_guarding_hook():
    graph = prod_opened_up()
    function = one(graph, FUNCTION, "bot-migrations")["inputs"]
    assert (function["name"], function["description"]) == (
        "nodeapi-prod-bot-deploy-hook", "ECS lifecycle hook: guards nodeapi-prod-bot deployments")
    env = variables(graph, "bot")
    assert env["MIGRATION_COMMAND"] == "" and env["PRODUCTION_RULE_ARNS"] == state_of(graph, RULE, "load-balancer-bot")["arn"]
    assert hook.parse_config(env).command == ()
    policy = parsed(one(graph, "aws:iam/rolePolicy:RolePolicy", "bot-migrations-role")["inputs"]["policy"])
    assert not [s for s in policy["Statement"] if "ecs:RunTask" in s["Action"] or "iam:PassRole" in s["Action"]]
    hooks = one(graph, "aws:ecs/service:Service", "bot")["inputs"]["deploymentConfiguration"]["lifecycleHooks"]
    assert hooks == [{"lifecycleStages": SYNC, "hookTargetArn": state_of(graph, FUNCTION, "bot-migrations")["arn"],
                      "roleArn": state_of(graph, "aws:iam/role:Role", "bot-migrations-invoke")["arn"]}]


def test_rolling_services_have_no_hook():
    graph = prod_single_writer()  # web holds single-writer state: rolling, one target group
    assert not [r for r in resources(graph, FUNCTION) if r["name"] == "web-migrations"]


def test_allowed_revisions_reach_the_hook():
    from tests.conftest import graph_with
    from tests.helpers import stack_settings

    raw = stack_settings("staging")
    web = raw["services"]["web"]
    graph = graph_with("staging", services={**raw["services"], "web": {
        **web, "public": {**web["public"], "allowRolledBackRevisions": [42, 7, 42]}}})
    assert variables(graph, "web")["ALLOW_ROLLED_BACK_REVISIONS"] == "7,42"


def test_allowed_revisions_are_revision_numbers():
    def change(raw):
        raw["services"]["web"]["public"]["allowRolledBackRevisions"] = [0]
    assert settings_error("staging", change).splitlines()[1] == (
        "  services.web.public.allowRolledBackRevisions: got [0]; task definition revisions are numbers from 1")

"""contract/maintenance.py: the rules both the program and `python -m ops` build maintenance mode from."""

import pytest

from contract.maintenance import PlannedRule, Route, body_problem, chunk, plan, response_body

WEB, BOT = Route("web", (), ("/*",)), Route("bot", ("bot.example.com",), ("/telegram/*",))


@pytest.mark.parametrize("values, per_rule, used, expected", [
    (["a", "b", "c", "d", "e", "f"], 5, 0, [["a", "b", "c", "d", "e"], ["f"]]),
    (["/a/*/*", "/b/*/*", "/c/*"], 5, 0, [["/a/*/*", "/b/*/*", "/c/*"]]),  # exactly 5 wildcards fit
    (["/a/*/*", "/b/*/*", "/c/*/*"], 5, 0, [["/a/*/*", "/b/*/*"], ["/c/*/*"]]),
    (["10.0.0.1/32", "10.0.0.2/32"], 1, 0, [["10.0.0.1/32"], ["10.0.0.2/32"]]),
])
def test_chunk_keeps_order_within_both_quotas(values, per_rule, used, expected):
    assert chunk(values, per_rule, used_wildcards=used) == expected


@pytest.mark.parametrize("values, per_rule, used, message", [
    (["/*/*/*/*/*/*"], 5, 0, "path pattern /*/*/*/*/*/* has more than 5 wildcards"),
    (["/a/*"], 5, 5, "path pattern /a/* has more than 0 wildcards"),
    (["x"], 0, 0, "no condition values left in the rule for ['x']"),
])
def test_chunk_refuses_what_no_rule_can_hold(values, per_rule, used, message):
    with pytest.raises(ValueError) as raised:
        chunk(values, per_rule, used_wildcards=used)
    assert str(raised.value) == message


def test_plan_bypasses_admins_then_addresses_along_every_route_then_answers_503():
    assert plan([BOT, WEB], BOT, ["/admin/*"], ["203.0.113.7/32"]) == [
        PlannedRule({"host-header": ["bot.example.com"], "path-pattern": ["/admin/*"]}, BOT),
        PlannedRule({"host-header": ["bot.example.com"], "path-pattern": ["/telegram/*"],
                     "source-ip": ["203.0.113.7/32"]}, BOT),
        PlannedRule({"path-pattern": ["/*"], "source-ip": ["203.0.113.7/32"]}, WEB),
        PlannedRule({"path-pattern": ["/*"]}, None),
    ]
    assert plan([WEB], None, ["/admin/*"], []) == [PlannedRule({"path-pattern": ["/*"]}, None)]


def test_plan_refuses_a_route_with_no_room_for_the_address_condition():
    full = Route("api", ("a.example.com", "b.example.com"), ("/a", "/b", "/c"))
    with pytest.raises(ValueError) as raised:
        plan([full], None, [], ["203.0.113.7/32"])
    assert str(raised.value) == ("the route of service 'api' uses all 5 condition values of a rule; no room for the "
                                 "allowed-CIDR bypass")


def test_the_503_body_fits_the_alb_limit_or_says_by_how_much():
    assert response_body("down") == '{"error":"maintenance","message":"down"}'
    assert body_problem("x" * 988) is None  # 36 bytes of JSON around it: exactly 1024
    assert body_problem("x" * 989) == "the 503 JSON body would be 1025 bytes; the ALB allows at most 1024"
    # json.dumps escapes non-ASCII (é is \\u00e9, 6 bytes): the limit counts the escaped body
    assert body_problem("é" * 500) == "the 503 JSON body would be 3036 bytes; the ALB allows at most 1024"

"""The exchange gateway's decision endpoint (办法§14, §24, §27): held-out style calls against one authorization
that binds a 管控参数 and refuses one data item; its own credential kind; every decision recorded as a call."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.auth.services import create_gateway_credential, revoke_gateway_credential
from app.engine import runtime
from app.errors import ValidationFailed
from app.extensions import db
from app.sharing import services
from app.sharing.models import ApplicationLine, Authorization
from app.supervision.models import CallFlag, DataCall
from tests.conftest import api_token, bearer, captured_sql, login, user
from tests.integration.test_sharing import application_data, at, task

SYSTEM = "湖北省社会救助信息系统"


def _granted_with_binding() -> tuple[Authorization, list[str], str]:
    """武汉市民政局's authorization for 人口基础信息, one item refused, 行政区划代码 bound to 420100."""
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(user("wh_applicant"), application_data("人口基础信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("wh_operator"), {"accepted": True})
    runtime.complete_task(task(number, "upper_check").id, user("hb_operator"), {"accepted": True})
    provider = task(number, "provider_authorization")
    schema = runtime.task_form(provider)
    assert "行政区划代码" in schema["properties"]["bound_parameters"]["errorMessage"]
    line = services.applications_of(user("wh_applicant").department_id)[0].lines[0]
    refused = line.items[-1]
    with pytest.raises(ValidationFailed) as wrong:  # only the resource's 管控参数 can be bound
        runtime.complete_task(
            provider.id, user("gat_provider"), {"granted": True, "bound_parameters": "公民身份号码=1"}
        )
    assert "行政区划代码" in wrong.value.fields["bound_parameters"]
    runtime.complete_task(
        provider.id,
        user("gat_provider"),
        {
            "granted": True,
            "refused_items": [refused],
            "reasons": f"{refused}不属于核验所需",
            "basis": "办法§14",
            "bound_parameters": "行政区划代码=420100",
        },
    )
    authorization = db.session.scalars(db.select(Authorization)).one()
    assert authorization.bound_parameters == {"行政区划代码": ["420100"]}
    credential, plain = create_gateway_credential("楚天云交换网关", user("admin"))
    db.session.commit()
    return authorization, [i for i in line.items if i != refused][:2], plain


def _ask(client, token: str, **overrides):
    body = {
        "caller_uscc": user("wh_applicant").department.uscc,
        "business_system": SYSTEM,
        "resource_code": db.session.get(Authorization, 1).resource.code,
        "items": [],
        "parameters": {"行政区划代码": "420100"},
    } | overrides
    return client.post("/api/v1/authorizations/check", json=body, headers=bearer(token))


def test_held_out_style_calls_are_permitted_or_denied_with_the_right_reason(app, client, content):
    authorization, granted, token = _granted_with_binding()
    refused = authorization.line.refused_items[0]
    permit = _ask(client, token, items=granted).get_json()
    assert (permit["decision"], permit["reason"], permit["authorization_id"]) == (
        "permit",
        "permitted",
        authorization.id,
    )
    cases = {
        "wrong_system": {"business_system": "武汉市城市大脑"},
        "item_not_granted": {"items": [*granted, refused]},
        "parameter_outside_binding": {"parameters": {"行政区划代码": "420200"}},
        "parameter_missing": {"parameters": {}},
        "no_authorization": {"caller_uscc": user("rst_applicant").department.uscc},  # another department
        "expired": {"at": (clock.now() + timedelta(days=400)).isoformat()},
        "not_yet_valid": {"at": "2026-09-01T10:00:00+08:00"},
        "unknown_caller": {"caller_uscc": "91420000000000000X"},
    }
    for reason, change in cases.items():
        answer = _ask(client, token, **({"items": granted} | change)).get_json()
        assert (answer["decision"], answer["reason"]) == ("deny", reason), (reason, answer)
        assert answer["message"]
    services.revoke_authorization(
        user("gat_provider"), db.session.get(Authorization, authorization.id), "停止共享"
    )
    db.session.commit()
    assert _ask(client, token, items=granted).get_json()["reason"] == "revoked"  # at once
    flags = [
        c.flag
        for c in db.session.scalars(
            db.select(DataCall).where(DataCall.source == "gateway").order_by(DataCall.id)
        )
    ]
    assert len(flags) == 1 + len(cases) + 1 and flags[0] is None
    assert {
        CallFlag.WRONG_SYSTEM,
        CallFlag.ITEM_NOT_GRANTED,
        CallFlag.PARAMETER_OUTSIDE,
        CallFlag.REVOKED,
        CallFlag.OUTSIDE_VALIDITY,
        CallFlag.NO_AUTHORIZATION,
    } <= set(flags)
    _ask(client, token, items=granted, record=False)
    assert db.session.scalar(db.select(db.func.count(DataCall.id))) == len(flags)  # asked only


def test_only_a_gateway_credential_may_ask(app, client, content):
    authorization, granted, token = _granted_with_binding()
    clerk = api_token(app, "wh_applicant")
    for header in ({}, bearer(clerk), bearer("gw_" + "x" * 43)):
        answer = client.post("/api/v1/authorizations/check", json={}, headers=header)
        assert answer.status_code == 401 and answer.get_json()["error"]["code"] in (
            "gateway_only",
            "unauthorized",
        )
    assert client.get("/api/v1/authorizations", headers=bearer(token)).status_code == 401  # nothing else
    bad = _ask(client, token, caller_uscc="123", items="不是列表")
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) >= {"caller_uscc", "items"}
    revoke_gateway_credential(1, user("admin"))
    db.session.commit()
    assert _ask(client, token, items=granted).status_code == 401


def test_a_withdrawn_resource_or_item_is_no_longer_served_and_its_holders_are_told(app, client, content):
    """#28 items 4, 5: withdrawal acts at once at the gateway, with its own reason; the holders are told with a
    link, and their authorization page shows it."""
    from app.catalog import services as catalog
    from app.catalog.models import Resource
    from app.notices.models import Notification

    authorization, granted, token = _granted_with_binding()
    assert _ask(client, token, items=granted).get_json()["decision"] == "permit"
    resource = db.session.get(Resource, authorization.resource_id)
    # An item turned 不予共享 in the version in force: calls asking for it are denied, others still served.
    item = next(i for i in resource.current_version.items if i.name == granted[0])
    item.share_type = "not_shared"
    db.session.commit()
    denied = _ask(client, token, items=granted).get_json()
    assert (denied["decision"], denied["reason"]) == ("deny", "item_withdrawn"), denied
    assert _ask(client, token, items=granted[1:]).get_json()["decision"] == "permit"
    item.share_type = None
    db.session.commit()
    catalog.withdraw_resource(user("gat_provider"), resource, "数据源停止维护")
    db.session.commit()
    answer = _ask(client, token, items=granted).get_json()
    assert (answer["decision"], answer["reason"], answer["authorization_id"]) == (
        "deny",
        "resource_withdrawn",
        authorization.id,
    )
    told = db.session.scalars(
        db.select(Notification).where(
            Notification.recipient_department_id == user("wh_applicant").department_id,
            Notification.message.contains("已撤销"),
        )
    ).all()
    assert told and told[0].link == f"/catalog/resources/{resource.code}"
    holder = app.test_client()
    login(holder, "wh_applicant")
    assert "资源已撤销或不再共享，不能调用" in holder.get("/authorizations").get_data(as_text=True)


def test_the_reason_names_the_authorization_of_the_callers_own_system(app, client, content):
    """After a revocation, a department holding another authorization of the resource for another system is told
    "revoked" for the revoked system's calls, not "wrong_system" about the other one (#28 item 5)."""
    authorization, granted, token = _granted_with_binding()
    data = application_data("人口基础信息", business_system="武汉市城市大脑")
    number = services.submit_application(user("wh_applicant"), data).number
    runtime.complete_task(task(number, "normative_check").id, user("wh_operator"), {"accepted": True})
    runtime.complete_task(task(number, "upper_check").id, user("hb_operator"), {"accepted": True})
    runtime.complete_task(
        task(number, "provider_authorization").id,
        user("gat_provider"),
        {"granted": True, "bound_parameters": "行政区划代码=420100"},
    )
    assert db.session.scalar(db.select(db.func.count(Authorization.id))) == 2
    services.revoke_authorization(
        user("gat_provider"), db.session.get(Authorization, authorization.id), "停止"
    )
    db.session.commit()
    answer = _ask(client, token, items=granted).get_json()
    assert (answer["reason"], answer["authorization_id"]) == ("revoked", authorization.id)


def test_a_check_is_one_lookup_and_its_record_one_insert(app, client, content):
    """#30: the credential is one statement; the caller, the resource, whether it still shares and the caller's
    authorizations of it another; the record is one INSERT — three statements, denials as cheap as permits."""
    _authorization, items, token = _granted_with_binding()
    assert (
        _ask(client, token).get_json()["decision"] == "permit"
    )  # the credential's use is noted once a minute
    body = {
        "caller_uscc": user("wh_applicant").department.uscc,
        "business_system": SYSTEM,
        "resource_code": db.session.get(Authorization, 1).resource.code,
        "parameters": {"行政区划代码": "420100"},
    }
    with app.app_context(), captured_sql() as statements:
        permitted = client.post(
            "/api/v1/authorizations/check", json=body | {"items": items}, headers=bearer(token)
        ).get_json()
        denied = client.post(
            "/api/v1/authorizations/check", json=body | {"business_system": "别的系统"}, headers=bearer(token)
        ).get_json()
    assert (permitted["decision"], denied["reason"]) == ("permit", "wrong_system")
    lookups = [
        s for s in statements if s.lstrip().upper().startswith("SELECT") and "share_authorization" in s
    ]
    assert len(lookups) == 2 and all("department" in s and "data_item" in s for s in lookups)
    credentials = [s for s in statements if "gateway_credential" in s]
    assert len(credentials) == 2 and all(s.lstrip().upper().startswith("SELECT") for s in credentials)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 2 and all("data_call" in s for s in inserts)
    assert len(statements) == 6, statements


def _copies(authorization: Authorization, count: int, **changes) -> list[Authorization]:
    """`count` more authorizations like `authorization` (each on a line of its own), with `changes`."""
    made = []
    for _ in range(count):
        line = ApplicationLine(
            application_id=authorization.line.application_id,
            resource_id=authorization.resource_id,
            resource_version_id=authorization.line.resource_version_id,
            items=authorization.line.items,
            route="provider",
            provider_department_id=authorization.line.provider_department_id,
            decision="granted",
        )
        db.session.add(line)
        db.session.flush()
        fields = {
            "line_id": line.id,
            "applicant_department_id": authorization.applicant_department_id,
            "resource_id": authorization.resource_id,
            "items": authorization.items,
            "bound_parameters": authorization.bound_parameters,
            "purpose": authorization.purpose,
            "business_system": authorization.business_system,
            "scope": authorization.scope,
            "valid_from": authorization.valid_from,
            "valid_to": authorization.valid_to,
            "decided_at": authorization.decided_at,
        } | changes
        made.append(Authorization(**fields))
        db.session.add(made[-1])
    db.session.flush()
    return made


def test_a_caller_holding_many_authorizations_of_a_resource_gets_the_same_decision(app, client, content):
    """#30: a check reads at most LOOKUP_ROWS of the caller's authorizations of a resource, its own system's
    valid ones first — newer expired, revoked and other systems' ones do not hide the one that permits, and
    when more valid ones than that are held every one is read."""
    from app.sharing.gateway import LOOKUP_ROWS

    authorization, granted, token = _granted_with_binding()
    refused = authorization.line.refused_items[0]
    long_ago = authorization.valid_from - timedelta(days=400)
    _copies(authorization, LOOKUP_ROWS, valid_from=long_ago, valid_to=long_ago + timedelta(days=30))
    _copies(authorization, LOOKUP_ROWS, revoked_at=clock.now() - timedelta(days=1))
    _copies(authorization, LOOKUP_ROWS, business_system=" 武汉市  城市大脑 ")
    db.session.commit()
    answer = _ask(client, token, items=granted).get_json()
    assert (answer["decision"], answer["authorization_id"]) == ("permit", authorization.id)
    other = _ask(
        client, token, items=granted, business_system="武汉市 城市大脑"
    ).get_json()  # spaces collapsed
    assert other["decision"] == "permit" and other["authorization_id"] != authorization.id
    assert _ask(client, token, items=[refused]).get_json()["reason"] == "item_not_granted"
    # more valid ones of the system than one read holds, only the oldest granting the refused item
    _copies(authorization, LOOKUP_ROWS + 2)
    oldest = db.session.get(Authorization, authorization.id)
    oldest.items = [*oldest.items, refused]
    db.session.commit()
    answer = _ask(client, token, items=[refused]).get_json()
    assert (answer["decision"], answer["authorization_id"]) == ("permit", authorization.id)


def test_the_provider_sees_which_parameters_a_grant_can_bind_and_none_when_there_are_none(
    app, client, content
):
    """#31: 管控参数 is offered with the resource's controllable parameters named before submitting, and not
    offered at all for a resource that has none (§11)."""
    from tests.conftest import login

    at("2026-11-02T10:00:00+08:00")
    bound = services.submit_application(user("wh_applicant"), application_data("人口基础信息")).number
    runtime.complete_task(task(bound, "normative_check").id, user("wh_operator"), {"accepted": True})
    runtime.complete_task(task(bound, "upper_check").id, user("hb_operator"), {"accepted": True})
    plain = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(plain, "normative_check").id, user("hb_operator"), {"accepted": True})
    with_parameters = runtime.task_form(task(bound, "provider_authorization"))["properties"]
    assert "可限定的参数：行政区划代码" in with_parameters["bound_parameters"]["description"]
    without = runtime.task_form(task(plain, "provider_authorization"))["properties"]
    assert "bound_parameters" not in without and "refused_items" in without
    plain_task = task(plain, "provider_authorization").id
    db.session.commit()
    login(client, "mz_clerk")
    page = client.get(f"/tasks/{plain_task}").get_data(as_text=True)
    assert "管控参数" not in page and "授权决定" in page


def test_the_provider_binds_a_parameter_in_its_own_box_and_a_wrong_value_is_named_inline(
    app, client, demo_content
):
    """#31: the grant form offers one value box per controllable parameter of the resource (not a blind text
    box); a value that cannot be a parameter value is refused on the field, in Chinese, nothing lost; the
    values given bind the authorization (§11)."""
    from tests.conftest import csrf_token, login

    with app.app_context():
        at("2026-11-02T10:00:00+08:00")
        number = services.submit_application(user("wh_applicant"), application_data("人口基础信息")).number
        runtime.complete_task(task(number, "normative_check").id, user("wh_operator"), {"accepted": True})
        runtime.complete_task(task(number, "upper_check").id, user("hb_operator"), {"accepted": True})
        provider = task(number, "provider_authorization").id
        db.session.commit()
    login(client, "gat_provider")
    page = client.get(f"/tasks/{provider}").get_data(as_text=True)
    assert "<legend>管控参数限定（§11）</legend>" in page
    assert 'name="bound_parameters.行政区划代码"' in page and 'name="bound_parameters"' not in page
    form = {"csrf_token": csrf_token(client, f"/tasks/{provider}"), "granted": "true"}
    wrong = client.post(f"/tasks/{provider}/complete", data=form | {"bound_parameters.行政区划代码": "a=b"})
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert 'id="e-bound_parameters"' in body and "参数名应为：行政区划代码" in body
    assert 'value="a=b"' in body  # kept for correcting
    done = client.post(
        f"/tasks/{provider}/complete", data=form | {"bound_parameters.行政区划代码": "420100, 420102"}
    )
    assert done.status_code == 302
    with app.app_context():
        authorization = db.session.scalars(db.select(Authorization)).one()
        assert authorization.bound_parameters == {"行政区划代码": ["420100", "420102"]}

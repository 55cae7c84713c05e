"""批量办理 (#15): 50 normative checks in one action, two of them handled meanwhile by someone else → 48 done,
2 reported; tasks of different steps, or a form that depends on the case, are refused."""

from __future__ import annotations

import re

from app.engine import runtime
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db
from app.sharing import services
from tests.conftest import csrf_token, login, user
from tests.integration.test_sharing import application_data, at


def _checks(app, count: int) -> list[str]:
    with app.app_context():
        at("2026-11-02T10:00:00+08:00")
        for _n in range(count):
            services.submit_application(user("rst_applicant"), application_data("婚姻登记信息"))
        return list(
            db.session.scalars(
                db.select(HumanTask.id)
                .where(HumanTask.spec_name == "normative_check", HumanTask.status == TaskStatus.OPEN)
                .order_by(HumanTask.id)
            )
        )


def test_fifty_normative_checks_in_one_action_two_changed_meanwhile(app, client, demo_content):
    ids = _checks(app, 50)
    assert len(ids) >= 50
    ids = ids[:50]
    login(client, "hb_operator")
    listing = client.get("/tasks?scope=queue&size=100").get_data(as_text=True)
    assert all(f'name="task" value="{task_id}"' in listing for task_id in ids)
    query = "&".join(f"task={task_id}" for task_id in ids)
    page = client.get(f"/tasks/batch?{query}").get_data(as_text=True)
    assert "所选 50 件" in page and 'data-count="50"' in page and "batch.js" in page
    token = csrf_token(client, f"/tasks/batch?{query}")
    with app.app_context():  # someone else handles two of them meanwhile
        for task_id in ids[10:12]:
            runtime.complete_task(task_id, user("hb_operator"), {"accepted": True})
    empty = client.post("/tasks/batch", data={"csrf_token": token, "task": ids})
    assert empty.status_code == 422 and "请填写检查结论" in empty.get_data(as_text=True)  # nothing done
    done = client.post("/tasks/batch", data={"csrf_token": token, "task": ids, "accepted": "true"})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "48 件办结，2 件未办结" in html
    failed = re.findall(r'<span class="badge badge-err">未办结</span> ([^<]+)', html)
    assert len(failed) == 2 and all("已经办结" in reason for reason in failed)  # changed by someone else
    with app.app_context():
        still_open = db.session.scalar(
            db.select(db.func.count(HumanTask.id)).where(
                HumanTask.id.in_(ids), HumanTask.status == TaskStatus.OPEN
            )
        )
        assert still_open == 0


def test_a_batch_must_be_one_step_with_a_form_independent_of_the_case(app, client, demo_content):
    ids = _checks(app, 2)
    with app.app_context():
        runtime.complete_task(ids[0], user("hb_operator"), {"accepted": True})
        provider = db.session.scalar(
            db.select(HumanTask.id).where(
                HumanTask.spec_name == "provider_authorization", HumanTask.status == TaskStatus.OPEN
            )
        )
    login(client, "hb_operator")
    mixed = client.get(f"/tasks/batch?task={ids[1]}&task={provider}", follow_redirects=True)
    assert "只能批量办理同一环节、同一表单的事项" in mixed.get_data(as_text=True)
    provider_clerk = client.application.test_client()
    login(provider_clerk, "mz_clerk")
    case_bound = provider_clerk.get(f"/tasks/batch?task={provider}", follow_redirects=True)
    assert "请逐件办理" in case_bound.get_data(as_text=True)

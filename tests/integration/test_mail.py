"""Notices by e-mail (#15), against a local SMTP server (aiosmtpd): a user who chose e-mail gets each notice
and a daily digest; with the server down, mails are kept and sent after it returns; never twice."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from app import clock
from app.engine import runtime
from app.extensions import db
from app.inbox import urging
from app.notices import mailer
from app.notices.models import MailOutbox
from app.scheduler import deliver_mail
from app.sharing import services
from tests.conftest import csrf_token, login, user
from tests.integration.test_sharing import application_data, at, task


class Inbox:
    """The local mail server's handler: keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = message_from_bytes(envelope.content, policy=default)
        text = f"{message['Subject']}\n{message.get_body().get_content()}"
        self.messages.append((list(envelope.rcpt_tos), text))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    """A local SMTP server that can go down and come back on the same port."""

    def __init__(self, inbox: Inbox, port: int) -> None:
        self.inbox, self.port, self.controller = inbox, port, None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    port = _free_port()
    inbox = Inbox()
    server = MailServer(inbox, port)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    server.start()
    yield inbox, server
    server.stop()
    app.config.update(MAIL_SERVER="")


def test_a_clerk_who_chose_email_gets_notices_and_nothing_is_lost_while_the_server_is_down(
    app, client, demo_content, smtp
):
    inbox, controller = smtp
    login(client, "mz_clerk")
    token = csrf_token(client, "/profile")
    bad = client.post(
        "/profile/notices",
        data={"csrf_token": token, "notice_channel": "email", "email": ""},
        follow_redirects=True,
    )
    assert "选择邮件通知时请填写电子邮箱" in bad.get_data(as_text=True)
    client.post(
        "/profile/notices",
        data={"csrf_token": token, "notice_channel": "email", "email": "mz@example.gov.cn"},
    )
    with app.app_context():
        at("2026-11-02T10:00:00+08:00")
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
        provider_task = task(number, "provider_authorization").id
        runtime.claim_task(provider_task, user("mz_clerk"))
        urging.urge_task(provider_task, user("hb_operator"), "请尽快答复")  # a notice to mz_clerk
        assert mailer.pending() >= 1
        assert deliver_mail()["sent"] >= 1 and mailer.pending() == 0
        assert any(to == ["mz@example.gov.cn"] and "请尽快答复" in text for to, text in inbox.messages)
        sent = len(inbox.messages)
        assert deliver_mail()["sent"] == 0 and len(inbox.messages) == sent  # never twice

        controller.stop()  # the mail server goes down
        urging.urge_task(provider_task, user("supervisor"), "今日内答复")
        down = deliver_mail()
        assert (down["sent"], down["failed"]) == (0, 1) and mailer.pending() == 1
        kept = db.session.scalars(db.select(MailOutbox).where(MailOutbox.sent_at.is_(None))).one()
        assert kept.attempts == 1 and kept.last_error
        controller.start()  # back again
        assert deliver_mail()["sent"] == 0  # it waits its pause first
        clock.advance(timedelta(minutes=2))
        assert deliver_mail()["sent"] == 1 and mailer.pending() == 0
        assert any("今日内答复" in text for _to, text in inbox.messages)


def test_the_daily_digest_lists_tasks_due_today_and_overdue_once(app, demo_content, smtp):
    inbox, _controller = smtp
    with app.app_context():
        clerk = user("mz_clerk")
        clerk.email, clerk.notice_channel = "mz@example.gov.cn", "email"
        db.session.commit()
        at("2026-11-02T10:00:00+08:00")
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
        provider_task = task(number, "provider_authorization")
        runtime.claim_task(provider_task.id, clerk)
        assert mailer.queue_digests(provider_task.due_date - timedelta(days=1)) == 0  # nothing due yet
        assert mailer.queue_digests(provider_task.due_date) == 1
        assert mailer.queue_digests(provider_task.due_date) == 0  # once a day
        db.session.commit()
        deliver_mail()
        (digest,) = [text for to, text in inbox.messages if "待办提醒" in text]
        assert "今日到期" in digest and number in digest

"""Notices by e-mail (#15): users who chose e-mail get each in-app notice addressed to them (or to their role and
department) as a mail too, and a daily digest of their tasks due today and overdue.

Mails are written to an outbox in the transaction that creates the notice, and sent later by the scheduler
(app/scheduler.py `deliver_mail`: due → claim, commit → send outside any transaction → settle, commit): no
network call happens inside a business transaction, a mail server that is down loses nothing (the row stays
and is retried with a growing pause), and several schedulers never send one mail twice (each row is claimed by
a conditional UPDATE, committed, before the mail server is called).
"""

from __future__ import annotations

import smtplib
from datetime import date, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db, rows_changed, stored
from app.notices.models import MailOutbox, Notification
from app.org.models import User, UserRole

EMAIL = "email"
RETRY_MINUTES = (1, 5, 15, 60, 240)  # then every 240 minutes, until it goes
CLAIM_MINUTES = 10  # a claimed mail not marked sent by then (the sender died) is tried again


def enabled() -> bool:
    """Is a mail server configured?"""
    return bool(current_app.config.get("MAIL_SERVER"))


def recipients(note: Notification) -> list[User]:
    """The users who chose e-mail among those a notice is for."""
    query = select(User).where(User.active.is_(True), User.notice_channel == EMAIL, User.email.is_not(None))
    if note.recipient_user_id is not None:
        query = query.where(User.id == note.recipient_user_id)
    else:
        if note.recipient_department_id is not None:
            query = query.where(User.department_id == note.recipient_department_id)
        if note.recipient_role is not None:
            query = query.where(
                User.id.in_(select(UserRole.user_id).where(UserRole.role == note.recipient_role))
            )
    return list(db.session.scalars(query))


def enqueue(to_address: str, subject: str, body: str, key: str | None = None) -> MailOutbox | None:
    """Keep a mail for sending (in the caller's transaction); None when one with this key is already kept."""
    now = clock.now()
    row = MailOutbox(
        key=key,
        to_address=to_address,
        subject=subject[:200],
        body=body,
        created_at=now,
        next_attempt_at=now,
        attempts=0,
    )
    if key is None:
        db.session.add(row)
        return row
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    return row


def mail_notice(note: Notification) -> int:
    """The notice as mails to those who chose e-mail; returns how many were kept."""
    if not enabled():
        return 0
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    body = (
        note.message + (f"\n\n{base}{note.link}" if note.link else "") + "\n\n— GovShare 政务信息资源共享平台"
    )
    count = 0
    for user in recipients(note):  # each has an address (recipients asks for it)
        enqueue(user.email or "", f"[GovShare] {note.message[:60]}", body)
        count += 1
    return count


def queue_digests(day: date) -> int:
    """Once a day: each user who chose e-mail gets the open tasks they hold that are due today or overdue."""
    if not enabled():
        return 0
    users = db.session.scalars(
        select(User).where(User.active.is_(True), User.notice_channel == EMAIL, User.email.is_not(None))
    )
    kept = 0
    for user in users:
        tasks = list(
            db.session.scalars(
                select(HumanTask)
                .where(
                    HumanTask.assignee_id == user.id,
                    HumanTask.status == TaskStatus.OPEN,
                    HumanTask.due_date.is_not(None),
                    HumanTask.due_date <= day,
                )
                .order_by(HumanTask.due_date)
            )
        )
        if not tasks:
            continue
        lines = [
            f"{'今日到期' if task.due_date == day else '已超期'}：{task.label}（{task.business_key}，期限 {task.due_date}）"
            for task in tasks
        ]
        body = f"{user.display_name}，您好：\n\n" + "\n".join(lines) + "\n\n— GovShare 政务信息资源共享平台"
        if (
            enqueue(
                user.email or "",  # the query asks for users with an address
                f"[GovShare] 待办提醒 {day.isoformat()}：{len(tasks)} 件",
                body,
                key=f"digest:{user.id}:{day.isoformat()}",
            )
            is not None
        ):
            kept += 1
    return kept


def due_mail_ids(limit: int = 100) -> list[int]:
    """Mails waiting to be sent whose time has come, oldest first."""
    if not enabled():
        return []
    return list(
        db.session.scalars(
            select(MailOutbox.id)
            .where(MailOutbox.sent_at.is_(None), MailOutbox.next_attempt_at <= clock.now())
            .order_by(MailOutbox.id)
            .limit(limit)
        )
    )


def claim(mail_id: int) -> dict | None:
    """Take one mail for sending (a conditional UPDATE: one process wins): its address, subject and body, or
    None when another process has it. The caller commits the claim before it sends, so the mail server is
    never called inside a transaction. A claim not settled in CLAIM_MINUTES expires."""
    now = clock.now()
    taken = rows_changed(
        update(MailOutbox)
        .where(MailOutbox.id == mail_id, MailOutbox.sent_at.is_(None), MailOutbox.next_attempt_at <= now)
        .values(next_attempt_at=now + timedelta(minutes=CLAIM_MINUTES))
    )
    if taken != 1:
        return None
    mail = stored(MailOutbox, mail_id)
    return {"to": mail.to_address, "subject": mail.subject, "body": mail.body}


def send(mail: dict) -> str | None:
    """Hand one claimed mail to the mail server; the error in words when it did not take it."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM", "govshare@localhost")
    message["To"] = mail["to"]
    message["Subject"] = mail["subject"]
    message.set_content(mail["body"])
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    try:
        with smtp_class(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 25)), timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as err:
        return f"{type(err).__name__}: {err}"
    return None


def settle(mail_id: int, error: str | None) -> bool:
    """Record how sending went: sent, or wait a growing pause (RETRY_MINUTES) and try again. True if sent."""
    mail = db.session.get(MailOutbox, mail_id)
    if mail is None:
        return False
    mail.attempts += 1
    if error is None:
        mail.sent_at, mail.last_error = clock.now(), None
        return True
    pause = RETRY_MINUTES[min(mail.attempts, len(RETRY_MINUTES)) - 1]
    mail.next_attempt_at = clock.now() + timedelta(minutes=pause)
    mail.last_error = error[:1000]
    return False


def pending() -> int:
    """Mails not yet sent."""
    return db.session.scalar(select(db.func.count(MailOutbox.id)).where(MailOutbox.sent_at.is_(None))) or 0

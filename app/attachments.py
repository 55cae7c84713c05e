"""Attachments (e.g. an application's supporting documents, 办法§13): stored in the database, so every app
process sees them and a backup holds them; checked for size and type; downloaded only by those who may see the
case they belong to, and never rendered inline."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from flask import Response
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, defer, mapped_column

from app import clock
from app.db_types import UTCDateTime
from app.errors import ValidationFailed
from app.extensions import Model, db

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
# Extension → (content type, accepted leading bytes). Office formats and OFD are zip containers.
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF",)),
    "png": ("image/png", (b"\x89PNG",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "ofd": ("application/ofd", (b"PK\x03\x04",)),
}


class Attachment(Model):
    """A stored file belonging to one owner (owner_type + owner_id)."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[int] = mapped_column(Integer)
    # a finer owner inside owner_id: the step (task id) an opinion's file belongs to, owner_id its instance
    owner_key: Mapped[str | None] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (db.Index("ix_attachment_owner", "owner_type", "owner_id"),)


@dataclass(frozen=True)
class Upload:
    """A file as received: its name and bytes."""

    filename: str
    content: bytes


def uploads(files) -> list[Upload]:
    """The files a form sent in its `attachments` field (a request's `files`), empty parts left out."""
    return [Upload(f.filename, f.read()) for f in files.getlist("attachments") if f and f.filename]


def safe_name(filename: str) -> str:
    """The base name without path parts or control characters, at most 200 characters."""
    name = re.split(r"[\\\\/]", filename or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "_", name).strip(" .")
    return (name or "file")[-200:]


def check(uploads: list[Upload], existing: int = 0) -> dict[str, str]:
    """Per-file problems (field "attachments"): count, size, type and content must agree."""
    problems = []
    if existing + len(uploads) > MAX_FILES:
        problems.append(f"附件最多 {MAX_FILES} 个")
    for upload in uploads:
        name = safe_name(upload.filename)
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in ALLOWED:
            problems.append(f"“{name}”的类型不允许（可上传：{'、'.join(sorted(ALLOWED))}）")
        elif not upload.content.startswith(ALLOWED[extension][1]):
            problems.append(f"“{name}”的内容与扩展名不符")
        if len(upload.content) > MAX_BYTES:
            problems.append(f"“{name}”超过 {MAX_BYTES // 1024 // 1024} MB")
        if not upload.content:
            problems.append(f"“{name}”是空文件")
    return {"attachments": "；".join(problems)} if problems else {}


def store(
    owner_type: str, owner_id: int, uploads: list[Upload], user_id: int, key: str | None = None
) -> list[Attachment]:
    """Store checked uploads in the caller's transaction (`key`: the finer owner, see Attachment.owner_key)."""
    existing = db.session.scalar(
        db.select(db.func.count(Attachment.id)).where(
            Attachment.owner_type == owner_type,
            Attachment.owner_id == owner_id,
            Attachment.owner_key.is_(None) if key is None else Attachment.owner_key == key,
        )
    )
    errors = check(uploads, existing or 0)
    if errors:
        raise ValidationFailed(_("附件不符合要求"), fields=errors)
    rows = []
    for upload in uploads:
        name = safe_name(upload.filename)
        extension = name.rsplit(".", 1)[-1].lower()
        rows.append(
            Attachment(
                owner_type=owner_type,
                owner_id=owner_id,
                owner_key=key,
                filename=name,
                content_type=ALLOWED[extension][0],
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                data=upload.content,
                uploaded_by_id=user_id,
                uploaded_at=clock.now(),
            )
        )
    db.session.add_all(rows)
    return rows


# Files sent with a form that had another error are held for their uploader, so a corrected form need not
# carry them again (a browser cannot refill a file field); submitting the form adopts them.
HELD = "held"


def hold(uploads: list[Upload], user_id: int) -> list[Attachment]:
    """Keep acceptable uploads of a refused form for `user_id` (in the caller's transaction)."""
    return store(HELD, user_id, uploads, user_id) if uploads and not check(uploads) else []


def held(user_id: int, ids: list[str]) -> list[Attachment]:
    """The user's held files among `ids` (ids of other people's files, or not held, are ignored)."""
    wanted = [int(i) for i in ids if str(i).isdigit() and len(str(i)) < 10]
    if not wanted:
        return []
    return list(
        db.session.scalars(
            db.select(Attachment)
            .options(defer(Attachment.data))
            .where(Attachment.owner_type == HELD, Attachment.owner_id == user_id, Attachment.id.in_(wanted))
        )
    )


def adopt(rows: list[Attachment], owner_type: str, owner_id: int, key: str | None = None) -> None:
    """Give held files their owner (in the caller's transaction)."""
    for row in rows:
        row.owner_type, row.owner_id, row.owner_key = owner_type, owner_id, key


def retire(row: Attachment) -> None:
    """Take a file out of its owner's file (a 补正 replaced it); kept, out of sight, for the record (in the
    caller's transaction)."""
    row.owner_type = f"{row.owner_type}{RETIRED}"


RETIRED = ":retired"


def of(owner_type: str, owner_id: int) -> list[Attachment]:
    """An owner's attachments, without loading their bytes."""
    return of_owners(owner_type, [owner_id])


def of_owners(owner_type: str, owner_ids: list[int]) -> list[Attachment]:
    """The attachments of several owners of a type (a case's instances), without their bytes, oldest first."""
    if not owner_ids:
        return []
    return list(
        db.session.scalars(
            db.select(Attachment)
            .options(defer(Attachment.data))
            .where(Attachment.owner_type == owner_type, Attachment.owner_id.in_(owner_ids))
            .order_by(Attachment.id)
        )
    )


def file_response(item: Attachment) -> Response:
    """A download of a stored file: always as an attachment, its type not sniffed, not cached."""
    response = Response(item.data, mimetype=item.content_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(item.filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response

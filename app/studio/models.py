"""Studio tables: uploaded models with their reports, and drafts edited in the browser with every save."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.db_types import UTCDateTime
from app.extensions import Model


class ModelUpload(Model):
    """BPMN and form files an analyst uploaded on the process-models page: kept with their validation report
    until deployed (or left undeployed). Nothing uploaded is lost."""

    __tablename__ = "model_upload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    files: Mapped[dict] = mapped_column(JSON)  # {file name: text}, .bpmn and .json
    problems: Mapped[list] = mapped_column(JSON, default=list)  # [{"file", "line", "element_id", "message"}]
    changed: Mapped[list] = mapped_column(JSON, default=list)  # process ids that would get a new version
    status: Mapped[str] = mapped_column(String(16), default="validated")  # validated, rejected, deployed
    comment: Mapped[str | None] = mapped_column(Text)
    deployed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deployed_versions: Mapped[list | None] = mapped_column(JSON)  # ["share_application v3", …]

    uploaded_by = relationship("User")


class ModelDraft(Model):
    """An analyst's draft of one process model, edited in the browser (流程模型 → 在线编辑): opened from the
    latest deployed version, saved as often as wanted (every save kept as a revision), then checked and
    deployed through the same validation report as an upload, or discarded."""

    __tablename__ = "model_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    base_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, discarded
    xml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_upload_id: Mapped[int | None] = mapped_column(ForeignKey("model_upload.id"))

    owner = relationship("User")
    base_version = relationship("ProcessVersion")
    revisions: Mapped[list[ModelDraftRevision]] = relationship(
        back_populates="draft", order_by="ModelDraftRevision.id.desc()", cascade="all, delete-orphan"
    )


class ModelDraftRevision(Model):
    """One save of a draft: its full text, so an analyst can go back."""

    __tablename__ = "model_draft_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("model_draft.id"), index=True)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    xml: Mapped[str] = mapped_column(Text)

    draft: Mapped[ModelDraft] = relationship(back_populates="revisions")

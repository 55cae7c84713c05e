"""The weighted §28 assessment (#34): 办法§28 puts sharing into the departments' target-responsibility assessment.
The data bureau sets, per year, each indicator's weight and target; a department's points on an indicator are its
weight × min(1, value ÷ target), and its score the sum of its points over the sum of the weights, out of 100. An
indicator a department had no case of (no step to finish, no rating…) counts as met. Publishing keeps the scores
with their breakdown as they were (the 通报 shows them); later changes of weights make a new publication."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import clock
from app.access import require
from app.audit.writer import record
from app.catalog.models import Resource, ResourceStatus
from app.errors import ValidationFailed
from app.extensions import db
from app.org.models import User
from app.sharing.models import QualityIssue, ResourceRating
from app.supervision import reports, stats
from app.supervision.models import AssessmentPlan

# key → (name, what it measures)
INDICATORS = {
    "on_time": ("按时办结率", "规范性检查、授权、供需对接等环节按时办结的比例"),
    "freshness": ("目录数据及时更新率", "已发布资源中没有未办结“数据未按时更新”问题的比例"),
    "quality": ("数据质量问题办结率", "年内被提出的数据质量问题（§17）已办结的比例"),
    "rating": ("共享评价得分率", "使用部门对本部门资源评价的平均分 ÷ 5"),
    "rectification": ("按时整改率", "年内整改通知中未逾期上报的比例"),
}
DEFAULTS = {
    "on_time": {"weight": 40, "target": 0.95},
    "freshness": {"weight": 15, "target": 1.0},
    "quality": {"weight": 15, "target": 0.9},
    "rating": {"weight": 15, "target": 0.8},
    "rectification": {"weight": 15, "target": 1.0},
}


@dataclass
class Score:
    """One department's assessment: each indicator's value and points, and the total."""

    department: str
    department_id: int
    parts: dict[str, dict[str, float | None]] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(p["points"] or 0 for p in self.parts.values()), 1)


def plan_for(year: int) -> AssessmentPlan | None:
    return db.session.scalar(select(AssessmentPlan).where(AssessmentPlan.year == year))


def indicators_for(year: int) -> dict[str, dict[str, float]]:
    """The weights and targets in force for a year (the defaults until the data bureau sets its own)."""
    plan = plan_for(year)
    return plan.indicators if plan else DEFAULTS


def set_plan(actor: User, year: int, form: dict[str, Any]) -> AssessmentPlan:
    """The data bureau sets each indicator's weight (≥ 0) and target (0–1]; the weights must not all be 0."""
    require(actor, "assessment.manage")
    errors, indicators = {}, {}
    for key, (name, _what) in INDICATORS.items():
        try:
            weight = float(form.get(f"{key}_weight", ""))
            target = float(form.get(f"{key}_target", ""))
        except ValueError:
            errors[f"{key}_weight"] = f"请填写“{name}”的权重和目标值（数字）"
            continue
        if not (0 <= weight <= 100):
            errors[f"{key}_weight"] = f"“{name}”的权重应在 0–100 之间"
        if not (0 < target <= 1):
            errors[f"{key}_target"] = f"“{name}”的目标值应在 0–1 之间（如 0.95）"
        indicators[key] = {"weight": weight, "target": target}
    if not errors and not any(i["weight"] for i in indicators.values()):
        errors["on_time_weight"] = "权重不能全为 0"
    if errors:
        raise ValidationFailed(_("考核指标设置有误"), fields=errors)
    plan = plan_for(year) or AssessmentPlan(year=year)
    plan.indicators, plan.set_by_id, plan.set_at = indicators, actor.id, clock.now()
    db.session.add(plan)
    db.session.flush()
    record(
        "assessment.plan_set",
        actor=actor,
        object_type="assessment",
        object_id=str(year),
        data={"indicators": indicators},
    )
    return plan


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def scores(year: int, department_ids: list[int] | None = None) -> list[Score]:
    """Every department's score for a year under the year's weights and targets."""
    indicators = indicators_for(year)
    total_weight = sum(i["weight"] for i in indicators.values()) or 1
    cards = reports.scorecards(year, department_ids)
    ids = [c.department.id for c in cards]
    scope = stats.Scope(date(year, 1, 1), date(year, 12, 31))
    begin, end = scope.start_at, scope.end_at
    published = dict(
        db.session.execute(
            select(Resource.provider_department_id, func.count())
            .where(Resource.status == ResourceStatus.PUBLISHED, Resource.provider_department_id.in_(ids))
            .group_by(Resource.provider_department_id)
        ).all()
    )
    stale = dict(
        db.session.execute(
            select(Resource.provider_department_id, func.count(func.distinct(QualityIssue.resource_id)))
            .join(Resource, Resource.id == QualityIssue.resource_id)
            .where(
                QualityIssue.source == "freshness",
                QualityIssue.status == "open",
                Resource.provider_department_id.in_(ids),
            )
            .group_by(Resource.provider_department_id)
        ).all()
    )
    issues: dict[int, list[int]] = {}
    for department_id, status, count in db.session.execute(
        select(Resource.provider_department_id, QualityIssue.status, func.count())
        .join(Resource, Resource.id == QualityIssue.resource_id)
        .where(
            QualityIssue.raised_at >= begin,
            QualityIssue.raised_at < end,
            Resource.provider_department_id.in_(ids),
        )
        .group_by(Resource.provider_department_id, QualityIssue.status)
    ):
        counts = issues.setdefault(department_id, [0, 0])
        counts[0] += count
        counts[1] += count if status == "resolved" else 0
    ratings: dict[int, Any] = dict(
        db.session.execute(
            select(
                Resource.provider_department_id,
                func.avg(
                    (ResourceRating.timeliness + ResourceRating.accuracy + ResourceRating.completeness) / 3.0
                ),
            )
            .join(Resource, Resource.id == ResourceRating.resource_id)
            .where(
                ResourceRating.rated_at >= begin,
                ResourceRating.rated_at < end,
                Resource.provider_department_id.in_(ids),
            )
            .group_by(Resource.provider_department_id)
        ).all()
    )
    out = []
    for card in cards:
        d = card.department.id
        quality = issues.get(d, [0, 0])
        values = {
            "on_time": card.on_time_rate,
            "freshness": (1 - stale.get(d, 0) / published[d]) if published.get(d) else None,
            "quality": _ratio(quality[1], quality[0]),
            "rating": float(ratings[d]) / 5 if ratings.get(d) is not None else None,
            "rectification": (1 - card.escalated / card.rectifications) if card.rectifications else None,
        }
        score = Score(card.department.name, d)
        for key, setting in indicators.items():
            value = values.get(key)
            met = 1.0 if value is None else min(1.0, value / setting["target"])
            score.parts[key] = {
                "value": None if value is None else round(value, 4),
                "points": round(setting["weight"] * met * 100 / total_weight, 1),
            }
        out.append(score)
    return sorted(out, key=lambda s: -s.total)


def publish(actor: User, year: int) -> AssessmentPlan:
    """Keep the year's scores with their breakdown as published (the 通报 shows the newest)."""
    require(actor, "assessment.manage")
    plan = plan_for(year) or AssessmentPlan(year=year, indicators=DEFAULTS)
    plan.published = [
        {"department": s.department, "department_id": s.department_id, "score": s.total, "parts": s.parts}
        for s in scores(year)
    ]
    plan.published_at = clock.now()
    db.session.add(plan)
    db.session.flush()
    record(
        "assessment.published",
        actor=actor,
        object_type="assessment",
        object_id=str(year),
        data={"departments": len(plan.published)},
    )
    return plan

"""The route decision (§12, §18, §20, §21) lives in bpmn/share_route.dmn, called by a business rule task of
resource_authorization.bpmn. The rule as the regulation words it is written here as the table's oracle."""

from __future__ import annotations

import re
from pathlib import Path

from app.catalog.models import Resource, ResourceStatus
from app.catalog.services import has_controlled_parameters
from app.engine.models import HumanTask, TaskStatus
from app.engine.runtime import complete_task
from app.extensions import db
from app.org.models import Level
from app.sharing.models import ApplicationLine
from app.sharing.services import submit_application
from app.studio.decisions import decide, decision_engine
from app.studio.uploads import deploy_files
from tests.conftest import user
from tests.integration.test_sharing import application_data

ROOT = Path(__file__).resolve().parents[2]
TABLE = (ROOT / "bpmn" / "share_route.dmn").read_text(encoding="utf-8")


def oracle(resource: Resource) -> str:
    """办法§18: another province's (national) data through the 国家共享平台; §21: 无条件共享 without 管控参数
    authorized by the platform; §20: everything else by the provider."""
    if resource.provider.platform.level == Level.NATIONAL:
        return "national"
    if resource.current_version.share_type == "unconditional" and not has_controlled_parameters(resource):
        return "direct"
    return "provider"


def inputs(resource: Resource) -> dict:
    return {
        "provider_level": str(resource.provider.platform.level),
        "resource_class": resource.resource_class,
        "share_type": resource.current_version.share_type or "",
        "controlled_parameters": has_controlled_parameters(resource),
    }


def test_the_table_decides_as_the_regulation_for_every_published_resource(app, demo_content):
    with app.app_context():
        engine = decision_engine("resource_authorization", "share_route")
        resources = db.session.scalars(
            db.select(Resource).where(Resource.status == ResourceStatus.PUBLISHED)
        ).all()
        routes = {r.code: decide(engine, inputs(r))["route"] for r in resources}
        assert routes == {r.code: oracle(r) for r in resources}
        assert {"national", "direct", "provider"} <= set(routes.values())  # the demo covers every row


def _route_of_new_case(name: str) -> tuple[str, str | None]:
    number = submit_application(user("rst_applicant"), application_data(name)).number
    (check,) = db.session.scalars(db.select(HumanTask).where(HumanTask.business_key == number))
    complete_task(check.id, user("hb_operator"), {"accepted": True})
    db.session.commit()
    line = db.session.scalar(
        db.select(ApplicationLine)
        .join(ApplicationLine.application)
        .where(ApplicationLine.application.has(number=number))
    )
    step = db.session.scalar(
        db.select(HumanTask.spec_name).where(
            HumanTask.business_key == number, HumanTask.status == TaskStatus.OPEN
        )
    )
    return line.route, step


def test_a_routing_change_made_only_in_the_table_takes_effect_for_new_cases(app, demo_content, tmp_path):
    """The analyst adds a first row: 基础信息资源 always to the provider. No Python changes."""
    with app.app_context():
        assert _route_of_new_case("法人单位基础信息") == ("direct", "direct_authorization")
        changed = TABLE.replace(
            '      <rule id="rule_national">',
            """      <rule id="rule_base_to_provider">
        <description>基础信息资源一律由提供部门授权</description>
        <inputEntry id="rule_base_level"><text>-</text></inputEntry>
        <inputEntry id="rule_base_class"><text>"base"</text></inputEntry>
        <inputEntry id="rule_base_share"><text>-</text></inputEntry>
        <inputEntry id="rule_base_controlled"><text>-</text></inputEntry>
        <outputEntry id="rule_base_route"><text>"provider"</text></outputEntry>
      </rule>
      <rule id="rule_national">""",
        )
        path = tmp_path / "share_route.dmn"
        path.write_text(changed, encoding="utf-8")
        result = deploy_files([path], user("analyst"), "基础信息资源改由提供部门授权")
        assert not result.problems and sorted(v.process_id for v in result.created) == [
            "resource_authorization",
            "share_application",
        ]
        assert _route_of_new_case("法人单位基础信息") == ("provider", "provider_authorization")


def test_a_broken_table_is_reported_with_its_line_and_rule(app, client, demo_content):
    from tests.conftest import login
    from tests.integration.test_model_upload import _upload

    broken = TABLE.replace(
        '<outputEntry id="rule_direct_route"><text>"direct"</text>',
        '<outputEntry id="rule_direct_route"><text>平台 直接</text>',
    )
    broken = broken.replace(
        '<inputEntry id="rule_national_level"><text>"national"</text>',
        '<inputEntry id="rule_national_level"><text>== ==</text>',
    )
    login(client, "analyst")
    report = client.get(_upload(client, ("share_route.dmn", broken.encode())).headers["Location"])
    html = report.get_data(as_text=True)
    assert "校验未通过：2 个问题" in html
    assert "rule_national" in html and "第 1 条规则「提供部门层级」的条件不是有效的表达式" in html
    assert "rule_direct" in html and "（文字要加引号）" in html


def test_a_route_the_table_may_not_return_is_refused_at_validation(app, demo_content, tmp_path):
    """#28 item 3: the output column declares its allowed values (DMN outputValues, what the studio's table
    editor offers); a cell outside them is named with its rule, not left to become an incident."""
    from tests.integration.test_cli import run

    source = (ROOT / "bpmn" / "share_route.dmn").read_text(encoding="utf-8")
    changed = tmp_path / "share_route.dmn"
    changed.write_text(
        source.replace('<text>"provider"</text></outputEntry>', '<text>"postal"</text></outputEntry>'),
        encoding="utf-8",
    )
    result = run(app, "bpmn", "validate", str(changed))
    assert result.exit_code == 1
    assert "rule_provider: 第 3 条规则的结果「授权路径」 '\"postal\"' 不是允许的取值" in result.output


def test_the_allowed_routes_are_the_routes_the_sharing_area_knows():
    from app.sharing.services import ROUTES

    source = (ROOT / "bpmn" / "share_route.dmn").read_text(encoding="utf-8")
    declared = re.search(r"<outputValues[^>]*><text>(.*?)</text>", source).group(1)
    assert [v.strip().strip('"') for v in declared.split(",")] == list(ROUTES)


def test_validating_one_file_lays_it_over_the_deployed_models(app, demo_content):
    """#28 item 6: share_application.bpmn alone finds its deployed decision table and called process."""
    from tests.integration.test_cli import run

    result = run(app, "bpmn", "validate", str(ROOT / "bpmn" / "share_application.bpmn"))
    assert result.exit_code == 0, result.output
    assert "share_application" in result.output

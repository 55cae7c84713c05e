"""Publication (#17, 办法§26 定期公布, §28 通报): the published monthly report is visible to a provider clerk, shows
their own figures highlighted, and matches the supervisor's kept report."""

from __future__ import annotations

import re

from app.engine import runtime
from app.extensions import db
from app.sharing import services
from app.supervision import reports
from tests.conftest import login, user
from tests.integration.test_sharing import application_data, at, task


def test_a_provider_clerk_reads_the_published_report_with_its_own_row(app, client, demo_content):
    with app.app_context():
        at("2026-11-02T10:00:00+08:00")
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
        at("2026-11-20T10:00:00+08:00")  # late: due 11-16
        runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
        at("2026-12-01T03:00:00+08:00")
        report = reports.generate_last_month()
        db.session.commit()
        mine = next(
            r for r in report.figures["departments"] if r["department_id"] == user("mz_clerk").department_id
        )
        assert (mine["finished"], mine["late"]) == (1, 1)
    login(client, "mz_clerk")
    page = client.get("/supervision/bulletin").get_data(as_text=True)
    row = re.search(r'<tr class="own-row" aria-current="true">(.*?)</tr>', page, re.S).group(1)
    assert (
        "本部门" in row
        and "提供部门授权" in row
        and re.findall(r"<td>(\d+)</td>", row)[:3] == ["1", "0", "1"]
    )
    published = client.get("/supervision/bulletin/2026-11")
    supervisor = client.application.test_client()
    login(supervisor, "supervisor")
    assert published.status_code == 200
    assert published.get_data(as_text=True) == supervisor.get("/supervision/monthly/2026-11").get_data(
        as_text=True
    )
    assert client.get("/supervision/monthly/2026-11").status_code == 403  # generating stays the supervisor's


def test_the_bulletin_exports_as_a_pdf_in_chinese(app, client, demo_content):
    """Rendered to PNG (pypdfium2): the page has ink; its text has the Chinese headings and the department."""
    import pypdfium2 as pdfium

    with app.app_context():
        at("2026-11-02T10:00:00+08:00")
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
        runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
        at("2026-12-01T03:00:00+08:00")
        reports.generate_last_month()
        db.session.commit()
    login(client, "mz_clerk")
    answer = client.get("/supervision/bulletin.pdf?period=2026-11")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    document = pdfium.PdfDocument(answer.data)
    text = document[0].get_textpage().get_text_range()
    assert "政务信息资源共享 通报 2026-11" in text and "省民政厅" in text and "年度考核情况" in text
    image = document[0].render(scale=1).to_pil().convert("L")
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert dark > 1000  # glyphs were drawn (a missing font draws nothing)

"""Languages, honestly (#32): the pages are Chinese only — asking for English changes nothing, and no page
offers it — while their texts go through gettext, so the extraction of `make messages` finds them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from flask_babel import get_locale

from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


def test_asking_for_english_changes_nothing(app, client, demo_content):
    """No language but Chinese is claimed: neither ?lang=en nor a lang cookie selects another locale, and the
    page reads the same."""
    with app.test_request_context("/tasks?lang=en", headers={"Cookie": "lang=en"}):
        assert str(get_locale()) == "zh_Hans_CN"
    login(client, "rst_applicant")
    plain = client.get("/tasks").get_data(as_text=True)
    asked = client.get("/tasks?lang=en").get_data(as_text=True)

    def text(html: str) -> str:  # what a person reads (links keep the query they came with)
        return re.sub(r"<[^>]+>", "", html)

    assert '<html lang="zh-CN">' in plain and text(asked) == text(plain) and "待办" in text(plain)
    assert app.config["LANGUAGES"] == ("zh_Hans_CN",)


def test_the_pages_texts_are_extracted_for_a_translation(tmp_path):
    """`make messages`: the templates' _() and the code's lazy labels end up in one catalog template."""
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [
            str(pybabel),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    text = pot.read_text(encoding="utf-8")
    for message in (
        "待办",
        "申请使用政务信息资源",
        "补正申请",
        "定时任务",
        "待检查",
    ):  # templates and lazy labels
        assert f'msgid "{message}"' in text, message
    assert "app/templates/inbox/task.html" in text and "app/sharing/models.py" in text

"""The modeler asks the server what a timer expression means (GET /admin/timers, #29): the analyst's only."""

from __future__ import annotations

from tests.conftest import login


def test_the_studio_answers_what_timers_mean_to_the_analyst_only(client, seeded):
    login(client, "analyst")
    answer = client.get(
        "/admin/timers", query_string=[("e", "reminder(deadline(received_at, 5), 1)"), ("e", "x(")]
    )
    assert answer.status_code == 200
    first, second = answer.get_json()["timers"]
    assert (first["moment"], first["days"], first["reminder"], second) == ("received_at", 5, True, None)
    client.post("/logout", data={})
    other = client.application.test_client()
    login(other, "mz_clerk")
    assert other.get("/admin/timers", query_string={"e": "deadline(received_at, 5)"}).status_code == 403

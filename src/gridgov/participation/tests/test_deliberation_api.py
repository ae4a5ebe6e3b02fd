"""The deliberation API: the resident's own routes and the staff's, with each refusal's
status, code and message in zh-Hans and in English, and nothing written."""

from __future__ import annotations

from gridgov.participation.models import Comment, CoSignature, Proposal, Topic
from gridgov.participation.tests.test_deliberation import world  # noqa: F401

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _post(client, url, data, lang=EN):
    return client.post(url, data=data, content_type="application/json", **lang)


def test_refusals_in_both_languages_write_nothing(world, client, login_client):  # noqa: F811
    login_client(world["unbound"])
    for lang, text in ((ZH, "尚未"), (EN, "not linked")):
        r = _post(client, "/api/v1/participation/proposals", {"title": "a", "body": "b"}, lang)
        assert r.status_code == 403 and r.json()["code"] == "not_a_verified_resident"
        assert text in r.json()["message"]
    login_client(world["users"][0])
    for lang, text in ((ZH, "标题"), (EN, "title")):
        r = _post(client, "/api/v1/participation/proposals", {"title": " ", "body": "b"}, lang)
        assert r.status_code in (400, 422), r.content
        assert text in str(r.json()["details"]["title"]), r.json()
    assert not Proposal.objects.exists()
    r = _post(client, "/api/v1/participation/proposals", {"title": "修车棚", "body": "b"})
    assert r.status_code == 201
    uid = r.json()["uid"]
    for lang, text in ((ZH, "自己"), (EN, "own")):
        r = _post(client, f"/api/v1/participation/me/proposals/{uid}/cosign", {}, lang)
        assert r.status_code == 409 and r.json()["code"] == "own_proposal"
        assert text in r.json()["message"]
    login_client(world["users"][1])
    assert _post(client, f"/api/v1/participation/me/proposals/{uid}/cosign", {}).status_code == 200
    for lang, text in ((ZH, "已附议"), (EN, "already co-signed")):
        r = _post(client, f"/api/v1/participation/me/proposals/{uid}/cosign", {}, lang)
        assert r.status_code == 409 and r.json()["code"] == "already_cosigned"
        assert text in r.json()["message"]
    assert CoSignature.objects.count() == 1
    assert Proposal.objects.get().cosign_count == 1
    other = Topic.objects.create(
        org_unit=world["tree"]["g1b"],
        title="隔壁",
        source="committee",
        created_by=world["staff"],
        state=Topic.State.DISCUSSING,
    )
    r = _post(client, f"/api/v1/participation/me/topics/{other.pk}/comments", {"body": "x"})
    assert r.status_code == 404
    assert not Comment.objects.exists()


def test_staff_run_a_topic_through_the_api(world, client, login_client):  # noqa: F811
    login_client(world["staff"])
    r = _post(
        client,
        "/api/v1/participation/topics",
        {"org_unit": "310104003001", "title": " ", "source": "committee"},
        ZH,
    )
    assert r.status_code in (400, 422) and "标题" in str(r.json()["details"]["title"])
    r = _post(
        client,
        "/api/v1/participation/topics",
        {
            "org_unit": "310104003001",
            "title": "停车难",
            "source": "committee",
            "meeting_type": "hearing",
            "meeting_at": "2026-12-20T19:00:00+08:00",
            "resident_reps": 12,
            "experts": 2,
            "departments": "区交通委",
        },
    )
    assert r.status_code == 201, r.content
    topic = r.json()
    assert topic["actions"] == ["select", "reject"] and topic["resident_reps"] == 12
    url = f"/api/v1/participation/topics/{topic['id']}"
    r = _post(client, f"{url}/transitions", {"action": "select", "version": 1})
    r = _post(client, f"{url}/transitions", {"action": "open_discussion", "version": 2})
    assert r.json()["state"] == "discussing"
    for lang, text in ((ZH, "理由"), (EN, "reason")):
        r = _post(client, f"{url}/decision", {"outcome": "not_adopted", "version": 3}, lang)
        assert r.status_code in (400, 422) and text in str(r.json()["details"]["reason"])
    r = _post(client, f"{url}/decision", {"outcome": "adopted", "summary": "划线", "version": 3})
    assert r.json()["decision"]["outcome"] == "adopted"
    r = _post(client, f"{url}/report-back", {"text": "已划线 40 个车位", "version": 4})
    assert r.json()["state"] == "reported"
    assert r.json()["decision"]["report_text"] == "已划线 40 个车位"
    page = client.get(f"/participation/topics/{topic['id']}/", **ZH).content.decode()
    assert "已反馈" in page and "已划线 40 个车位" in page

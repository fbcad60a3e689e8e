"""The knowledge base's API (issue 26 items 6 and 9): Chinese search on SQLite and PostgreSQL alike (run
the module with YUNWEI_DATABASE_URL=postgresql://… for the second), scoping as on the pages, writes by
the editors with the version they read, and bad input answered 400 naming the field."""

import pytest

from yunwei.audit.models import AuditEvent
from yunwei.knowledge import services
from yunwei.knowledge.models import Article

pytestmark = pytest.mark.django_db

URL = "/api/knowledge/articles/"


@pytest.fixture
def articles(group, unit_a, unit_b, group_admin):
    def write(unit, title, body, publish=True):
        return services.create_article(actor=group_admin, unit=unit, title=title, body=body, publish=publish)

    return {
        "backup": write(unit_a, "数据备份与恢复", "每天凌晨两点做全量备份，恢复前先核对校验和。"),
        "flow": write(unit_a, "请假审批流程定制", "在流程中心新建流程，指定审批人。"),
        "login": write(group, "OA 系统无法登录", "清除浏览器缓存后重新登录；仍不行请联系单位系统管理员。"),
        "network": write(unit_a, "网络中断怎么办", "检查网线和交换机指示灯。"),
        "draft": write(unit_a, "备份盘更换（草稿）", "尚未核对。", publish=False),
        "b_backup": write(unit_b, "乙单位备份口令", "乙单位的备份口令保管办法。"),
    }


def _titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["title"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("备份", {"数据备份与恢复"}),
        ("流程", {"请假审批流程定制"}),
        ("OA 登录", {"OA 系统无法登录"}),
        ("网", {"网络中断怎么办"}),
        ("oa 备份", set()),
    ],
)
def test_a_user_searches_in_chinese(articles, unit_user_a, api_client_for, q, expected):
    assert _titles(api_client_for(unit_user_a).get(URL, {"q": q})) == expected


def test_a_single_character_finds_every_article_holding_it(articles, unit_user_a, api_client_for):
    found = _titles(api_client_for(unit_user_a).get(URL, {"q": "份"}))
    assert found == {"数据备份与恢复"}  # the draft and unit B's article hold it too, but are not the reader's


def test_an_editor_finds_the_drafts_of_their_unit(articles, unit_admin_a, api_client_for):
    http = api_client_for(unit_admin_a)
    assert _titles(http.get(URL, {"q": "备份"})) == {"数据备份与恢复", "备份盘更换（草稿）"}
    assert _titles(http.get(URL, {"q": "备份", "state": "draft"})) == {"备份盘更换（草稿）"}


def test_the_list_is_scoped_like_the_pages(articles, unit_user_a, unit_admin_b, api_client_for):
    mine = _titles(api_client_for(unit_user_a).get(URL))
    assert mine == {"数据备份与恢复", "请假审批流程定制", "OA 系统无法登录", "网络中断怎么办"}
    theirs = api_client_for(unit_admin_b)
    assert _titles(theirs.get(URL)) == {"OA 系统无法登录", "乙单位备份口令"}
    assert _titles(theirs.get(URL, {"q": "备份"})) == {"乙单位备份口令"}
    assert theirs.get(f"{URL}{articles['backup'].pk}/").status_code == 404


def test_the_detail_gives_the_text_and_the_readers_answers(articles, unit_user_a, api_client_for):
    services.vote(articles["backup"], user=unit_user_a, helpful=True)
    body = api_client_for(unit_user_a).get(f"{URL}{articles['backup'].pk}/").json()
    assert body["body"].startswith("每天凌晨") and body["helpful"] == {"yes": 1, "no": 0}
    assert body["state"] == "published" and body["version"] == articles["backup"].version


def test_an_editor_creates_updates_and_publishes_with_the_version(unit_a, unit_admin_a, api_client_for):
    http = api_client_for(unit_admin_a)
    created = http.post(
        URL, {"unit": unit_a.pk, "title": "打印机脱机", "body": "重启打印服务。"}, format="json"
    )
    assert created.status_code == 201, created.content
    article = Article.objects.get(pk=created.json()["id"])
    assert (article.state, article.unit_id, article.author_id) == ("draft", unit_a.pk, unit_admin_a.pk)
    detail = f"{URL}{article.pk}/"
    updated = http.patch(
        detail, {"body": "重启打印服务后重新连接。", "version": article.version}, format="json"
    )
    assert updated.status_code == 200, updated.content
    article.refresh_from_db()
    assert article.body == "重启打印服务后重新连接。" and article.version == updated.json()["version"]
    assert _titles(http.get(URL, {"q": "连接"})) == {"打印机脱机"}  # reindexed
    published = http.post(f"{detail}transition/", {"to": "published"}, format="json")
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert AuditEvent.objects.filter(object_id=str(article.pk), action="transition").exists()


def test_a_stale_version_is_refused_and_nothing_is_written(articles, unit_admin_a, api_client_for):
    article = articles["backup"]
    stale = article.version
    http = api_client_for(unit_admin_a)
    first = http.patch(
        f"{URL}{article.pk}/", {"title": "数据备份与恢复（新）", "version": stale}, format="json"
    )
    assert first.status_code == 200
    second = http.patch(f"{URL}{article.pk}/", {"title": "覆盖", "version": stale}, format="json")
    assert second.status_code == 409
    article.refresh_from_db()
    assert article.title == "数据备份与恢复（新）"


def test_bad_input_names_the_field(articles, unit_a, unit_b, unit_admin_a, api_client_for):
    http = api_client_for(unit_admin_a)
    before = Article.objects.count()
    cases = [
        ({"unit": unit_a.pk, "title": "", "body": "正文"}, "title"),
        ({"unit": unit_a.pk, "title": "标题", "body": "  "}, "body"),
        ({"unit": unit_b.pk, "title": "越权", "body": "正文"}, "unit"),
        ({"title": "无单位", "body": "正文"}, "unit"),
    ]
    for data, field in cases:
        response = http.post(URL, data, format="json")
        assert response.status_code == 400, (data, response.content)
        assert response.json()["field"] == field, data
    no_version = http.patch(f"{URL}{articles['backup'].pk}/", {"title": "无版本"}, format="json")
    assert no_version.status_code == 400 and no_version.json()["field"] == "version"
    unknown = http.get(URL, {"state": "nonsense"})
    assert unknown.status_code == 400 and unknown.json()["field"] == "state"
    bad_step = http.post(f"{URL}{articles['backup'].pk}/transition/", {"to": "gone"}, format="json")
    assert bad_step.status_code == 400 and bad_step.json()["field"] == "to"
    assert Article.objects.count() == before


def test_a_plain_user_does_not_write(articles, unit_a, unit_user_a, api_client_for):
    http = api_client_for(unit_user_a)
    article = articles["backup"]
    response = http.post(URL, {"unit": unit_a.pk, "title": "用户", "body": "正文"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "unit"
    response = http.patch(f"{URL}{article.pk}/", {"title": "改", "version": article.version}, format="json")
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.title == "数据备份与恢复"


def test_the_schema_describes_the_articles(group_admin, api_client_for):
    schema = api_client_for(group_admin).get("/api/schema/", {"format": "json"}).json()
    assert "/api/knowledge/articles/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/knowledge/articles/"]["get"]["parameters"]}
    assert {"q", "state", "source"} <= params
    assert "/api/knowledge/articles/{id}/transition/" in schema["paths"]

"""The knowledge base's pages: who reads what, writing, rating and suggestions."""

import pytest
from django.urls import reverse

from yunwei.knowledge import services
from yunwei.knowledge.models import Article, Vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(group, unit_a, unit_b, group_admin):
    def write(unit, title, publish=True):
        return services.create_article(
            actor=group_admin, unit=unit, title=title, body=f"{title}的处理办法", publish=publish
        )

    return {
        "own": write(unit_a, "甲单位打印机共享"),
        "group": write(group, "集团邮箱设置"),
        "draft": write(unit_a, "甲单位草稿文章", publish=False),
        "other": write(unit_b, "乙单位专用说明"),
    }


def test_a_plain_user_reads_their_units_and_the_groups_published_articles(client, unit_user_a, published):
    client.force_login(unit_user_a)
    page = client.get(reverse("knowledge:article-list")).content.decode()
    assert "甲单位打印机共享" in page and "集团邮箱设置" in page
    assert "甲单位草稿文章" not in page and "乙单位专用说明" not in page
    assert client.get(reverse("knowledge:article-detail", args=[published["other"].pk])).status_code == 404
    assert client.get(reverse("knowledge:article-detail", args=[published["draft"].pk])).status_code == 404
    assert client.get(reverse("knowledge:article-detail", args=[published["group"].pk])).status_code == 200


def test_search_on_the_page_and_no_article_of_another_unit(client, unit_user_a, published):
    client.force_login(unit_user_a)
    page = client.get(reverse("knowledge:article-list"), {"q": "说明"}).content.decode()
    assert "乙单位专用说明" not in page
    page = client.get(reverse("knowledge:article-list"), {"q": "打印"}).content.decode()
    assert "甲单位打印机共享" in page and "集团邮箱设置" not in page


def test_the_unit_admin_writes_and_publishes_in_their_own_unit(
    client, unit_admin_a, unit_a, unit_b, published
):
    client.force_login(unit_admin_a)
    form = reverse("knowledge:article-create")
    refused = client.post(form, {"unit": unit_b.pk, "title": "越权文章", "body": "正文"})
    assert refused.status_code == 200
    assert "unit" in refused.context["form"].errors
    response = client.post(form, {"unit": unit_a.pk, "title": "视频会议怎么开", "body": "打开会议室系统。"})
    article = Article.objects.get(title="视频会议怎么开")
    assert response.status_code == 302 and article.state == "draft" and article.author == unit_admin_a
    client.post(reverse("knowledge:article-transition", args=[article.pk]), {"to": "published"})
    article.refresh_from_db()
    assert article.state == "published" and article.published_at is not None
    assert not Article.objects.filter(title="越权文章").exists()


def test_an_article_without_title_or_text_is_refused_naming_the_field(client, unit_admin_a, unit_a):
    client.force_login(unit_admin_a)
    response = client.post(
        reverse("knowledge:article-create"), {"unit": unit_a.pk, "title": " ", "body": "正文"}
    )
    assert "title" in response.context["form"].errors
    response = client.post(
        reverse("knowledge:article-create"), {"unit": unit_a.pk, "title": "标题", "body": ""}
    )
    assert "body" in response.context["form"].errors
    assert not Article.objects.exists()


def test_a_stale_edit_is_refused(client, unit_admin_a, published):
    article = published["own"]
    client.force_login(unit_admin_a)
    url = reverse("knowledge:article-edit", args=[article.pk])
    client.post(url, {"title": "新标题", "body": "新正文", "version": article.version})
    response = client.post(url, {"title": "旧标题", "body": "旧正文", "version": article.version})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    article.refresh_from_db()
    assert article.title == "新标题"


def test_a_plain_user_may_not_write(client, unit_user_a, published):
    client.force_login(unit_user_a)
    assert client.get(reverse("knowledge:article-create")).status_code == 403
    assert (
        client.post(
            reverse("knowledge:article-transition", args=[published["own"].pk]), {"to": "draft"}
        ).status_code
        == 403
    )


def test_was_this_helpful_keeps_one_answer_per_reader(client, unit_user_a, published):
    client.force_login(unit_user_a)
    url = reverse("knowledge:article-vote", args=[published["own"].pk])
    client.post(url, {"helpful": "yes"})
    client.post(url, {"helpful": "no"})
    assert list(Vote.objects.values_list("helpful", flat=True)) == [False]
    assert services.tally(published["own"]) == {"yes": 0, "no": 1}
    client.post(url, {"helpful": "maybe"})
    assert Vote.objects.count() == 1


def test_suggestions_as_json(client, unit_user_a, published):
    client.force_login(unit_user_a)
    rows = client.get(reverse("knowledge:suggest"), {"q": "打印机连不上"}).json()["results"]
    assert [row["title"] for row in rows] == ["甲单位打印机共享"]
    assert rows[0]["url"] == reverse("knowledge:article-detail", args=[published["own"].pk])
    assert client.get(reverse("knowledge:suggest"), {"q": "乙单位专用说明"}).json()["results"] == []

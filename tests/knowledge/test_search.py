"""Chinese search of the knowledge base: two-character words and single characters on SQLite and
PostgreSQL alike (run the module with YUNWEI_DATABASE_URL=postgresql://… for the second)."""

import pytest

from yunwei.knowledge import services
from yunwei.knowledge.models import Article, Term
from yunwei.knowledge.terms import document_terms, query_terms
from yunwei.problems import services as problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(group, unit_a, group_admin):
    def write(unit, title, body):
        return services.create_article(actor=group_admin, unit=unit, title=title, body=body, publish=True)

    return {
        "backup": write(unit_a, "数据备份与恢复", "每天凌晨两点做全量备份，恢复前先核对校验和。"),
        "flow": write(unit_a, "请假审批流程定制", "在流程中心新建流程，指定审批人。"),
        "login": write(group, "OA 系统无法登录", "清除浏览器缓存后重新登录；仍不行请联系单位系统管理员。"),
        "network": write(unit_a, "网络中断怎么办", "检查网线和交换机指示灯。"),
    }


def _titles(found):
    return {article.title for article in found}


def test_terms_are_unigrams_and_bigrams_of_chinese_and_whole_latin_words():
    assert set(document_terms("OA登录")) == {"oa", "登", "录", "登录"}
    assert query_terms("OA 登录") == ["oa", "登录"]
    assert query_terms("网") == ["网"]
    assert query_terms("数据备份") == ["数据", "据备", "备份"]
    assert query_terms("ＯＡ") == ["oa"]  # full-width letters fold to ASCII


def test_a_two_character_word_is_found(articles, unit_user_a):
    assert _titles(services.search("备份", unit_user_a)) == {"数据备份与恢复"}
    assert _titles(services.search("流程", unit_user_a)) == {"请假审批流程定制"}


def test_latin_and_chinese_words_together_are_found(articles, unit_user_a):
    assert _titles(services.search("OA 登录", unit_user_a)) == {"OA 系统无法登录"}
    assert _titles(services.search("oa 备份", unit_user_a)) == set()


def test_a_single_character_is_found(articles, unit_user_a):
    assert _titles(services.search("网", unit_user_a)) == {"网络中断怎么办"}
    assert "数据备份与恢复" in _titles(services.search("份", unit_user_a))


def test_the_lookup_goes_through_the_term_index(articles):
    assert Term.objects.filter(term="备份", article=articles["backup"]).exists()
    assert Term.objects.filter(term="网", article=articles["network"]).exists()


def test_a_title_match_ranks_first(articles, unit_user_a, group_admin, unit_a):
    services.create_article(
        actor=group_admin, unit=unit_a, title="机房巡检", body="巡检时顺便看看备份磁带。", publish=True
    )
    found = services.search("备份", unit_user_a)
    assert [a.title for a in found][0] == "数据备份与恢复"


def test_an_edit_reindexes_the_article(articles, unit_user_a, group_admin):
    article = articles["network"]
    services.update_article(
        article, actor=group_admin, expected_version=article.version, title="机房断电", body="启用备用电源。"
    )
    assert services.search("网络", unit_user_a) == []
    assert _titles(services.search("断电", unit_user_a)) == {"机房断电"}


def test_a_published_known_error_is_found_with_its_workaround(unit_a, group_admin, unit_user_a):
    problem = problems.register(
        actor=group_admin, unit=unit_a, title="公文流转卡顿", workaround="重启流程引擎服务"
    )
    assert services.search("流转", unit_user_a) == []  # not published yet
    problems.publish_workaround(problem, actor=group_admin)
    found = services.search("引擎", unit_user_a)
    assert [(a.title, a.source) for a in found] == [("公文流转卡顿", "known_error")]
    assert Article.objects.get(problem=problem).state == "published"


def test_suggestions_for_what_a_user_types(articles, unit_user_a):
    found = services.suggest("我的OA系统登录不了，提示密码错误", unit_user_a)
    assert [a.title for a in found][0] == "OA 系统无法登录"
    assert services.suggest("", unit_user_a) == []

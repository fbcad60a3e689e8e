"""The knowledge base's foreign-unit cases, merged into tests/test_foreign_unit.py."""

from yunwei.knowledge import services

CASES: dict[str, tuple[str, str]] = {
    "knowledge:article-list": ("page-list", "article"),
    "knowledge:suggest": ("page-list", "article"),
    "knowledge:article-detail": ("page", "article"),
    "knowledge:article-edit": ("page", "article"),
    "knowledge:article-transition": ("page-post", "article"),
    "knowledge:article-vote": ("page-post", "article"),
    "api:knowledge:article-list": ("list", "article"),
    "api:knowledge:article-detail": ("detail", "article"),
    "api:knowledge:article-transition": ("post", "article"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "knowledge:article-create": "a form; other units are not among its choices (tests/knowledge)",
}
DETAIL_PAGES: dict[str, str] = {"article": "knowledge:article-detail"}


def build_records(unit, actor) -> dict:
    """A published article of `unit` (`actor` is a group admin)."""
    article = services.create_article(
        actor=actor, unit=unit, title="甲单位机密知识文章", body="甲单位备份口令的保管办法", publish=True
    )
    return {"article": article}

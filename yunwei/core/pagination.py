from rest_framework import pagination


class Pagination(pagination.PageNumberPagination):
    """Lists answer `count`, `next`, `previous`, `results`; `?page_size=` up to 500."""

    page_size_query_param = "page_size"
    max_page_size = 500

from django.urls import path

from . import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="article-list"),
    path("new/", views.article_create, name="article-create"),
    path("suggest/", views.suggest, name="suggest"),
    path("<int:pk>/", views.article_detail, name="article-detail"),
    path("<int:pk>/edit/", views.article_edit, name="article-edit"),
    path("<int:pk>/transition/", views.article_transition, name="article-transition"),
    path("<int:pk>/vote/", views.article_vote, name="article-vote"),
]

"""URLs of the paper catalogue, mounted at /papers/."""

from django.urls import path

from . import views

app_name = "papers"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:paper_id>/", views.detail, name="detail"),
    path("import/", views.import_page, name="import"),
    path("import/<int:batch_id>/", views.batch_detail, name="batch"),
    path("review/", views.review, name="review"),
    path("tags/<int:paper_tag_id>/decide/", views.tag_decide, name="tag_decide"),
    path("<int:paper_id>/tags/confirm-all/", views.tags_confirm_all, name="tags_confirm_all"),
    path("<int:paper_id>/tags/add/", views.tag_add, name="tag_add"),
    path("<int:paper_id>/eligibility/", views.eligibility, name="eligibility"),
]

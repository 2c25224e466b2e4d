from django.apps import AppConfig


class LecturesConfig(AppConfig):
    name = "courseweb.lectures"
    label = "lectures"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class HomeworkConfig(AppConfig):
    name = "courseweb.homework"
    label = "homework"
    default_auto_field = "django.db.models.BigAutoField"

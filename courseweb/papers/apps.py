from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "courseweb.papers"
    label = "papers"
    default_auto_field = "django.db.models.BigAutoField"

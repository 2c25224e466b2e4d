from django.apps import AppConfig


class GradebookConfig(AppConfig):
    name = "courseweb.gradebook"
    label = "gradebook"
    default_auto_field = "django.db.models.BigAutoField"

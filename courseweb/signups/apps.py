from django.apps import AppConfig


class SignupsConfig(AppConfig):
    name = "courseweb.signups"
    label = "signups"
    default_auto_field = "django.db.models.BigAutoField"

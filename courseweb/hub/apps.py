from django.apps import AppConfig


class HubConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courseweb.hub"
    verbose_name = "JupyterHub"

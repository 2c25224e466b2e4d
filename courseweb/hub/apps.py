from django.apps import AppConfig


class HubConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courseweb.hub"
    verbose_name = "JupyterHub"

    def ready(self) -> None:
        # Register the hub's tasks in every process, not only in workers: `services.hub_open_create` finds
        # `hub.open_run` by name in the Celery app's registry (it does not import the tasks module, which imports it).
        from courseweb.hub import tasks  # noqa: F401

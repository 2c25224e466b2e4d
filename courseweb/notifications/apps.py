from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courseweb.notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Register the tasks in every process, not only in workers: `services.notify` finds `notifications.email`
        # by name in the Celery app's registry (it does not import the tasks module, which imports it).
        from courseweb.notifications import tasks  # noqa: F401

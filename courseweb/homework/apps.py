from django.apps import AppConfig


class HomeworkConfig(AppConfig):
    name = "courseweb.homework"
    label = "homework"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the grading task in every process, not only in workers (Celery's autodiscovery runs at worker
        # start): `services.grading.job_enqueue` finds it by name in the app's registry, so that with
        # `task_always_eager` (tests, in-process runs) a job is graded at once instead of sitting in the queue.
        from courseweb.homework import tasks  # noqa: F401

from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courseweb.courses"
    label = "courses"
    default_auto_field = "django.db.models.BigAutoField"

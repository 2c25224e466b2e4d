from django import forms

from .models import Announcement


class AnnouncementForm(forms.ModelForm):
    class Meta:
        model = Announcement
        fields = ["title", "body", "pinned", "public", "email_class"]
        labels = {
            "title": "Title",
            "body": "Text",
            "pinned": "Pin it to the top",
            "public": "Public (in the public feed and visible without logging in)",
            "email_class": "E-mail it to the class",
        }
        help_texts = {
            "body": "Markdown: **bold**, lists, links, tables; math between $…$ or $$…$$ as in the notes.",
            "email_class": "Sent once to everyone enrolled, right after you save.",
        }
        error_messages = {
            "title": {"required": "Give the announcement a title."},
            "body": {"required": "Write the announcement's text."},
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.emailed_at:
            self.fields["email_class"].disabled = True
            self.fields["email_class"].help_text = "Already e-mailed to the class."

"""Forms of the scribing workflow (the note editor, reviews, staff assignment) and the search box."""

from __future__ import annotations

from django import forms

from courseweb.groups.models import Group

MAX_UPLOAD_BYTES = 500_000
ERROR_UPLOAD_TOO_LARGE = "The file is larger than 500 KB."
ERROR_UPLOAD_TYPE = "Upload a .tex or .md file."
ERROR_UPLOAD_ENCODING = "The file is not UTF-8 text."
ERROR_NOTHING = "Write the note or upload a file."


class NoteEditForm(forms.Form):
    title = forms.CharField(max_length=300, required=False)
    markdown = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true", "class": "mono"}),
        label="Note (Markdown with LaTeX math: $...$ inline, $$...$$ display, $$...$$ (1) numbered)",
    )
    upload = forms.FileField(required=False, label="…or upload a .tex or .md file")

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("upload")
        data["tex"] = None
        if upload:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError(ERROR_UPLOAD_TOO_LARGE)
            name = upload.name.lower()
            if not name.endswith((".tex", ".md", ".markdown")):
                raise forms.ValidationError(ERROR_UPLOAD_TYPE)
            try:
                content = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(ERROR_UPLOAD_ENCODING) from exc
            if name.endswith(".tex"):
                data["tex"] = content
            else:
                data["markdown"] = content
        if not data.get("tex") and not (data.get("markdown") or "").strip():
            raise forms.ValidationError(ERROR_NOTHING)
        return data


class ReviewForm(forms.Form):
    ACTIONS = (("comment", "Comment"), ("request_changes", "Request changes"), ("publish", "Publish"))
    action = forms.ChoiceField(choices=ACTIONS)
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Comment")


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment")


class AssignForm(forms.Form):
    group = forms.ModelChoiceField(queryset=Group.objects.none(), label="Scribing group")

    def __init__(self, *args, offering=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.filter(offering=offering).order_by("name")


class SearchForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, label="Search the notes")

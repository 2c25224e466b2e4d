"""The staff's form for adding a material to a session: a file upload or a link, never both."""

from __future__ import annotations

from django import forms
from django.conf import settings

from .models import MaterialKind

DEFAULT_MAX_MATERIAL_BYTES = 50 * 1024 * 1024
ERROR_FILE_OR_LINK = "Choose a file to upload or give a link (one of the two)."
ERROR_BOTH = "Give either a file or a link, not both."
ERROR_TOO_LARGE = "The file is {size_mb:.1f} MB; the limit is {limit_mb:.0f} MB."
ERROR_EMPTY_FILE = "The file is empty."


def max_material_bytes() -> int:
    return int(getattr(settings, "MATERIALS_MAX_UPLOAD_BYTES", DEFAULT_MAX_MATERIAL_BYTES))


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=MaterialKind.choices, initial=MaterialKind.SLIDES)
    title = forms.CharField(
        label="Title", max_length=300, error_messages={"required": "Give the material a title."}
    )
    file = forms.FileField(label="File", required=False, help_text="e.g. the slides as PDF, or a notebook")
    url = forms.URLField(
        label="Or a link",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": "Enter a full web address, e.g. https://arxiv.org/abs/2210.03629."},
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if upload.size == 0:
            raise forms.ValidationError(ERROR_EMPTY_FILE)
        limit = max_material_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                ERROR_TOO_LARGE.format(size_mb=upload.size / 2**20, limit_mb=limit / 2**20)
            )
        return upload

    def clean(self):
        data = super().clean()
        has_file, has_url = bool(data.get("file")), bool(data.get("url"))
        if "file" in self.errors or "url" in self.errors:
            return data
        if has_file and has_url:
            raise forms.ValidationError(ERROR_BOTH)
        if not has_file and not has_url:
            raise forms.ValidationError(ERROR_FILE_OR_LINK)
        return data

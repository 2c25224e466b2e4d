"""Forms of the paper catalogue: the students' search/filter form and the staff's import, tag and eligibility forms."""

from __future__ import annotations

from typing import Any

from django import forms

from courseweb.papers.importers import FORMAT_CHOICES
from courseweb.papers.selectors import FORMAT_LABELS, CatalogueFilters

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ERROR_NOTHING_TO_IMPORT = "Choose a file or paste a list."
ERROR_BOTH_GIVEN = "Choose a file or paste a list, not both."
ERROR_TOO_LARGE = "The file is larger than 5 MB."
ERROR_NOT_UTF8 = "The file is not UTF-8 text (export it as plain text or .bib)."


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    tag = forms.ChoiceField(label="Tag", required=False)
    year = forms.TypedChoiceField(label="Year", required=False, coerce=int, empty_value=None)
    source = forms.ChoiceField(label="Source", required=False)
    eligible = forms.BooleanField(label="Open for replication only", required=False)

    def __init__(self, *args: Any, facets: dict[str, list], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "Any tag"), *facets["tags"]]
        self.fields["year"].choices = [("", "Any year"), *[(str(y), str(y)) for y in facets["years"]]]
        self.fields["source"].choices = [("", "Any source"), *facets["sources"]]

    def filters(self) -> CatalogueFilters:
        """The filters to apply; invalid parts (e.g. a tag that no longer exists) are ignored."""
        data = self.cleaned_data if self.is_valid() else {}
        return CatalogueFilters(
            query=(data.get("q") or "").strip(),
            tag=data.get("tag") or "",
            year=data.get("year"),
            source=data.get("source") or "",
            eligible_only=bool(data.get("eligible")),
        )


class ImportForm(forms.Form):
    file = forms.FileField(label="File", required=False, help_text="Plain text or .bib, at most 5 MB.")
    text = forms.CharField(
        label="Or paste",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="A pasted page or a list of arXiv ids / DOIs, one or more per line.",
    )
    format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "Detect automatically"), *[(f, FORMAT_LABELS.get(f, f)) for f in FORMAT_CHOICES]],
    )

    captured_on = forms.DateField(
        label="Page copied on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. Scholar profiles leave the year out of this year's dates; this says which year.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload, pasted = data.get("file"), (data.get("text") or "").strip()
        if upload and pasted:
            raise forms.ValidationError(ERROR_BOTH_GIVEN)
        if not upload and not pasted:
            raise forms.ValidationError(ERROR_NOTHING_TO_IMPORT)
        if upload:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError(ERROR_TOO_LARGE)
            try:
                data["content"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(ERROR_NOT_UTF8) from error
            data["filename"] = upload.name
        else:
            data["content"], data["filename"] = pasted, ""
        return data


class TagAddForm(forms.Form):
    label = forms.CharField(label="Add a tag", max_length=100)


class TagDecisionForm(forms.Form):
    status = forms.ChoiceField(choices=[("confirmed", "Confirm"), ("rejected", "Reject")])


class EligibilityForm(forms.Form):
    eligible = forms.BooleanField(required=False)
    note = forms.CharField(label="Note (e.g. the figure to replicate)", required=False, max_length=300)

"""Homework forms: notebook upload, API token, deliverable hand-in, manual grading, extensions."""

from __future__ import annotations

from django import forms


class NotebookUploadForm(forms.Form):
    notebook = forms.FileField(
        label="Your notebook (.ipynb)",
        help_text="The notebook you downloaded from this page, with your answers. At most 20 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".ipynb,application/x-ipynb+json,application/json"}),
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, label="Token name", help_text="Where you will use it, e.g. 'laptop'."
    )


class DeliverableFileForm(forms.Form):
    label = forms.CharField(max_length=120, label="What is it?", help_text="e.g. report, slides, figure")
    file = forms.FileField(label="File", help_text="PDF, zip, PNG, JPEG or GIF.")


class DeliverableLinkForm(forms.Form):
    label = forms.CharField(max_length=120, label="What is it?", help_text="e.g. code repository, slides")
    url = forms.URLField(max_length=500, label="Link", assume_scheme="https")


class ManualCellGradeForm(forms.Form):
    grade_id = forms.CharField(widget=forms.HiddenInput)
    points = forms.FloatField(min_value=0, label="Points")
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Comment")


class ItemGradeForm(forms.Form):
    """One number field per rubric criterion (or a single 'points' field when the item has no rubric)."""

    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Comment")

    def __init__(self, *args, rubric=(), max_points: float = 100, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rubric = list(rubric)
        if self.rubric:
            for criterion in self.rubric:
                self.fields[f"c{criterion.pk}"] = forms.FloatField(
                    min_value=0,
                    max_value=criterion.max_points,
                    label=f"{criterion.name} (of {criterion.max_points:g})",
                )
        else:
            self.fields["c0"] = forms.FloatField(
                min_value=0, max_value=max_points, label=f"Points (of {max_points:g})"
            )

    def criteria(self) -> dict[int, float]:
        return {
            int(name[1:]): value
            for name, value in self.cleaned_data.items()
            if name.startswith("c") and name != "comment"
        }


class ExtensionForm(forms.Form):
    owner = forms.ChoiceField(label="Group or student")
    due_at = forms.DateTimeField(
        label="New due time (Hong Kong time)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, owners=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = list(owners)

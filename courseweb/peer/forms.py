"""The buddy evaluation form: one points field per member (0-200 in steps of 5, the row summing to 100 x the
group's size), an optional comment for the staff and an optional one for the buddy."""

from __future__ import annotations

from typing import Any

from django import forms

from . import contribution

CHOICES = [
    (p, f"{p} (equal share{'' if p == 100 else f' {p - 100:+d}%'})")
    for p in range(0, contribution.MAX_POINTS + 1, contribution.STEP)
]


class EvaluationForm(forms.Form):
    staff_comment = forms.CharField(
        label="Comment for the staff (optional; your buddy never sees it)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    buddy_comment = forms.CharField(
        label="Comment for your buddy (optional; shown without your name, after the window closes and the "
        "staff release it)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, members: list[Any], me: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = members
        total = contribution.EQUAL_SHARE * len(members)
        fields = {}
        for user in sorted(members, key=lambda u: u.pk != me.pk):
            name = "yourself" if user.pk == me.pk else (user.display_name or user.username)
            fields[f"points_{user.pk}"] = forms.TypedChoiceField(
                label=f"Points for {name}",
                choices=CHOICES,
                coerce=int,
                initial=contribution.EQUAL_SHARE,
                help_text=f"100 is an equal share; all the points add up to {total}.",
            )
        self.fields = {**fields, **self.fields}

    def points(self) -> dict[int, int]:
        return {u.pk: self.cleaned_data[f"points_{u.pk}"] for u in self.members}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if all(f"points_{u.pk}" in data for u in self.members):
            total = sum(data[f"points_{u.pk}"] for u in self.members)
            expected = contribution.EQUAL_SHARE * len(self.members)
            if total != expected:
                example = (
                    " For example, 120 for one of you and 80 for the other." if len(self.members) == 2 else ""
                )
                raise forms.ValidationError(
                    f"The points must add up to {expected}; yours add up to {total}.{example}"
                )
        return data

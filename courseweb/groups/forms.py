"""Forms for the group pages: register, invite, the staff's move and create, and the editable auto-match rows."""

from __future__ import annotations

from typing import Any

from django import forms

from .automatch import ProposedGroup


class GroupCreateForm(forms.Form):
    name = forms.CharField(label="Group name", max_length=80)


class InviteForm(forms.Form):
    identifier = forms.CharField(
        label="Classmate's e-mail or student number",
        max_length=254,
        required=False,
        help_text="The invitation goes to exactly one account.",
    )
    invitee = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("identifier") and not data.get("invitee"):
            raise forms.ValidationError("Enter your classmate's e-mail or student number.")
        return data


class _StudentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        parts = [obj.name, obj.student_number or obj.email, obj.major or "no major"]
        return " · ".join(parts)


class StaffMoveForm(forms.Form):
    student = _StudentChoice(queryset=None, label="Student")
    group = forms.ModelChoiceField(queryset=None, required=False, label="To group", empty_label="(no group)")

    def __init__(self, *args, students, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = students
        self.fields["group"].queryset = groups


class StaffCreateForm(forms.Form):
    name = forms.CharField(label="Group name", max_length=80)
    members = forms.ModelMultipleChoiceField(queryset=None, label="Members", required=False)

    def __init__(self, *args, students, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = students
        self.fields["members"].label_from_instance = _StudentChoice.label_from_instance.__get__(self)


class AutomatchRowForm(forms.Form):
    """One proposed group: a name and up to `size` members chosen among the unmatched students."""

    name = forms.CharField(label="Group name", max_length=80, required=False)
    reason = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, students, size: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.size = size
        for i in range(size):
            self.fields[f"member_{i}"] = _StudentChoice(
                queryset=students, required=False, label=f"Member {i + 1}", empty_label="(none)"
            )

    def members(self) -> tuple[Any, ...]:
        return tuple(m for i in range(self.size) if (m := self.cleaned_data.get(f"member_{i}")) is not None)

    def clean(self):
        data = super().clean()
        if self.members() and not (data.get("name") or "").strip():
            raise forms.ValidationError("Give this group a name.")
        return data

    def proposed(self) -> ProposedGroup | None:
        members = self.members()
        if not members:
            return None
        return ProposedGroup(
            name=self.cleaned_data["name"], members=members, reason=self.cleaned_data["reason"]
        )


AutomatchFormSet = forms.formset_factory(AutomatchRowForm, extra=1)


def automatch_initial(groups: list[ProposedGroup], size: int) -> list[dict]:
    rows = []
    for g in groups:
        row = {"name": g.name, "reason": g.reason}
        row.update({f"member_{i}": m.pk for i, m in enumerate(g.members[:size])})
        rows.append(row)
    return rows

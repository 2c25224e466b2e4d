"""Forms for the sign-up pages: a group's claim (with a paper on replication sheets) and the staff's tools."""

from __future__ import annotations

from django import forms

from courseweb.groups.models import Group
from courseweb.lectures.models import Session

from .models import SheetKind, Signup, SignupStatus, Slot


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SignupForm(forms.Form):
    paper = forms.IntegerField(required=False)


class _SheetWindow(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    opens_at = forms.DateTimeField(label="Opens (HKT)", widget=DateTimeLocal())
    closes_at = forms.DateTimeField(label="Closes (HKT)", widget=DateTimeLocal())
    locks_at = forms.DateTimeField(
        label="Drops allowed until (HKT)",
        widget=DateTimeLocal(),
        required=False,
        help_text="Leave empty to allow drops until the sheet closes.",
    )
    waitlist_enabled = forms.BooleanField(label="Waitlist when a slot is full", required=False, initial=True)


class SheetCreateForm(_SheetWindow):
    kind = forms.ChoiceField(choices=SheetKind.choices, label="Kind")
    sessions = forms.ModelMultipleChoiceField(
        queryset=Session.objects.none(), widget=forms.CheckboxSelectMultiple, label="Sessions"
    )
    slots_per_session = forms.IntegerField(min_value=1, max_value=12, initial=1, label="Slots per session")
    slot_minutes = forms.IntegerField(
        min_value=1,
        required=False,
        label="Slot length (minutes)",
        help_text="Presentation sheets only; default: the presentation block divided by the slot count.",
    )
    capacity = forms.IntegerField(min_value=1, initial=1, label="Groups per slot")
    one_per_group = forms.BooleanField(label="At most one slot per group", required=False, initial=True)

    field_order = ["kind", "title", "description", "sessions", "opens_at", "closes_at", "locks_at"]

    def __init__(self, *args, offering, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sessions"].queryset = Session.objects.filter(offering=offering).order_by("number")


class SheetUpdateForm(_SheetWindow):
    pass


class AssignForm(forms.Form):
    slot = forms.ModelChoiceField(queryset=Slot.objects.none(), widget=forms.HiddenInput)
    group = forms.ModelChoiceField(queryset=Group.objects.none(), label="Group")
    paper = forms.IntegerField(required=False)

    def __init__(self, *args, sheet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = sheet.slots.all()
        self.fields["group"].queryset = Group.objects.filter(offering=sheet.offering)


class MoveForm(forms.Form):
    signup = forms.ModelChoiceField(queryset=Signup.objects.none(), widget=forms.HiddenInput)
    to_slot = forms.ModelChoiceField(queryset=Slot.objects.none(), label="Move to")

    def __init__(self, *args, sheet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signup"].queryset = sheet.signups.filter(status__in=("confirmed", "waitlisted"))
        self.fields["to_slot"].queryset = sheet.slots.select_related("session", "sheet")


class SwapForm(forms.Form):
    first = forms.ModelChoiceField(queryset=Signup.objects.none(), label="Swap")
    second = forms.ModelChoiceField(queryset=Signup.objects.none(), label="with")

    def __init__(self, *args, sheet, **kwargs):
        super().__init__(*args, **kwargs)
        confirmed = sheet.signups.filter(status=SignupStatus.CONFIRMED).select_related(
            "group", "slot__session", "slot__sheet"
        )
        for name in ("first", "second"):
            self.fields[name].queryset = confirmed
            self.fields[name].label_from_instance = lambda s: f"{s.group.name}: {s.slot}"


class SignupRefForm(forms.Form):
    signup = forms.ModelChoiceField(queryset=Signup.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args, sheet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signup"].queryset = sheet.signups.filter(status__in=("confirmed", "waitlisted"))


class CapacityForm(forms.Form):
    slot = forms.ModelChoiceField(queryset=Slot.objects.none(), widget=forms.HiddenInput)
    capacity = forms.IntegerField(min_value=1, max_value=50, label="Capacity")

    def __init__(self, *args, sheet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = sheet.slots.all()

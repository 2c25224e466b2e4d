"""The notification preferences form: one labelled radio group per kind."""

from __future__ import annotations

from django import forms

from .models import CONFIGURABLE, Delivery


class PreferencesForm(forms.Form):
    def __init__(self, *args, initial_choices: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_choices = initial_choices or {}
        for kind in CONFIGURABLE:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Delivery.choices,
                widget=forms.RadioSelect,
                initial=initial_choices.get(kind.value, Delivery.EMAIL),
                error_messages={"required": f"Choose how “{kind.label}” notices reach you."},
            )

"""Forms for accounts: the staff roster upload."""

from django import forms

MAX_ROSTER_BYTES = 2 * 1024 * 1024


class RosterUploadForm(forms.Form):
    roster = forms.FileField(
        label="Roster (CSV)",
        help_text="Columns: email, name, student_number, major, department, role (student, ta or instructor).",
    )
    send_invitations = forms.BooleanField(
        label="E-mail set-password invitations", required=False, initial=True
    )

    def clean_roster(self):
        f = self.cleaned_data["roster"]
        if f.size > MAX_ROSTER_BYTES:
            raise forms.ValidationError("The roster is larger than 2 MB; is this the right file?")
        try:
            return f.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("The roster must be a UTF-8 encoded CSV file.") from None

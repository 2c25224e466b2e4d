"""Forms for accounts: log-in and the staff roster upload."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_rule() -> str:
    """The throttling rule in words, from the axes settings that enforce it."""
    return (
        f"After {settings.AXES_FAILURE_LIMIT} wrong passwords for one account from one network address, "
        f"logging in to that account from that address is paused for {lockout_minutes()} minutes. "
        "Other addresses are not affected."
    )


MAX_ROSTER_BYTES = 2 * 1024 * 1024


class LoginForm(AuthenticationForm):
    """Django's log-in form; the username field also takes the account's full e-mail address."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Username or e-mail address"
        self.error_messages = {
            **self.error_messages,
            "invalid_login": "The username or e-mail address and the password do not match. "
            + lockout_rule(),
        }


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

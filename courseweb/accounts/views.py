"""Account pages: profile and the staff roster import."""

from django.contrib import messages
from django.shortcuts import redirect, render

from courseweb.access import require_login, require_staff
from courseweb.courses.selectors import offering_current

from .forms import RosterUploadForm
from .services import roster_import


@require_login
def profile(request):
    return render(request, "accounts/profile.html", {})


@require_staff
def roster(request):
    offering = offering_current()
    report = None
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            report = roster_import(
                offering=offering,
                csv_text=form.cleaned_data["roster"],
                send_invitations=form.cleaned_data["send_invitations"],
            )
            if not report.errors:
                messages.success(request, f"Roster imported ({report.summary()}).")
                return redirect("roster")
    else:
        form = RosterUploadForm()
    from courseweb.courses.selectors import enrollment_list

    return render(
        request,
        "accounts/roster.html",
        {
            "form": form,
            "report": report,
            "enrollments": enrollment_list(offering=offering) if offering else [],
        },
    )

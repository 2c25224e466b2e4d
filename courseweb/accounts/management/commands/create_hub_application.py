"""Register (or bring up to date) the course JupyterHub as an OpenID Connect client of the site.

Idempotent: run it at every deploy.  The Application (client id `HUB_CLIENT_ID`, default "jupyterhub") is
confidential, uses the authorization-code grant with PKCE (required site-wide), signs ID tokens with RS256,
skips the consent page, and accepts only `HUB_URL/hub/oauth_callback` as redirect.  Its secret is taken from
`HUB_CLIENT_SECRET` when set (so the hub's configuration and the site share it); otherwise a new one is made
when the application is created and printed once (the site stores only its hash).
"""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from oauth2_provider.models import get_application_model

DEFAULT_CLIENT_ID = "jupyterhub"


class Command(BaseCommand):
    help = "Create or update the JupyterHub's OAuth2/OpenID Connect application (idempotent)."

    def handle(self, *args, **options) -> None:
        Application = get_application_model()
        client_id = os.environ.get("HUB_CLIENT_ID", DEFAULT_CLIENT_ID)
        secret_from_env = os.environ.get("HUB_CLIENT_SECRET", "")
        redirect = f"{settings.HUB_URL.rstrip('/')}/hub/oauth_callback"
        wanted = {
            "name": "Course JupyterHub",
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "algorithm": Application.RS256_ALGORITHM,
            "skip_authorization": True,
            "redirect_uris": redirect,
            "post_logout_redirect_uris": settings.HUB_URL.rstrip("/") + "/hub/",
        }
        app = Application.objects.filter(client_id=client_id).first()
        new_secret = ""
        if app is None:
            new_secret = secret_from_env or secrets.token_urlsafe(40)
            app = Application(client_id=client_id, client_secret=new_secret, **wanted)
            app.save()
            self.stdout.write(f"Created the hub application (client id {client_id}, redirect {redirect}).")
        else:
            changed = [k for k, v in wanted.items() if getattr(app, k) != v]
            for key in changed:
                setattr(app, key, wanted[key])
            if secret_from_env and not _secret_matches(app, secret_from_env):
                app.client_secret = secret_from_env
                changed.append("client_secret")
            if changed:
                app.save()
                self.stdout.write(f"Updated the hub application {client_id}: {', '.join(sorted(changed))}.")
            else:
                self.stdout.write(f"The hub application {client_id} is up to date.")
        if new_secret and not secret_from_env:
            self.stdout.write(
                f"Client secret (shown once; give it to the hub as HUB_CLIENT_SECRET): {new_secret}"
            )


def _secret_matches(app, secret: str) -> bool:
    from django.contrib.auth.hashers import check_password

    return check_password(secret, app.client_secret) or app.client_secret == secret

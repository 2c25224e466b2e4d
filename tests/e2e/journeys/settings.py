"""The journeys stack's settings: `make run`'s (courseweb.settings.dev) with a fast password hasher.

Hashing is not what the journeys test, and a dozen log-ins with the production hasher cost seconds of CI time.
"""

from courseweb.settings.dev import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

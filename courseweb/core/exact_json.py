"""Django's JSON serialization with times kept to the microsecond (`manage.py backup`'s database dump).

Django's `json` serializer writes datetimes to the millisecond (ECMAScript's format), so a dump and a restore moved
every timestamp with microseconds; this format writes full ISO 8601. Its files are plain Django JSON: `loaddata`
reads them with the standard `json` deserializer, which parses the extra digits.
"""

from __future__ import annotations

import datetime as dt

from django.core.serializers.json import Deserializer, DjangoJSONEncoder
from django.core.serializers.json import Serializer as JSONSerializer

__all__ = ["Deserializer", "Serializer"]


class ExactEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, dt.time):
            return o.isoformat()
        return super().default(o)


class Serializer(JSONSerializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = ExactEncoder

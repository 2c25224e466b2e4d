"""factory_boy factories for the paper catalogue."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from courseweb.papers.importers import title_key
from courseweb.papers.models import Paper, PaperTag, Tag, TagStatus


class PaperFactory(DjangoModelFactory):
    class Meta:
        model = Paper

    title = factory.Sequence(lambda n: f"Learning to Price Paper {n}")
    title_key = factory.LazyAttribute(lambda o: title_key(o.title) or "")
    authors = factory.LazyFunction(lambda: ["Ada Lovelace", "Alan Turing"])
    authors_text = factory.LazyAttribute(lambda o: ", ".join(o.authors))
    date = dt.date(2024, 5, 1)
    date_precision = "day"
    year = factory.LazyAttribute(lambda o: o.date.year if o.date else None)
    abstract = "We study pricing with a regret bound of $O(\\sqrt{T})$ over $T$ rounds."
    primary_format = "bibtex"


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tag-{n}")
    label = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class PaperTagFactory(DjangoModelFactory):
    class Meta:
        model = PaperTag

    paper = factory.SubFactory(PaperFactory)
    tag = factory.SubFactory(TagFactory)
    status = TagStatus.CONFIRMED

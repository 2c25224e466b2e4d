"""Writes to the paper catalogue: importing a source text, confirming tags, marking papers eligible.

`paper_import_text` parses a text with the importers, then stores each record in one transaction:
it matches an existing paper by arXiv id, then DOI, then normalized title (never on an empty title, never
by abstract or date), fills what the paper lacks (and, for a re-import of the paper's own source, updates
what changed), keeps the record as a `PaperSource`, and suggests tags.  The batch's report lists every
record as added, merged or skipped with a reason, and ends with ``added: A, merged: M, skipped: S``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from courseweb.courses.models import Offering
from courseweb.papers import tagging
from courseweb.papers.importers import PaperRecord, ParseResult, parse_text
from courseweb.papers.importers.cleaning import unexpanded_macros
from courseweb.papers.importers.records import Flag
from courseweb.papers.models import (
    ImportBatch,
    Paper,
    PaperEligibility,
    PaperSource,
    PaperTag,
    Tag,
    TagStatus,
)

IMPORT_ATTEMPTS = 3
IMPORT_LOCK_KEY = 663505  # advisory lock id for catalogue imports
REPORT_SUMMARY = "added: {added}, merged: {merged}, skipped: {skipped}"
SKIP_UNIDENTIFIABLE = "no title, arXiv id or DOI to identify it"
ERROR_EMPTY_TEXT = "The file is empty."
ERROR_TAG_LABEL = "A tag needs a name with at least one letter or digit."
ERROR_TAG_STATUS = "A tag can only be confirmed or rejected."
_PRECISION_RANK = {"": 0, "year": 1, "month": 2, "day": 3}
_FILLED_FIELDS = ("venue", "arxiv_category", "abstract", "abstract_raw", "author_affil_hint")


@dataclass(frozen=True, kw_only=True)
class ReportLine:
    action: str  # "added", "merged", "skipped"
    line: int
    label: str
    reason: str

    def __str__(self) -> str:
        return f"{self.action:<7} line {self.line}: {self.label}" + (
            f" ({self.reason})" if self.reason else ""
        )


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _label(record: PaperRecord) -> str:
    if record.title:
        return record.title if len(record.title) <= 90 else record.title[:87] + "..."
    if record.arxiv_id:
        return f"arXiv:{record.arxiv_id}"
    return f"doi:{record.doi}" if record.doi else (record.abstract[:60] + "...")


def paper_match(*, record: PaperRecord) -> tuple[Paper | None, str]:
    """The paper a record is the same as, and why; ids first, then the normalized title."""
    if record.arxiv_id:
        paper = Paper.objects.filter(arxiv_id=record.arxiv_id).first()
        if paper:
            return paper, "same arXiv id"
    if record.doi:
        paper = Paper.objects.filter(doi=record.doi).first()
        if paper:
            return paper, "same DOI"
    key = record.title_key
    if key:  # an empty title never matches anything
        candidates = Paper.objects.filter(title_key=key)
        if record.arxiv_id:
            candidates = candidates.filter(Q(arxiv_id="") | Q(arxiv_id=record.arxiv_id))
        if record.doi:
            candidates = candidates.filter(Q(doi="") | Q(doi=record.doi))
        paper = candidates.order_by("id").first()
        if paper:
            return paper, "same normalized title"
    return None, ""


def _paper_flags(paper: Paper) -> list[str]:
    flags: list[str] = []
    if not paper.title:
        flags.append(Flag.NO_TITLE.value)
    if not paper.abstract:
        flags.append(Flag.NO_ABSTRACT.value)
    if not paper.title or not (paper.abstract or paper.authors):
        flags.append(Flag.NEEDS_METADATA.value)
    if paper.authors_truncated:
        flags.append(Flag.AUTHORS_TRUNCATED.value)
    if paper.year_inferred:
        flags.append(Flag.YEAR_INFERRED.value)
    if paper.abstract and unexpanded_macros(paper.abstract):
        flags.append(Flag.UNEXPANDED_MACROS.value)
    return flags


def _fit(field: str, value: str) -> str:
    """A text value cut to the column's length (venues and comments from BibTeX can be long)."""
    limit = Paper._meta.get_field(field).max_length
    return value[:limit] if limit else value


def _set_authors(paper: Paper, record: PaperRecord) -> None:
    paper.authors = list(record.authors)
    paper.authors_text = ", ".join(record.authors)[:1000]
    paper.authors_truncated = record.authors_truncated
    paper.author_affil_hint = _fit("author_affil_hint", record.author_affil_hint or "")


def _set_date(paper: Paper, record: PaperRecord) -> None:
    paper.date = record.date
    paper.date_precision = record.date_precision.value if record.date_precision else ""
    paper.date_raw = record.date_raw[:100]
    paper.year = record.date.year if record.date else None
    paper.year_inferred = record.year_inferred


def _id_free(field: str, value: str, paper: Paper) -> bool:
    return not Paper.objects.filter(**{field: value}).exclude(pk=paper.pk).exists()


def _merge(paper: Paper, record: PaperRecord) -> list[str]:
    """Fill what the paper lacks from the record; a re-import of the paper's own source also updates."""
    same_source = paper.primary_format == record.source
    changed: list[str] = []
    if record.title and (not paper.title or (same_source and record.title != paper.title)):
        paper.title, paper.title_key = record.title[:500], (record.title_key or "")[:500]
        changed.append("title")
    better_authors = paper.authors_truncated and not record.authors_truncated
    if record.authors and (
        not paper.authors or better_authors or (same_source and record.authors != paper.authors)
    ):
        _set_authors(paper, record)
        changed.append("authors")
    if record.date:
        rank, old_rank = _PRECISION_RANK[record.date_precision or ""], _PRECISION_RANK[paper.date_precision]
        better = rank > old_rank or (paper.year_inferred and not record.year_inferred and rank >= old_rank)
        if not paper.date or better or (same_source and record.date != paper.date):
            _set_date(paper, record)
            changed.append("date")
    for field in _FILLED_FIELDS:
        value = _fit(field, getattr(record, field) or "")
        if value and (not getattr(paper, field) or (same_source and getattr(paper, field) != value)):
            setattr(paper, field, value)
            changed.append(field)
    for field in ("arxiv_id", "doi"):  # identifiers are filled, never overwritten
        value = getattr(record, field)
        fits = value and len(value) <= (Paper._meta.get_field(field).max_length or 0)
        if fits and not getattr(paper, field) and _id_free(field, value, paper):
            setattr(paper, field, value)
            changed.append(field)
    score = record.source_score
    if score is not None and (paper.source_score is None or same_source) and paper.source_score != score:
        paper.source_score = score
        changed.append("source_score")
    new_comments = [c for c in record.comments if c not in paper.comments]
    if new_comments:
        paper.comments = [*paper.comments, *new_comments]
        changed.append("comments")
    if not paper.url or (paper.arxiv_id and "arxiv.org" not in paper.url):
        url = f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else record.url or ""
        if url and url != paper.url and len(url) <= (Paper._meta.get_field("url").max_length or 0):
            paper.url = url
            changed.append("url")
    return [field for field in changed if field != "abstract_raw"]


def _new_paper(record: PaperRecord) -> Paper:
    paper = Paper(
        primary_format=record.source, title=(record.title or "")[:500], title_key=record.title_key or ""
    )
    _merge(paper, record)
    return paper


def tag_vocabulary_sync() -> dict[str, Tag]:
    """Make sure every vocabulary tag exists; returns slug -> Tag."""
    tags = {tag.slug: tag for tag in Tag.objects.filter(slug__in=tagging.TAG_LABELS)}
    for slug, label in tagging.TAG_LABELS.items():
        if slug not in tags:
            tags[slug], _ = Tag.objects.get_or_create(
                slug=slug, defaults={"label": label, "in_vocabulary": True}
            )
    return tags


def paper_tags_suggest(*, paper: Paper, extra_labels: list[str] | None = None) -> list[str]:
    """Suggest vocabulary tags from the paper's text (and tags its source carried); never re-suggests a rejection."""
    vocabulary = tag_vocabulary_sync()
    tags = [vocabulary[slug] for slug in tagging.suggest_tags(title=paper.title, abstract=paper.abstract)]
    origins = {tag.slug: "keywords" for tag in tags}
    for label in extra_labels or []:
        slug = slugify(label)[:60]
        if slug:
            tag = (
                vocabulary.get(slug)
                or Tag.objects.get_or_create(slug=slug, defaults={"label": label[:100]})[0]
            )
            tags.append(tag)
            origins.setdefault(tag.slug, "source")
    existing = set(PaperTag.objects.filter(paper=paper).values_list("tag__slug", flat=True))
    added = []
    for tag in tags:
        if tag.slug not in existing:
            PaperTag.objects.create(
                paper=paper, tag=tag, status=TagStatus.SUGGESTED, origin=origins[tag.slug]
            )
            existing.add(tag.slug)
            added.append(tag.slug)
    return added


def _store(record: PaperRecord, batch: ImportBatch) -> ReportLine:
    label = _label(record)
    if not (record.title_key or record.arxiv_id or record.doi):
        return ReportLine(action="skipped", line=record.source_line, label=label, reason=SKIP_UNIDENTIFIABLE)
    paper, why = paper_match(record=record)
    raw_sha = _sha(record.raw)
    if paper is None:
        paper = _new_paper(record)
        action, reason = "added", ""
    else:
        changed = _merge(paper, record)
        seen = PaperSource.objects.filter(paper=paper, format=record.source, raw_sha256=raw_sha).exists()
        detail = (
            f"updated {', '.join(changed)}" if changed else ("already imported" if seen else "nothing new")
        )
        action, reason = "merged", f"{why}; {detail}"
    paper.flags = _paper_flags(paper)
    paper.save()
    PaperSource.objects.update_or_create(
        paper=paper,
        format=record.source,
        raw_sha256=raw_sha,
        defaults={
            "batch": batch,
            "filename": batch.filename,
            "source_line": record.source_line,
            "raw": record.raw,
            "record": record.to_dict(),
        },
    )
    paper_tags_suggest(paper=paper, extra_labels=record.tags)
    return ReportLine(action=action, line=record.source_line, label=label, reason=reason)


def paper_import_text(
    *,
    text: str,
    fmt: str | None = None,
    filename: str = "",
    user: Any = None,
    capture_date: dt.date | None = None,
) -> ImportBatch:
    """Parse `text` (format detected when `fmt` is None) and store its records; returns the batch with its report.

    `capture_date` is the day a page was copied (scholar profiles omit the current year).
    Raises `importers.FormatError` (a ValueError) when the text is not in the format, before anything is stored.
    """
    if not text.strip():
        raise ValueError(ERROR_EMPTY_TEXT)
    result = parse_text(text=text, fmt=fmt, filename=filename or None, capture_date=capture_date)
    for attempt in range(IMPORT_ATTEMPTS):
        try:
            return _import_records(result=result, text=text, filename=filename, user=user)
        except IntegrityError:  # a concurrent import added the same id first: match against it this time
            if attempt == IMPORT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _serialize_imports() -> None:
    """One import at a time on PostgreSQL (SQLite's IMMEDIATE transactions already serialize writers),
    so two concurrent imports of the same untitled-id-less paper cannot both add it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def _import_records(*, result: ParseResult, text: str, filename: str, user: Any) -> ImportBatch:
    with transaction.atomic():
        _serialize_imports()
        batch = ImportBatch.objects.create(
            format=result.format,
            filename=filename[:255],
            sha256=_sha(text),
            imported_by=user,
            source_text=text,
        )
        lines = [_store(record, batch) for record in result.records]
        lines += [
            ReportLine(action="skipped", line=r.line, label=r.text[:90], reason=r.reason)
            for r in result.rejected
        ]
        lines.sort(key=lambda item: item.line)
        batch.added = sum(item.action == "added" for item in lines)
        batch.merged = sum(item.action == "merged" for item in lines)
        batch.skipped = sum(item.action == "skipped" for item in lines)
        header = [f"Import of {filename or 'pasted text'} (format: {result.format})"]
        notes = [f"note: {note}" for note in result.notes]
        summary = REPORT_SUMMARY.format(added=batch.added, merged=batch.merged, skipped=batch.skipped)
        batch.report = "\n".join([*header, *map(str, lines), *notes, summary])
        batch.save(update_fields=["added", "merged", "skipped", "report"])
    return batch


def paper_tag_decide(*, paper_tag: PaperTag, status: str, user: Any) -> PaperTag:
    """Staff confirm or reject a suggested (or earlier decided) tag."""
    if status not in (TagStatus.CONFIRMED, TagStatus.REJECTED):
        raise ValueError(ERROR_TAG_STATUS)
    paper_tag.status, paper_tag.decided_by, paper_tag.decided_at = status, user, timezone.now()
    paper_tag.save(update_fields=["status", "decided_by", "decided_at"])
    return paper_tag


def paper_tags_confirm_all(*, paper: Paper, user: Any) -> int:
    """Confirm every pending suggestion on a paper; returns how many."""
    return PaperTag.objects.filter(paper=paper, status=TagStatus.SUGGESTED).update(
        status=TagStatus.CONFIRMED, decided_by=user, decided_at=timezone.now()
    )


def paper_tag_add(*, paper: Paper, label: str, user: Any) -> PaperTag:
    """Staff add a tag (a vocabulary tag or a new free tag), confirmed at once."""
    slug = slugify(label.strip())[:60]
    if not slug:
        raise ValueError(ERROR_TAG_LABEL)
    with transaction.atomic():
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"label": label.strip()[:100]})
        paper_tag, _ = PaperTag.objects.get_or_create(paper=paper, tag=tag, defaults={"origin": "staff"})
        return paper_tag_decide(paper_tag=paper_tag, status=TagStatus.CONFIRMED, user=user)


def paper_eligibility_set(
    *, paper: Paper, offering: Offering, eligible: bool, user: Any, note: str = ""
) -> PaperEligibility | None:
    """Mark (or unmark) a paper as open for replication sign-up in an offering."""
    with transaction.atomic():
        if not eligible:
            PaperEligibility.objects.filter(paper=paper, offering=offering).delete()
            return None
        eligibility, created = PaperEligibility.objects.get_or_create(
            paper=paper, offering=offering, defaults={"marked_by": user, "note": note[:300]}
        )
        if not created and note and eligibility.note != note:
            eligibility.note = note[:300]
            eligibility.save(update_fields=["note"])
        return eligibility

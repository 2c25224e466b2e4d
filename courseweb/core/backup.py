"""Backup and restore of everything the site keeps: the database and the stored files.

`manage.py backup FILE` writes one `.tar.gz`:

- `database.json`: every row of every model (Django's `dumpdata`, primary keys kept, content types and
  permissions by natural key: `migrate` recreates those), written to a temporary file, never held in memory;
- `files/media/...`: the files under MEDIA_ROOT (releases; with the filesystem default, the homework storage's
  submissions, feedback, hand-ins and kept uploads too);
- `files/stored/<alias>/...`: the files of each stored-file storage that is not a folder under MEDIA_ROOT (the
  lecture materials' folder; both storages when they are an S3 bucket), read through Django's storage API by name;
- `files/var/...`: the site's own secrets kept on disk (the OpenID Connect signing key, so that the hub's logins
  survive a restore);
- `manifest.json`: when and from which database it was made, the applied migrations, the rows per model and the
  SHA-256 of every member above.

`manage.py restore FILE` checks the whole archive against its manifest first (a damaged or foreign archive
changes nothing), refuses a database that already holds data unless `--force`, migrates, replaces the rows in one
transaction, then puts the files in place next to the old ones and swaps them in, and writes each storage's files
back through the storage (removing those the backup did not have). The engine-independent format
(JSON rows, not `pg_dump`) lets a course move from the embedded SQLite to PostgreSQL with a backup and a restore.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import management
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from courseweb.accounts.oidc_keys import KEY_FILE

FORMAT = 1
STORED = ("homework", "materials")  # the STORAGES aliases that hold the site's stored files (settings.base)
EXCLUDED = ["contenttypes", "auth.permission"]  # recreated by `migrate`, referred to by natural key


class BackupError(RuntimeError):
    """The archive cannot be restored; the message says why and that nothing was changed."""


@dataclass
class BackupReport:
    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_roots() -> dict[str, Path]:
    """Archive folder -> folder on disk, for every place the site stores files."""
    return {"media": Path(settings.MEDIA_ROOT), "var": Path(settings.VAR_DIR)}


def _var_files(root: Path) -> Iterator[Path]:
    key = root / KEY_FILE
    if key.is_file():
        yield key


def _media_files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


def _stored_apart() -> list[str]:
    """The stored-file aliases whose files the walk of MEDIA_ROOT does not see (a bucket, a folder elsewhere)."""
    media = Path(settings.MEDIA_ROOT).resolve()
    return [
        alias
        for alias in STORED
        if not (
            isinstance(storages[alias], FileSystemStorage)
            and Path(storages[alias].location).resolve().is_relative_to(media)
        )
    ]


def _stored_names(store: Storage, prefix: str = "") -> Iterator[str]:
    """Every file name in the storage, depth first (names as the storage knows them)."""
    try:
        folders, files = store.listdir(prefix)
    except FileNotFoundError:
        return
    for name in sorted(files):
        if not name.startswith(".incoming-"):
            yield f"{prefix}{name}"
    for folder in sorted(folders):
        yield from _stored_names(store, f"{prefix}{folder}/")


def _add_stored(tar: tarfile.TarFile, tmp: Path, members: dict[str, str], report: BackupReport) -> list[str]:
    """Add the files of the storages kept apart from MEDIA_ROOT; returns their aliases (for the manifest)."""
    aliases = _stored_apart()
    copy = tmp / "stored-file"
    for alias in aliases:
        store = storages[alias]
        for name in _stored_names(store):
            with store.open(name, "rb") as src, open(copy, "wb") as dst:
                shutil.copyfileobj(src, dst)
            arcname = f"files/stored/{alias}/{name}"
            tar.add(copy, arcname=arcname)
            members[arcname] = _sha256(copy)
            report.files += 1
            report.bytes += copy.stat().st_size
    copy.unlink(missing_ok=True)
    return aliases


def _files() -> Iterator[tuple[str, Path]]:
    roots = _file_roots()
    for path in _media_files(roots["media"]):
        yield f"files/media/{path.relative_to(roots['media']).as_posix()}", path
    for path in _var_files(roots["var"]):
        yield f"files/var/{path.relative_to(roots['var']).as_posix()}", path


def row_counts() -> dict[str, int]:
    """Rows per model (the models `database.json` holds), for the manifest and for checks."""
    skipped = {"contenttypes.contenttype", "auth.permission"}
    return {
        m._meta.label_lower: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.label_lower not in skipped and m._meta.managed and not m._meta.proxy
    }


def _applied_migrations() -> list[list[str]]:
    recorder = MigrationRecorder(connections[DEFAULT_DB_ALIAS])
    return sorted([app, name] for app, name in recorder.applied_migrations())


def database_dump(out: Path) -> None:
    """Every row, as `dumpdata` writes it (the format `restore` loads)."""
    management.call_command(
        "dumpdata",
        format="json-exact",  # Django's JSON, with times to the microsecond (courseweb/core/exact_json.py)
        exclude=EXCLUDED,
        natural_foreign=True,
        indent=None,
        output=str(out),
        verbosity=0,
    )


def backup_create(path: Path) -> BackupReport:
    """Write the archive to `path` (through a temporary file in the same folder, renamed when complete)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    report = BackupReport(path=path, rows=row_counts())
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as tmp:
        db = Path(tmp) / "database.json"
        database_dump(db)
        members: dict[str, str] = {"database.json": _sha256(db)}
        partial = Path(tmp) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(db, arcname="database.json")
            for name, file in _files():
                tar.add(file, arcname=name)
                members[name] = _sha256(file)
                report.files += 1
                report.bytes += file.stat().st_size
            stored = _add_stored(tar, Path(tmp), members, report)
            manifest = {
                "format": FORMAT,
                "created_at": timezone.localtime().isoformat(),
                "database_vendor": connections[DEFAULT_DB_ALIAS].vendor,
                "migrations": _applied_migrations(),
                "rows": report.rows,
                "sha256": members,
                "stored": stored,
            }
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, path)
    return report


def _safe_member(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def _unpack_checked(archive: Path, into: Path) -> dict:
    """Extract into `into` and verify every member against the manifest; raise BackupError on any mismatch."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for m in members:
                if not (m.isfile() or m.isdir()) or not _safe_member(m.name):
                    raise BackupError(
                        f"The archive holds an unexpected entry ({m.name!r}); nothing was changed."
                    )
            tar.extractall(into, members=members, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"The archive cannot be read ({exc}); nothing was changed.") from exc
    try:
        manifest = json.loads((into / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError("The archive has no readable manifest.json; nothing was changed.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}; nothing was changed.")
    expected = manifest.get("sha256", {})
    found = {
        p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file() and p.name != "manifest.json"
    } - {"manifest.json"}
    if found != set(expected):
        raise BackupError("The archive's files do not match its manifest; nothing was changed.")
    for name, digest in expected.items():
        if _sha256(into / name) != digest:
            raise BackupError(f"{name} is damaged (checksum mismatch); nothing was changed.")
    return manifest


def database_is_empty() -> bool:
    return not any(n for label, n in row_counts().items() if not label.startswith("django_celery_results."))


def _swap_in(new: Path, target: Path) -> None:
    """Put `new` in place of `target`; the old folder is removed only after the new one is in place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.before-restore")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    try:
        shutil.move(str(new), str(target))
    except BaseException:
        if old.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _restore_stored(unpacked: Path, aliases: list[str]) -> None:
    """Make each archived storage hold exactly the archive's files, written through the storage by name."""
    for alias in aliases:
        store, folder = storages[alias], unpacked / "files" / "stored" / alias
        wanted = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
        for name, path in sorted(wanted.items()):
            store.delete(name)  # the storages are write-once: a file of this name is replaced, not renamed
            with open(path, "rb") as fh:
                saved = store.save(name, File(fh, name=name))
            if saved != name:
                raise BackupError(f"The {alias} storage stored {name!r} as {saved!r}; restore it by hand.")
        for name in list(_stored_names(store)):
            if name not in wanted:
                store.delete(name)


def backup_restore(archive: Path, *, force: bool = False) -> dict:
    """Restore the archive's rows and files; returns its manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"No such file: {archive}")
    media = Path(settings.MEDIA_ROOT)
    media.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=media.parent, prefix=".restore-") as tmp:
        unpacked = Path(tmp)
        manifest = _unpack_checked(archive, unpacked)
        management.call_command("migrate", interactive=False, verbosity=0)
        if not force and not database_is_empty():
            raise BackupError(
                "The database already holds data; restore with --force to replace it. Nothing was changed."
            )
        with transaction.atomic():
            # flush re-creates content types and permissions (post_migrate); rows refer to them by natural key
            management.call_command("flush", interactive=False, verbosity=0)
            management.call_command("loaddata", str(unpacked / "database.json"), verbosity=0)
        counts = row_counts()
        wrong = {k: (v, counts.get(k)) for k, v in manifest["rows"].items() if counts.get(k) != v}
        if wrong:
            raise BackupError(f"Rows restored differ from the backup's: {wrong}")
        restored_media = unpacked / "files" / "media"
        if not restored_media.exists():
            restored_media.mkdir(parents=True)  # a backup of a site without files: the restored site has none
        _swap_in(restored_media, media)
        var_files = unpacked / "files" / "var"
        if var_files.exists():
            for file in var_files.rglob("*"):
                if file.is_file():
                    dest = Path(settings.VAR_DIR) / file.relative_to(var_files)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(file, dest)
                    os.chmod(dest, 0o600)
        _restore_stored(unpacked, [a for a in manifest.get("stored", []) if a in STORED])
    return manifest

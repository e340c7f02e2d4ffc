"""The files of a built static site: what each uploads as (content type, Cache-Control), read at preview time.

Pure functions, no Pulumi: `site_files` lists a build directory (sorted, so the graph is deterministic), and
refuses a missing directory or one without index.html with one message naming the settings key and the path.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from settings.sites import ONE_YEAR, SiteCachingSettings

INDEX = "index.html"
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"
OCTET_STREAM = "application/octet-stream"
# Content types by extension, fixed here rather than read from the machine's mime.types (which differs between a
# laptop and CI and would change the uploaded objects). Text types say UTF-8, what bundlers emit.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8", ".webmanifest": "application/manifest+json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".xml": "application/xml; charset=utf-8",
    ".csv": "text/csv; charset=utf-8", ".md": "text/markdown; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
    ".bmp": "image/bmp", ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject", ".wasm": "application/wasm", ".pdf": "application/pdf",
    ".zip": "application/zip", ".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg",
    ".mp4": "video/mp4", ".webm": "video/webm",
}
# Dotfiles (.DS_Store, .gitkeep, .env) stay out of a public bucket; .well-known/ (app links, security.txt) is
# the one hidden directory a site publishes on purpose.
WELL_KNOWN = ".well-known"


class SiteSourceError(ValueError):
    """The site's source directory cannot be uploaded: the message names the settings key and the path."""


@dataclass(frozen=True)
class SiteFile:
    """One file to upload: its key in the bucket, its path from the project directory, and how it is served."""

    key: str
    path: str
    content_type: str
    cache_control: str
    md5: str

    @property
    def immutable(self) -> bool:
        """A content-hashed file: never changes, kept after it leaves the build (open tabs still load it)."""
        return self.cache_control == IMMUTABLE

    @property
    def is_html(self) -> bool:
        return PurePosixPath(self.key).suffix.lower() in (".html", ".htm")


def content_type(key: str) -> str:
    """The Content-Type of a key, by extension (case-insensitive); unknown ones download as octet-stream."""
    return CONTENT_TYPES.get(PurePosixPath(key).suffix.lower(), OCTET_STREAM)


def max_age(seconds: int) -> str:
    """`no-cache` (store, but revalidate every time) for 0, else a public max-age."""
    return "no-cache" if seconds == 0 else f"public, max-age={seconds}"


def cache_control(key: str, caching: SiteCachingSettings) -> str:
    """Hashed assets a year and immutable (their prefix wins), HTML per htmlMaxAgeSeconds, the rest the default."""
    if any(key.startswith(prefix) for prefix in caching.immutable_prefixes):
        return IMMUTABLE
    if PurePosixPath(key).suffix.lower() in (".html", ".htm"):
        return max_age(caching.html_max_age_seconds)
    return max_age(caching.default_max_age_seconds)


def _published(relative: PurePosixPath) -> bool:
    """Hidden files and directories are skipped, except under .well-known/."""
    hidden = [part for part in relative.parts if part.startswith(".")]
    return not hidden or hidden == [WELL_KNOWN]


def site_files(project_dir: Path, source_dir: str, caching: SiteCachingSettings, key: str) -> list[SiteFile]:
    """Every file under `source_dir` (relative to `project_dir`), sorted by key; `key` names the setting."""
    root = project_dir / source_dir
    if not root.is_dir():
        raise SiteSourceError(
            f"{key}.sourceDir: directory {source_dir!r} not found (looked for {root}); build the site first "
            f"(e.g. npm run build) or fix the path, which is relative to the project directory")
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories.sort()
        for name in sorted(names):
            relative = PurePosixPath(Path(directory, name).relative_to(root).as_posix())
            if not _published(relative):
                continue
            found.append(_site_file(project_dir, source_dir, relative, caching))
    if not any(f.key == INDEX for f in found):
        raise SiteSourceError(
            f"{key}.sourceDir: {source_dir!r} has no {INDEX} at its top level; CloudFront serves it for / and, "
            f"with spaFallback, for every path without a file. Is this the build output directory?")
    return sorted(found, key=lambda f: f.key)


def _site_file(project_dir: Path, source_dir: str, relative: PurePosixPath, caching: SiteCachingSettings) -> SiteFile:
    key = relative.as_posix()
    digest = hashlib.md5((project_dir / source_dir / key).read_bytes(), usedforsecurity=False).hexdigest()
    return SiteFile(key=key, path=(PurePosixPath(source_dir) / key).as_posix(), content_type=content_type(key),
                    cache_control=cache_control(key, caching), md5=digest)

"""Files users add through the web app: checked by what they contain, stored under a safe name.

``store_upload`` accepts a file only when its content is what its name says (PDF header, a zip with
a Word body, an OLE container for .doc/.wps, text that decodes for .txt/.md/.html/.csv, a zip with
OFD.xml for .ofd, an Excel workbook for .xlsx, image bytes for .png/.jpg/.tif) and it fits the
size limit; the stored name cannot leave the uploads folder, is never hidden, and never replaces
another file (a different file with the same name gets " (2)", the same file again is kept once).
Every refusal is an ``UploadRejected`` with a reason for the user, in Chinese.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from index.loaders import SUPPORTED_SUFFIXES
from index.loaders.content_type import CONTENT_LABELS, detect_content
from index.loaders.document import megabytes
from index.loaders.image import IMAGE_SUFFIXES

__all__ = ["ALLOWED_SUFFIXES", "UploadRejected", "check_upload", "read_upload", "safe_upload_name", "store_upload"]

ALLOWED_SUFFIXES = SUPPORTED_SUFFIXES
MAX_STEM_CHARS = 80
MAX_STEM_BYTES = 180  # file names are limited to 255 bytes; room is left for " (99)" and the suffix
MAX_COLLISIONS = 999

# What each accepted suffix may contain. A .doc that is really a .docx (and the reverse) is common and
# the loaders read both, so both are accepted.
_ACCEPTS = {
    ".pdf": {"pdf"},
    ".docx": {"docx", "ole"},
    ".doc": {"ole", "docx"},
    ".wps": {"ole", "docx"},
    ".txt": {"text"},
    ".md": {"text"},
    ".markdown": {"text"},
    ".html": {"text"},
    ".htm": {"text"},
    ".ofd": {"ofd"},
    ".csv": {"text"},
    # A password-protected .xlsx is an OLE container: accepted, so that the loader says it is encrypted.
    ".xlsx": {"xlsx", "ole"},
    **dict.fromkeys(IMAGE_SUFFIXES, {"image"}),
}
# Kept in names: letters and digits of any script (\w), symbols such as emoji, spaces and common
# Chinese/ASCII punctuation; anything else (/ \ : * ? " < > | and the like) becomes "_".
_NAME_PUNCTUATION = frozenset("（）()《》【】[]-—_.，,、+&@#%= ")
_WORD_CHAR = re.compile(r"\w")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}$")


class UploadRejected(Exception):
    """An upload that is not stored. ``reason`` is for the user, in Chinese."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"{name}：{reason}")


def safe_upload_name(name: str) -> str:
    """A file name that cannot escape the uploads folder, is not hidden, and still reads as the original."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    # Control and format characters (e.g. U+202E, which displays "cod.exe" as "exe.doc") go first.
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot or not _SUFFIX.match("." + suffix.lower()) or not stem.strip(" ._"):
        stem, suffix = base, ""
    else:
        suffix = "." + suffix.lower()
    stem = "".join(c if _name_char(c) else "_" for c in stem)
    stem = re.sub(r"_{2,}", "_", stem).strip(" ._") or "文件"
    stem = stem[:MAX_STEM_CHARS]
    while len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem = stem[:-1]
    return f"{stem.rstrip(' ._') or '文件'}{suffix}"


def _name_char(c: str) -> bool:
    return c in _NAME_PUNCTUATION or bool(_WORD_CHAR.match(c)) or unicodedata.category(c) == "So"


def check_upload(name: str, data: bytes, max_bytes: int) -> str:
    """The safe storage name for an acceptable upload; raises UploadRejected otherwise."""
    safe = safe_upload_name(name)
    suffix = Path(safe).suffix
    if suffix not in ALLOWED_SUFFIXES:
        shown = suffix or "（无扩展名）"
        raise UploadRejected(name, f"不支持的文件类型 {shown}（支持：{'、'.join(ALLOWED_SUFFIXES)}）")
    if not data:
        raise UploadRejected(name, "文件为空")
    if len(data) > max_bytes:
        raise UploadRejected(name, f"文件过大（超过 {megabytes(max_bytes / 1024 / 1024)} MB，本文件 {megabytes(len(data) / 1024 / 1024)} MB）")
    kind = detect_content(data)
    if kind not in _ACCEPTS[suffix]:
        if suffix in (".txt", ".md", ".markdown", ".html", ".htm", ".csv") and kind == "binary":
            raise UploadRejected(name, "不是文本文件（无法识别文字编码，疑似二进制）")
        if suffix == ".docx" and kind == "zip":
            raise UploadRejected(name, "不是 Word 文档（压缩包中没有 word/document.xml，文件可能已损坏）")
        if suffix == ".ofd" and kind == "zip":
            raise UploadRejected(name, "不是 OFD 文件（压缩包中没有 OFD.xml，文件可能已损坏）")
        raise UploadRejected(name, f"文件内容与扩展名 {suffix} 不符：内容是{CONTENT_LABELS[kind]}")
    return safe


def read_upload(src: Path, max_bytes: int, shown: str | None = None) -> bytes:
    """The bytes of an upload that exists and fits the size limit (checked before reading it)."""
    shown = shown or src.name
    if not src.is_file():
        raise UploadRejected(shown, "文件不存在或不是普通文件")
    size = src.stat().st_size
    if size > max_bytes:
        raise UploadRejected(shown, f"文件过大（超过 {megabytes(max_bytes / 1024 / 1024)} MB，本文件 {megabytes(size / 1024 / 1024)} MB）")
    try:
        return src.read_bytes()
    except OSError as exc:
        raise UploadRejected(shown, f"无法读取文件：{exc.strerror or exc}") from exc


def store_upload(src: Path, uploads_dir: Path, max_bytes: int, *, name: str | None = None) -> Path:
    """Check ``src`` and copy it into ``uploads_dir``; returns the stored path.

    ``name`` is the name the user gave the file (defaults to ``src.name``). A different file already
    stored under the same name is never replaced: the new one gets " (2)", " (3)", …; the very same
    content uploaded again returns the stored copy.
    """
    shown = name or src.name
    data = read_upload(src, max_bytes, shown)
    safe = check_upload(shown, data, max_bytes)
    uploads_dir.mkdir(parents=True, exist_ok=True)
    folder = uploads_dir.resolve()
    stem, suffix = Path(safe).stem, Path(safe).suffix
    for n in range(1, MAX_COLLISIONS + 1):
        target = folder / (safe if n == 1 else f"{stem} ({n}){suffix}")
        if target.parent != folder:  # cannot happen with a safe name; never write outside the folder
            raise UploadRejected(shown, "文件名无效")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
                return target
            continue
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target
    raise UploadRejected(shown, f"同名文件过多（已有 {MAX_COLLISIONS} 个），请改名后再上传")

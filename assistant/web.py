"""What the web app does on each event, as typed functions over the Workspace, plus its HTML.

app.py lays out the page and wires these handlers to Gradio events; everything here runs and can be
tested without a server. Handlers raise ``UserError`` with a Chinese message for the page to show.
Document text is always escaped: a ``*`` redaction or a ``<tag>`` in a report is shown as written.

With logins (``login=True``) every handler takes the signed-in ``user`` and reads through
``Workspace.within`` his readable knowledge bases (assistant/access.py), looked up once per request;
upload, delete and re-index need a 维护人员 or 管理员 right on the knowledge base, and each request
leaves a row in the audit log (assistant/audit.py). Without logins (loopback, one user) the whole
index is his.
"""

from __future__ import annotations

import functools
import html
import inspect
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from assistant import audit
from assistant.access import AccessError
from assistant.answering import Answer
from assistant.exports import write_check_results, write_ledger, write_study_pack
from assistant.ledger import build_ledger, filter_rows
from assistant.library import LibraryError, add_files, reindex, remove_document, versions
from assistant.measures import MeasureResult, check_measures, read_measures_file
from assistant.retrieval import SearchFilter
from assistant.signals.question import content_words as _content_words
from assistant.study import StudyPack, build_study_pack, excerpt_choice, excerpt_key
from assistant.uploads import ALLOWED_SUFFIXES
from assistant.views import (
    Table,
    answer_text,
    check_table,
    ledger_table,
    library_table,
    markdown_escape,
    page_note,
    related_line,
    study_markdown,
    verdict_in_words,
)
from assistant.workspace import Workspace
from index.generation import IndexReadOnly, IndexUnavailable
from index.kinds import KIND_LABELS
from index.lock import IndexBusy
from index.manifest import FileRecord
from index.pipeline import ProgressCallback

ChatMessage = dict[str, str]
Handler = TypeVar("Handler", bound=Callable[..., Any])


def content_words(text: str) -> list[str]:
    return [w for w, _ in _content_words(text)]


class UserError(Exception):
    """Something the user asked that cannot be done; the message is shown on the page, in Chinese."""


# What the index itself may refuse (no index yet; kept by another machine's replica), the library's and
# the access rules' refusals.
_SHOWN = (IndexUnavailable, IndexBusy, IndexReadOnly, LibraryError, AccessError)


def user_errors(handler: Handler) -> Handler:
    """The handler with the index's and the library's refusals turned into ``UserError`` (their messages
    are already Chinese); a generator stays one, so Gradio still streams it."""
    if inspect.isgeneratorfunction(handler):
        @functools.wraps(handler)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from handler(*args, **kwargs)
            except _SHOWN as exc:
                raise UserError(str(exc)) from exc
        return stream  # type: ignore[return-value]

    @functools.wraps(handler)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except _SHOWN as exc:
            raise UserError(str(exc)) from exc
    return call  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------------
# HTML and Markdown (pure functions: plain data in, escaped text out)


def highlight(passage: str, quote: str) -> str:
    """The passage, escaped, with the quoted words marked."""
    at = passage.find(quote) if quote else -1
    if at < 0:
        return html.escape(passage)
    return (
        html.escape(passage[:at])
        + "<mark>" + html.escape(quote) + "</mark>"
        + html.escape(passage[at + len(quote):])
    )


def source_cards(answer: Answer) -> str:
    """The sources panel: a card per citation (quote, then the passage with the quote marked)."""
    if not answer.found:
        items = "".join(
            f"<div class='source-card'><div class='where'>可能相关 · 《{html.escape(p.chunk.title)}》"
            f" {html.escape(p.chunk.section)}</div><div>{html.escape(p.chunk.text)}</div></div>"
            for p in answer.related
        )
        return f"<div class='not-found'>{html.escape(answer.text)}</div>{items}"
    cards = []
    for c in answer.citations:
        chunk = c.chunk
        page = f" · {note}" if (note := page_note(chunk)) else ""
        cards.append(
            f"<div class='source-card' id='src-{c.n}'>"
            f"<div class='where'>[{c.n}] 《{html.escape(chunk.title)}》{page} · {html.escape(chunk.section or '正文')}</div>"
            f"<div>“{html.escape(c.quote)}”</div>"
            f"<details><summary>展开原文段落</summary><div>{highlight(chunk.text, c.quote)}</div></details>"
            "</div>"
        )
    return "".join(cards) or "<div class='where'>（无引用）</div>"


def literal_markdown(text: str) -> str:
    """Document text that Markdown shows exactly as written: the ``*`` of a redacted name stays a ``*``,
    ``#``, ``_``, ``~`` and ``<tag>`` are characters, never markup."""
    entities = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return markdown_escape(entities).replace("~", "\\~")


def answer_markdown(answer: Answer) -> str:
    """Answer text for the chat bubble: document text literal, [n] turned into links to its card."""
    text = literal_markdown(answer.text)
    text = re.sub(r"\\\[(\d+)\\\]", lambda m: f"[\\[{m.group(1)}\\]](#src-{m.group(1)})", text)
    if not answer.found and answer.related:
        text += "\n\n" + "\n".join(f"- {literal_markdown(related_line(p))}" for p in answer.related)
    return text


def marked_source(measure: str, quote: str, differing: Sequence[str]) -> str:
    """The source text, escaped, with the words it shares with the measure marked and the words that
    differ from it set apart."""
    spans: list[tuple[int, int, str]] = []
    for value in sorted({d for d in differing if d and len(d) >= 2}, key=len, reverse=True):
        for m in re.finditer(re.escape(value), quote):
            spans.append((m.start(), m.end(), "diff"))
    for word in sorted({w for w in content_words(measure)}, key=len, reverse=True):
        for m in re.finditer(re.escape(word), quote):
            spans.append((m.start(), m.end(), "same"))
    out, cursor = [], 0
    for start, end, kind in sorted(spans):
        if start < cursor:
            continue
        out.append(html.escape(quote[cursor:start]))
        tag = "span class='diff'" if kind == "diff" else "mark"
        out.append(f"<{tag}>{html.escape(quote[start:end])}</{tag.split()[0]}>")
        cursor = end
    out.append(html.escape(quote[cursor:]))
    return "".join(out)


def check_details(results: Sequence[MeasureResult]) -> str:
    """One card per measure: the verdict in words, and the source sentence with what matches marked and
    what differs set apart."""
    cards = []
    for n, result in enumerate(results, start=1):
        best = result.matches[0] if result.matches else None
        source = ""
        if best is not None:
            differing = [c.source_value for c in best.signals.conflicts if not c.unsupported]
            source = (f"<div class='where'>《{html.escape(best.chunk.title)}》{html.escape(best.chunk.section)}</div>"
                      f"<div>{marked_source(result.measure, best.quote, differing)}</div>")
        for ref in result.references:
            source += (f"<div class='where reference'>参考资料《{html.escape(ref.chunk.title)}》"
                       f"{html.escape(ref.chunk.section)}</div><div>{html.escape(ref.quote)}</div>")
        cards.append(
            f"<div class='source-card verdict-{result.verdict}'><div><b>{n}. {html.escape(result.measure)}</b> — "
            f"{html.escape(result.label)}</div><div>{html.escape(verdict_in_words(result))}</div>{source}</div>"
        )
    return "".join(cards)


def escape_tags(markdown: str) -> str:
    """Markdown whose document text cannot open an HTML tag: "<" and "&" escaped, ">" kept for quotes."""
    return markdown.replace("&", "&amp;").replace("<", "&lt;")


# ---------------------------------------------------------------------------------------------------
# Handlers


@dataclass(frozen=True)
class ChatTurn:
    """The chat after one step of an answer: messages so far, and, once the answer is final, the
    question history, the sources panel and the copyable text."""

    chat: list[ChatMessage]
    final: bool = False
    questions: list[str] = field(default_factory=list)
    sources: str = ""
    plain: str = ""


@dataclass(frozen=True)
class StudyDraft:
    """A study pack before the editor's review: what the page shows and lets him change."""

    pack: StudyPack
    preview: str  # Markdown, tags escaped
    excerpts: list[tuple[str, str]]  # (what the list shows, excerpt key), all ticked at first
    topics: list[str]  # in the pack's order
    files: list[Path]


def kind_codes(labels: Sequence[str]) -> tuple[str, ...]:
    """The kind codes ("report", …) of the Chinese labels ticked on the page."""
    return tuple(code for code, label in KIND_LABELS.items() if label in labels)


def _export_dir(prefix: str) -> Path:
    """A fresh folder for one export: Gradio serves files from the temporary directory."""
    return Path(tempfile.mkdtemp(prefix=f"zgt-{prefix}-"))


@dataclass
class WebHandlers:
    ws: Workspace
    login: bool = False  # users sign in (assistant/access.py); False: one user on this machine, all rights

    @property
    def llm_available(self) -> bool:
        return self.ws.settings.llm_provider != "none"

    @property
    def upload_formats(self) -> str:
        return "、".join(suffix.lstrip(".") for suffix in ALLOWED_SUFFIXES)

    # -- rights (read once per request) -----------------------------------------------------------
    def _active(self, user: str | None) -> str:
        if not user:
            raise UserError("未登录或登录已超时，请刷新页面重新登录")
        found = self.ws.access.user(user)
        if found is None or not found.active:
            raise UserError("账号不存在或已停用，请重新登录")
        return found.name

    def reader(self, user: str | None) -> Workspace:
        """The workspace ``user`` reads: narrowed to his knowledge bases (the whole one without logins)."""
        if not self.login:
            return self.ws
        return self.ws.within(self.ws.access.readable(self._active(user)))

    def maintainer(self, user: str | None) -> Workspace:
        """The workspace ``user`` may change: his maintained knowledge bases; refused for a 使用人员."""
        if not self.login:
            return self.ws
        name = self._active(user)
        if self.ws.access.require_user(name).admin:
            return self.ws  # every knowledge base, and new files in the library's folders
        kbs = self.ws.access.maintainable(name)
        if not kbs:
            raise UserError("无权上传、删除或重新索引文件（需要维护人员或管理员权限）")
        return self.ws.within(kbs)

    def _audit(self, user: str | None, action: str, *, text: str = "", docs: Sequence[str] = (),
               file: str = "") -> None:
        self.ws.audit.record(user if self.login else None, action, text=text, docs=docs, file=file)

    def _records(self, user: str | None = None) -> list[FileRecord]:
        try:
            return self.reader(user).manifest.records()
        except (IndexUnavailable, UserError):  # no index yet, or nobody signed in: empty lists
            return []

    def document_choices(self, user: str | None = None) -> list[str]:
        return sorted({r.name for r in self._records(user) if r.status == "ok"})

    def document_names(self, user: str | None = None) -> list[str]:
        return [r.name for r in self._records(user)]

    def kb_choices(self, user: str | None = None) -> list[str]:
        """The knowledge bases ``user`` may read (to narrow a question to some of them)."""
        return self._kb_names(self.reader, user)

    def upload_kbs(self, user: str | None = None) -> list[str]:
        """The knowledge bases ``user`` may upload to."""
        return self._kb_names(self.maintainer, user)

    def _kb_names(self, rights: Callable[[str | None], Workspace], user: str | None) -> list[str]:
        """The knowledge bases of the workspace ``rights`` gives ``user`` (none when he has none)."""
        try:
            kbs = rights(user).kbs
        except UserError:
            return []
        return list(kbs) if kbs is not None else self.ws.access.knowledge_bases()

    # -- 问答 -------------------------------------------------------------------------------------
    @user_errors
    def ask(
        self, message: str, chat: Sequence[ChatMessage], questions: Sequence[str], kinds: Sequence[str],
        docs: Sequence[str], use_llm: bool, kbs: Sequence[str] = (), *, user: str | None = None,
    ) -> Iterator[ChatTurn]:
        """Streams the chat as the answer grows; the last turn is final (sources, copyable text).
        ``kbs`` narrows the question to some of the user's knowledge bases (none ticked: all of his)."""
        message = (message or "").strip()
        if not message:
            return
        ws = self.reader(user)
        asked = [*chat, {"role": "user", "content": html.escape(message)}]
        where = SearchFilter(kinds=kind_codes(kinds or ()), docs=tuple(docs or ()), kbs=tuple(kbs) if kbs else None)
        yield ChatTurn(asked)  # the question shows at once, before its answer is looked for
        answerer = ws.answerer
        if use_llm and self.llm_available:
            stream = answerer.stream(message, history=questions, where=where)
        else:
            stream = iter([answerer.answer(message, history=questions, where=where)])
        answer = None
        for answer in stream:
            yield ChatTurn([*asked, {"role": "assistant", "content": answer_markdown(answer)}])
        if answer is None:
            return
        self._audit(user, audit.ASK, text=message,
                    docs=[c.chunk.doc for c in answer.citations] + [p.chunk.doc for p in answer.related])
        yield ChatTurn(
            [*asked, {"role": "assistant", "content": answer_markdown(answer)}],
            final=True,
            questions=[*questions, answer.standalone_question or message],
            sources=source_cards(answer),
            plain=answer_text(answer),
        )

    # -- 措施核查 ---------------------------------------------------------------------------------
    @user_errors
    def check(self, text: str, upload: str | None, *, user: str | None = None) -> tuple[Table, list[Path], str]:
        ws = self.reader(user)
        measures = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if upload:
            try:
                measures += read_measures_file(Path(upload))
            except Exception as exc:  # the user's file: say what is wrong with it
                raise UserError(f"无法读取上传的清单：{exc}") from exc
        if not measures:
            raise UserError("请输入措施（每行一条）或上传整改清单")
        with ws.pinned():
            results = check_measures(ws, measures)
        out = _export_dir("check")
        files = [write_check_results(results, out / f"措施核查结果{suffix}") for suffix in (".xlsx", ".csv")]
        self._audit(user, audit.CHECK, text="\n".join(measures),
                    docs=[m.chunk.doc for r in results for m in r.matches[:1]], file=files[0].name)
        return check_table(results), files, check_details(results)

    # -- 学习资料 ---------------------------------------------------------------------------------
    @user_errors
    def study(self, theme: str, docs: Sequence[str], *, user: str | None = None) -> StudyDraft:
        """The pack to review: its preview, its excerpts (all ticked), its topics in order, and files."""
        ws = self.reader(user)
        theme = (theme or "").strip()
        if not theme:
            raise UserError("请输入学习主题，例如：财务管理与内部审计")
        with ws.pinned():
            pack = build_study_pack(ws, theme, docs=list(docs or []) or None)
        choices = [(excerpt_choice(e), excerpt_key(e)) for e in pack.excerpts]
        files = write_study_pack(pack, _export_dir("study"))
        self._audit(user, audit.STUDY, text=theme, docs=[e.doc for e in pack.excerpts],
                    file=files[0].name if files else "")
        return StudyDraft(pack, escape_tags(study_markdown(pack)), choices, [s.topic for s in pack.sections], files)

    @user_errors
    def study_export(
        self, pack: StudyPack, keep: Sequence[str], order: str, title: str, date_text: str, note: str,
        *, user: str | None = None,
    ) -> tuple[str, list[Path]]:
        """The pack as reviewed: ticked excerpts, topics in the given order (、-separated), the editor's
        title, date and 编者按; .docx, .md and (with LibreOffice) .pdf."""
        self.reader(user)  # a user disabled since the pack was made exports nothing
        if pack is None:
            raise UserError("请先生成学习资料")
        topics = [t.strip() for t in re.split(r"[、，,\s]+", order or "") if t.strip()]
        reviewed = pack.reviewed(keep=keep, order=topics, title=title, date_text=date_text, note=note)
        return escape_tags(study_markdown(reviewed)), write_study_pack(reviewed, _export_dir("study"))

    # -- 整改台账 ---------------------------------------------------------------------------------
    @user_errors
    def ledger(self, doc: str | None, area: str, keyword: str, *, user: str | None = None) -> tuple[Table, Path]:
        """The rows on screen, and a workbook: an overview, then one sheet per source document."""
        ws = self.reader(user)
        with ws.pinned():
            rows = build_ledger(ws)
        rows = filter_rows(rows, doc=doc or None, area=area or None, keyword=keyword or None)
        path = write_ledger(rows, _export_dir("ledger") / "整改台账.xlsx")
        self._audit(user, audit.LEDGER, text=" ".join(x for x in (doc or "", area, keyword) if x),
                    docs=[r.doc for r in rows], file=path.name)
        return ledger_table(rows), path

    # -- 资料库 -----------------------------------------------------------------------------------
    def library(self, user: str | None = None) -> Table:
        records = self._records(user)
        return library_table(records, versions(records, self.ws.settings))

    @user_errors
    def upload(
        self, files: Sequence[str] | None, progress: ProgressCallback | None = None, *, replace: bool = True,
        kb: str | None = None, user: str | None = None,
    ) -> str:
        """Adds the files to the knowledge base ``kb``; with ``replace`` a revised version takes the place
        of the document it revises (in the same knowledge base)."""
        ws = self.maintainer(user)
        if kb:
            kb = self.ws.access.require_kb(kb)
        elif ws.kbs is not None:  # a 维护人员 names the knowledge base unless he keeps only one
            if len(ws.kbs) != 1:
                raise UserError("请选择要上传到的知识库")
            kb = ws.kbs[0]
        paths = [Path(f) for f in files or ()]
        summary = add_files(ws, paths, progress, replace=replace, kb=kb or None).summary()
        self._audit(user, audit.UPLOAD, text=f"知识库：{kb or '默认'}", docs=[p.name for p in paths])
        return summary

    @user_errors
    def delete(self, name: str | None, progress: ProgressCallback | None = None, *, user: str | None = None) -> str:
        result = remove_document(self.maintainer(user), name or "", progress)
        self._audit(user, audit.DELETE, docs=[name or ""])
        return result

    @user_errors
    def reindex(self, progress: ProgressCallback | None = None, *, user: str | None = None) -> str:
        ws = self.maintainer(user)
        summary = reindex(ws, progress).summary()
        self._audit(user, audit.REINDEX, text="、".join(ws.kbs) if ws.kbs is not None else "全部")
        return summary


def table_value(table: Table) -> dict[str, Any]:
    """A ``views.Table`` as a Gradio Dataframe value."""
    return {"headers": list(table.header), "data": table.rows}

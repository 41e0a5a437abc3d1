"""整改通 web app (Gradio): 问答 · 措施核查 · 学习资料 · 整改台账 · 资料库.

Only the user interface lives here; every answer, check, pack and ledger comes from the same core
objects as the CLI. Offline by construction: no analytics, system fonts only, loopback by default.
"""

from __future__ import annotations

import argparse
import html
import ipaddress
import logging
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.login import LoginGuard, LoginLimits, parse_users
from assistant.settings import Settings, enforce_offline_environment, get_settings
from assistant.uploads import safe_upload_name

enforce_offline_environment()  # before Gradio, LangChain and the encoder are imported

APP_TITLE = "整改通 · 整改材料与法规问答"
KIND_LABELS = {"report": "整改通报/报告", "regulation": "法规制度", "other": "其他"}
CHINESE_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimHei", "sans-serif"]
MONO_FONTS = ["Noto Sans Mono CJK SC", "Consolas", "monospace"]

CSS = """
.source-card {border:1px solid #d0d7de; border-radius:6px; padding:8px 12px; margin:6px 0; background:#fafbfc;}
.source-card .where {color:#57606a; font-size:0.9em;}
.source-card mark {background:#fff3b0; padding:0 1px;}
.source-card details summary {cursor:pointer; color:#0969da;}
.not-found {border-left:4px solid #cf222e; padding:6px 10px; background:#fff5f5;}
"""


# ---------------------------------------------------------------------------------------------
# Rendering (pure functions: plain data in, escaped HTML/Markdown out)
# ---------------------------------------------------------------------------------------------
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


def source_cards(answer: Any) -> str:
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
        page = f" · 第{chunk.page}页" if chunk.page else ""
        cards.append(
            f"<div class='source-card' id='src-{c.n}'>"
            f"<div class='where'>[{c.n}] 《{html.escape(chunk.title)}》{page} · {html.escape(chunk.section or '正文')}</div>"
            f"<div>“{html.escape(c.quote)}”</div>"
            f"<details><summary>展开原文段落</summary><div>{highlight(chunk.text, c.quote)}</div></details>"
            "</div>"
        )
    return "".join(cards) or "<div class='where'>（无引用）</div>"


def answer_markdown(answer: Any) -> str:
    """Answer text for the chat bubble: document text escaped, [n] turned into links to its card."""
    text = html.escape(answer.text)
    text = re.sub(r"\[(\d+)\]", lambda m: f"[\\[{m.group(1)}\\]](#src-{m.group(1)})", text)
    if not answer.found and answer.related:
        text += "\n\n" + "\n".join(
            f"- 《{html.escape(p.chunk.title)}》{html.escape(p.chunk.section)}：{html.escape(p.chunk.text[:60])}…"
            for p in answer.related
        )
    return text


def escape_tags(markdown: str) -> str:
    """Markdown whose document text cannot open an HTML tag: "<" and "&" escaped, ">" kept for quotes."""
    return markdown.replace("&", "&amp;").replace("<", "&lt;")


def answer_plain_text(answer: Any) -> str:
    """Answer plus its sources, for pasting into a report."""
    lines = [answer.text]
    if answer.citations:
        lines.append("\n出处：")
        for c in answer.citations:
            page = f"第{c.chunk.page}页，" if c.chunk.page else ""
            lines.append(f"[{c.n}] 《{c.chunk.title}》{page}{c.chunk.section}：“{c.quote}”")
    return "\n".join(lines)


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


# ---------------------------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------------------------
def warm_up(ws: Any) -> None:
    try:
        ws.warm_up()
    except Exception:  # an empty or broken index is reported where it is used, not here
        logging.getLogger(__name__).warning("预加载失败，将在首次提问时重试", exc_info=True)


def build_app(settings: Settings, workspace: Any = None) -> Any:
    import gradio as gr

    from assistant.retrieval import SearchFilter
    from assistant.uploads import UploadRejected, store_upload
    from assistant.workspace import Workspace

    ws = workspace or Workspace(settings)
    # The page is served at once; the encoder and BM25 load meanwhile, not inside the first question.
    threading.Thread(target=warm_up, args=(ws,), name="warm-up", daemon=True).start()
    llm_available = settings.llm_provider != "none"

    def document_choices() -> list[str]:
        return sorted({r.name for r in ws.manifest.records() if r.status == "ok"})

    def make_filter(kinds: list[str], docs: list[str]) -> SearchFilter:
        codes = tuple(code for code, label in KIND_LABELS.items() if label in (kinds or []))
        return SearchFilter(kinds=codes, docs=tuple(docs or ()))

    # -- 问答 ------------------------------------------------------------------------------------
    def ask(message: str, chat: list[dict[str, Any]], questions: list[str], kinds: list[str],
            docs: list[str], mode: str) -> Iterator[tuple[Any, ...]]:
        message = (message or "").strip()
        if not message:
            yield chat, questions, gr.update(), gr.update(), ""
            return
        chat = [*chat, {"role": "user", "content": html.escape(message)}]
        where = make_filter(kinds, docs)
        use_llm = llm_available and mode == "大模型"
        stream = (ws.answerer.stream(message, history=questions, where=where) if use_llm
                  else iter([ws.answerer.answer(message, history=questions, where=where)]))
        answer = None
        for answer in stream:
            bubble = {"role": "assistant", "content": answer_markdown(answer)}
            yield [*chat, bubble], questions, gr.update(), gr.update(), ""
        if answer is None:
            return
        chat = [*chat, {"role": "assistant", "content": answer_markdown(answer)}]
        yield chat, [*questions, answer.standalone_question or message], source_cards(answer), \
            answer_plain_text(answer), ""

    def new_chat() -> tuple[Any, ...]:
        return [], [], "", "", ""

    # -- 措施核查 --------------------------------------------------------------------------------
    def check(text: str, upload: str | None) -> tuple[Any, ...]:
        from assistant.measures import check_measures, export_results, read_measures_file

        measures = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if upload:
            try:
                measures += read_measures_file(Path(upload))
            except Exception as exc:  # the user's file: say what is wrong with it
                raise gr.Error(f"无法读取上传的清单：{exc}") from exc
        if not measures:
            raise gr.Error("请输入措施（每行一条）或上传整改清单")
        results = check_measures(ws, measures)
        verdicts = {"exists": "已有", "partial": "部分相似", "absent": "未找到"}
        rows = []
        for i, r in enumerate(results, start=1):
            best = r.matches[0] if r.matches else None
            rows.append([
                i, r.measure, verdicts[r.verdict], round(r.score, 3),
                best.chunk.title if best else "", best.chunk.section if best else "", best.quote if best else "",
                r.explanation,
            ])
        out_dir = Path(tempfile.mkdtemp(prefix="zgt-check-"))
        xlsx, csv = out_dir / "措施核查结果.xlsx", out_dir / "措施核查结果.csv"
        export_results(results, xlsx)
        export_results(results, csv)
        return rows, [str(xlsx), str(csv)]

    # -- 学习资料 --------------------------------------------------------------------------------
    def study(theme: str, docs: list[str]) -> tuple[Any, ...]:
        from assistant.study import build_study_pack, to_docx, to_markdown

        if not (theme or "").strip():
            raise gr.Error("请输入学习主题，例如：财务管理与内部审计")
        pack = build_study_pack(ws, theme.strip(), docs=list(docs or []) or None)
        out_dir = Path(tempfile.mkdtemp(prefix="zgt-study-"))
        markdown = to_markdown(pack)
        md_path = out_dir / f"{safe_upload_name(theme)}学习资料.md"
        md_path.write_text(markdown, encoding="utf-8")
        docx_path = out_dir / f"{safe_upload_name(theme)}学习资料.docx"
        to_docx(pack, docx_path)
        return escape_tags(markdown), [str(docx_path), str(md_path)]

    # -- 整改台账 --------------------------------------------------------------------------------
    def ledger(doc: str | None, area: str, keyword: str) -> tuple[Any, ...]:
        from assistant.ledger import build_ledger, export_xlsx, filter_rows

        rows = filter_rows(build_ledger(ws), doc=doc or None, area=area or None, keyword=keyword or None)
        table = [[i, r.title, r.area, r.label, r.text, "、".join(r.titles)] for i, r in enumerate(rows, start=1)]
        path = Path(tempfile.mkdtemp(prefix="zgt-ledger-")) / "整改台账.xlsx"
        export_xlsx(rows, path)
        return table, str(path)

    # -- 资料库 ----------------------------------------------------------------------------------
    def library_rows() -> list[list[Any]]:
        status = {"ok": "已索引", "failed": "失败", "pending": "处理中"}
        return [
            [r.title or r.name, r.name, KIND_LABELS.get(r.kind, r.kind or "—"), r.chunks,
             time.strftime("%Y-%m-%d %H:%M", time.localtime(r.indexed_at)) if r.indexed_at else "",
             status.get(r.status, r.status) + (f"：{r.error}" if r.error else "")]
            for r in sorted(ws.manifest.records(), key=lambda r: -r.indexed_at)  # newest first
        ]

    def refresh_library() -> tuple[Any, ...]:
        names = [r.name for r in ws.manifest.records()]
        return library_rows(), gr.update(choices=names, value=None), gr.update(choices=document_choices())

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        if not files:
            raise gr.Error("请选择要上传的文件")
        saved, rejected = [], []
        for f in files:
            try:
                saved.append(store_upload(Path(f), settings.uploads_dir, settings.upload_max_mb * 1024 * 1024))
            except UploadRejected as exc:
                rejected.append(str(exc))
        report = ws.indexer.run(saved, progress=lambda d, t, n: progress((d, max(t, 1)), desc=n)) if saved else None
        lines = [f"不接受：{r}" for r in rejected]
        if report:
            lines.insert(0, report.summary())
        return ("\n".join(lines), *refresh_library())

    def delete(name: str | None) -> tuple[Any, ...]:
        if not name:
            raise gr.Error("请先选择要删除的文件")
        record = next((r for r in ws.manifest.records() if r.name == name), None)
        if record is None:
            raise gr.Error(f"资料库中没有：{name}")
        ws.indexer.remove(record.source)
        source = Path(record.source)
        if source.exists():  # keep the file out of the next re-index, without destroying it
            settings.trash_dir.mkdir(parents=True, exist_ok=True)
            shutil.move(str(source), settings.trash_dir / f"{int(time.time())}_{source.name}")
        return (f"已删除：{name}（所有索引中的片段均已移除）", *refresh_library())

    def reindex(progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        roots = [settings.docs_dir] + ([settings.uploads_dir] if settings.uploads_dir.exists() else [])
        report = ws.indexer.run(roots, progress=lambda d, t, n: progress((d, max(t, 1)), desc=n))
        return (report.summary(), *refresh_library())

    with gr.Blocks(title=APP_TITLE) as demo:
        gr.Markdown(f"## {APP_TITLE}\n资料只在本机处理，不联网。每条回答都标注出处，可点击 [n] 查看原文。")
        with gr.Tab("问答", id="chat"):
            questions = gr.State([])
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="对话", height=460, buttons=["copy"], latex_delimiters=[])
                    with gr.Row():
                        message = gr.Textbox(placeholder="例如：哪些措施涉及财务管理？", show_label=False, scale=5,
                                             elem_id="question-box")
                        send = gr.Button("提问", variant="primary", scale=1, elem_id="ask-button")
                    with gr.Row():
                        new = gr.Button("新对话", elem_id="new-chat")
                    plain = gr.Textbox(label="答案与出处（可复制粘贴到材料中）", lines=4, buttons=["copy"],
                                       elem_id="plain-answer")
                with gr.Column(scale=2):
                    kinds = gr.CheckboxGroup(list(KIND_LABELS.values()), label="资料类别（不选即全部）")
                    docs = gr.Dropdown(document_choices(), multiselect=True, label="限定文件（可多选）")
                    mode = gr.Radio(["抽取式", "大模型"] if llm_available else ["抽取式"], value="抽取式",
                                    label="回答方式")
                    sources = gr.HTML("<div class='where'>提问后，引用的原文会显示在这里。</div>",
                                      label="出处", elem_id="sources")
            ask_inputs = [message, chatbot, questions, kinds, docs, mode]
            ask_outputs = [chatbot, questions, sources, plain, message]
            send.click(ask, ask_inputs, ask_outputs, api_name="ask")
            message.submit(ask, ask_inputs, ask_outputs, api_visibility="private")
            new.click(new_chat, None, [chatbot, questions, sources, plain, message], api_name="new_chat")

        with gr.Tab("措施核查", id="check"):
            gr.Markdown("逐条核查整改措施是否已在通报中出现。部门、动作、频次、范围不一致的近似表述不会判为“已有”。")
            with gr.Row():
                measures_text = gr.Textbox(label="措施（每行一条）", lines=6, elem_id="measures-box")
                measures_file = gr.File(label="或上传整改清单（.txt / .docx / .xlsx / .csv）",
                                        file_types=[".txt", ".docx", ".xlsx", ".csv"], type="filepath")
            check_button = gr.Button("开始核查", variant="primary", elem_id="check-button")
            check_table = gr.Dataframe(
                headers=["序号", "措施", "结论", "相似度", "出处文件", "章节", "原文", "说明"],
                wrap=True, interactive=False, elem_id="check-table")
            check_files = gr.File(label="导出结果", file_count="multiple", elem_id="check-files")
            check_button.click(check, [measures_text, measures_file], [check_table, check_files], api_name="check")

        with gr.Tab("学习资料", id="study"):
            with gr.Row():
                theme_box = gr.Textbox(label="学习主题（可用“与”“、”分隔多个专题）", value="财务管理与内部审计",
                                       elem_id="theme-box")
                study_docs = gr.Dropdown(document_choices(), multiselect=True, label="限定文件（可多选）")
            study_button = gr.Button("生成学习资料", variant="primary", elem_id="study-button")
            study_files = gr.File(label="下载（.docx / .md）", file_count="multiple", elem_id="study-files")
            study_preview = gr.Markdown(elem_id="study-preview")
            study_button.click(study, [theme_box, study_docs], [study_preview, study_files], api_name="study")

        with gr.Tab("整改台账", id="ledger"):
            with gr.Row():
                ledger_doc = gr.Dropdown(document_choices(), label="文件", value=None)
                ledger_area = gr.Textbox(label="问题领域包含")
                ledger_keyword = gr.Textbox(label="关键词")
            ledger_button = gr.Button("查询台账", variant="primary", elem_id="ledger-button")
            ledger_table = gr.Dataframe(headers=["序号", "文件", "问题领域", "标记", "整改措施", "涉及文件"],
                                        wrap=True, interactive=False, elem_id="ledger-table")
            ledger_file = gr.File(label="导出 .xlsx", elem_id="ledger-file")
            ledger_button.click(ledger, [ledger_doc, ledger_area, ledger_keyword], [ledger_table, ledger_file],
                                api_name="ledger")

        with gr.Tab("资料库", id="library"):
            library = gr.Dataframe(library_rows(), headers=["标题", "文件", "类别", "片段数", "索引时间", "状态"],
                                   wrap=True, interactive=False, elem_id="library-table")
            with gr.Row():
                uploads = gr.File(label=f"上传文件（txt、md、docx、pdf、html、doc、wps，单个不超过 {settings.upload_max_mb} MB）",
                                  file_count="multiple", type="filepath", elem_id="upload-files")
                with gr.Column():
                    doomed = gr.Dropdown([r.name for r in ws.manifest.records()], label="选择要删除的文件",
                                         elem_id="delete-choice")
                    delete_button = gr.Button("删除所选文件", variant="stop", elem_id="delete-button")
                    reindex_button = gr.Button("重新索引", elem_id="reindex-button")
            upload_button = gr.Button("上传并索引", variant="primary", elem_id="upload-button")
            library_status = gr.Textbox(label="处理结果", lines=3, elem_id="library-status")
            library_outputs = [library_status, library, doomed, docs]
            upload_button.click(upload, [uploads], library_outputs, api_name="upload")
            delete_button.click(delete, [doomed], library_outputs, api_name="delete")
            reindex_button.click(reindex, None, library_outputs, api_name="reindex")
            demo.load(refresh_library, None, [library, doomed, docs], api_visibility="private")

    return demo


def make_theme() -> Any:
    import gradio as gr

    # Font names only (no GoogleFont objects): the page must not fetch fonts from outside.
    return gr.themes.Default(font=CHINESE_FONTS, font_mono=MONO_FONTS)


def launch(settings: Settings, host: str, port: int, *, block: bool = True) -> Any:
    host = host or "127.0.0.1"  # Gradio would read an empty host from GRADIO_SERVER_NAME, unchecked
    users = parse_users(settings.web_users.get_secret_value())
    if not is_loopback(host) and not users:
        raise SystemExit("对本机以外开放时必须设置登录用户：ZGT_WEB_USERS=\"用户名:密码\"（多个用逗号分隔）")
    # A callable rather than the list: failed logins are counted and locked out (assistant/login.py).
    guard = LoginGuard(users, LoginLimits.from_settings(settings)) if users else None
    demo = build_app(settings)
    demo.queue(default_concurrency_limit=4)
    return demo.launch(
        server_name=host,
        server_port=port,
        auth=guard,
        auth_message="整改通：请登录",
        share=False,
        theme=make_theme(),
        css=CSS,
        footer_links=[],
        prevent_thread_lock=not block,
        quiet=True,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
    )


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=APP_TITLE)
    parser.add_argument("--host", default=settings.web_host, help="监听地址（默认仅本机 127.0.0.1）")
    parser.add_argument("--port", type=int, default=settings.web_port)
    args = parser.parse_args(argv)
    # Login failures and lockouts are warnings; on stderr with a time stamp for whoever runs the app.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"整改通已启动：http://{args.host}:{args.port}", file=sys.stderr)
    launch(settings, args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

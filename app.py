"""整改通 web app (Gradio): 问答 · 措施核查 · 学习资料 · 整改台账 · 资料库.

Only the page layout and the event wiring live here: each event calls a typed handler of
assistant/web.py, over the same Workspace as the CLI. Offline by construction: no analytics, system
fonts only, loopback by default.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import ipaddress
import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from assistant.login import LoginGuard, LoginLimits, parse_users
from assistant.settings import Settings, enforce_offline_environment, get_settings

if TYPE_CHECKING:
    from assistant.web import WebHandlers

enforce_offline_environment()  # before Gradio, LangChain and the encoder are imported

APP_TITLE = "整改通 · 整改材料与法规问答"
CHINESE_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimHei", "sans-serif"]
MONO_FONTS = ["Noto Sans Mono CJK SC", "Consolas", "monospace"]

CSS = """
.source-card {border:1px solid #d0d7de; border-radius:6px; padding:8px 12px; margin:6px 0; background:#fafbfc;}
.source-card .where {color:#57606a; font-size:0.9em;}
.source-card mark {background:#fff3b0; padding:0 1px;}
.source-card details summary {cursor:pointer; color:#0969da;}
.not-found {border-left:4px solid #cf222e; padding:6px 10px; background:#fff5f5;}
"""


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

    from assistant.web import WebHandlers
    from assistant.workspace import Workspace

    ws = workspace or Workspace(settings)
    # The page is served at once; the encoder and BM25 load meanwhile, not inside the first question.
    threading.Thread(target=warm_up, args=(ws,), name="warm-up", daemon=True).start()
    handlers = WebHandlers(ws)
    with gr.Blocks(title=APP_TITLE) as demo:
        gr.Markdown(f"## {APP_TITLE}\n资料只在本机处理，不联网。每条回答都标注出处，可点击 [n] 查看原文。")
        docs = chat_tab(handlers)
        check_tab(handlers)
        study_tab(handlers)
        ledger_tab(handlers)
        library_tab(handlers, demo, docs)
    return demo


def shown(handler: Callable[..., Any]) -> Callable[..., Any]:
    """The handler with its UserError shown as a Gradio error message (a generator stays one, so Gradio
    still streams it)."""
    import gradio as gr

    from assistant.web import UserError

    if inspect.isgeneratorfunction(handler):
        @functools.wraps(handler)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from handler(*args, **kwargs)
            except UserError as exc:
                raise gr.Error(str(exc)) from exc
        return stream

    @functools.wraps(handler)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except UserError as exc:
            raise gr.Error(str(exc)) from exc
    return call


def chat_tab(handlers: WebHandlers) -> Any:
    """问答: the chat, its sources and the copyable answer. Returns the document filter, which the
    library tab refreshes."""
    import gradio as gr

    from index.kinds import KIND_LABELS

    def ask(message: str, chat: list[Any], questions: list[str], kinds: list[str], docs: list[str],
            mode: str) -> Iterator[tuple[Any, ...]]:
        got = False
        for turn in handlers.ask(message, chat, questions, kinds, docs, use_llm=mode == "大模型"):
            got = True
            if turn.final:
                yield turn.chat, turn.questions, turn.sources, turn.plain, ""
            else:
                yield turn.chat, questions, gr.update(), gr.update(), ""
        if not got:
            yield chat, questions, gr.update(), gr.update(), ""

    def new_chat() -> tuple[Any, ...]:
        return [], [], "", "", ""

    with gr.Tab("问答", id="chat"):
        questions = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="对话", height=460, buttons=["copy"], latex_delimiters=[], elem_id="chat")
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
                docs = gr.Dropdown(handlers.document_choices(), multiselect=True, label="限定文件（可多选）")
                mode = gr.Radio(["抽取式", "大模型"] if handlers.llm_available else ["抽取式"], value="抽取式",
                                label="回答方式")
                sources = gr.HTML("<div class='where'>提问后，引用的原文会显示在这里。</div>",
                                  label="出处", elem_id="sources")
        ask_inputs = [message, chatbot, questions, kinds, docs, mode]
        ask_outputs = [chatbot, questions, sources, plain, message]
        send.click(shown(ask), ask_inputs, ask_outputs, api_name="ask")
        message.submit(shown(ask), ask_inputs, ask_outputs, api_visibility="private")
        new.click(new_chat, None, [chatbot, questions, sources, plain, message], api_name="new_chat")
    return docs


def check_tab(handlers: WebHandlers) -> None:
    """措施核查: measures typed or uploaded, verdicts in a table, the same table as .xlsx/.csv."""
    import gradio as gr

    from assistant.views import CHECK_HEADER
    from assistant.web import table_value

    def check(text: str, upload: str | None) -> tuple[Any, ...]:
        table, files = handlers.check(text, upload)
        return table_value(table), [str(f) for f in files]

    with gr.Tab("措施核查", id="check"):
        gr.Markdown("逐条核查整改措施是否已在通报中出现。部门、动作、频次、范围不一致的近似表述不会判为“已有”。")
        with gr.Row():
            measures_text = gr.Textbox(label="措施（每行一条）", lines=6, elem_id="measures-box")
            measures_file = gr.File(label="或上传整改清单（.txt / .docx / .xlsx / .csv）",
                                    file_types=[".txt", ".docx", ".xlsx", ".csv"], type="filepath")
        check_button = gr.Button("开始核查", variant="primary", elem_id="check-button")
        check_table = gr.Dataframe(headers=list(CHECK_HEADER), wrap=True, interactive=False, elem_id="check-table")
        check_files = gr.File(label="导出结果", file_count="multiple", elem_id="check-files")
        check_button.click(shown(check), [measures_text, measures_file], [check_table, check_files], api_name="check")


def study_tab(handlers: WebHandlers) -> None:
    """学习资料: a theme in, a preview and the .docx/.md pack out."""
    import gradio as gr

    def study(theme: str, docs: list[str]) -> tuple[Any, ...]:
        preview, files = handlers.study(theme, docs)
        return preview, [str(f) for f in files]

    with gr.Tab("学习资料", id="study"):
        with gr.Row():
            theme_box = gr.Textbox(label="学习主题（可用“与”“、”分隔多个专题）", value="财务管理与内部审计",
                                   elem_id="theme-box")
            study_docs = gr.Dropdown(handlers.document_choices(), multiselect=True, label="限定文件（可多选）")
        study_button = gr.Button("生成学习资料", variant="primary", elem_id="study-button")
        study_files = gr.File(label="下载（.docx / .md）", file_count="multiple", elem_id="study-files")
        study_preview = gr.Markdown(elem_id="study-preview")
        study_button.click(shown(study), [theme_box, study_docs], [study_preview, study_files], api_name="study")


def ledger_tab(handlers: WebHandlers) -> None:
    """整改台账: the measures of the reports, filtered, as a table and an .xlsx."""
    import gradio as gr

    from assistant.views import LEDGER_HEADER
    from assistant.web import table_value

    def ledger(doc: str | None, area: str, keyword: str) -> tuple[Any, ...]:
        table, path = handlers.ledger(doc, area, keyword)
        return table_value(table), str(path)

    with gr.Tab("整改台账", id="ledger"):
        with gr.Row():
            ledger_doc = gr.Dropdown(handlers.document_choices(), label="文件", value=None)
            ledger_area = gr.Textbox(label="问题领域包含")
            ledger_keyword = gr.Textbox(label="关键词")
        ledger_button = gr.Button("查询台账", variant="primary", elem_id="ledger-button")
        ledger_table = gr.Dataframe(headers=list(LEDGER_HEADER), wrap=True, interactive=False, elem_id="ledger-table")
        ledger_file = gr.File(label="导出 .xlsx", elem_id="ledger-file")
        ledger_button.click(shown(ledger), [ledger_doc, ledger_area, ledger_keyword], [ledger_table, ledger_file],
                            api_name="ledger")


def library_tab(handlers: WebHandlers, demo: Any, docs: Any) -> None:
    """资料库: the indexed documents; upload, delete, re-index (each refreshes the lists that name documents)."""
    import gradio as gr

    from assistant.web import table_value

    def progress_of(progress: gr.Progress) -> Callable[[int, int, str], None]:
        return lambda done, total, name: progress((done, max(total, 1)), desc=name)

    def refresh_library() -> tuple[Any, ...]:
        return (table_value(handlers.library()), gr.update(choices=handlers.document_names(), value=None),
                gr.update(choices=handlers.document_choices()))

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        return (handlers.upload(files, progress_of(progress)), *refresh_library())

    def delete(name: str | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        return (handlers.delete(name, progress_of(progress)), *refresh_library())

    def reindex(progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        return (handlers.reindex(progress_of(progress)), *refresh_library())

    max_mb = handlers.ws.settings.upload_max_mb
    with gr.Tab("资料库", id="library"):
        library = gr.Dataframe(table_value(handlers.library()), wrap=True, interactive=False, elem_id="library-table")
        with gr.Row():
            uploads = gr.File(label=f"上传文件（txt、md、docx、pdf、html、doc、wps，单个不超过 {max_mb} MB）",
                              file_count="multiple", type="filepath", elem_id="upload-files")
            with gr.Column():
                doomed = gr.Dropdown(handlers.document_names(), label="选择要删除的文件", elem_id="delete-choice")
                delete_button = gr.Button("删除所选文件", variant="stop", elem_id="delete-button")
                reindex_button = gr.Button("重新索引", elem_id="reindex-button")
        upload_button = gr.Button("上传并索引", variant="primary", elem_id="upload-button")
        library_status = gr.Textbox(label="处理结果", lines=3, elem_id="library-status")
        library_outputs = [library_status, library, doomed, docs]
        upload_button.click(shown(upload), [uploads], library_outputs, api_name="upload")
        delete_button.click(shown(delete), [doomed], library_outputs, api_name="delete")
        reindex_button.click(shown(reindex), None, library_outputs, api_name="reindex")
        demo.load(refresh_library, None, [library, doomed, docs], api_visibility="private")


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

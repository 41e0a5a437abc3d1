"""整改通 web app (Gradio): 问答 · 措施核查 · 学习资料 · 整改台账 · 资料库 · 管理 (管理员 only).

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

# Gradio passes the signed-in user to a handler whose parameter is annotated ``gr.Request``; it resolves
# the annotation in this module's namespace, so the name must be defined here.
import gradio as gr  # noqa: E402

APP_TITLE = "整改通 · 整改材料与法规问答"
CHINESE_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimHei", "sans-serif"]
MONO_FONTS = ["Noto Sans Mono CJK SC", "Consolas", "monospace"]

CSS = """
.source-card {border:1px solid #d0d7de; border-radius:6px; padding:8px 12px; margin:6px 0; background:#fafbfc;}
.source-card .where {color:#57606a; font-size:0.9em;}
.source-card mark {background:#fff3b0; padding:0 1px;}
.source-card details summary {cursor:pointer; color:#0969da;}
.not-found {border-left:4px solid #cf222e; padding:6px 10px; background:#fff5f5;}
.source-card .diff {background:#ffd8d3; text-decoration:underline wavy #cf222e;}
.verdict-exists {border-left:4px solid #1a7f37;} .verdict-partial {border-left:4px solid #bf8700;}
.verdict-absent {border-left:4px solid #8c959f;}
"""
# The page's own words (Drop File Here, Submit …) follow the browser's language; staff may use an English
# browser, so the page tells Gradio the language is Chinese before its scripts run.
HEAD = (
    "<script>Object.defineProperty(navigator,'language',{get:()=>'zh-CN'});"
    "Object.defineProperty(navigator,'languages',{get:()=>['zh-CN','zh']});</script>"
)


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


def build_app(settings: Settings, workspace: Any = None, *, login: bool = False) -> Any:
    """The page; with ``login`` every event reads as the signed-in user (assistant/web.py)."""
    import gradio as gr

    from assistant.web import WebHandlers
    from assistant.workspace import Workspace

    ws = workspace or Workspace(settings)
    # The page is served at once; the encoder and BM25 load meanwhile, not inside the first question.
    threading.Thread(target=warm_up, args=(ws,), name="warm-up", daemon=True).start()
    from assistant.admin import AdminHandlers

    handlers = WebHandlers(ws, login=login)
    with gr.Blocks(title=APP_TITLE) as demo:
        gr.Markdown(f"## {APP_TITLE}\n资料只在本机处理，不联网。每条回答都标注出处，可点击 [n] 查看原文。")
        docs, kb_filter = chat_tab(handlers)
        check_tab(handlers)
        study_docs = study_tab(handlers)
        ledger_doc = ledger_tab(handlers)
        upload_kb = library_tab(handlers, demo, [docs, study_docs, ledger_doc])
        admin_tab(AdminHandlers(ws, login=login), demo)

        def refresh_kbs(request: gr.Request) -> tuple[Any, ...]:
            user = user_of(request)
            uploadable = handlers.upload_kbs(user)
            return (gr.update(choices=handlers.kb_choices(user), value=[]),
                    gr.update(choices=uploadable, value=uploadable[0] if len(uploadable) == 1 else None))

        demo.load(refresh_kbs, None, [kb_filter, upload_kb], api_visibility="private")
    return demo


def user_of(request: Any) -> str | None:
    """The signed-in user of a Gradio request (None without logins, or once his session has ended); the
    request counts as activity for the session's idle time (assistant/sessions.py)."""
    from assistant.sessions import SessionBook

    user = getattr(request, "username", None)
    if user:  # Gradio's session table is its app's ``tokens`` (a SessionBook when sessions expire)
        book = getattr(getattr(request.request, "app", None), "tokens", None)
        if isinstance(book, SessionBook):
            book.touch(request.cookies)
    return user


def shown(handler: Callable[..., Any]) -> Callable[..., Any]:
    """The handler with its UserError shown as a Gradio error message (a generator stays one, so Gradio
    still streams it)."""
    import gradio as gr

    from assistant.admin import AdminError
    from assistant.web import UserError

    refused = (UserError, AdminError)
    if inspect.isgeneratorfunction(handler):
        @functools.wraps(handler)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from handler(*args, **kwargs)
            except refused as exc:
                raise gr.Error(str(exc)) from exc
        return stream

    @functools.wraps(handler)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except refused as exc:
            raise gr.Error(str(exc)) from exc
    return call


def chat_tab(handlers: WebHandlers) -> tuple[Any, Any]:
    """问答: the chat, its sources and the copyable answer. Returns the document filter, which the
    library tab refreshes, and the knowledge-base filter, which the page fills for the signed-in user."""
    import gradio as gr

    from index.kinds import KIND_LABELS

    def ask(message: str, chat: list[Any], questions: list[str], kinds: list[str], docs: list[str],
            mode: str, request: gr.Request, kbs: list[str] | None = None) -> Iterator[tuple[Any, ...]]:
        # The box is emptied once, when the question is taken: a follow-up typed while the answer is still
        # coming must not be wiped by a later step of it.
        taken = False
        for turn in handlers.ask(message, chat, questions, kinds, docs, use_llm=mode == "大模型", kbs=kbs or (),
                                 user=user_of(request)):
            box = gr.update() if taken else ""
            taken = True
            if turn.final:
                yield turn.chat, turn.questions, turn.sources, turn.plain, box
            else:
                yield turn.chat, questions, gr.update(), gr.update(), box
        if not taken:
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
                kb_filter = gr.CheckboxGroup(handlers.kb_choices(), label="知识库（不选即全部有权限的）",
                                             elem_id="kb-filter")
                mode = gr.Radio(["抽取式", "大模型"] if handlers.llm_available else ["抽取式"], value="抽取式",
                                label="回答方式")
                sources = gr.HTML("<div class='where'>提问后，引用的原文会显示在这里。</div>",
                                  label="出处", elem_id="sources")
        ask_inputs = [message, chatbot, questions, kinds, docs, mode, kb_filter]
        ask_outputs = [chatbot, questions, sources, plain, message]
        # One event for the button and Enter, so that a question sent while an answer is still coming waits
        # for it and is then asked (Gradio's default would silently drop it).
        gr.on([send.click, message.submit], shown(ask), ask_inputs, ask_outputs, api_name="ask",
              trigger_mode="always_last")
        new.click(new_chat, None, [chatbot, questions, sources, plain, message], api_name="new_chat")
    return docs, kb_filter


def check_tab(handlers: WebHandlers) -> None:
    """措施核查: measures typed or uploaded, verdicts in a table, the same table as .xlsx/.csv."""
    import gradio as gr

    from assistant.views import CHECK_HEADER
    from assistant.web import table_value

    def check(text: str, upload: str | None, request: gr.Request) -> tuple[Any, ...]:
        table, files, details = handlers.check(text, upload, user=user_of(request))
        return table_value(table), [str(f) for f in files], details

    with gr.Tab("措施核查", id="check"):
        gr.Markdown("逐条核查整改措施是否已在通报中出现。部门、动作、频次、范围不一致的近似表述不会判为“已有”。")
        with gr.Row():
            measures_text = gr.Textbox(label="措施（每行一条）", lines=6, elem_id="measures-box")
            measures_file = gr.File(label="或上传整改清单（.txt / .docx / .xlsx / .csv）",
                                    file_types=[".txt", ".docx", ".xlsx", ".csv"], type="filepath")
        check_button = gr.Button("开始核查", variant="primary", elem_id="check-button")
        check_table = gr.Dataframe(headers=list(CHECK_HEADER), wrap=True, interactive=False, elem_id="check-table")
        check_files = gr.File(label="导出结果（含相似度等数值）", file_count="multiple", elem_id="check-files")
        check_details = gr.HTML(elem_id="check-details", label="核查详情")
        check_button.click(shown(check), [measures_text, measures_file], [check_table, check_files, check_details],
                           api_name="check")


def study_tab(handlers: WebHandlers) -> Any:
    """学习资料: a theme in; a preview to review (untick excerpts, reorder topics, title, date, 编者按);
    the .docx/.md/.pdf follow the review."""
    import gradio as gr

    def study(theme: str, docs: list[str], request: gr.Request) -> tuple[Any, ...]:
        draft = handlers.study(theme, docs, user=user_of(request))
        return (draft.preview, [str(f) for f in draft.files], draft.pack,
                gr.update(choices=draft.excerpts, value=[key for _, key in draft.excerpts]), "、".join(draft.topics),
                draft.pack.title, draft.pack.generated_text)

    def export(pack: Any, keep: list[str], order: str, title: str, date_text: str, note: str,
               request: gr.Request) -> tuple[Any, ...]:
        preview, files = handlers.study_export(pack, keep or [], order, title, date_text, note, user=user_of(request))
        return preview, [str(f) for f in files]

    with gr.Tab("学习资料", id="study"):
        pack = gr.State(None)
        with gr.Row():
            theme_box = gr.Textbox(label="学习主题（可用“与”“、”分隔多个专题）", value="财务管理与内部审计",
                                   elem_id="theme-box")
            study_docs = gr.Dropdown(handlers.document_choices(), multiselect=True, label="限定文件（可多选）")
        study_button = gr.Button("生成学习资料", variant="primary", elem_id="study-button")
        with gr.Accordion("审阅后导出：取消勾选不要的摘录，调整专题顺序，填写标题、日期和编者按", open=True):
            with gr.Row():
                pack_title = gr.Textbox(label="标题", elem_id="study-title")
                pack_date = gr.Textbox(label="日期", elem_id="study-date")
                topic_order = gr.Textbox(label="专题顺序（用“、”分隔）", elem_id="study-order")
            note = gr.Textbox(label="编者按（可选）", lines=2, elem_id="study-note")
            kept = gr.CheckboxGroup(label="收录的摘录", elem_id="study-excerpts")
            export_button = gr.Button("按审阅结果导出", elem_id="study-export")
        study_files = gr.File(label="下载（.docx / .md / .pdf）", file_count="multiple", elem_id="study-files")
        study_preview = gr.Markdown(elem_id="study-preview")
        study_button.click(shown(study), [theme_box, study_docs],
                           [study_preview, study_files, pack, kept, topic_order, pack_title, pack_date],
                           api_name="study")
        export_button.click(shown(export), [pack, kept, topic_order, pack_title, pack_date, note],
                            [study_preview, study_files], api_name="study_export")
    return study_docs


def ledger_tab(handlers: WebHandlers) -> Any:
    """整改台账: the measures of the reports, filtered, as a table and an .xlsx."""
    import gradio as gr

    from assistant.views import LEDGER_HEADER
    from assistant.web import table_value

    def ledger(doc: str | None, area: str, keyword: str, request: gr.Request) -> tuple[Any, ...]:
        table, path = handlers.ledger(doc, area, keyword, user=user_of(request))
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
    return ledger_doc


def library_tab(handlers: WebHandlers, demo: Any, doc_lists: list[Any]) -> Any:
    """资料库: the indexed documents; upload, delete, re-index (each refreshes the lists that name documents,
    ``doc_lists``: the other tabs' document filters)."""
    import gradio as gr

    from assistant.web import table_value

    def progress_of(progress: gr.Progress) -> Callable[[int, int, str], None]:
        return lambda done, total, name: progress((done, max(total, 1)), desc=name)

    def refresh_library(request: gr.Request) -> tuple[Any, ...]:
        user = user_of(request)
        choices = handlers.document_choices(user)
        return (table_value(handlers.library(user)), gr.update(choices=handlers.document_names(user), value=None),
                *(gr.update(choices=choices) for _ in doc_lists))

    def upload(files: list[str] | None, replace: bool, request: gr.Request, kb: str | None = None,
               progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        status = handlers.upload(files, progress_of(progress), replace=replace, kb=kb or None, user=user_of(request))
        return (status, *refresh_library(request))

    def delete(name: str | None, request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        return (handlers.delete(name, progress_of(progress), user=user_of(request)), *refresh_library(request))

    def reindex(request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        return (handlers.reindex(progress_of(progress), user=user_of(request)), *refresh_library(request))

    max_mb = handlers.ws.settings.upload_max_mb
    with gr.Tab("资料库", id="library"):
        library = gr.Dataframe(table_value(handlers.library()), wrap=True, interactive=False, elem_id="library-table")
        with gr.Row():
            with gr.Column():
                uploads = gr.File(label=f"上传文件（{handlers.upload_formats}；单个不超过 {max_mb} MB；扫描件自动识别文字）",
                                  file_count="multiple", type="filepath", elem_id="upload-files")
                replace = gr.Checkbox(True, label="同名或同题文件视为修订版：替换旧版本（旧版存入历史，只按新版回答）",
                                      elem_id="upload-replace")
                upload_kb = gr.Dropdown(handlers.upload_kbs(), label="上传到知识库", elem_id="upload-kb")
            with gr.Column():
                doomed = gr.Dropdown(handlers.document_names(), label="选择要删除的文件", elem_id="delete-choice")
                delete_button = gr.Button("删除所选文件", variant="stop", elem_id="delete-button")
                reindex_button = gr.Button("重新索引", elem_id="reindex-button")
        upload_button = gr.Button("上传并索引", variant="primary", elem_id="upload-button")
        library_status = gr.Textbox(label="处理结果", lines=3, elem_id="library-status")
        library_outputs = [library_status, library, doomed, *doc_lists]
        upload_button.click(shown(upload), [uploads, replace, upload_kb], library_outputs, api_name="upload")
        delete_button.click(shown(delete), [doomed], library_outputs, api_name="delete")
        reindex_button.click(shown(reindex), None, library_outputs, api_name="reindex")
        demo.load(refresh_library, None, [library, doomed, *doc_lists], api_visibility="private")
    return upload_kb


def admin_tab(admin: Any, demo: Any) -> None:
    """管理 (管理员 only; shown to them alone, and every handler checks the role itself): users, roles,
    grants, knowledge bases, and the audit log filtered and exported."""
    from assistant.access import ROLES
    from assistant.web import table_value

    def refresh(request: gr.Request) -> tuple[Any, ...]:
        user = user_of(request)
        try:
            table, kbs = admin.users(user), admin.knowledge_bases(user)
        except Exception:  # not an administrator: the tab stays hidden and empty
            return gr.update(visible=False), gr.update(), gr.update()
        return gr.update(visible=True), table_value(table), gr.update(choices=kbs)

    def add(name: str, password: str, role: str, request: gr.Request) -> tuple[Any, ...]:
        user = user_of(request)
        return admin.add_user(user, name, password, role), table_value(admin.users(user)), ""

    def activate(name: str, active: bool, request: gr.Request) -> tuple[Any, ...]:
        user = user_of(request)
        return admin.set_active(user, name, active), table_value(admin.users(user))

    def grant(name: str, kbs: list[str], request: gr.Request) -> tuple[Any, ...]:
        user = user_of(request)
        return admin.grant(user, name, kbs or [], True), table_value(admin.users(user))

    def revoke(name: str, kbs: list[str], request: gr.Request) -> tuple[Any, ...]:
        user = user_of(request)
        return admin.grant(user, name, kbs or [], False), table_value(admin.users(user))

    def enable(name: str, request: gr.Request) -> tuple[Any, ...]:
        return activate(name, True, request)

    def disable(name: str, request: gr.Request) -> tuple[Any, ...]:
        return activate(name, False, request)

    def create_kb(name: str, request: gr.Request) -> tuple[Any, ...]:
        user = user_of(request)
        return admin.create_kb(user, name), gr.update(choices=admin.knowledge_bases(user))

    def audit(who: str, action: str, request: gr.Request) -> tuple[Any, ...]:
        table, paths, verified = admin.audit_rows(user_of(request), who, action)
        return table_value(table), [str(p) for p in paths], verified

    with gr.Tab("管理", id="admin", visible=not admin.login) as tab:
        users = gr.Dataframe(wrap=True, interactive=False, elem_id="users-table")
        with gr.Row():
            name = gr.Textbox(label="用户名", elem_id="admin-user")
            password = gr.Textbox(label="初始密码（至少 8 位）", type="password", elem_id="admin-password")
            role = gr.Dropdown(list(ROLES), value=ROLES[2], label="角色")
            add_button = gr.Button("添加用户", elem_id="admin-add")
        with gr.Row():
            kbs = gr.Dropdown([], multiselect=True, label="知识库", elem_id="admin-kbs")
            grant_button = gr.Button("授权所选知识库")
            revoke_button = gr.Button("收回所选知识库")
            enable_button = gr.Button("启用")
            disable_button = gr.Button("停用", variant="stop")
        with gr.Row():
            new_kb = gr.Textbox(label="新知识库名称", elem_id="admin-new-kb")
            kb_button = gr.Button("建立知识库")
        status = gr.Textbox(label="处理结果", elem_id="admin-status")
        with gr.Accordion("审计日志", open=False, elem_id="audit-log"):
            with gr.Row():
                who = gr.Textbox(label="用户", elem_id="audit-user")
                action = gr.Textbox(label="操作（如 提问、登录失败）", elem_id="audit-action")
                audit_button = gr.Button("查询并导出", elem_id="audit-button")
            audit_table = gr.Dataframe(wrap=True, interactive=False, elem_id="audit-table")
            audit_file = gr.File(label="导出（.xlsx、.csv）", file_count="multiple")
        add_button.click(shown(add), [name, password, role], [status, users, password], api_name="admin_add_user")
        grant_button.click(shown(grant), [name, kbs], [status, users], api_name="admin_grant")
        revoke_button.click(shown(revoke), [name, kbs], [status, users], api_name="admin_revoke")
        enable_button.click(shown(enable), [name], [status, users], api_name="admin_enable")
        disable_button.click(shown(disable), [name], [status, users], api_name="admin_disable")
        kb_button.click(shown(create_kb), [new_kb], [status, kbs], api_name="admin_create_kb")
        audit_button.click(shown(audit), [who, action], [audit_table, audit_file, status],
                           api_name="admin_audit")
        demo.load(refresh, None, [tab, users, kbs], api_visibility="private")


def make_theme() -> Any:
    import gradio as gr

    # Font names only (no GoogleFont objects): the page must not fetch fonts from outside.
    return gr.themes.Default(font=CHINESE_FONTS, font_mono=MONO_FONTS)


def launch(settings: Settings, host: str, port: int, *, block: bool = True) -> Any:
    from assistant.access import AccessError, has_users
    from assistant.audit import LOGIN_FAILED, LOGIN_OK
    from assistant.workspace import Workspace

    host = host or "127.0.0.1"  # Gradio would read an empty host from GRADIO_SERVER_NAME, unchecked
    first = parse_users(settings.web_users.get_secret_value())
    if not is_loopback(host) and not first and not has_users(settings.index_dir):
        raise SystemExit("对本机以外开放时必须有登录用户：python -m assistant users add 用户名 --role 管理员，"
                         "或设置 ZGT_WEB_USERS=\"用户名:密码\" 建立第一个管理员")
    ws = Workspace(settings)
    try:
        ws.access.seed(first)  # only while there is no user yet
    except AccessError as exc:
        raise SystemExit(f"ZGT_WEB_USERS 无法建立第一个管理员：{exc}") from exc
    login = not ws.access.empty()

    def audited(name: str | None, ok: bool) -> None:
        ws.audit.record(name or "（未知用户名）", LOGIN_OK if ok else LOGIN_FAILED)

    # A callable rather than the list: failed logins are counted and locked out (assistant/login.py).
    guard = LoginGuard(ws.access, LoginLimits.from_settings(settings), on_result=audited) if login else None
    sessions = session_book(settings, ws) if login else None
    if settings.audit_retention_days:
        from assistant.audit import keep_pruning

        keep_pruning(ws.audit, settings.audit_retention_days)
    demo = build_app(settings, ws, login=login)
    demo.queue(default_concurrency_limit=4)
    # Said only once the address is allowed: a refused start must not first claim to have started.
    print(f"整改通已启动：http://{host}:{port}", file=sys.stderr)
    return serve(demo, host, port, auth=guard, sessions=sessions, block=block)


def session_book(settings: Settings, ws: Any) -> Any:
    """Sessions that end after ``ZGT_SESSION_IDLE_MINUTES`` idle, and at once for a disabled user."""
    from assistant.sessions import SessionBook

    def active(name: str) -> bool:
        found = ws.access.user(name)
        return found is not None and found.active

    return SessionBook(settings.session_idle_minutes * 60, active)


def serve(demo: Any, host: str, port: int, *, auth: Any = None, sessions: Any = None, block: bool = False) -> Any:
    """Serve a built app: the page options (theme, CSS, language, no outside links) in one place, so
    the tests serve exactly what users get. ``sessions`` (a SessionBook) replaces Gradio's own.
    Returns the app, to ``close()`` when not blocking."""
    demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="整改通：请登录",
        share=False,
        theme=make_theme(),
        css=CSS,
        head=HEAD,
        footer_links=[],
        prevent_thread_lock=True,
        quiet=True,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
    )
    if sessions is not None:
        for token, user in list(demo.server_app.tokens.items()):  # anyone who signed in meanwhile
            sessions[token] = user
        demo.server_app.tokens = sessions
    if block:
        demo.block_thread()
    return demo


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=APP_TITLE)
    parser.add_argument("--host", default=settings.web_host, help="监听地址（默认仅本机 127.0.0.1）")
    parser.add_argument("--port", type=int, default=settings.web_port)
    args = parser.parse_args(argv)
    # Login failures and lockouts are warnings; on stderr with a time stamp for whoever runs the app.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    launch(settings, args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

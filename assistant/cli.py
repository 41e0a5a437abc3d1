"""``python -m assistant``: index, add, remove, search, ask, check, study, ledger, eval, backup, restore, verify — a thin shell over the Workspace.

Machine interface (stable): ``search --jsonl FILE`` reads lines ``{"id", "question"}`` and writes one
line per input: ``{"id", "passages": [{"doc", "title", "section", "label", "start", "end", "score",
"text"}]}`` where ``doc`` is the source file's name.

Exit codes: 0 done; 1 some paths given to ``index`` do not exist, some files given to ``add`` were not
accepted, or the file given to ``merge-vectors`` is missing or unreadable; 2 nothing to ask; 3 there is no index
to read yet (never built, or its first build is running); 4 ``index --no-wait`` found another writer;
5 with a Chroma server, the index is kept by another machine's folder (see README, 多副本); 6 a backup,
restore or verify that failed or was refused (the message says why, in Chinese); 7 a refused knowledge
base, user or audit request (unknown or disabled ``--user``, a bad name, a tampered audit log); 8 a refused
library change (``remove`` of a document not in the library, ``add`` with no file).

``--user NAME`` on the read commands (search, ask, check, study, ledger) reads only the knowledge bases
that user may read (assistant/access.py); without it the command reads the whole index, as the person
running it on the server can.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.access import ROLES, AccessError
from assistant.backup import BackupError
from assistant.library import LibraryError, add_files, remove_document
from assistant.retrieval import Passage, SearchFilter
from assistant.settings import Settings, enforce_offline_environment, get_settings
from assistant.views import answer_text, jsonl_line, measure_summary, page_note, users_table
from assistant.workspace import Workspace
from index.embedding_cache import EmbeddingCache, stored_keys
from index.generation import IndexReadOnly, IndexUnavailable
from index.kinds import DocumentKind
from index.lock import IndexBusy, waiting_message
from index.vector_pack import pack_vectors

EXIT_NO_INDEX = 3
EXIT_BUSY = 4
EXIT_READ_ONLY = 5
EXIT_BACKUP = 6
EXIT_ACCESS = 7
EXIT_LIBRARY = 8
# What the index, the backup and the access rules may refuse, each said in Chinese, with its exit code.
_EXIT_CODES: dict[type[Exception], int] = {
    IndexUnavailable: EXIT_NO_INDEX,
    IndexBusy: EXIT_BUSY,
    IndexReadOnly: EXIT_READ_ONLY,
    BackupError: EXIT_BACKUP,
    AccessError: EXIT_ACCESS,
    LibraryError: EXIT_LIBRARY,
}
READ_COMMANDS = ("search", "ask", "check", "study", "ledger")


def passage_json(p: Passage) -> dict[str, Any]:
    return {**p.chunk.to_json(), "score": round(p.score, 6)}


def _write_jsonl(rows: list[dict[str, Any]], path: str | None) -> None:
    text = "".join(jsonl_line(row) for row in rows)
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _filter(args: argparse.Namespace) -> SearchFilter:
    return SearchFilter(kinds=tuple(args.kind or ()), docs=tuple(args.doc or ()), section=args.section or "")


def cmd_index(ws: Workspace, args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [ws.settings.docs_dir]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        print(f"路径不存在：{p}", file=sys.stderr)
    # No bar when stderr is a log file or a pipe: it would write one line per file.
    bar = tqdm(total=0, unit="文件", disable=args.quiet or not sys.stderr.isatty(), file=sys.stderr)

    def progress(done: int, total: int, name: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_postfix_str(name[:30])
        bar.refresh()

    def waiting(seconds: int) -> None:
        print(waiting_message(seconds), file=sys.stderr, flush=True)

    if args.vectors:
        merge_shipped_vectors(ws.embeddings.cache, Path(args.vectors))
    kb = ws.access.require_kb(args.kb) if args.kb else None
    report = ws.index(paths, rebuild=args.rebuild, progress=progress, wait=not args.no_wait, on_wait=waiting, kb=kb)
    bar.close()
    if args.json:
        print(json.dumps({
            "counts": report.counts(),
            "chunks_written": report.chunks_written,
            "seconds": round(report.seconds, 3),
            "failed": [{"file": o.source, "reason": o.reason} for o in report.outcomes if o.status == "failed"],
            "duplicates": [{"file": o.source, "reason": o.reason} for o in report.outcomes if o.status == "duplicate"],
        }, ensure_ascii=False))
    else:
        print(report.summary())
    return 1 if missing else 0


def cmd_add(ws: Workspace, args: argparse.Namespace) -> int:
    """Files into the library as the web app's 资料库 takes them: stored in the uploads folder, checked
    by content, a revised version replacing the old one (kept in the history folder) with ``--replace``."""
    kb = ws.access.require_kb(args.kb) if args.kb else None
    result = add_files(ws, [Path(p) for p in args.files], replace=args.replace, kb=kb)
    print(result.summary())
    return 1 if result.rejected else 0


def cmd_remove(ws: Workspace, args: argparse.Namespace) -> int:
    print(remove_document(ws, args.name))
    return 0


def cmd_search(ws: Workspace, args: argparse.Namespace) -> int:
    where = _filter(args)
    if args.jsonl:
        with open(args.jsonl, encoding="utf-8") as fh:
            lines = [json.loads(line) for line in fh if line.strip()]
        results = [
            {"id": item.get("id"),
             "passages": [passage_json(p) for p in ws.searcher.search(item["question"], args.k, where)]}
            for item in lines
        ]
        _write_jsonl(results, args.out)
        return 0
    if not args.query:
        print("请给出要检索的问题，或用 --jsonl 指定问题文件", file=sys.stderr)
        return 2
    passages = ws.searcher.search(args.query, args.k, where)
    if args.json:
        print(json.dumps([passage_json(p) for p in passages], ensure_ascii=False, indent=2))
        return 0
    if not passages:
        print("没有检索到相关内容。")
    for rank, p in enumerate(passages, start=1):
        c = p.chunk
        page = f" {note}" if (note := page_note(c)) else ""
        print(f"[{rank}] {c.title}{page}  {c.section or '（正文）'}  score={p.score:.3f}")
        print(f"    {c.text}\n")
    return 0


def cmd_ask(ws: Workspace, args: argparse.Namespace) -> int:
    use_llm = ws.settings.llm_provider != "none"
    where = _filter(args)
    if args.jsonl:
        with open(args.jsonl, encoding="utf-8") as fh:
            items = [json.loads(line) for line in fh if line.strip()]
        rows = [ws.answerer.answer(i["question"], where=where, use_llm=use_llm).to_json(i.get("id")) for i in items]
        _write_jsonl(rows, args.out)
        return 0
    if not args.question:
        print("请给出问题，或用 --jsonl 指定问题文件", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(ws.answerer.answer(args.question, where=where, use_llm=use_llm).to_json(),
                         ensure_ascii=False, indent=2))
        return 0
    answer = None
    shown = 0
    for answer in ws.answerer.stream(args.question, where=where) if use_llm else [
        ws.answerer.answer(args.question, where=where)
    ]:
        if answer.mode == "llm" and not answer.citations and answer.found:
            print(answer.text[shown:], end="", flush=True)  # streamed draft
            shown = len(answer.text)
    if answer is None:
        return 1
    if shown:
        print("\n\n—— 核对引用后的答案 ——")
    print(answer_text(answer))
    for reason in answer.removed_citations:
        print(f"（已删除无效引用：{reason}）", file=sys.stderr)
    return 0


def cmd_check(ws: Workspace, args: argparse.Namespace) -> int:
    from assistant.exports import write_check_results
    from assistant.measures import check_measures, read_measures_file

    if args.jsonl:
        with open(args.jsonl, encoding="utf-8") as fh:
            items = [json.loads(line) for line in fh if line.strip()]
        results = check_measures(ws, [i["measure"] for i in items])
        _write_jsonl([r.to_json(i.get("id")) for r, i in zip(results, items, strict=True)], args.out)
        return 0
    measures = [m.strip() for m in (args.measure or []) if m.strip()]
    if args.file:
        try:
            measures += read_measures_file(args.file)
        except (OSError, ValueError) as exc:
            print(f"无法读取整改清单 {args.file}：{exc}", file=sys.stderr)
            return 2
    if not measures:
        print("请给出要核查的措施，或用 --file 指定整改清单、--jsonl 指定文件", file=sys.stderr)
        return 2
    results = check_measures(ws, measures)
    for result in results:
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            print(measure_summary(result))
    if args.out:
        print(f"已导出：{write_check_results(results, args.out)}", file=sys.stderr)
    return 0


def cmd_study(ws: Workspace, args: argparse.Namespace) -> int:
    from assistant.exports import write_study_pack
    from assistant.study import build_study_pack

    try:
        pack = build_study_pack(ws, args.theme, docs=args.doc or None, title=args.title or None)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for section in pack.sections:
        print(f"{section.heading}：法规依据 {len(section.regulations)} 条，整改措施 {len(section.measures)} 项")
    for path in write_study_pack(pack, args.out):
        print(path)
    return 0


def cmd_ledger(ws: Workspace, args: argparse.Namespace) -> int:
    from assistant.exports import write_ledger
    from assistant.ledger import build_ledger, filter_rows

    rows = filter_rows(build_ledger(ws), doc=args.doc or None, area=args.area or None, keyword=args.keyword or None)
    path = write_ledger(rows, args.out)
    print(f"整改台账 {len(rows)} 条：{path}")
    return 0


def cmd_eval(ws: Workspace, args: argparse.Namespace) -> int:
    from assistant.evaluation.answers import evaluate_answers, format_answer_table
    from assistant.evaluation.data import load_questions
    from assistant.evaluation.eval_sets import holds_test_items
    from assistant.evaluation.measures import evaluate_measures, format_measure_table, load_measure_items
    from assistant.evaluation.report import format_table, save_json
    from assistant.evaluation.runner import run_evaluation

    questions, measures = _eval_files(ws, args)
    result = run_evaluation(
        questions_path=questions,
        docs_dir=ws.settings.docs_dir,
        index_dir=None if args.fresh else ws.index_dir,
        settings=ws.settings,
        embeddings=ws.embeddings,
    )
    print(format_table(result))
    ws.index()  # answers are judged on the same documents, indexed in the configured folder
    asked = load_questions(questions)
    # test is read only to report: which of its items went wrong stays in the --out file, out of sight of tuning
    items = not holds_test_items("questions", (q.id for q in asked))
    result["answers"] = evaluate_answers(ws.answerer, asked, document_texts(ws))
    print()
    print(format_answer_table(result["answers"], items=items))
    if measures is not None:
        checked = load_measure_items(measures)
        shown = not holds_test_items("measures", (m.id for m in checked))
        result["measures"] = evaluate_measures(ws, checked)
        result["measures"]["file"] = str(measures)
        print()
        print(format_measure_table(result["measures"], measures.name, items=shown))
    if args.out:
        save_json(result, args.out)
    return 0


def _eval_files(ws: Workspace, args: argparse.Namespace) -> tuple[Path, Path | None]:
    """The question and measure files of ``--split`` (dev: the shared set; tune/test: eval/), unless named."""
    if args.split == "dev":
        questions, measures = ws.settings.dev_questions, ws.settings.dev_measures
    else:
        from assistant.evaluation.eval_sets import split_file

        folder = Path(tempfile.mkdtemp(prefix=f"zgt-eval-{args.split}-"))
        questions = split_file("questions", args.split, folder)
        measures = split_file("measures", args.split, folder)
    if args.questions:
        questions = Path(args.questions)
    if args.measures is not None:
        return questions, Path(args.measures) if args.measures else None
    return questions, measures


def _print_waiting(seconds: int) -> None:
    print(waiting_message(seconds), file=sys.stderr, flush=True)


def cmd_backup(ws: Workspace, args: argparse.Namespace) -> int:
    from assistant.backup import backup

    print(backup(ws.settings, Path(args.dest), on_wait=_print_waiting).summary())
    return 0


def cmd_restore(ws: Workspace, args: argparse.Namespace) -> int:
    from assistant.backup import restore

    print(restore(Path(args.src), ws.settings, force=args.force, on_wait=_print_waiting).summary())
    return 0


def cmd_verify(ws: Workspace, args: argparse.Namespace) -> int:
    from assistant.backup import verify

    report = verify(Path(args.src), ws.settings)
    print(report.summary())
    return 0 if report.ok else EXIT_BACKUP


def cmd_kb(ws: Workspace, args: argparse.Namespace) -> int:
    access = ws.access
    if args.action == "create":
        print(f"已建立知识库：{access.create_kb(args.name or '')}")
    elif args.action == "delete":
        name = access.require_kb(args.name or "")
        held = [r.name for r in _records(ws) if r.kb == name]
        if held:
            raise AccessError(f"知识库“{name}”中还有 {len(held)} 个文件，请先删除这些文件再删除知识库")
        access.delete_kb(name)
        print(f"已删除知识库：{name}")
    else:
        counts: dict[str, int] = {}
        for record in _records(ws):
            counts[record.kb] = counts.get(record.kb, 0) + 1
        for name in access.knowledge_bases():
            print(f"{name}\t{counts.get(name, 0)} 个文件")
    return 0


def _records(ws: Workspace) -> list[Any]:
    try:
        return ws.manifest.records()
    except IndexUnavailable:
        return []


def _password(args: argparse.Namespace) -> str:
    """A password from the terminal (asked twice) or, for scripts, the first line of standard input."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != first:
            raise AccessError("两次输入的密码不一致")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_users(ws: Workspace, args: argparse.Namespace) -> int:
    access = ws.access
    name = args.name or ""
    if args.action == "add":
        user = access.add_user(name, _password(args), args.role)
        print(f"已添加用户：{user.name}（{user.role}）")
    elif args.action == "passwd":
        access.set_password(name, _password(args))
        print(f"已修改密码：{name}")
    elif args.action in ("disable", "enable"):
        access.set_active(name, args.action == "enable")
        print(f"已{'启用' if args.action == 'enable' else '停用'}用户：{name}")
    elif args.action in ("grant", "revoke"):
        if not args.kb:
            raise AccessError("请用 --kb 指定知识库")
        for kb in args.kb:
            (access.grant if args.action == "grant" else access.revoke)(name, kb)
        print(f"已{'授权' if args.action == 'grant' else '收回'}：{name} → {'、'.join(args.kb)}")
    elif args.action == "role":
        access.set_role(name, args.role)
        print(f"已设置角色：{name} → {args.role}")
    else:
        for row in users_table(access.users()).rows:
            print("\t".join(row))
    return 0


def cmd_audit(ws: Workspace, args: argparse.Namespace) -> int:
    if args.action == "verify":
        report = ws.audit.verify()
        print(report.summary())
        return 0 if report.ok else EXIT_ACCESS
    if args.action == "prune":
        days = args.days or ws.settings.audit_retention_days
        if days <= 0:
            raise AccessError("请用 --days 给出保留天数，或设置 ZGT_AUDIT_RETENTION_DAYS")
        removed = ws.audit.prune(days, user="（命令行）")
        print(f"已清理 {days} 天以前的审计记录 {removed} 条，并写入签名的清理记录" if removed
              else f"没有 {days} 天以前的审计记录")
        return 0
    if not args.file:
        raise AccessError("请给出导出文件（.xlsx 或 .csv）")
    path = ws.audit.export(Path(args.file))
    print(f"已导出审计日志：{path}")
    return 0


# What each command leaves in the audit log (assistant/audit.py): its action, and what it was about.
def _audited(command: str, args: argparse.Namespace) -> tuple[str, str, str] | None:
    from assistant import audit

    if command == "ask":
        return audit.ASK, args.question or f"（问题文件 {args.jsonl}）", ""
    if command == "search":
        return audit.SEARCH, args.query or f"（问题文件 {args.jsonl}）", ""
    if command == "check":
        return audit.CHECK, "\n".join(args.measure or []) or f"（清单 {args.file or args.jsonl}）", args.out or ""
    if command == "study":
        return audit.STUDY, args.theme, args.out
    if command == "ledger":
        return audit.LEDGER, " ".join(x for x in (args.doc, args.area, args.keyword) if x), args.out
    if command == "add":
        return audit.UPLOAD, f"知识库：{args.kb or '默认'}；" + "、".join(Path(f).name for f in args.files), ""
    if command == "remove":
        return audit.DELETE, args.name, ""
    if command == "index":
        return audit.INDEX, f"知识库：{args.kb or '（不变）'}；" + "、".join(args.paths), ""
    if command == "kb" and args.action != "list":
        return audit.KBS, f"{args.action} {args.name or ''}", ""
    if command == "users" and args.action != "list":
        return audit.USERS, f"{args.action} {args.name or ''} {args.role if args.action in ('add', 'role') else ''} "\
                            f"{'、'.join(args.kb or [])}".strip(), ""
    return None


def reader_workspace(ws: Workspace, user: str | None) -> Workspace:
    """The workspace a read command uses: the whole index, or what ``user`` may read."""
    if user is None:
        return ws
    found = ws.access.require_user(user)
    if not found.active:
        raise AccessError(f"用户已停用：{found.name}")
    return ws.within(ws.access.readable(found.name))


def cmd_pack_vectors(ws: Workspace, args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [ws.settings.docs_dir]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        print(f"路径不存在：{p}", file=sys.stderr)
    count, unreadable = pack_vectors(paths, ws.embeddings, Path(args.out), ws.chunking)
    for reason in unreadable:
        print(f"未能读取，未写入：{reason}", file=sys.stderr)
    print(f"已写入 {count} 个段落向量：{args.out}")
    return 1 if missing else 0


def merge_shipped_vectors(cache: EmbeddingCache | None, shipped: Path) -> bool:
    """Adds a pack's vectors to the machine's cache, saying what happened; False when the pack could not be
    read. Never an error: without the pack the encoder computes the vectors as usual."""
    if cache is None:
        print("未启用向量缓存（ZGT_EMBEDDING_CACHE 为空），不读入向量文件", file=sys.stderr)
        return True
    if not shipped.is_file():
        print(f"向量文件不存在：{shipped}（将照常计算向量）", file=sys.stderr)
        return False
    keys = stored_keys(shipped)
    if keys is None:
        print(f"向量文件无法读取：{shipped}（将照常计算向量）", file=sys.stderr)
        return False
    print(f"读入随附向量 {cache.merge(shipped)} 个（文件共 {len(keys)} 个）：{shipped.name}", file=sys.stderr)
    return True


def cmd_merge_vectors(ws: Workspace, args: argparse.Namespace) -> int:
    # The cache from the settings, not ws.embeddings: merging needs no encoder loaded.
    path = ws.settings.embedding_cache
    return 0 if merge_shipped_vectors(EmbeddingCache(path) if path is not None else None, Path(args.file)) else 1


def document_texts(ws: Workspace) -> dict[str, str]:
    """File name → cleaned text of every indexed document: the text citations must quote exactly."""
    texts = {}
    for record in ws.manifest.records():
        text = ws.lexical.document_text(record.doc_id)
        if text is not None:
            texts[record.name] = text
    return texts


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="整改通：整改材料与法规问答助手")
    sub = parser.add_subparsers(dest="command", required=True)

    p_index = sub.add_parser("index", help="建立或增量更新索引")
    p_index.add_argument("paths", nargs="*", help="文件或文件夹（默认 docs_src/）")
    p_index.add_argument("--rebuild", action="store_true",
                         help="重建：在旧索引旁建新索引，建好后一次切换（期间照常回答）")
    p_index.add_argument("--no-wait", action="store_true", help="已有索引任务在进行时立即退出，不等待")
    p_index.add_argument("--json", action="store_true", help="以 JSON 输出统计")
    p_index.add_argument("--quiet", action="store_true", help="不显示进度条")
    p_index.add_argument("--vectors", help="先读入随附的向量文件（pack-vectors 生成，如安装包的 vectors.sqlite），其中已有的段落不再计算")
    p_pack = sub.add_parser("pack-vectors", help="把文档各段落的向量写入一个文件（随安装包附带，安装时的首次索引不必重新计算）")
    p_pack.add_argument("out", help="写入的文件（.sqlite）")
    p_pack.add_argument("paths", nargs="*", help="文件或文件夹（默认 docs_src/）")
    p_merge = sub.add_parser("merge-vectors", help="把随附的向量文件（pack-vectors 生成）读入本机向量缓存，不建索引")
    p_merge.add_argument("file", help="向量文件（.sqlite），如 docs_src.vectors.sqlite")
    p_add = sub.add_parser("add", help="把文件加入资料库（同网页“资料库”上传：存入上传目录并索引）")
    p_add.add_argument("files", nargs="+", help="文件")
    p_add.add_argument("--kb", help="放入这个知识库（默认“默认”）")
    p_add.add_argument("--replace", action="store_true",
                       help="修订版替换旧版本（同名或去掉“修订稿”等字样后同名），旧文件移入历史目录")
    p_remove = sub.add_parser("remove", help="从资料库删除一个文件（移入回收目录）")
    p_remove.add_argument("name", help="文件名（资料库列表中的名称）")
    p_index.add_argument("--kb", help="放入这个知识库（先用 kb create 建立；默认：已索引的文件不变，新文件放入“默认”）")

    p_kb = sub.add_parser("kb", help="知识库：create 建立、list 列出、delete 删除（须先删除其中的文件）")
    p_kb.add_argument("action", choices=["create", "list", "delete"])
    p_kb.add_argument("name", nargs="?", help="知识库名称")

    p_users = sub.add_parser("users", help="用户：add 添加、passwd 改密码、disable/enable 停用/启用、grant/revoke 授权/收回、"
                                           "role 改角色、list 列出（密码从终端输入，或从标准输入读一行）")
    p_users.add_argument("action", choices=["add", "passwd", "disable", "enable", "grant", "revoke", "role", "list"])
    p_users.add_argument("name", nargs="?", help="用户名")
    p_users.add_argument("--role", choices=list(ROLES), default=ROLES[2], help="角色（默认 使用人员）")
    p_users.add_argument("--kb", action="append", help="grant/revoke 的知识库（可多次）")

    p_search = sub.add_parser("search", help="检索相关段落")
    p_search.add_argument("query", nargs="?", help="问题")
    p_search.add_argument("-k", type=int, default=5, help="返回条数")
    p_search.add_argument("--json", action="store_true")
    p_search.add_argument("--jsonl", help='每行 {"id","question"} 的输入文件')
    p_search.add_argument("--out", help="--jsonl 的输出文件（默认标准输出）")
    p_ask = sub.add_parser("ask", help="提问并得到带引用的答案")
    p_ask.add_argument("question", nargs="?", help="问题")
    p_ask.add_argument("--json", action="store_true")
    p_ask.add_argument("--jsonl", help='每行 {"id","question"} 的输入文件')
    p_ask.add_argument("--out", help="--jsonl 的输出文件（默认标准输出）")
    p_ask.add_argument("--llm", choices=["none", "openai", "llamacpp"], help="覆盖配置中的大模型方式")

    p_check = sub.add_parser("check", help="核查整改措施是否已在通报中")
    p_check.add_argument("measure", nargs="*", help="一条或多条措施")
    p_check.add_argument("--json", action="store_true")
    p_check.add_argument("--jsonl", help='每行 {"id","measure"} 的输入文件')
    p_check.add_argument("--file", help="整改清单文件（.txt .docx .xlsx .csv），逐条核查")
    p_check.add_argument("--out", help="结果另存为 .xlsx 或 .csv（含相似度）；与 --jsonl 同用时为 jsonl 输出文件")

    p_study = sub.add_parser("study", help="生成专题学习资料（.docx .md，装有 LibreOffice 时另有 .pdf）")
    p_study.add_argument("theme", help="学习主题，可用“与”“、”分隔多个专题")
    p_study.add_argument("--doc", action="append", help="只用这些文件")
    p_study.add_argument("--title", help="标题（默认：“主题”专题学习资料）")
    p_study.add_argument("--out", default=".", help="输出文件夹（默认当前文件夹）")

    p_ledger = sub.add_parser("ledger", help="导出整改台账（.xlsx）")
    p_ledger.add_argument("--doc", help="只导出该文件的措施")
    p_ledger.add_argument("--area", help="只导出该问题领域")
    p_ledger.add_argument("--keyword", help="只导出含该关键词的措施")
    p_ledger.add_argument("--out", default="整改台账.xlsx", help="输出文件（默认 整改台账.xlsx）")

    p_eval = sub.add_parser("eval", help="评测检索、回答与措施核查质量")
    p_eval.add_argument("--split", choices=["dev", "tune", "test"], default="dev",
                        help="评测集：dev（共享开发集，默认）、tune（调参用）、test（只用于报告）")
    p_eval.add_argument("--questions", help="问题文件（jsonl），覆盖 --split 的问题")
    p_eval.add_argument("--out", help="把结果另存为 JSON")
    p_eval.add_argument("--fresh", action="store_true", help="在临时目录重建索引后评测")
    p_eval.add_argument("--measures", help="措施核查评测文件（jsonl，默认 dev_measures.jsonl）；空字符串表示跳过")
    p_eval.add_argument("--no-measures", dest="measures", action="store_const", const="", help="跳过措施核查评测")

    p_backup = sub.add_parser("backup", help="备份索引、上传文件、历史版本和设置（不含密码和密钥），期间照常回答")
    p_backup.add_argument("dest", help="备份文件夹（不存在或为空）")
    p_restore = sub.add_parser("restore", help="从备份恢复（先核对全部校验值，再写入）")
    p_restore.add_argument("src", help="备份文件夹")
    p_restore.add_argument("--force", action="store_true", help="目标索引不为空时也恢复（原索引移到旁边保留）")
    p_verify = sub.add_parser("verify", help="检查备份：校验值、索引能否打开并检索")
    p_verify.add_argument("src", help="备份文件夹")

    p_audit = sub.add_parser("audit", help="审计日志：verify 检查校验链是否完整，export FILE 导出（.xlsx 或 .csv），"
                                           "prune 清理超过保留天数的记录（留下签名的清理记录）")
    p_audit.add_argument("action", choices=["verify", "export", "prune"])
    p_audit.add_argument("file", nargs="?", help="导出文件")
    p_audit.add_argument("--days", type=float, help="prune：保留天数（默认 ZGT_AUDIT_RETENTION_DAYS）")

    for p in (p_search, p_ask, p_check, p_study, p_ledger):
        p.add_argument("--user", help="以该用户的权限读取：只用其有权访问的知识库")
    for p in (p_search, p_ask):
        p.add_argument("--kind", action="append", choices=[k.value for k in DocumentKind], help="文档类别")
        p.add_argument("--doc", action="append", help="只在这些文件名中检索")
        p.add_argument("--section", help="只在章节路径包含该文字的片段中检索")
    return parser


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    enforce_offline_environment()
    args = build_parser().parse_args(argv)
    settings = settings or get_settings()
    if args.command == "ask" and args.llm:
        settings = settings.model_copy(update={"llm_provider": args.llm})
    ws = Workspace(settings)
    handlers = {"index": cmd_index, "search": cmd_search, "ask": cmd_ask, "check": cmd_check, "study": cmd_study,
                "ledger": cmd_ledger, "eval": cmd_eval, "backup": cmd_backup, "restore": cmd_restore,
                "verify": cmd_verify, "kb": cmd_kb, "add": cmd_add, "remove": cmd_remove, "users": cmd_users, "audit": cmd_audit,
                "pack-vectors": cmd_pack_vectors, "merge-vectors": cmd_merge_vectors}
    try:
        if args.command in READ_COMMANDS:
            ws = reader_workspace(ws, args.user)
        code = handlers[args.command](ws, args)
        # Reads are recorded for a named --user (the operator reading the whole index on the server, and
        # the scripts and evaluations that do, are not); changes always are.
        reads_as_operator = args.command in READ_COMMANDS and not args.user
        if code == 0 and not reads_as_operator and (audited := _audited(args.command, args)) is not None:
            action, text, file = audited
            ws.audit.record(getattr(args, "user", None) or "（命令行）", action, text=text, file=Path(file).name if file else "")
        return code
    except tuple(_EXIT_CODES) as exc:
        print(exc, file=sys.stderr)
        return next(code for kind, code in _EXIT_CODES.items() if isinstance(exc, kind))

"""Web app start-up over an existing index: ``python bench/web_startup.py --index DIR [--port P]``.

Starts ``python app.py`` cold, polls ``/`` until the page is served, then asks two questions through
the HTTP API (as the browser does) and prints when each answer was ready.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ("哪些整改措施涉及财务管理？", "保密工作是怎么整改的？")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="网页应用启动时间")
    parser.add_argument("--index", type=Path, required=True, help="an index folder (ZGT_INDEX_DIR)")
    parser.add_argument("--port", type=int, default=7899)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app.py is started")
    args = parser.parse_args(argv)

    env = os.environ | {"ZGT_INDEX_DIR": str(args.index), "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    app = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(args.port)], cwd=args.root, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{args.port}/"
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if app.poll() is not None:
                    raise SystemExit("app.py exited before serving its page") from None
                time.sleep(0.2)
        print(f"page served {time.perf_counter() - started:.1f} s after start")
        from gradio_client import Client

        client = Client(url, verbose=False)
        for question in QUESTIONS:
            asked = time.perf_counter()
            client.predict(question, [], [], [], "抽取式", api_name="/ask")
            now = time.perf_counter()
            print(f"answer ready {now - started:.1f} s after start ({now - asked:.2f} s for: {question})")
    finally:
        app.terminate()
        app.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The ``zgt`` command of an installed copy: ``python -m assistant`` under a name on PATH.

The offline environment is set before ``assistant.cli`` is imported, as ``assistant/__main__.py`` does:
the libraries it pulls in read variables such as ``HF_HUB_OFFLINE`` when they are first imported.
"""

from __future__ import annotations

from assistant.settings import enforce_offline_environment


def main(argv: list[str] | None = None) -> int:
    enforce_offline_environment()
    from assistant.cli import main as cli_main

    return cli_main(argv)

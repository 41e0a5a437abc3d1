"""Chat-model factory: none (extractive answers), any OpenAI-compatible endpoint, or a local GGUF model.

- ``openai``: any OpenAI-compatible server (llama.cpp's ``python -m llama_cpp.server``, vLLM, Ollama,
  Xinference, an intranet DeepSeek/Qwen gateway…) given its base URL, key and model name. The default
  base URL is ``http://127.0.0.1:8080/v1``; requests go only to the configured URL, and to a loopback
  URL they go directly (proxy variables such as ``HTTPS_PROXY`` in the environment are not used, so a
  question never travels to a proxy on its way to a local server).
- ``llamacpp``: the GGUF file loaded in this process through llama-cpp-python (``pip install '.[llm]'``,
  or ``scripts/setup_llm.sh`` which also fetches a model). LangChain's ``ChatLlamaCpp`` is used with
  two corrections for llama-cpp-python 0.3.x: it passes ``rope_freq_base=10000`` and
  ``rope_freq_scale=1.0`` explicitly, overriding the values stored in the GGUF (Qwen2.5: 1,000,000), and
  it evaluates the prompt 8 tokens at a time (``n_batch=8``: a 1,200-token prompt took ~8× longer to
  reach the first token). One llama.cpp context is not safe for concurrent use, so calls on one model
  are serialised with a lock.

Neither path downloads anything: ``ChatOpenAI`` would only reach tiktoken's servers when asked to count
tokens, which the answering code never does.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import PrivateAttr

from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_community.chat_models.llamacpp import ChatLlamaCpp

LOCAL_N_CTX = 4096  # prompt (6 sources of ≤400 characters + instructions) + answer fit comfortably
LOCAL_N_BATCH = 512


def is_loopback_url(url: str) -> bool:
    """True when ``url`` names this machine (127.0.0.0/8, ::1 or localhost)."""
    host = (urlsplit(url).hostname or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_openai_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "openai.com" or host.endswith((".openai.com", ".openai.azure.com"))


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    if settings.llm_provider == "none":
        return None
    if settings.llm_provider == "openai":
        return build_openai_model(settings)
    return build_llamacpp_model(settings)


def build_openai_model(settings: Settings) -> BaseChatModel:
    import httpx
    from langchain_openai import ChatOpenAI

    # A small CPU model can take a minute or more before its first token on a busy 2-core machine.
    timeout = httpx.Timeout(300.0, connect=10.0)
    clients: dict[str, Any] = {}
    if is_loopback_url(settings.llm_base_url):
        # trust_env=False: no HTTP(S)_PROXY / ALL_PROXY / .netrc for a server on this machine.
        clients = {
            "http_client": httpx.Client(trust_env=False, timeout=timeout),
            "http_async_client": httpx.AsyncClient(trust_env=False, timeout=timeout),
        }
    model = ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        model=settings.llm_model,
        temperature=settings.llm_temperature,
        max_completion_tokens=settings.llm_max_tokens,
        # llama-cpp-python's server (0.3.36) ignores max_completion_tokens and would then generate until
        # the context is full; most OpenAI-compatible servers read the older max_tokens. OpenAI itself
        # gets only max_completion_tokens.
        extra_body=None if _is_openai_host(settings.llm_base_url) else {"max_tokens": settings.llm_max_tokens},
        streaming=True,
        stream_usage=False,
        max_retries=1,
        timeout=timeout,
        stream_chunk_timeout=300.0,
        **clients,
    )
    if model.openai_api_base != settings.llm_base_url:  # e.g. a LangSmith gateway context rewrote it
        raise ValueError(f"大模型地址被改写为 {model.openai_api_base}，与配置的 {settings.llm_base_url} 不一致")
    return model


def build_llamacpp_model(settings: Settings) -> BaseChatModel:
    if settings.llm_gguf_path is None or not settings.llm_gguf_path.is_file():
        raise ValueError("本地模型需要设置 ZGT_LLM_GGUF_PATH 指向一个 .gguf 文件（可运行 scripts/setup_llm.sh 获取）")
    try:
        import llama_cpp  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise ValueError("本地模型需要安装可选依赖：pip install '.[llm]' 或运行 scripts/setup_llm.sh") from exc
    LockedChatLlamaCpp = _locked_chat_llamacpp_class()
    return LockedChatLlamaCpp(
        model_path=str(settings.llm_gguf_path),
        n_ctx=LOCAL_N_CTX,
        n_batch=LOCAL_N_BATCH,
        n_threads=settings.embedding_threads,
        rope_freq_base=0.0,  # 0 = take it from the GGUF
        rope_freq_scale=0.0,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        streaming=True,
        verbose=False,
    )


@lru_cache(maxsize=1)
def _locked_chat_llamacpp_class() -> type[ChatLlamaCpp]:
    # Imported here: langchain-community is slow to import and warns that it is being sunset.
    from langchain_community.chat_models.llamacpp import ChatLlamaCpp

    class LockedChatLlamaCpp(ChatLlamaCpp):
        """ChatLlamaCpp whose calls on its one llama.cpp context never overlap (web app threads)."""

        _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            if self.streaming:  # the parent then consumes self._stream, which takes the lock
                return super()._generate(*args, **kwargs)
            with self._lock:
                return super()._generate(*args, **kwargs)

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
            with self._lock:
                yield from super()._stream(*args, **kwargs)

    return LockedChatLlamaCpp

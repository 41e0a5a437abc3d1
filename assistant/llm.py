"""Chat-model factory: none (extractive answers), any OpenAI-compatible endpoint, or a local GGUF model.

A local model runs through llama.cpp (``pip install '.[llm]'``); an OpenAI-compatible server (vLLM,
Ollama, Xinference, llama.cpp's own server, DeepSeek, Qwen…) needs only its base URL, key and name.
"""

from __future__ import annotations

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.settings import Settings


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    if settings.llm_provider == "none":
        return None
    if settings.llm_provider == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model,
            temperature=settings.llm_temperature,
            max_completion_tokens=settings.llm_max_tokens,
            streaming=True,
            max_retries=1,
            timeout=120,
        )
    if settings.llm_gguf_path is None or not settings.llm_gguf_path.is_file():
        raise ValueError("本地模型需要设置 ZGT_LLM_GGUF_PATH 指向一个 .gguf 文件")
    try:
        from langchain_community.chat_models import ChatLlamaCpp
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise ValueError("本地模型需要安装可选依赖：pip install '.[llm]'") from exc
    return ChatLlamaCpp(
        model_path=str(settings.llm_gguf_path),
        n_ctx=4096,
        n_threads=settings.embedding_threads,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        streaming=True,
        verbose=False,
    )

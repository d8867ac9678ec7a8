"""LLM backends behind one small interface: `local` (llama.cpp) and `openai` (any compatible
server); `none` means no generation (extractive answers)."""

from rag.llm.base import LLM, Message, build_llm

__all__ = ["LLM", "Message", "build_llm"]

"""LLM backends behind one small interface: `local` (llama.cpp), `openai` (any compatible server), `none`."""

from rag.llm.base import LLM, Message, build_llm

__all__ = ["LLM", "Message", "build_llm"]

"""Ingestion: load the corpus, chunk it by structure, embed, and upsert into Chroma incrementally.

Entry points: `ingest.pipeline.ingest_corpus` (used by the API) and `ingest.cli` (`career-rag
ingest`, `python -m ingest`). Retrieval reads the stored chunks itself; nothing here answers.
"""

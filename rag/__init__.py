"""career-rag core: retrieval, generation, verification and the `Assistant` facade.

Imports none of `ingest`, `api` or `evals`; those are adapters built on top of it.
"""

"""Answer-quality evaluation: datasets, offline metrics, negative controls, baseline, reports, gate.

`evals` drives `rag.Assistant` from the outside like any client; it never reaches into `rag`
internals except to read the stored chunks it must check citations against.
"""

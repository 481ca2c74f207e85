"""Embedding, dense (FAISS) and lexical (BM25) indexes, hybrid fusion, and index storage.

Modules: `embed` (Embedder), `dense`, `lexical`, `fusion`, `hits`, `manifest`,
`search` (Index), `store` (build_index, publish, load_index).
"""

"""Ingest: turn the sources listed in `corpus/sources.toml` into documents and passages.

The flow is corpus → fetch (or cache, or a drop-in file) → extract → split; see
`dossier.ingest.pipeline.run_ingest`. Nothing here embeds or indexes.
"""

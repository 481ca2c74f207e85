"""The index in PostgreSQL with pgvector: `schema` (migrations), `pool` (connections),
`search` (dense and lexical retrieval in the database), `store` (versions, publish, load)."""

"""Ingest: count tables in three formats, sheets and clinical table -> one validated AnnData."""

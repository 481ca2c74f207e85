"""Dossier: answers questions from an article and its sources, citing the exact passages."""

__version__ = "0.1.0"

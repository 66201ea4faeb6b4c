"""Judges behind HTTP: a rerank API and an OpenAI-compatible chat model."""

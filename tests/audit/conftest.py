"""Shared fixtures for tests/audit (report fixtures are prefixed ``report_``)."""

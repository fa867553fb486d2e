"""Tip reporting on the web: the question pages, the confirmation, and the anonymous follow-up."""

"""Developer tools: pages that exist only on a development machine, never in production."""

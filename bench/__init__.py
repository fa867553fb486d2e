"""`make bench`: throughput and latency of the portal against a bare Flask floor (see README, Performance)."""

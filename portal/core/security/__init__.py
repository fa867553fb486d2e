"""Cryptography, reference numbers and HTTP protections used across the portal."""

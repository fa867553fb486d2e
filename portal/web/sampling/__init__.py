"""Booking free DNA sampling on the web, and changing or cancelling a booking."""

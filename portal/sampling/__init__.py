"""Free DNA sampling: sites, slots, bookings, the desk, notices. Knows no channel."""

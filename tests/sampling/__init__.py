"""The sampling domain (portal/sampling/): slots, bookings and their rules, notices, the sites list."""

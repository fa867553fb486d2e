"""The staff console's sampling pages (portal/staff/sampling_views.py): the desk, tube numbers, sites and closures."""

"""The staff console (portal/staff/): signing in, the queue, items and their workflow, oversight, permissions."""

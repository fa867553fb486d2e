"""The staff console. Every URL here is deny-by-default (see `portal.staff.auth.guard_staff_request`)."""

"""Tuanyuan Portal: the public website and SMS hotline of the Tuanyuan anti-trafficking campaign.

The app factory is `portal.app.create_app`. The packages are layered (docs/architecture.md):
`portal.core` knows no domain or channel; the domains `portal.tips`, `portal.sampling` and
`portal.triage` build on it; the channels `portal.web`, `portal.hotline` and `portal.staff` build
on the domains; `portal.app` assembles them.
"""

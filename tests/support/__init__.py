"""What the tests share: plain functions, classes and constants that test modules and conftest.py
files import. Nothing here is a test or a fixture; fixtures live in the conftest.py files.

- `settings`: the test app's settings, the database to test against, a production environment.
- `database`: emptying the tables, a fresh database for the migration tests.
- `factories`: tips, sites, slots and staff accounts made directly, each committed.
- `helpers`: reading pages as a person and a checker would, posting forms, a live server.
- `tips`, `sampling`, `staff`, `tubes`, `sms`, `outbox`: walking the journeys of each area.
- `browser`, `nu_checker`: Chromium pages with axe-core, and the Nu HTML Checker.
"""

"""The core (portal/core/): settings, identity numbers, encryption and references, masking, dates in both languages, the outbox, SMS segments, tube labels."""

"""The hotline's conversation flows; importing this package registers each with
`portal.sms.conversation.register` (see that module for the contract)."""

from portal.sms.flows import book, cancel, help, menu, status, tip  # noqa: F401,A004

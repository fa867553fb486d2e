"""The hotline's conversation flows, one module each (menu, tip, book, status, cancel, help).

A flow answers a `Turn` with a `Reply`, or hands the message over to another flow (`HandOver`);
the contract is in `base.py`. The registry of every flow is `portal.hotline.dispatch.FLOWS`, which
imports them; a flow imports no other flow, and nothing here imports the dispatcher.
"""

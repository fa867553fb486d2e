"""Command-line commands: `flask --app wsgi <command>`. Each area registers its own."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every area's commands on the app."""
    from portal.outbox import commands as outbox_commands
    from portal.public import commands as public_commands
    from portal.sampling import commands as sampling_commands
    from portal.security import commands as security_commands
    from portal.sms import commands as sms_commands
    from portal.staff import commands as staff_commands
    from portal.tips import commands as tips_commands

    for module in (public_commands, tips_commands, sampling_commands, sms_commands, staff_commands, outbox_commands,
                   security_commands):
        module.register(app)

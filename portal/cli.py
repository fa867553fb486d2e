"""Command-line commands: `flask --app wsgi <command>`. Each area defines its own; this adds them all."""

from __future__ import annotations

from flask import Flask

from portal.core.outbox import commands as outbox_commands
from portal.core.security import commands as security_commands
from portal.demo import commands as demo_commands
from portal.hotline import commands as sms_commands
from portal.sampling import commands as sampling_commands
from portal.staff import commands as staff_commands


def init_app(app: Flask) -> None:
    """Register every area's commands on the app."""
    for module in (demo_commands, sampling_commands, sms_commands, staff_commands, outbox_commands,
                   security_commands):
        module.register(app)

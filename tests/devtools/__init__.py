"""The development tools (portal/devtools/): the SMS hotline simulator."""

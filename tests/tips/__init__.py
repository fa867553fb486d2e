"""The tips domain (portal/tips/): the follow-up guard."""

"""The web booking journey for free blood sampling (portal/web/sampling/)."""

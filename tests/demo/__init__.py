"""The demo data (portal/demo/): `flask demo-data`."""

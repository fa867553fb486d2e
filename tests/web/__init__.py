"""The public web pages (portal/web/): the start page and language switch, the tip journey, the booking journey."""
